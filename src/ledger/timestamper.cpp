// SPDX-License-Identifier: Apache-2.0
#include "ledger/timestamper.hpp"

#include <algorithm>

#include "core/log.hpp"

namespace cf::ledger {

Timestamper::Timestamper(TransparencyLog& log, TimestamperOptions options)
    : log_(log), options_(std::move(options)) {}

Timestamper::~Timestamper() { Stop(); }

void Timestamper::Start() {
  std::lock_guard lock(mutex_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { Run(); });
}

void Timestamper::Stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Result<std::optional<TreeHeadTimestamp>> Timestamper::StampLatest() {
  auto size = log_.Size();
  if (!size) return std::unexpected(size.error());
  if (*size == 0) return std::optional<TreeHeadTimestamp>();
  auto head = log_.TreeHead();
  if (!head) return std::unexpected(head.error());
  auto latest = log_.LatestStampedHead();
  if (!latest) return std::unexpected(latest.error());
  if (*latest && (*latest)->head.head.tree_size >= head->head.tree_size) {
    return std::optional<TreeHeadTimestamp>();
  }
  uint64_t nonce = 0;
  {
    std::lock_guard lock(mutex_);
    nonce = nonces_();
  }
  auto query = MakeTimestampQuery(TimestampImprint(head->head), nonce);
  if (!query) return std::unexpected(query.error());
  auto answer = PostTimestampQuery(options_.tsa, *query);
  if (!answer) return std::unexpected(answer.error());
  auto stamp = AcceptTimestampResponse(*query, *answer, options_.tsa_ca_file);
  if (!stamp) return std::unexpected(stamp.error());
  stamp->tree_size = head->head.tree_size;
  if (auto r = log_.AddTimestamp(*stamp); !r) return std::unexpected(r.error());
  return std::optional<TreeHeadTimestamp>(std::move(*stamp));
}

void Timestamper::Run() {
  auto wait = options_.interval;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      if (wake_.wait_for(lock, wait, [this] { return stopping_; })) return;
    }
    auto stamped = StampLatest();
    if (!stamped) {
      // The TSA's URL names no patient; the message is curl's or OpenSSL's.
      wait = std::min(wait * 2, options_.max_backoff);
      log::Warn("ledger.timestamp_failed",
                {{"reason", stamped.error().message}, {"retry_in_ms", wait.count()}});
      continue;
    }
    wait = options_.interval;
    if (*stamped) {
      log::Info("ledger.timestamped",
                {{"tree_size", (*stamped)->tree_size}, {"tsa", (*stamped)->tsa}});
    }
  }
}

}  // namespace cf::ledger
