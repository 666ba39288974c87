// SPDX-License-Identifier: Apache-2.0
// A small least-recently-used cache bounded by bytes, for what WADO-RS
// answers repeatedly and is costly to rebuild: study and series metadata
// (every object read and parsed), their gzip forms, decoded frames. Each
// entry carries a validity token (for metadata: the study's instance count
// and last update), so a study that received new instances is rebuilt on
// its next request without anyone having to invalidate it. Values are
// shared, immutable: a reader keeps its copy alive while the cache evicts.
// Thread-safe. Internal to cf::http.
#pragma once

#include <cstddef>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>

namespace cf::http {

template <class Value>
class BoundedCache {
 public:
  explicit BoundedCache(size_t max_bytes) : max_bytes_(max_bytes) {}

  // The value under `key` if it was stored with `token`; nullptr otherwise
  // (an entry with another token is dropped: it is stale).
  std::shared_ptr<const Value> Find(const std::string& key, const std::string& token) {
    std::lock_guard lock(mutex_);
    const auto it = index_.find(key);
    if (it == index_.end()) return nullptr;
    if (it->second->token != token) {
      Erase(it);
      return nullptr;
    }
    entries_.splice(entries_.begin(), entries_, it->second);  // most recently used first
    return it->second->value;
  }

  // Stores `value` (`bytes` large) under `key`, evicting the least recently
  // used entries to stay under the bound. A value larger than a quarter of
  // the bound is not kept: it would flush everything else.
  void Put(const std::string& key, std::string token, std::shared_ptr<const Value> value,
           size_t bytes) {
    if (bytes > max_bytes_ / 4) return;
    std::lock_guard lock(mutex_);
    if (const auto it = index_.find(key); it != index_.end()) Erase(it);
    entries_.push_front({key, std::move(token), std::move(value), bytes});
    index_[key] = entries_.begin();
    used_bytes_ += bytes;
    while (used_bytes_ > max_bytes_ && !entries_.empty()) Erase(index_.find(entries_.back().key));
  }

  size_t UsedBytes() const {
    std::lock_guard lock(mutex_);
    return used_bytes_;
  }

 private:
  struct Entry {
    std::string key;
    std::string token;
    std::shared_ptr<const Value> value;
    size_t bytes = 0;
  };
  using Index = std::unordered_map<std::string, typename std::list<Entry>::iterator>;

  void Erase(typename Index::iterator it) {
    used_bytes_ -= it->second->bytes;
    entries_.erase(it->second);
    index_.erase(it);
  }

  const size_t max_bytes_;
  mutable std::mutex mutex_;
  std::list<Entry> entries_;  // guarded by mutex_; most recently used first
  Index index_;               // guarded by mutex_
  size_t used_bytes_ = 0;     // guarded by mutex_
};

}  // namespace cf::http
