// SPDX-License-Identifier: Apache-2.0
// Attempts per key (a client address) in a sliding window, in memory: the
// first brake on password guessing before the per-account lockout, which
// an attacker spreading guesses over many accounts would not trip.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <mutex>
#include <string>
#include <unordered_map>

namespace cf::access {

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  RateLimiter(size_t max_attempts, std::chrono::seconds window)
      : max_attempts_(max_attempts), window_(window) {}

  // Counts an attempt for `key`. Returns zero when it may go ahead, or how
  // long to wait before the oldest attempt leaves the window.
  std::chrono::seconds Attempt(const std::string& key, Clock::time_point now = Clock::now());
  // Like Attempt, without counting one: for budgets spent only by failures.
  std::chrono::seconds Peek(const std::string& key, Clock::time_point now = Clock::now());

 private:
  void Prune(Clock::time_point now);

  const size_t max_attempts_;
  const std::chrono::seconds window_;
  std::mutex mutex_;
  std::unordered_map<std::string, std::deque<Clock::time_point>> attempts_;
  Clock::time_point last_prune_{};
};

}  // namespace cf::access
