// SPDX-License-Identifier: Apache-2.0
#include "access/dicom_nodes.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "support/temp_dir.hpp"

namespace cf::access {
namespace {

DicomNode Node(std::string ae, std::string tenant, std::string host = {}, uint16_t port = 0) {
  DicomNode n;
  n.ae_title = std::move(ae);
  n.tenant = std::move(tenant);
  n.host = std::move(host);
  n.port = port;
  return n;
}

class DicomNodeRegistryTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }
  void Reopen() {
    registry_.reset();
    auto opened = DicomNodeRegistry::Open(dir_.Path() / "dicom_nodes.sqlite",
                                          {"", {"CLOUDFILM", "CT1", "ORTHANC"}});
    ASSERT_TRUE(opened) << opened.error().message;
    registry_ = std::move(*opened);
  }
  cf::testing::TempDir dir_;
  std::unique_ptr<DicomNodeRegistry> registry_;
};

TEST(DicomAeTitleTest, FollowsTheAeValueRepresentation) {
  EXPECT_TRUE(IsValidAeTitle("CT9"));
  EXPECT_TRUE(IsValidAeTitle("A B-C_1.2"));
  EXPECT_TRUE(IsValidAeTitle("ABCDEFGHIJKLMNOP"));  // 16
  EXPECT_FALSE(IsValidAeTitle(""));
  EXPECT_FALSE(IsValidAeTitle("ABCDEFGHIJKLMNOPQ"));  // 17
  EXPECT_FALSE(IsValidAeTitle("   "));
  EXPECT_FALSE(IsValidAeTitle(" CT9"));
  EXPECT_FALSE(IsValidAeTitle("CT9 "));
  EXPECT_FALSE(IsValidAeTitle("CT\\9"));
  EXPECT_FALSE(IsValidAeTitle("CT\t9"));
  EXPECT_FALSE(IsValidAeTitle("CT\xc3\xa9"));  // not ASCII
}

TEST(DicomHostTest, TakesHostNamesAndIpv4Literals) {
  EXPECT_TRUE(IsValidDicomHost("127.0.0.1"));
  EXPECT_TRUE(IsValidDicomHost("pacs-1.radiology.example.cn"));
  EXPECT_TRUE(IsValidDicomHost("localhost"));
  EXPECT_FALSE(IsValidDicomHost(""));
  EXPECT_FALSE(IsValidDicomHost("pacs..example"));
  EXPECT_FALSE(IsValidDicomHost("-pacs"));
  EXPECT_FALSE(IsValidDicomHost("pacs example"));
  EXPECT_FALSE(IsValidDicomHost("pacs:104"));
  EXPECT_FALSE(IsValidDicomHost("pacs/x"));
  EXPECT_FALSE(IsValidDicomHost(std::string(254, 'a')));
}

TEST_F(DicomNodeRegistryTest, CreatesUpdatesListsAndRemoves) {
  auto created = registry_->Put(Node("CT9", "h1", "10.0.0.5", 104), "alice", 1000);
  ASSERT_TRUE(created) << created.error().message;
  EXPECT_TRUE(created->created);
  EXPECT_FALSE(created->was.has_value());
  EXPECT_EQ(created->node.changed_by, "alice");
  EXPECT_EQ(created->node.changed_ms, 1000);

  DicomNode changed = Node("CT9", "h1", "10.0.0.6", 11112);
  changed.description = "CT 3F 东院";
  auto updated = registry_->Put(changed, "bob", 2000);
  ASSERT_TRUE(updated) << updated.error().message;
  EXPECT_FALSE(updated->created);
  ASSERT_TRUE(updated->was.has_value());
  EXPECT_EQ(updated->was->host, "10.0.0.5");
  EXPECT_EQ(updated->was->port, 104);

  ASSERT_TRUE(registry_->Put(Node("WS1", "h2"), "carol", 3000));
  auto all = registry_->List();
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].ae_title, "CT9");
  EXPECT_EQ((*all)[0].host, "10.0.0.6");
  EXPECT_EQ((*all)[0].port, 11112);
  EXPECT_EQ((*all)[0].description, "CT 3F 东院");
  EXPECT_EQ((*all)[0].changed_by, "bob");
  EXPECT_EQ((*all)[1].ae_title, "WS1");
  EXPECT_TRUE((*all)[1].host.empty());
  auto h2 = registry_->List("h2");
  ASSERT_TRUE(h2);
  ASSERT_EQ(h2->size(), 1u);
  EXPECT_EQ(h2->front().ae_title, "WS1");

  auto removed = registry_->Remove("CT9");
  ASSERT_TRUE(removed) << removed.error().message;
  EXPECT_EQ(removed->tenant, "h1");
  auto gone = registry_->Get("CT9");
  ASSERT_TRUE(gone);
  EXPECT_FALSE(gone->has_value());
  auto again = registry_->Remove("CT9");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kNotFound);
}

TEST_F(DicomNodeRegistryTest, RefusesBadNodes) {
  const auto refused = [&](DicomNode node) {
    auto put = registry_->Put(std::move(node), "alice", 1);
    return put ? ErrorCode::kInternal : put.error().code;
  };
  EXPECT_EQ(refused(Node("", "h1")), ErrorCode::kInvalidArgument);
  EXPECT_EQ(refused(Node("TOO-LONG-AE-TITLE", "h1")), ErrorCode::kInvalidArgument);
  EXPECT_EQ(refused(Node("CT\\9", "h1")), ErrorCode::kInvalidArgument);
  EXPECT_EQ(refused(Node("CT9", "Not A Code")), ErrorCode::kInvalidArgument);
  EXPECT_EQ(refused(Node("CT9", "h1", "10.0.0.5", 0)), ErrorCode::kInvalidArgument);
  EXPECT_EQ(refused(Node("CT9", "h1", "", 104)), ErrorCode::kInvalidArgument);
  EXPECT_EQ(refused(Node("CT9", "h1", "bad host", 104)), ErrorCode::kInvalidArgument);
  DicomNode long_description = Node("CT9", "h1");
  long_description.description = std::string(201, 'x');
  EXPECT_EQ(refused(long_description), ErrorCode::kInvalidArgument);
  DicomNode control = Node("CT9", "h1");
  control.description = "line\nbreak";
  EXPECT_EQ(refused(control), ErrorCode::kInvalidArgument);
  auto none = registry_->List();
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
}

TEST_F(DicomNodeRegistryTest, TheConfigurationsAeTitlesAreNotForTheRegistry) {
  for (const char* ae : {"CLOUDFILM", "CT1", "ORTHANC"}) {
    auto put = registry_->Put(Node(ae, "h1", "127.0.0.1", 4242), "alice", 1);
    ASSERT_FALSE(put) << ae;
    EXPECT_EQ(put.error().code, ErrorCode::kConflict) << ae;
  }
}

TEST_F(DicomNodeRegistryTest, AHospitalKeepsToItsOwnNodes) {
  ASSERT_TRUE(registry_->Put(Node("CT9", "h1"), "alice", 1));
  // h2's admin can neither take h1's AE title nor remove it.
  auto taken = registry_->Put(Node("CT9", "h2"), "bob", 2, "h2");
  ASSERT_FALSE(taken);
  EXPECT_EQ(taken.error().code, ErrorCode::kConflict);
  auto removed = registry_->Remove("CT9", "h2");
  ASSERT_FALSE(removed);
  EXPECT_EQ(removed.error().code, ErrorCode::kNotFound);
  auto still = registry_->Get("CT9");
  ASSERT_TRUE(still && still->has_value());
  EXPECT_EQ((*still)->tenant, "h1");
  // h1's own admin may; a platform admin (no `within`) may move it.
  ASSERT_TRUE(registry_->Put(Node("CT9", "h1", "10.0.0.9", 104), "alice", 3, "h1"));
  auto moved = registry_->Put(Node("CT9", "h2"), "root", 4);
  ASSERT_TRUE(moved);
  EXPECT_EQ(moved->was->tenant, "h1");
  ASSERT_TRUE(registry_->Remove("CT9", "h2"));
}

TEST_F(DicomNodeRegistryTest, NodesSurviveReopening) {
  ASSERT_TRUE(registry_->Put(Node("CT9", "h1", "10.0.0.5", 104), "alice", 1000));
  ASSERT_TRUE(registry_->Put(Node("US2", "h2"), "bob", 2000));
  ASSERT_TRUE(registry_->Remove("US2"));
  Reopen();
  auto all = registry_->List();
  ASSERT_TRUE(all) << all.error().message;
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ(all->front().ae_title, "CT9");
  EXPECT_EQ(all->front().tenant, "h1");
  EXPECT_EQ(all->front().host, "10.0.0.5");
  EXPECT_EQ(all->front().port, 104);
  EXPECT_EQ(all->front().changed_by, "alice");
  EXPECT_EQ(all->front().changed_ms, 1000);
}

TEST_F(DicomNodeRegistryTest, ListenersSeeEveryChangeInOrder) {
  std::vector<std::vector<std::string>> seen;
  registry_->OnChange([&](const std::vector<DicomNode>& nodes) {
    std::vector<std::string> aes;
    for (const auto& n : nodes) aes.push_back(n.ae_title + "@" + n.tenant);
    seen.push_back(aes);
  });
  ASSERT_TRUE(registry_->Put(Node("CT9", "h1"), "alice", 1));
  ASSERT_TRUE(registry_->Put(Node("AA1", "h2"), "alice", 2));
  ASSERT_FALSE(registry_->Put(Node("CT1", "h1"), "alice", 3));  // refused: no change
  ASSERT_TRUE(registry_->Remove("CT9"));
  ASSERT_FALSE(registry_->Remove("CT9"));
  const std::vector<std::vector<std::string>> expected = {
      {"CT9@h1"}, {"AA1@h2", "CT9@h1"}, {"AA1@h2"}};
  EXPECT_EQ(seen, expected);
}

}  // namespace
}  // namespace cf::access
