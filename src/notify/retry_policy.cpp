// SPDX-License-Identifier: Apache-2.0
#include "notify/retry_policy.hpp"

#include <algorithm>

namespace cf::notify {

std::chrono::milliseconds BackoffDelay(const RetryPolicy& policy, int failed_attempts,
                                       double random01) {
  const double first_ms = static_cast<double>(policy.first_delay.count()) * 1000.0;
  const double max_ms = static_cast<double>(policy.max_delay.count()) * 1000.0;
  // 2^62 would overflow nothing in a double, but there is no point past the cap.
  const int doublings = std::clamp(failed_attempts - 1, 0, 62);
  double delay = std::min(max_ms, first_ms * static_cast<double>(uint64_t{1} << doublings));
  delay -= delay * std::clamp(policy.jitter, 0.0, 1.0) * std::clamp(random01, 0.0, 1.0);
  return std::chrono::milliseconds(static_cast<int64_t>(delay));
}

bool GiveUp(const RetryPolicy& policy, int attempts, int64_t created_ms, int64_t next_ms) {
  if (attempts >= policy.max_attempts) return true;
  const int64_t max_age_ms = policy.max_age.count() * 1000;
  return next_ms - created_ms > max_age_ms;
}

}  // namespace cf::notify
