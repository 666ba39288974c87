// SPDX-License-Identifier: Apache-2.0
// Delivery into a file: one JSON line per message, appended and fsynced
// before it counts as delivered. For demos and tests; the file holds
// patient data in clear, so it belongs in the data folder or a test's.
#pragma once

#include <filesystem>
#include <memory>

#include "notify/provider.hpp"

namespace cf::notify {

// The line's fields are WebhookBody's (webhook_provider.hpp) plus
// "delivered_at". A write error is retried.
std::unique_ptr<Provider> MakeFileProvider(std::filesystem::path path);

}  // namespace cf::notify
