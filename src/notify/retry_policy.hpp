// SPDX-License-Identifier: Apache-2.0
// When to try a failed delivery again: exponential backoff with jitter, so
// that a gateway coming back from an outage is not hit by every queued
// message at the same instant, up to a number of attempts or an age.
#pragma once

#include <chrono>
#include <cstdint>

namespace cf::notify {

struct RetryPolicy {
  int max_attempts = 8;
  std::chrono::seconds first_delay{30};  // after the first failed attempt
  std::chrono::seconds max_delay{3600};  // the backoff stops growing here
  std::chrono::seconds max_age{86400};   // after this long since enqueue, give up
  // The share of each delay that is random: 0.25 = a delay of d waits
  // between 0.75 d and d.
  double jitter = 0.25;
};

// The delay before attempt `failed_attempts + 1`, given that
// `failed_attempts` (>= 1) failed: first_delay * 2^(failed_attempts - 1),
// capped at max_delay, then reduced by up to `jitter` of itself as
// `random01` (in [0, 1)) says.
std::chrono::milliseconds BackoffDelay(const RetryPolicy& policy, int failed_attempts,
                                       double random01);

// Whether to give up after `attempts` attempts of a message created at
// `created_ms` whose next attempt would be at `next_ms`.
bool GiveUp(const RetryPolicy& policy, int attempts, int64_t created_ms, int64_t next_ms);

}  // namespace cf::notify
