// SPDX-License-Identifier: Apache-2.0
#include "ledger/merkle.hpp"

#include <gtest/gtest.h>

#include <bit>
#include <random>
#include <string>
#include <vector>

#include "ledger/tree_head.hpp"
#include "unit/ledger/memory_tree.hpp"

namespace cf::ledger {
namespace {

using testing::MemoryTree;

Hash H(std::string_view hex) { return *crypto::Sha256FromHex(hex); }
std::vector<Hash> Hs(std::initializer_list<const char*> hexes) {
  std::vector<Hash> out;
  for (const char* h : hexes) out.push_back(H(h));
  return out;
}

// The reference tree of the Certificate Transparency implementations
// (transparency-dev/merkle testonly/constants.go and proof/verify_test.go,
// taken as data): 8 leaves, the root at every size, the complete subtree
// roots, and known inclusion and consistency proofs.
const std::vector<std::string> kLeaves = {"",
                                          "00",
                                          "10",
                                          "2021",
                                          "3031",
                                          "40414243",
                                          "5051525354555657",
                                          "606162636465666768696a6b6c6d6e6f"};
const char* const kRoots[] = {
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};
const std::vector<std::vector<const char*>> kNodes = {
    {"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
     "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
     "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
     "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
     "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
     "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
     "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
     "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1"},
    {"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
     "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
     "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
     "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"},
    {"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
     "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"},
    {"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"},
};

struct InclusionVector {
  uint64_t index, size;
  std::vector<Hash> proof;
};
const std::vector<InclusionVector>& InclusionVectors() {
  static const std::vector<InclusionVector> v = {
      {0, 8,
       Hs({"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
           "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
           "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"})},
      {5, 8,
       Hs({"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
           "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
           "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"})},
      {2, 3, Hs({"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"})},
      {1, 5,
       Hs({"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
           "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
           "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"})},
      {0, 1, {}},
  };
  return v;
}

struct ConsistencyVector {
  uint64_t old_size, new_size;
  std::vector<Hash> proof;
};
const std::vector<ConsistencyVector>& ConsistencyVectors() {
  static const std::vector<ConsistencyVector> v = {
      {1, 1, {}},
      {1, 8,
       Hs({"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
           "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
           "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"})},
      {6, 8,
       Hs({"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
           "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
           "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"})},
      {2, 5,
       Hs({"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
           "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"})},
      {6, 7,
       Hs({"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
           "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
           "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"})},
  };
  return v;
}

MemoryTree ReferenceTree() {
  MemoryTree tree;
  for (const auto& hex : kLeaves) tree.Append(*BytesFromHex(hex));
  return tree;
}

TEST(MerkleTest, RootsMatchTheReferenceTreeAtEverySize) {
  EXPECT_EQ(crypto::ToHex(EmptyRootHash()), kRoots[0]);
  MemoryTree tree;
  auto root0 = RootHash(tree, 0);
  ASSERT_TRUE(root0);
  EXPECT_EQ(crypto::ToHex(*root0), kRoots[0]);
  for (size_t n = 1; n <= kLeaves.size(); ++n) {
    tree.Append(*BytesFromHex(kLeaves[n - 1]));
    EXPECT_EQ(crypto::ToHex(tree.Root()), kRoots[n]) << "size " << n;
    auto root = RootHash(tree, n);
    ASSERT_TRUE(root) << root.error().message;
    EXPECT_EQ(crypto::ToHex(*root), kRoots[n]) << "size " << n;
  }
}

TEST(MerkleTest, CompleteSubtreeRootsMatchTheReferenceNodes) {
  MemoryTree tree = ReferenceTree();
  for (size_t level = 0; level < kNodes.size(); ++level) {
    for (size_t i = 0; i < kNodes[level].size(); ++i) {
      auto node = tree.Node(static_cast<int>(level), i);
      ASSERT_TRUE(node) << level << "/" << i;
      EXPECT_EQ(crypto::ToHex(*node), kNodes[level][i]) << level << "/" << i;
    }
  }
}

TEST(MerkleTest, SplitPointIsTheLargestPowerOfTwoBelowNotTheMidpoint) {
  EXPECT_EQ(SplitPoint(2), 1u);
  EXPECT_EQ(SplitPoint(3), 2u);
  EXPECT_EQ(SplitPoint(4), 2u);
  EXPECT_EQ(SplitPoint(5), 4u);
  EXPECT_EQ(SplitPoint(8), 4u);
  EXPECT_EQ(SplitPoint(9), 8u);
  EXPECT_EQ(SplitPoint(1000), 512u);
  EXPECT_EQ(SplitPoint((1ull << 63) + 1), 1ull << 63);
}

TEST(MerkleTest, InclusionProofsMatchTheReferenceVectorsAndVerify) {
  MemoryTree tree = ReferenceTree();
  for (const auto& v : InclusionVectors()) {
    SCOPED_TRACE("index " + std::to_string(v.index) + " size " + std::to_string(v.size));
    auto proof = InclusionProof(tree, v.index, v.size);
    ASSERT_TRUE(proof) << proof.error().message;
    EXPECT_EQ(*proof, v.proof);
    const Hash leaf = LeafHash(*BytesFromHex(kLeaves[v.index]));
    EXPECT_TRUE(VerifyInclusion(v.index, v.size, leaf, v.proof, H(kRoots[v.size])));
  }
}

TEST(MerkleTest, ConsistencyProofsMatchTheReferenceVectorsAndVerify) {
  MemoryTree tree = ReferenceTree();
  for (const auto& v : ConsistencyVectors()) {
    SCOPED_TRACE(std::to_string(v.old_size) + " -> " + std::to_string(v.new_size));
    auto proof = ConsistencyProof(tree, v.old_size, v.new_size);
    ASSERT_TRUE(proof) << proof.error().message;
    EXPECT_EQ(*proof, v.proof);
    auto ok = VerifyConsistency(v.old_size, v.new_size, H(kRoots[v.old_size]),
                                H(kRoots[v.new_size]), v.proof);
    EXPECT_TRUE(ok) << (ok ? "" : ok.error().message);
  }
}

// Every way of corrupting a known-good inclusion proof (after the probes of
// the reference implementation's tests) must fail verification.
TEST(MerkleTest, CorruptedInclusionProofsFail) {
  const Hash some = H("abacaba000000000000000000000000000000000000000000060061e00123456");
  for (const auto& v : InclusionVectors()) {
    if (v.size < 2) continue;
    SCOPED_TRACE("index " + std::to_string(v.index) + " size " + std::to_string(v.size));
    const Hash leaf = LeafHash(*BytesFromHex(kLeaves[v.index]));
    const Hash root = H(kRoots[v.size]);
    EXPECT_FALSE(VerifyInclusion(v.index + 1, v.size, leaf, v.proof, root));
    if (v.index > 0) {
      EXPECT_FALSE(VerifyInclusion(v.index - 1, v.size, leaf, v.proof, root));
    }
    EXPECT_FALSE(VerifyInclusion(v.index ^ 2, v.size, leaf, v.proof, root));
    EXPECT_FALSE(VerifyInclusion(v.index, v.size * 2, leaf, v.proof, root));
    EXPECT_FALSE(VerifyInclusion(v.index, v.size / 2, leaf, v.proof, root));
    EXPECT_FALSE(VerifyInclusion(v.index, v.size, LeafHash(AsBytes("WrongLeaf")), v.proof, root));
    EXPECT_FALSE(VerifyInclusion(v.index, v.size, leaf, v.proof, EmptyRootHash()));
    EXPECT_FALSE(VerifyInclusion(v.index, v.size, leaf, v.proof, some));
    auto extended = v.proof;
    extended.push_back(root);
    EXPECT_FALSE(VerifyInclusion(v.index, v.size, leaf, extended, root));
    auto prepended = v.proof;
    prepended.insert(prepended.begin(), root);
    EXPECT_FALSE(VerifyInclusion(v.index, v.size, leaf, prepended, root));
    for (size_t i = 0; i < v.proof.size(); ++i) {
      auto flipped = v.proof;
      flipped[i][0] ^= 8;
      EXPECT_FALSE(VerifyInclusion(v.index, v.size, leaf, flipped, root)) << "proof[" << i << "]";
    }
    auto shorter = v.proof;
    shorter.pop_back();
    EXPECT_FALSE(VerifyInclusion(v.index, v.size, leaf, shorter, root));
  }
}

TEST(MerkleTest, CorruptedConsistencyProofsFail) {
  for (const auto& v : ConsistencyVectors()) {
    if (v.proof.empty()) continue;
    SCOPED_TRACE(std::to_string(v.old_size) + " -> " + std::to_string(v.new_size));
    const Hash r1 = H(kRoots[v.old_size]);
    const Hash r2 = H(kRoots[v.new_size]);
    const auto& p = v.proof;
    EXPECT_FALSE(VerifyConsistency(v.old_size - 1, v.new_size, r1, r2, p));
    EXPECT_FALSE(VerifyConsistency(v.old_size + 1, v.new_size, r1, r2, p));
    EXPECT_FALSE(VerifyConsistency(v.old_size ^ 2, v.new_size, r1, r2, p));
    EXPECT_FALSE(VerifyConsistency(v.old_size, v.new_size * 2, r1, r2, p));
    EXPECT_FALSE(VerifyConsistency(v.old_size, v.new_size / 2, r1, r2, p));
    EXPECT_FALSE(VerifyConsistency(v.old_size, v.new_size, LeafHash(AsBytes("x")), r2, p));
    EXPECT_FALSE(VerifyConsistency(v.old_size, v.new_size, r1, LeafHash(AsBytes("x")), p));
    EXPECT_FALSE(VerifyConsistency(v.old_size, v.new_size, r2, r1, p));
    EXPECT_FALSE(VerifyConsistency(v.old_size, v.new_size, r1, r2, {}));
    for (const Hash& extra : {r1, r2, p[0]}) {
      auto longer = p;
      longer.push_back(extra);
      EXPECT_FALSE(VerifyConsistency(v.old_size, v.new_size, r1, r2, longer));
      auto prefixed = p;
      prefixed.insert(prefixed.begin(), extra);
      EXPECT_FALSE(VerifyConsistency(v.old_size, v.new_size, r1, r2, prefixed));
    }
    auto truncated = p;
    truncated.pop_back();
    EXPECT_FALSE(VerifyConsistency(v.old_size, v.new_size, r1, r2, truncated));
    for (size_t i = 0; i < p.size(); ++i) {
      auto flipped = p;
      flipped[i][0] ^= 16;
      EXPECT_FALSE(VerifyConsistency(v.old_size, v.new_size, r1, r2, flipped))
          << "proof[" << i << "]";
    }
  }
}

TEST(MerkleTest, TrivialConsistencyCasesFollowRfc9162) {
  const Hash a = LeafHash(AsBytes("a"));
  const Hash b = LeafHash(AsBytes("b"));
  EXPECT_TRUE(VerifyConsistency(0, 0, a, a, {}));
  EXPECT_FALSE(VerifyConsistency(0, 0, a, b, {}));
  EXPECT_TRUE(VerifyConsistency(0, 5, a, b, {}));  // the empty tree is a prefix of all
  EXPECT_FALSE(VerifyConsistency(0, 5, a, b, std::vector<Hash>{a}));
  EXPECT_TRUE(VerifyConsistency(3, 3, a, a, {}));
  EXPECT_FALSE(VerifyConsistency(3, 3, a, b, {}));
  EXPECT_FALSE(VerifyConsistency(3, 3, a, a, std::vector<Hash>{a}));
  EXPECT_FALSE(VerifyConsistency(2, 1, a, b, {}));
  EXPECT_FALSE(VerifyInclusion(0, 0, a, {}, a));
  EXPECT_TRUE(VerifyInclusion(0, 1, a, {}, a));
  EXPECT_FALSE(VerifyInclusion(0, 1, a, {}, b));
  MemoryTree tree = ReferenceTree();
  EXPECT_FALSE(InclusionProof(tree, 8, 8));
  EXPECT_FALSE(ConsistencyProof(tree, 5, 4));
}

// Property: in every tree of 1 to 70 leaves, every inclusion proof and
// every consistency proof verifies, agrees with the recursive definition,
// and fails once any one of its hashes is altered.
TEST(MerkleTest, EveryProofOfEveryTreeUpTo70LeavesVerifiesAndAnyAlteredHashFails) {
  std::mt19937_64 rng(6962);
  MemoryTree tree;
  std::vector<Hash> leaves;
  std::vector<Hash> roots = {EmptyRootHash()};
  for (uint64_t n = 1; n <= 70; ++n) {
    Bytes entry(rng() % 40);
    for (auto& b : entry) b = static_cast<std::byte>(rng());
    tree.Append(entry);
    leaves.push_back(LeafHash(entry));
    roots.push_back(testing::ReferenceMth(leaves, 0, leaves.size()));
    ASSERT_EQ(tree.Root(), roots[n]) << n;
    ASSERT_EQ(*RootHash(tree, n), roots[n]) << n;
  }
  for (uint64_t n = 1; n <= 70; ++n) {
    for (uint64_t m = 0; m < n; ++m) {
      auto proof = InclusionProof(tree, m, n);
      ASSERT_TRUE(proof);
      ASSERT_TRUE(VerifyInclusion(m, n, leaves[m], *proof, roots[n])) << m << " in " << n;
      for (size_t i = 0; i < proof->size(); ++i) {
        auto bad = *proof;
        bad[i][rng() % 32] ^= static_cast<uint8_t>(1u << (rng() % 8));
        ASSERT_FALSE(VerifyInclusion(m, n, leaves[m], bad, roots[n])) << m << " in " << n;
      }
      Hash other_leaf = leaves[m];
      other_leaf[5] ^= 1;
      ASSERT_FALSE(VerifyInclusion(m, n, other_leaf, *proof, roots[n]));
    }
    for (uint64_t m = 1; m <= n; ++m) {
      auto proof = ConsistencyProof(tree, m, n);
      ASSERT_TRUE(proof);
      auto ok = VerifyConsistency(m, n, roots[m], roots[n], *proof);
      ASSERT_TRUE(ok) << m << " -> " << n << ": " << ok.error().message;
      for (size_t i = 0; i < proof->size(); ++i) {
        auto bad = *proof;
        bad[i][rng() % 32] ^= static_cast<uint8_t>(1u << (rng() % 8));
        ASSERT_FALSE(VerifyConsistency(m, n, roots[m], roots[n], bad)) << m << " -> " << n;
      }
      if (m < n) {
        Hash other = roots[m];
        other[0] ^= 1;
        ASSERT_FALSE(VerifyConsistency(m, n, other, roots[n], *proof));
        ASSERT_FALSE(VerifyConsistency(m, n, roots[m], other, *proof));
      }
    }
  }
}

// The stored-node algorithms read O(log n) nodes per proof, whatever the
// size: what makes a proof of a log of millions of entries cheap.
TEST(MerkleTest, ProofsReadLogarithmicallyManyNodes) {
  MemoryTree tree;
  const uint64_t n = 100'003;  // not a power of two: the right edge is ragged
  for (uint64_t i = 0; i < n; ++i) tree.Append(AsBytes(std::to_string(i)));
  const auto log2n = static_cast<size_t>(std::bit_width(n));
  for (uint64_t m : {uint64_t{0}, uint64_t{1}, n / 2, n - 2, n - 1}) {
    tree.ResetReads();
    auto proof = InclusionProof(tree, m, n);
    ASSERT_TRUE(proof);
    EXPECT_LE(tree.reads(), 2 * log2n) << "leaf " << m;
  }
  for (uint64_t old_size : {uint64_t{1}, uint64_t{7}, n / 3, n - 1}) {
    tree.ResetReads();
    auto proof = ConsistencyProof(tree, old_size, n);
    ASSERT_TRUE(proof);
    EXPECT_LE(tree.reads(), 3 * log2n) << "from " << old_size;
  }
  tree.ResetReads();
  ASSERT_TRUE(RootHash(tree, n));
  EXPECT_EQ(tree.reads(), static_cast<size_t>(std::popcount(n)));
}

}  // namespace
}  // namespace cf::ledger
