// SPDX-License-Identifier: Apache-2.0
// An in-memory Merkle tree for tests: every complete subtree root of a list
// of leaves, served as a NodeSource that counts its reads.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "ledger/merkle.hpp"

namespace cf::ledger::testing {

class MemoryTree final : public NodeSource {
 public:
  void Append(ByteView entry) {
    range_.Append(LeafHash(entry), [&](int level, uint64_t index, const Hash& h) {
      nodes_[{level, index}] = h;
    });
  }
  uint64_t size() const { return range_.size(); }
  Hash Root() const { return range_.Root(); }

  Result<Hash> Node(int level, uint64_t index) override {
    ++reads_;
    auto it = nodes_.find({level, index});
    if (it == nodes_.end()) {
      return Fail(ErrorCode::kInternal,
                  "no node " + std::to_string(level) + "/" + std::to_string(index));
    }
    return it->second;
  }
  size_t reads() const { return reads_; }
  void ResetReads() { reads_ = 0; }

 private:
  CompactRange range_;
  std::map<std::pair<int, uint64_t>, Hash> nodes_;
  size_t reads_ = 0;
};

// The RFC 6962 definition, recursively over the leaf hashes: the reference
// the stored-node algorithms are compared with.
inline Hash ReferenceMth(const std::vector<Hash>& leaves, size_t begin, size_t end) {
  if (end == begin) return EmptyRootHash();
  if (end - begin == 1) return leaves[begin];
  const uint64_t k = SplitPoint(end - begin);
  return NodeHash(ReferenceMth(leaves, begin, begin + k), ReferenceMth(leaves, begin + k, end));
}

}  // namespace cf::ledger::testing
