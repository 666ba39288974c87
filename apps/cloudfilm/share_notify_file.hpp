// SPDX-License-Identifier: Apache-2.0
// The demo and test notifier of patient shares (shares.notify_file): each
// notice is appended to a file as one JSON line, so that the one-time-code
// flow can be tried end to end without the notification outbox. Not for
// production: the file holds codes in clear.
#pragma once

#include <filesystem>

#include "access/share_notice.hpp"

namespace cf::app {

access::ShareNotifier FileShareNotifier(std::filesystem::path path);

}  // namespace cf::app
