// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <string>

#include "ledger/ledger_check.hpp"
#include "ledger/transparency_log.hpp"
#include "support/temp_dir.hpp"
#include "unit/ledger/memory_tree.hpp"

namespace cf::ledger {
namespace {

class SqliteTransparencyLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    key_ = std::make_shared<const crypto::SigningKey>(
        *crypto::SigningKey::Generate(crypto::SignatureSuite::kEd25519));
    Open();
  }

  void Open() {
    log_.reset();
    SqliteLogOptions o;
    o.path = Path();
    o.signer = key_;
    o.now_ms = [this] { return now_ms_; };
    auto log = OpenSqliteTransparencyLog(std::move(o));
    ASSERT_TRUE(log) << log.error().message;
    log_ = std::move(*log);
  }

  std::filesystem::path Path() const { return dir_.Path() / "ledger.sqlite"; }

  // Appends "entry i" and signs a head after each, as the film part will.
  void AppendSigned(int count) {
    for (int i = 0; i < count; ++i) {
      const std::string e = "entry " + std::to_string(next_++);
      ASSERT_TRUE(log_->Append(AsBytes(e)));
      now_ms_ += 1000;
      auto sth = log_->TreeHead();
      ASSERT_TRUE(sth) << sth.error().message;
    }
  }

  CheckReport Check(std::span<const SignedTreeHead> external = {}) {
    auto report = CheckLog(
        *log_,
        [this](std::string_view id) -> Result<crypto::VerifyingKey> {
          if (id == key_->key_id()) return key_->public_key();
          return Fail(ErrorCode::kNotFound, "no key " + std::string(id));
        },
        external);
    EXPECT_TRUE(report) << report.error().message;
    return report ? *report : CheckReport{};
  }

  // What someone with write access to the file could do: SQL that bypasses
  // the append-only triggers.
  void Tamper(const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(Path().c_str(), &db), SQLITE_OK);
    const std::string all =
        "DROP TRIGGER IF EXISTS ledger_entries_no_update;"
        "DROP TRIGGER IF EXISTS ledger_entries_no_delete;"
        "DROP TRIGGER IF EXISTS ledger_nodes_no_update;"
        "DROP TRIGGER IF EXISTS ledger_nodes_no_delete;"
        "DROP TRIGGER IF EXISTS ledger_tree_heads_no_update;"
        "DROP TRIGGER IF EXISTS ledger_tree_heads_no_delete;" +
        sql;
    char* err = nullptr;
    EXPECT_EQ(sqlite3_exec(db, all.c_str(), nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
    sqlite3_free(err);
    sqlite3_close(db);
  }

  static bool Mentions(const CheckReport& r, std::string_view what) {
    for (const auto& p : r.problems) {
      if (p.find(what) != std::string::npos) return true;
    }
    return false;
  }
  static std::string All(const CheckReport& r) {
    std::string s;
    for (const auto& p : r.problems) s += p + "\n";
    return s;
  }

  cf::testing::TempDir dir_;
  std::shared_ptr<const crypto::SigningKey> key_;
  std::unique_ptr<TransparencyLog> log_;
  int64_t now_ms_ = 1764390000000;
  int next_ = 0;
};

TEST_F(SqliteTransparencyLogTest, AppendAssignsConsecutiveIndexesThatSurviveReopening) {
  EXPECT_EQ(*log_->Size(), 0u);
  EXPECT_EQ(*log_->Append(AsBytes("a")), 0u);
  const std::vector<ByteView> batch = {AsBytes("b"), AsBytes(""), AsBytes("d")};
  EXPECT_EQ(*log_->Append(batch), 1u);
  EXPECT_EQ(*log_->Size(), 4u);
  Open();
  EXPECT_EQ(*log_->Size(), 4u);
  EXPECT_EQ(AsChars(*log_->Entry(0)), "a");
  EXPECT_EQ(log_->Entry(2)->size(), 0u);  // an empty entry stays empty, not NULL
  EXPECT_EQ(AsChars(*log_->Entry(3)), "d");
  auto missing = log_->Entry(4);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
}

TEST_F(SqliteTransparencyLogTest, RootsAndProofsEqualThoseOfTheReferenceTree) {
  testing::MemoryTree reference;
  for (int i = 0; i < 37; ++i) {
    const std::string e = "film " + std::to_string(i * 7919);
    ASSERT_TRUE(log_->Append(AsBytes(e)));
    reference.Append(AsBytes(e));
  }
  for (uint64_t n = 0; n <= 37; ++n) {
    ASSERT_EQ(*log_->RootHash(n), *RootHash(reference, n)) << n;
  }
  for (uint64_t n = 1; n <= 37; n += 5) {
    for (uint64_t m = 0; m < n; ++m) {
      ASSERT_EQ(*log_->InclusionProof(m, n), *InclusionProof(reference, m, n));
    }
    for (uint64_t m = 0; m <= n; ++m) {
      ASSERT_EQ(*log_->ConsistencyProof(m, n), *ConsistencyProof(reference, m, n));
    }
  }
  EXPECT_FALSE(log_->RootHash(38));
  EXPECT_FALSE(log_->InclusionProof(37, 37));
  EXPECT_FALSE(log_->ConsistencyProof(3, 38));
}

TEST_F(SqliteTransparencyLogTest, TreeHeadIsSignedOncePerSizeWithTimestampsThatNeverGoBack) {
  auto empty = log_->TreeHead();
  ASSERT_TRUE(empty) << empty.error().message;
  EXPECT_EQ(empty->head.tree_size, 0u);
  EXPECT_EQ(empty->head.root_hash, EmptyRootHash());
  ASSERT_TRUE(log_->Append(AsBytes("one")));
  auto first = log_->TreeHead();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->head.tree_size, 1u);
  EXPECT_EQ(first->head.root_hash, LeafHash(AsBytes("one")));
  EXPECT_TRUE(VerifyTreeHead(*first, key_->public_key()));
  now_ms_ += 5000;
  auto same = log_->TreeHead();  // the log did not grow: the same head
  EXPECT_EQ(same->head.timestamp_ms, first->head.timestamp_ms);
  ASSERT_TRUE(log_->Append(AsBytes("two")));
  now_ms_ -= 60'000;  // the clock goes back
  auto second = log_->TreeHead();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->head.tree_size, 2u);
  EXPECT_GE(second->head.timestamp_ms, first->head.timestamp_ms);
  EXPECT_EQ(log_->TreeHeads()->size(), 3u);
  EXPECT_EQ((*log_->LatestTreeHead())->head.tree_size, 2u);
}

TEST_F(SqliteTransparencyLogTest, WithoutAKeyTheLogAppendsButCannotSign) {
  log_.reset();
  SqliteLogOptions o;
  o.path = Path();
  auto log = OpenSqliteTransparencyLog(std::move(o));
  ASSERT_TRUE(log);
  ASSERT_TRUE((*log)->Append(AsBytes("x")));
  auto sth = (*log)->TreeHead();
  ASSERT_FALSE(sth);
  EXPECT_EQ(sth.error().code, ErrorCode::kInvalidArgument);
}

TEST_F(SqliteTransparencyLogTest, TriggersRefuseUpdateAndDeleteFromAnySqliteClient) {
  AppendSigned(2);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(Path().c_str(), &db), SQLITE_OK);
  for (const char* sql :
       {"UPDATE ledger_entries SET entry = x'00' WHERE leaf_index = 0",
        "DELETE FROM ledger_entries WHERE leaf_index = 1", "UPDATE ledger_nodes SET hash = x'00'",
        "DELETE FROM ledger_nodes", "DELETE FROM ledger_tree_heads"}) {
    char* err = nullptr;
    EXPECT_NE(sqlite3_exec(db, sql, nullptr, nullptr, &err), SQLITE_OK) << sql;
    EXPECT_NE(std::string(err ? err : "").find("append-only"), std::string::npos) << sql;
    sqlite3_free(err);
  }
  sqlite3_close(db);
}

TEST_F(SqliteTransparencyLogTest, CheckOfAnUntouchedLogIsClean) {
  AppendSigned(13);
  const auto report = Check();
  EXPECT_TRUE(report.Clean()) << All(report);
  EXPECT_EQ(report.entries, 13u);
  EXPECT_EQ(report.tree_heads, 13u);
}

TEST_F(SqliteTransparencyLogTest, CheckNamesAnEntryRewrittenInPlace) {
  AppendSigned(9);
  Tamper("UPDATE ledger_entries SET entry = CAST('entry X' AS BLOB) WHERE leaf_index = 4");
  Open();
  const auto report = Check();
  ASSERT_FALSE(report.Clean());
  EXPECT_TRUE(Mentions(report, "entry 4: its bytes do not match the leaf hash")) << All(report);
  EXPECT_TRUE(Mentions(report, "tree head 5 (signed")) << All(report);
  EXPECT_TRUE(Mentions(report, "(entry 4 is not what was signed)")) << All(report);
  EXPECT_FALSE(Mentions(report, "tree head 4 (")) << All(report);  // signed before: fine
  EXPECT_FALSE(Mentions(report, "node (")) << All(report);         // no noise about ancestors
}

TEST_F(SqliteTransparencyLogTest, CheckBracketsAnEntryRewrittenWithItsHashesBetweenTwoHeads) {
  AppendSigned(6);
  // Rewrite entry 2 and every stored hash above it, consistently: only the
  // signed heads still remember the old entry.
  testing::MemoryTree forged;
  for (int i = 0; i < 6; ++i) {
    forged.Append(AsBytes(i == 2 ? std::string("forged") : "entry " + std::to_string(i)));
  }
  std::string sql =
      "UPDATE ledger_entries SET entry = CAST('forged' AS BLOB) WHERE leaf_index = 2;";
  for (auto [level, index] : {std::pair{0, 2}, {1, 1}, {2, 0}}) {
    sql += "UPDATE ledger_nodes SET hash = x'" +
           crypto::ToHex(*forged.Node(level, static_cast<uint64_t>(index))) +
           "' WHERE level = " + std::to_string(level) +
           " AND node_index = " + std::to_string(index) + ";";
  }
  Tamper(sql);
  Open();
  const auto report = Check();
  EXPECT_FALSE(Mentions(report, "entry 2: its bytes")) << All(report);
  EXPECT_TRUE(Mentions(report, "tree head 3 (signed")) << All(report);
  EXPECT_TRUE(Mentions(report, "(entry 2 differs from what was signed)")) << All(report);
  EXPECT_FALSE(Mentions(report, "tree head 2 (")) << All(report);
}

TEST_F(SqliteTransparencyLogTest, CheckCatchesTheLastEntryRemovedAgainstTheLastHead) {
  AppendSigned(5);
  // A thorough forger removes the entry and every hash that covers it.
  Tamper(
      "DELETE FROM ledger_entries WHERE leaf_index = 4;"
      "DELETE FROM ledger_nodes WHERE level = 0 AND node_index = 4;");
  Open();
  EXPECT_EQ(*log_->Size(), 4u);
  auto report = Check();
  EXPECT_TRUE(Mentions(report, "tree head 5 (signed")) << All(report);
  EXPECT_TRUE(Mentions(report, "covers 5 entries but the log holds 4: entry 4 was removed"))
      << All(report);
  // The log refuses to sign over the hole, or to fill it with new entries
  // that the old head would seem to cover.
  auto sth = log_->TreeHead();
  ASSERT_FALSE(sth);
  EXPECT_EQ(sth.error().code, ErrorCode::kConflict);
  auto appended = log_->Append(AsBytes("entry 4, again"));
  ASSERT_FALSE(appended);
  EXPECT_EQ(appended.error().code, ErrorCode::kConflict);
}

TEST_F(SqliteTransparencyLogTest, TheLatestHeadIsNotHandedOutAgainOverARewrittenLog) {
  AppendSigned(3);
  Tamper("UPDATE ledger_nodes SET hash = zeroblob(32) WHERE level = 0 AND node_index = 2;");
  Open();
  auto sth = log_->TreeHead();
  ASSERT_FALSE(sth);
  EXPECT_EQ(sth.error().code, ErrorCode::kConflict);
}

TEST_F(SqliteTransparencyLogTest, CheckNamesAHoleAndLeftoverLeafHashes) {
  AppendSigned(6);
  Tamper("DELETE FROM ledger_entries WHERE leaf_index IN (2, 5);");
  Open();
  auto report = Check();
  EXPECT_TRUE(Mentions(report, "entry 2: missing")) << All(report);
  EXPECT_TRUE(Mentions(report, "entry 5: leaf hash stored but the entry is gone")) << All(report);
  EXPECT_TRUE(Mentions(report, "tree head 6 (")) << All(report);
}

TEST_F(SqliteTransparencyLogTest, CheckNamesADamagedNodeAndABadSignature) {
  AppendSigned(8);
  Tamper(
      "UPDATE ledger_nodes SET hash = zeroblob(32) WHERE level = 1 AND node_index = 2;"
      "UPDATE ledger_tree_heads SET signature = zeroblob(64) WHERE tree_size = 7;");
  Open();
  auto report = Check();
  EXPECT_TRUE(Mentions(report, "node (level 1, index 2) over entries 4..5: differs"))
      << All(report);
  EXPECT_TRUE(Mentions(report, "tree head 7 (signed")) << All(report);
  EXPECT_TRUE(Mentions(report, "signature does not verify")) << All(report);
  // Proofs through the damaged node no longer verify: the heads around it
  // are reported as inconsistent.
  EXPECT_TRUE(Mentions(report, "are not consistent")) << All(report);
}

TEST_F(SqliteTransparencyLogTest, CheckUsesTreeHeadsKeptElsewhere) {
  AppendSigned(4);
  const SignedTreeHead kept = *log_->TreeHead();
  // Remove the last entry, its hash and the head that covered it: the log
  // alone looks clean...
  Tamper(
      "DELETE FROM ledger_entries WHERE leaf_index = 3;"
      "DELETE FROM ledger_nodes WHERE level = 0 AND node_index = 3;"
      "DELETE FROM ledger_nodes WHERE level = 1 AND node_index = 1;"
      "DELETE FROM ledger_nodes WHERE level = 2 AND node_index = 0;"
      "DELETE FROM ledger_tree_heads WHERE tree_size = 4;");
  Open();
  EXPECT_TRUE(Check().Clean()) << All(Check());
  // ...but not against the head a film package kept.
  auto report = Check(std::span(&kept, 1));
  EXPECT_TRUE(Mentions(report, "given tree head 4 (signed")) << All(report);
  EXPECT_TRUE(Mentions(report, "entry 3 was removed")) << All(report);
}

TEST_F(SqliteTransparencyLogTest, TimeStampsAreKeptOncePerHeadAndAppendOnly) {
  AppendSigned(3);
  const Bytes token_a(5, std::byte{0xa}), token_b(5, std::byte{0xb});
  EXPECT_EQ(log_->AddTimestamp({9, token_a, 1, "TSA"}).error().code, ErrorCode::kNotFound);
  auto none = log_->LatestStampedHead();
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);

  ASSERT_TRUE(log_->AddTimestamp({2, token_a, 1764390005000, "CN=TSA"}));
  ASSERT_TRUE(log_->AddTimestamp({2, token_b, 1764390009000, "CN=other"}));  // kept: the first
  ASSERT_TRUE(log_->AddTimestamp({1, token_b, 1764390004000, "CN=TSA"}));
  Open();  // survives reopening
  auto stamps = log_->Timestamps();
  ASSERT_TRUE(stamps);
  ASSERT_EQ(stamps->size(), 2u);
  EXPECT_EQ((*stamps)[0].tree_size, 1u);
  EXPECT_EQ((*stamps)[1].token, token_a);
  EXPECT_EQ((*stamps)[1].gen_time_ms, 1764390005000);
  EXPECT_EQ((*stamps)[1].tsa, "CN=TSA");
  auto latest = log_->LatestStampedHead();
  ASSERT_TRUE(latest && *latest);
  EXPECT_EQ((*latest)->head.head.tree_size, 2u);
  EXPECT_EQ((*latest)->stamp.token, token_a);

  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(Path().c_str(), &db), SQLITE_OK);
  for (const char* sql :
       {"UPDATE ledger_timestamps SET token = x'00'", "DELETE FROM ledger_timestamps"}) {
    char* err = nullptr;
    EXPECT_NE(sqlite3_exec(db, sql, nullptr, nullptr, &err), SQLITE_OK) << sql;
    sqlite3_free(err);
  }
  sqlite3_close(db);
}

TEST_F(SqliteTransparencyLogTest, CheckNamesAStampThatIsNoTokenAndAStampWithoutItsHead) {
  AppendSigned(3);
  ASSERT_TRUE(log_->AddTimestamp({2, Bytes(5, std::byte{0xa}), 1, "CN=TSA"}));
  auto report = Check();
  EXPECT_EQ(report.timestamps, 1u);
  EXPECT_TRUE(Mentions(report,
                       "the time-stamp of the tree head of size 2: time-stamp: the token is "
                       "not a TimeStampToken"))
      << All(report);
  Tamper(
      "DROP TRIGGER IF EXISTS ledger_timestamps_no_update;"
      "UPDATE ledger_timestamps SET tree_size = 7");
  EXPECT_TRUE(
      Mentions(Check(), "the time-stamp of the tree head of size 7: its tree head is missing"));
}

}  // namespace
}  // namespace cf::ledger
