// SPDX-License-Identifier: Apache-2.0
// Which data keys the stored data still needs: the survey behind
// `cloudfilm keys list --blobs` and the check before `cloudfilm keys retire`
// deletes a key (after which whatever it sealed is unreadable for good).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <set>

#include "store/encrypting_blob_store.hpp"

namespace cf::archive {

struct KeyUsage {
  std::map<uint32_t, int64_t> blobs;  // blobs per data key id; 0: not sealed
  std::set<uint32_t> journal;         // ids that journal records not yet checkpointed need
};

// Reads the header of every blob in the store (catalogued or not: an
// orphan blob may still be re-indexed by fsck) and of every journal
// record in `journal_dir`. A scan: for operators, not for every request.
Result<KeyUsage> SurveyKeyUsage(store::EncryptingBlobStore& blobs,
                                const std::filesystem::path& journal_dir);

// Deletes data key `id` when nothing uses it: kConflict, saying what still
// does (run `cloudfilm keys reencrypt`, or fsck --repair for orphans), when
// a blob or journal record needs it or it is its tenant's active key.
Result<void> RetireDataKey(store::EncryptingBlobStore& blobs,
                           const std::filesystem::path& journal_dir, uint32_t id);

}  // namespace cf::archive
