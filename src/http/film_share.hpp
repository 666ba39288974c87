// SPDX-License-Identifier: Apache-2.0
// Giving a patient the share of a film, as its hospital does: the film's
// exam (or every exam of its patient there), the hospital's second factor
// and its expected value. One use case for the HTTP route and for
// `cloudfilm share create`. Blocks (catalog, films, Argon2id).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "access/access.hpp"
#include "archive/archive.hpp"
#include "core/error.hpp"

namespace cf::film {
class FilmStore;
}

namespace cf::http {

struct FilmShareRequest {
  std::string film_id;
  bool patient_scope = false;  // every exam of the film's patient at its hospital
  int64_t not_before_ms = 0;   // 0 = now
  int64_t expires_ms = 0;
  std::string phone = {};      // for hospitals whose factor is phone-last4
  std::string id_number = {};  // for id-last4
  std::string recipient = {};  // where codes and notices go (one-time-code: required)
};

// Errors: kNotFound (no such film in `scope`), kConflict (the hospital asks
// the birth date and the images have none), Access::CreateShare's.
// Every exam the patient of a patient-scope share has at its hospital now
// (the share's first study names the patient).
Result<std::vector<std::string>> PatientStudiesNow(archive::Archive& archive,
                                                   const access::ShareInfo& share);

Result<access::IssuedShare> ShareFilm(archive::Archive& archive, film::FilmStore& films,
                                      access::Access& access, const access::Principal& by,
                                      const catalog::Scope& scope, const FilmShareRequest& request);

// The URL a share's QR code carries: `base` (no trailing '/') + "/s/" + token.
std::string ShareUrl(std::string_view base, std::string_view token);

}  // namespace cf::http
