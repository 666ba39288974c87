// SPDX-License-Identifier: Apache-2.0
// Delays between attempts to reach something that is down: doubling from
// `first` up to `max`, each drawn from the upper half of its step so that
// many nodes retrying one collector after an outage do not arrive
// together. Not thread-safe.
#pragma once

#include <algorithm>
#include <chrono>
#include <random>

namespace cf::audit {

class RetryBackoff {
 public:
  RetryBackoff(std::chrono::milliseconds first, std::chrono::milliseconds max,
               unsigned seed = std::random_device{}())
      : first_(std::max(first, std::chrono::milliseconds(1))),
        max_(std::max(max, first_)),
        step_(first_),
        random_(seed) {}

  // The delay before the next attempt, in [step/2, step]; the step doubles.
  std::chrono::milliseconds Next() {
    const auto step = step_;
    step_ = std::min(step_ * 2, max_);
    std::uniform_int_distribution<int64_t> pick(step.count() - step.count() / 2, step.count());
    return std::chrono::milliseconds(pick(random_));
  }

  // After a success: the next failure waits `first` again.
  void Reset() { step_ = first_; }

 private:
  std::chrono::milliseconds first_;
  std::chrono::milliseconds max_;
  std::chrono::milliseconds step_;
  std::minstd_rand random_;
};

}  // namespace cf::audit
