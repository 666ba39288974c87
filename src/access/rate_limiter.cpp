// SPDX-License-Identifier: Apache-2.0
#include "access/rate_limiter.hpp"

#include <algorithm>

namespace cf::access {

std::chrono::seconds RateLimiter::Attempt(const std::string& key, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  Prune(now);
  auto& times = attempts_[key];
  while (!times.empty() && now - times.front() >= window_) times.pop_front();
  if (times.size() >= max_attempts_) {
    const auto wait = std::chrono::ceil<std::chrono::seconds>(times.front() + window_ - now);
    return std::max(wait, std::chrono::seconds(1));
  }
  times.push_back(now);
  return std::chrono::seconds(0);
}

std::chrono::seconds RateLimiter::Peek(const std::string& key, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  const auto it = attempts_.find(key);
  if (it == attempts_.end()) return std::chrono::seconds(0);
  auto& times = it->second;
  while (!times.empty() && now - times.front() >= window_) times.pop_front();
  if (times.size() < max_attempts_) return std::chrono::seconds(0);
  const auto wait = std::chrono::ceil<std::chrono::seconds>(times.front() + window_ - now);
  return std::max(wait, std::chrono::seconds(1));
}

// Forgets quiet keys now and then, so that a scan from many addresses
// cannot grow the map without bound.
void RateLimiter::Prune(Clock::time_point now) {
  if (now - last_prune_ < window_ && attempts_.size() < 10'000) return;
  last_prune_ = now;
  std::erase_if(attempts_, [&](const auto& entry) {
    return entry.second.empty() || now - entry.second.back() >= window_;
  });
}

}  // namespace cf::access
