// SPDX-License-Identifier: Apache-2.0
// The Merkle tree of RFC 6962 section 2.1 (the Certificate Transparency
// log), over SHA-256:
//
//   leaf hash  = SHA-256(0x00 || entry)
//   node hash  = SHA-256(0x01 || left || right)
//   MTH({})    = SHA-256("")
//   MTH(D[n])  = node hash of MTH(D[0:k]) and MTH(D[k:n]), k the largest
//                power of two smaller than n (so any size, not only powers
//                of two, has one tree)
//
// with audit (inclusion) and consistency proofs as RFC 6962 2.1.1 and
// 2.1.2 define them, and their verification as RFC 9162 2.1.3.2 and
// 2.1.4.2 write it. Being bit-for-bit RFC 6962 is the point: a log only
// another implementation can check proves something to a court.
//
// Proofs are computed from the roots of complete subtrees ("nodes": level
// l, index i covers leaves [i * 2^l, (i + 1) * 2^l)), read through a
// NodeSource, so that a stored log answers a proof with O(log n) reads
// whatever its size (see transparency_log.hpp). Pure functions; no I/O of
// their own.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <utility>
#include <vector>

#include "core/bytes.hpp"
#include "core/error.hpp"
#include "crypto/sha256.hpp"

namespace cf::ledger {

using Hash = crypto::Sha256Digest;

Hash LeafHash(ByteView entry);
Hash NodeHash(const Hash& left, const Hash& right);
Hash EmptyRootHash();

// The largest power of two smaller than `n`. REQUIRES: n >= 2.
uint64_t SplitPoint(uint64_t n);

// Roots of complete subtrees of one log. Implementations fail (kInternal,
// naming the node) when a node that the log's size implies is missing.
class NodeSource {
 public:
  virtual ~NodeSource() = default;
  virtual Result<Hash> Node(int level, uint64_t index) = 0;
};

// Remembers what it read, so that the overlapping ranges of one proof
// cost one read each. For one call; not thread-safe.
class CachingNodeSource final : public NodeSource {
 public:
  explicit CachingNodeSource(NodeSource& inner) : inner_(inner) {}
  Result<Hash> Node(int level, uint64_t index) override;
  size_t reads() const { return reads_; }

 private:
  NodeSource& inner_;
  std::map<std::pair<int, uint64_t>, Hash> memo_;
  size_t reads_ = 0;
};

// MTH of the first `size` leaves.
Result<Hash> RootHash(NodeSource& nodes, uint64_t size);

// PATH(index, D[size]). kInvalidArgument unless index < size.
Result<std::vector<Hash>> InclusionProof(NodeSource& nodes, uint64_t index, uint64_t size);

// PROOF(old_size, D[new_size]); empty when old_size is 0 or equals
// new_size. kInvalidArgument when old_size > new_size.
Result<std::vector<Hash>> ConsistencyProof(NodeSource& nodes, uint64_t old_size, uint64_t new_size);

// Ok when `proof` shows the leaf with `leaf_hash` at `index` in the tree of
// `size` leaves whose root is `root`. kConflict otherwise, saying why (a
// proof of the wrong length, or one that leads to another root).
Result<void> VerifyInclusion(uint64_t index, uint64_t size, const Hash& leaf_hash,
                             std::span<const Hash> proof, const Hash& root);

// The root that `proof` leads to from `leaf_hash`, or kConflict when the
// proof has the wrong length for `index` and `size`.
Result<Hash> RootFromInclusionProof(uint64_t index, uint64_t size, const Hash& leaf_hash,
                                    std::span<const Hash> proof);

// Ok when `proof` shows that the tree of `old_size` leaves with root
// `old_root` is a prefix of the tree of `new_size` leaves with root
// `new_root` (nothing rewritten, nothing removed). kConflict otherwise.
// Sizes 0 and equal sizes need an empty proof (and, when equal, equal roots).
Result<void> VerifyConsistency(uint64_t old_size, uint64_t new_size, const Hash& old_root,
                               const Hash& new_root, std::span<const Hash> proof);

// The roots of the complete subtrees covering leaves [0, size), largest
// first: the O(log n) state from which the next nodes and the root follow.
// Used to build a tree leaf by leaf (the log's check) without holding it.
class CompactRange {
 public:
  using Visitor = std::function<void(int level, uint64_t index, const Hash& hash)>;

  // Adds the next leaf. `visit`, when set, sees each complete subtree root
  // the leaf completes, the leaf itself first (level 0).
  void Append(const Hash& leaf_hash, const Visitor& visit = nullptr);
  uint64_t size() const { return size_; }
  // MTH of the leaves so far.
  Hash Root() const;

 private:
  uint64_t size_ = 0;
  std::vector<Hash> roots_;
};

}  // namespace cf::ledger
