// SPDX-License-Identifier: Apache-2.0
// What the journal tests look at on disk: segment and spare files, their
// bytes, and the reuse of a checkpointed segment (plaintext and sealed).
#pragma once

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "archive/ingest_journal.hpp"
#include "crypto/sha256.hpp"

namespace cf::archive::journal_test {

inline std::string Slurp(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), {}};
}

// The files of `dir` whose names start with `prefix` ("seg-": what a replay
// reads; "spare-": checkpointed segments kept for reuse).
inline std::vector<std::filesystem::path> JournalFiles(const std::filesystem::path& dir,
                                                       std::string_view prefix) {
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    if (e.path().filename().string().starts_with(prefix)) files.push_back(e.path());
  }
  return files;
}

inline Result<IngestJournal::RecordRef> AppendText(IngestJournal& j, const std::string& key,
                                                   const std::string& data) {
  return j.Append(key, AsBytes(data), crypto::Sha256(AsBytes(data)));
}

// Five records "<prefix>old/<i>" of 3000 bytes, a checkpoint (Seal and
// Remove), then "<prefix>new/0" of 3000 bytes 'n', and the journal goes
// away as a crash leaves it. Checks that the checkpointed file became a
// spare and then the new segment (the same inode). Returns the reused
// segment's bytes, empty on failure.
inline std::string ReuseASegmentThenCrash(const IngestJournal::Options& options,
                                          const std::string& prefix) {
  struct stat before {};
  auto j = IngestJournal::Open(options);
  EXPECT_TRUE(j);
  if (!j) return {};
  for (int i = 0; i < 5; ++i) {
    EXPECT_TRUE(AppendText(**j, prefix + "old/" + std::to_string(i), std::string(3000, 'o')));
  }
  const auto sealed = (*j)->Seal();
  EXPECT_EQ(sealed.size(), 1u);
  if (sealed.size() != 1 || ::stat(sealed[0].c_str(), &before) != 0) return {};
  (*j)->Remove(sealed);
  EXPECT_FALSE(std::filesystem::exists(sealed[0]));
  EXPECT_EQ(JournalFiles(options.dir, "spare-").size(), 1u);
  EXPECT_TRUE(AppendText(**j, prefix + "new/0", std::string(3000, 'n')));
  EXPECT_TRUE(JournalFiles(options.dir, "spare-").empty());
  const auto segments = JournalFiles(options.dir, "seg-");
  EXPECT_EQ(segments.size(), 1u);
  struct stat after {};
  if (segments.size() != 1 || ::stat(segments[0].c_str(), &after) != 0) return {};
  EXPECT_EQ(after.st_ino, before.st_ino) << "the checkpointed segment was not reused";
  return Slurp(segments[0]);  // `j` goes without a Seal: a crash
}

}  // namespace cf::archive::journal_test
