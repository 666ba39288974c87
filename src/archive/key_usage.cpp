// SPDX-License-Identifier: Apache-2.0
#include "archive/key_usage.hpp"

#include <optional>
#include <string>

#include "archive/ingest_journal.hpp"

namespace cf::archive {

Result<KeyUsage> SurveyKeyUsage(store::EncryptingBlobStore& blobs,
                                const std::filesystem::path& journal_dir) {
  KeyUsage usage;
  std::optional<Error> failed;
  auto walked = blobs.ForEach([&](std::string_view key, uint64_t) {
    auto id = blobs.SealedKeyId(key);
    if (!id) {
      if (id.error().code == ErrorCode::kNotFound) return true;  // removed meanwhile
      failed = id.error();
      return false;
    }
    ++usage.blobs[*id];
    return true;
  });
  if (!walked) return std::unexpected(walked.error());
  if (failed) return std::unexpected(*failed);
  auto journal = IngestJournal::DataKeysInUse(journal_dir);
  if (!journal) return std::unexpected(journal.error());
  usage.journal = std::move(*journal);
  return usage;
}

Result<void> RetireDataKey(store::EncryptingBlobStore& blobs,
                           const std::filesystem::path& journal_dir, uint32_t id) {
  auto usage = SurveyKeyUsage(blobs, journal_dir);
  if (!usage) return std::unexpected(usage.error());
  const std::string name = "data key " + std::to_string(id);
  if (auto it = usage->blobs.find(id); it != usage->blobs.end() && it->second > 0) {
    return Fail(ErrorCode::kConflict,
                name + " still seals " + std::to_string(it->second) +
                    " blob(s): run `cloudfilm keys reencrypt` first (blobs no catalog entry "
                    "names: `cloudfilm fsck --repair`)");
  }
  if (usage->journal.contains(id)) {
    return Fail(ErrorCode::kConflict,
                name +
                    " seals ingest journal records not yet checkpointed: try again shortly "
                    "(or start the server once so that it replays them)");
  }
  return blobs.keys().Remove(id);
}

}  // namespace cf::archive
