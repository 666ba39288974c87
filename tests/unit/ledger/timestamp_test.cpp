// SPDX-License-Identifier: Apache-2.0
// RFC 3161 against OpenSSL's own TSA (`openssl ts -reply`), with a CA and
// a time-stamping certificate made by tests/tsa/make_tsa.sh; and the other
// way round, our kept token checked by `openssl ts -verify`.
#include "ledger/timestamp.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "crypto/sha256.hpp"
#include "ledger/tree_head.hpp"

namespace cf::ledger {
namespace {

namespace fs = std::filesystem;

class TimestampTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = fs::temp_directory_path() / ("cf-tsa-" + std::to_string(getpid()));
    fs::remove_all(dir_);
    other_ = dir_ / "other";
    const std::string script = std::string(CF_SOURCE_DIR) + "/tests/tsa/make_tsa.sh";
    ready_ = std::system((script + " '" + dir_.string() + "'").c_str()) == 0 &&
             std::system((script + " '" + other_.string() + "'").c_str()) == 0;
  }
  static void TearDownTestSuite() { fs::remove_all(dir_); }
  void SetUp() override {
    if (!ready_) GTEST_SKIP() << "openssl could not make a test TSA";
  }

  static void Write(const fs::path& path, ByteView bytes) {
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()),
               static_cast<std::streamsize>(bytes.size()));
  }
  static Bytes Read(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto* b = reinterpret_cast<const std::byte*>(s.data());
    return Bytes(b, b + s.size());
  }
  // OpenSSL's TSA answers `query` with the key of `tsa_dir`.
  static Bytes Answer(ByteView query, const fs::path& tsa_dir = dir_) {
    Write(dir_ / "q.tsq", query);
    fs::remove(dir_ / "r.tsr");
    const std::string cmd = "openssl ts -reply -config '" + (tsa_dir / "tsa.cnf").string() +
                            "' -queryfile '" + (dir_ / "q.tsq").string() + "' -out '" +
                            (dir_ / "r.tsr").string() + "' >/dev/null 2>&1";
    EXPECT_EQ(std::system(cmd.c_str()), 0);
    return Read(dir_ / "r.tsr");
  }

  static TreeHead Head() {
    TreeHead h;
    h.tree_size = 7;
    h.timestamp_ms = 1764390000000;
    h.root_hash = crypto::Sha256(std::as_bytes(std::span("root", 4)));
    return h;
  }

  static inline fs::path dir_;
  static inline fs::path other_;
  static inline bool ready_ = false;
};

TEST_F(TimestampTest, ImprintIsTheHashOfTheSignedBytes) {
  EXPECT_EQ(TimestampImprint(Head()), crypto::Sha256(TreeHeadSignatureInput(Head())));
}

TEST_F(TimestampTest, OpensslTsaStampsAHeadAndTheTokenVerifiesBothWays) {
  const Hash imprint = TimestampImprint(Head());
  auto query = MakeTimestampQuery(imprint, 42);
  ASSERT_TRUE(query) << query.error().message;
  // OpenSSL reads our query as one for this SHA-256 imprint.
  Write(dir_ / "mine.tsq", *query);
  const std::string text_cmd = "openssl ts -query -in '" + (dir_ / "mine.tsq").string() +
                               "' -text > '" + (dir_ / "mine.txt").string() + "' 2>/dev/null";
  ASSERT_EQ(std::system(text_cmd.c_str()), 0);
  const Bytes text = Read(dir_ / "mine.txt");
  const std::string shown(reinterpret_cast<const char*>(text.data()), text.size());
  EXPECT_NE(shown.find("sha256"), std::string::npos) << shown;
  EXPECT_NE(shown.find("Certificate required: yes"), std::string::npos) << shown;

  auto stamp = AcceptTimestampResponse(*query, Answer(*query), dir_ / "ca.pem");
  ASSERT_TRUE(stamp) << stamp.error().message;
  EXPECT_NE(stamp->tsa.find("cloudfilm test TSA"), std::string::npos) << stamp->tsa;
  const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  EXPECT_LT(std::abs(stamp->gen_time_ms - now_ms), 120'000);

  auto at = VerifyTimestampToken(stamp->token, imprint, dir_ / "ca.pem");
  ASSERT_TRUE(at) << at.error().message;
  EXPECT_EQ(*at, stamp->gen_time_ms);

  // The documented independent check: openssl ts -verify with the digest.
  Write(dir_ / "token.der", stamp->token);
  const std::string verify = "openssl ts -verify -digest " + crypto::ToHex(imprint) + " -in '" +
                             (dir_ / "token.der").string() + "' -token_in -CAfile '" +
                             (dir_ / "ca.pem").string() + "' >/dev/null 2>&1";
  EXPECT_EQ(std::system(verify.c_str()), 0);
}

TEST_F(TimestampTest, AnswersThatDoNotHoldAreRefused) {
  const Hash imprint = TimestampImprint(Head());
  auto query = MakeTimestampQuery(imprint, 7);
  ASSERT_TRUE(query);
  const Bytes answer = Answer(*query);

  // A TSA whose certificate does not chain to the configured CA.
  auto foreign = AcceptTimestampResponse(*query, Answer(*query, other_), dir_ / "ca.pem");
  ASSERT_FALSE(foreign);
  EXPECT_EQ(foreign.error().code, ErrorCode::kConflict);
  EXPECT_NE(foreign.error().message.find("does not verify"), std::string::npos);

  // An answer to another query (other nonce, same imprint): a replay.
  auto other_query = MakeTimestampQuery(imprint, 8);
  ASSERT_TRUE(other_query);
  auto replay = AcceptTimestampResponse(*other_query, answer, dir_ / "ca.pem");
  ASSERT_FALSE(replay);
  EXPECT_EQ(replay.error().code, ErrorCode::kConflict);

  // A flipped byte anywhere in the signed token.
  Bytes flipped = answer;
  flipped[flipped.size() - 40] ^= std::byte{1};
  EXPECT_FALSE(AcceptTimestampResponse(*query, flipped, dir_ / "ca.pem"));

  // Not an answer at all, and a missing CA file.
  const Bytes junk(20, std::byte{0x30});
  EXPECT_EQ(AcceptTimestampResponse(*query, junk, dir_ / "ca.pem").error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(AcceptTimestampResponse(*query, answer, dir_ / "none.pem").error().code,
            ErrorCode::kInvalidArgument);
}

TEST_F(TimestampTest, AKeptTokenStampsOnlyItsOwnHead) {
  const Hash imprint = TimestampImprint(Head());
  auto query = MakeTimestampQuery(imprint, 9);
  ASSERT_TRUE(query);
  auto stamp = AcceptTimestampResponse(*query, Answer(*query), dir_ / "ca.pem");
  ASSERT_TRUE(stamp) << stamp.error().message;

  TreeHead later = Head();
  later.tree_size = 8;
  auto wrong = VerifyTimestampToken(stamp->token, TimestampImprint(later), dir_ / "ca.pem");
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, ErrorCode::kConflict);
  EXPECT_FALSE(VerifyTimestampToken(stamp->token, imprint, other_ / "ca.pem"));
  Bytes cut(stamp->token.begin(), stamp->token.end() - 1);
  EXPECT_FALSE(VerifyTimestampToken(cut, imprint, dir_ / "ca.pem"));
}

}  // namespace
}  // namespace cf::ledger
