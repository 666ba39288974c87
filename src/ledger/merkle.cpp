// SPDX-License-Identifier: Apache-2.0
#include "ledger/merkle.hpp"

#include <bit>
#include <string>

namespace cf::ledger {
namespace {

std::unexpected<Error> Mismatch(std::string what) {
  return Fail(ErrorCode::kConflict, std::move(what));
}

// MTH(D[begin:end]). Every range RFC 6962's recursion visits starts at a
// multiple of the smallest power of two not below its length, so a range
// whose length is a power of two is exactly one stored node, and any other
// range splits into a node and a smaller such range: popcount(length)
// nodes in all.
Result<Hash> RangeHash(NodeSource& nodes, uint64_t begin, uint64_t end) {
  const uint64_t n = end - begin;
  if (std::has_single_bit(n)) {
    const int level = std::countr_zero(n);
    if (begin % n != 0) {
      return Fail(ErrorCode::kInternal,
                  "unaligned Merkle range " + std::to_string(begin) + "+" + std::to_string(n));
    }
    return nodes.Node(level, begin >> level);
  }
  const uint64_t k = SplitPoint(n);
  auto left = RangeHash(nodes, begin, begin + k);
  if (!left) return left;
  auto right = RangeHash(nodes, begin + k, end);
  if (!right) return right;
  return NodeHash(*left, *right);
}

// PATH(m, D[begin:end]) appended to `out`, deepest sibling first.
Result<void> Path(NodeSource& nodes, uint64_t m, uint64_t begin, uint64_t end,
                  std::vector<Hash>& out) {
  const uint64_t n = end - begin;
  if (n == 1) return {};
  const uint64_t k = SplitPoint(n);
  Result<Hash> sibling;
  if (m < begin + k) {
    if (auto r = Path(nodes, m, begin, begin + k, out); !r) return r;
    sibling = RangeHash(nodes, begin + k, end);
  } else {
    if (auto r = Path(nodes, m, begin + k, end, out); !r) return r;
    sibling = RangeHash(nodes, begin, begin + k);
  }
  if (!sibling) return std::unexpected(sibling.error());
  out.push_back(*sibling);
  return {};
}

// SUBPROOF(m, D[begin:end], whole) appended to `out`; m counts leaves from
// `begin`.
Result<void> SubProof(NodeSource& nodes, uint64_t m, uint64_t begin, uint64_t end, bool whole,
                      std::vector<Hash>& out) {
  const uint64_t n = end - begin;
  if (m == n) {
    if (whole) return {};
    auto h = RangeHash(nodes, begin, end);
    if (!h) return std::unexpected(h.error());
    out.push_back(*h);
    return {};
  }
  const uint64_t k = SplitPoint(n);
  Result<Hash> sibling;
  if (m <= k) {
    if (auto r = SubProof(nodes, m, begin, begin + k, whole, out); !r) return r;
    sibling = RangeHash(nodes, begin + k, end);
  } else {
    if (auto r = SubProof(nodes, m - k, begin + k, end, false, out); !r) return r;
    sibling = RangeHash(nodes, begin, begin + k);
  }
  if (!sibling) return std::unexpected(sibling.error());
  out.push_back(*sibling);
  return {};
}

std::string HashCount(size_t n) { return std::to_string(n) + (n == 1 ? " hash" : " hashes"); }

}  // namespace

Hash LeafHash(ByteView entry) {
  crypto::Sha256Hasher h;
  const std::byte prefix{0x00};
  h.Update(ByteView(&prefix, 1));
  h.Update(entry);
  return h.Finish();
}

Hash NodeHash(const Hash& left, const Hash& right) {
  crypto::Sha256Hasher h;
  const std::byte prefix{0x01};
  h.Update(ByteView(&prefix, 1));
  h.Update(std::as_bytes(std::span(left)));
  h.Update(std::as_bytes(std::span(right)));
  return h.Finish();
}

Hash EmptyRootHash() { return crypto::Sha256(ByteView()); }

uint64_t SplitPoint(uint64_t n) { return std::bit_floor(n - 1); }

Result<Hash> CachingNodeSource::Node(int level, uint64_t index) {
  const auto key = std::make_pair(level, index);
  if (auto it = memo_.find(key); it != memo_.end()) return it->second;
  ++reads_;
  auto h = inner_.Node(level, index);
  if (h) memo_.emplace(key, *h);
  return h;
}

Result<Hash> RootHash(NodeSource& nodes, uint64_t size) {
  if (size == 0) return EmptyRootHash();
  CachingNodeSource cached(nodes);
  return RangeHash(cached, 0, size);
}

Result<std::vector<Hash>> InclusionProof(NodeSource& nodes, uint64_t index, uint64_t size) {
  if (index >= size) {
    return Fail(ErrorCode::kInvalidArgument,
                "entry " + std::to_string(index) + " is not in a tree of " + std::to_string(size));
  }
  CachingNodeSource cached(nodes);
  std::vector<Hash> proof;
  if (auto r = Path(cached, index, 0, size, proof); !r) return std::unexpected(r.error());
  return proof;
}

Result<std::vector<Hash>> ConsistencyProof(NodeSource& nodes, uint64_t old_size,
                                           uint64_t new_size) {
  if (old_size > new_size) {
    return Fail(ErrorCode::kInvalidArgument, "a tree of " + std::to_string(old_size) +
                                                 " cannot be a prefix of one of " +
                                                 std::to_string(new_size));
  }
  std::vector<Hash> proof;
  if (old_size == 0 || old_size == new_size) return proof;
  CachingNodeSource cached(nodes);
  if (auto r = SubProof(cached, old_size, 0, new_size, true, proof); !r) {
    return std::unexpected(r.error());
  }
  return proof;
}

Result<Hash> RootFromInclusionProof(uint64_t index, uint64_t size, const Hash& leaf_hash,
                                    std::span<const Hash> proof) {
  if (index >= size) {
    return Mismatch("entry " + std::to_string(index) + " cannot be in a tree of " +
                    std::to_string(size));
  }
  uint64_t fn = index;
  uint64_t sn = size - 1;
  Hash r = leaf_hash;
  for (const Hash& p : proof) {
    if (sn == 0) return Mismatch("inclusion proof is too long (" + HashCount(proof.size()) + ")");
    if ((fn & 1) != 0 || fn == sn) {
      r = NodeHash(p, r);
      while ((fn & 1) == 0 && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      r = NodeHash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return Mismatch("inclusion proof is too short (" + HashCount(proof.size()) + ")");
  return r;
}

Result<void> VerifyInclusion(uint64_t index, uint64_t size, const Hash& leaf_hash,
                             std::span<const Hash> proof, const Hash& root) {
  auto computed = RootFromInclusionProof(index, size, leaf_hash, proof);
  if (!computed) return std::unexpected(computed.error());
  if (*computed != root) {
    return Mismatch("inclusion proof of entry " + std::to_string(index) +
                    " leads to another root than the tree head's (size " + std::to_string(size) +
                    ")");
  }
  return {};
}

Result<void> VerifyConsistency(uint64_t old_size, uint64_t new_size, const Hash& old_root,
                               const Hash& new_root, std::span<const Hash> proof) {
  const std::string sizes = std::to_string(old_size) + " and " + std::to_string(new_size);
  if (old_size > new_size) return Mismatch("tree sizes " + sizes + " go backwards");
  if (old_size == new_size) {
    if (!proof.empty()) return Mismatch("consistency proof between equal sizes must be empty");
    if (old_root != new_root) {
      return Mismatch("two trees of size " + std::to_string(old_size) + " have different roots");
    }
    return {};
  }
  if (old_size == 0) {
    if (!proof.empty()) return Mismatch("consistency proof from an empty tree must be empty");
    return {};
  }
  if (proof.empty()) return Mismatch("consistency proof between sizes " + sizes + " is empty");
  std::vector<Hash> path;
  // A complete old tree is itself a node of the new one: the proof leaves
  // it out (RFC 6962 2.1.2), the verifier starts from the old root.
  if (std::has_single_bit(old_size)) path.push_back(old_root);
  path.insert(path.end(), proof.begin(), proof.end());
  uint64_t fn = old_size - 1;
  uint64_t sn = new_size - 1;
  while ((fn & 1) != 0) {
    fn >>= 1;
    sn >>= 1;
  }
  Hash fr = path[0];
  Hash sr = path[0];
  for (size_t i = 1; i < path.size(); ++i) {
    const Hash& c = path[i];
    if (sn == 0) {
      return Mismatch("consistency proof between sizes " + sizes + " is too long (" +
                      HashCount(proof.size()) + ")");
    }
    if ((fn & 1) != 0 || fn == sn) {
      fr = NodeHash(c, fr);
      sr = NodeHash(c, sr);
      while ((fn & 1) == 0 && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      sr = NodeHash(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) {
    return Mismatch("consistency proof between sizes " + sizes + " is too short (" +
                    HashCount(proof.size()) + ")");
  }
  if (fr != old_root) {
    return Mismatch("the tree of size " + std::to_string(old_size) +
                    " is not a prefix of the tree of size " + std::to_string(new_size) +
                    " (old root differs)");
  }
  if (sr != new_root) {
    return Mismatch("the tree of size " + std::to_string(new_size) +
                    " does not extend the tree of size " + std::to_string(old_size) +
                    " (new root differs)");
  }
  return {};
}

void CompactRange::Append(const Hash& leaf_hash, const Visitor& visit) {
  Hash h = leaf_hash;
  uint64_t index = size_;
  int level = 0;
  if (visit) visit(level, index, h);
  // Each trailing 1 bit of the old size is a complete subtree on the left
  // that the new leaf completes into a larger one.
  for (uint64_t s = size_; (s & 1) != 0; s >>= 1) {
    h = NodeHash(roots_.back(), h);
    roots_.pop_back();
    index >>= 1;
    ++level;
    if (visit) visit(level, index, h);
  }
  roots_.push_back(h);
  ++size_;
}

Hash CompactRange::Root() const {
  if (roots_.empty()) return EmptyRootHash();
  Hash h = roots_.back();
  for (size_t i = roots_.size() - 1; i-- > 0;) h = NodeHash(roots_[i], h);
  return h;
}

}  // namespace cf::ledger
