// SPDX-License-Identifier: Apache-2.0
#include "dimse/move_batches.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

namespace cf::dimse {
namespace {

constexpr const char* kCt = "1.2.840.10008.5.1.4.1.1.2";
constexpr const char* kMr = "1.2.840.10008.5.1.4.1.1.4";
constexpr const char* kExplicit = "1.2.840.10008.1.2.1";
constexpr const char* kJpegLs = "1.2.840.10008.1.2.4.80";
constexpr const char* kRle = "1.2.840.10008.1.2.5";

catalog::InstanceRecord Instance(std::string uid, std::string sop_class, std::string ts) {
  catalog::InstanceRecord r;
  r.sop_instance_uid = std::move(uid);
  r.sop_class_uid = std::move(sop_class);
  r.transfer_syntax_uid = std::move(ts);
  return r;
}

size_t Contexts(const MoveBatch& batch) { return batch.proposals.size(); }

TEST(MoveBatchesTest, ASmallRetrieveIsOneAssociationWithEveryNeededContext) {
  const std::vector<catalog::InstanceRecord> in = {
      Instance("1", kCt, kExplicit), Instance("2", kCt, kJpegLs), Instance("3", kMr, kRle),
      Instance("4", kCt, kJpegLs)};
  const auto batches = PlanMoveBatches(in);
  ASSERT_EQ(batches.size(), 1u);
  // CT: little endian + JPEG-LS; MR: little endian + RLE.
  ASSERT_EQ(Contexts(batches[0]), 4u);
  std::set<std::pair<std::string, std::string>> proposed;
  for (const auto& p : batches[0].proposals) {
    for (const auto& ts : p.transfer_syntaxes) proposed.emplace(p.sop_class_uid, ts);
  }
  EXPECT_TRUE(proposed.contains({kCt, kJpegLs}));
  EXPECT_TRUE(proposed.contains({kMr, kRle}));
  EXPECT_TRUE(proposed.contains({kMr, kExplicit}));
  EXPECT_FALSE(proposed.contains({kMr, kJpegLs}));
  ASSERT_EQ(batches[0].instances.size(), 4u);
  for (size_t i = 0; i < 4; ++i)
    EXPECT_EQ(batches[0].instances[i].sop_instance_uid, in[i].sop_instance_uid);
}

TEST(MoveBatchesTest, MoreThan128ContextsSplitWithoutLosingOrRepeatingAnObject) {
  // 300 SOP classes of two objects each, one of them stored as JPEG-LS:
  // 600 contexts, so at least 5 associations.
  std::vector<catalog::InstanceRecord> in;
  for (int c = 0; c < 300; ++c) {
    const std::string sop_class = "1.2.3." + std::to_string(c);
    in.push_back(Instance("a" + std::to_string(c), sop_class, kExplicit));
    in.push_back(Instance("b" + std::to_string(c), sop_class, kJpegLs));
  }
  const auto batches = PlanMoveBatches(in);
  ASSERT_EQ(batches.size(), 5u);  // 64 classes x 2 contexts fit in 128
  std::multiset<std::string> seen;
  std::set<std::string> classes_seen;
  for (const auto& batch : batches) {
    EXPECT_LE(Contexts(batch), kMaxPresentationContexts);
    std::set<std::string> own;
    for (const auto& p : batch.proposals) {
      own.insert(p.sop_class_uid);
      EXPECT_FALSE(classes_seen.contains(p.sop_class_uid)) << "class proposed on two associations";
    }
    for (const auto& i : batch.instances) {
      seen.insert(i.sop_instance_uid);
      EXPECT_TRUE(own.contains(i.sop_class_uid)) << i.sop_instance_uid;
    }
    classes_seen.insert(own.begin(), own.end());
  }
  EXPECT_EQ(seen.size(), in.size());
  for (const auto& i : in) EXPECT_EQ(seen.count(i.sop_instance_uid), 1u) << i.sop_instance_uid;
}

TEST(MoveBatchesTest, AClassNeedingMoreThanTheLimitKeepsLittleEndianForEveryObject) {
  std::vector<catalog::InstanceRecord> in;
  in.push_back(Instance("x", kMr, kExplicit));
  for (int t = 0; t < 5; ++t)
    in.push_back(Instance("i" + std::to_string(t), kCt, "1.2.9." + std::to_string(t)));
  const auto batches = PlanMoveBatches(in, 3);
  ASSERT_EQ(batches.size(), 2u);
  EXPECT_EQ(Contexts(batches[0]), 1u);  // MR: little endian only
  ASSERT_EQ(Contexts(batches[1]), 3u);  // CT: little endian + 2 of its 5 syntaxes
  EXPECT_EQ(batches[1].proposals[0].transfer_syntaxes.front(), kExplicit);
  EXPECT_EQ(batches[1].instances.size(), 5u);
}

}  // namespace
}  // namespace cf::dimse
