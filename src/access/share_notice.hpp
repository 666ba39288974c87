// SPDX-License-Identifier: Apache-2.0
// The one hook through which shares reach the patient: a one-time code to
// send, a film opened by someone else, a share made. The notification
// outbox (src/film) is connected to it by the composition root; access
// itself never sends anything. Without a notifier, the one-time-code
// factor is refused and "opened" notices live only in the access history.
#pragma once

#include <functional>
#include <string>

#include "core/error.hpp"

namespace cf::access {

struct ShareNotice {
  enum class Kind {
    kOneTimeCode,    // `text` holds the code: deliver, never log
    kOpenedByOther,  // a doctor share of the patient's was opened
    kShareCreated,   // a share was made (for the patient's records)
  };
  Kind kind = Kind::kOneTimeCode;
  std::string tenant;
  std::string share_id;   // public id of the share concerned
  std::string film_id;    // the film it was made for
  std::string recipient;  // where to: phone number, e-mail, as the hospital gave it
  std::string text;       // what to say (a code for kOneTimeCode)
  int64_t at_ms = 0;
};

std::string_view ShareNoticeKindName(ShareNotice::Kind kind);  // "one-time-code", ...

// Delivers (or durably queues) a notice; an error means it was not taken.
// Called without locks held; may block.
using ShareNotifier = std::function<Result<void>(const ShareNotice&)>;

}  // namespace cf::access
