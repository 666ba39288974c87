// SPDX-License-Identifier: Apache-2.0
// The transparency log: an append-only list of opaque entries (the film
// part appends canonical JSON for each issuance, amendment and
// revocation), the RFC 6962 Merkle tree over them (merkle.hpp) and signed
// tree heads (tree_head.hpp). An entry's index never changes and an entry
// is never rewritten or removed; anyone holding a signed tree head can be
// shown, with an inclusion proof, that an entry is in the log, and, with a
// consistency proof, that a later tree head extends theirs.
//
// Storage (SqliteTransparencyLog, DATA/ledger.sqlite): entries, the root
// of every complete subtree (about one node per entry, ~70 bytes each)
// and the signed tree heads. Storing the nodes costs that space and about
// one extra row write per append (amortized: a leaf completes one subtree
// on average) and makes every root, inclusion proof and consistency proof
// O(log n) point reads, however large the log grows; computing them on the
// fly would read O(n) leaves, and a cache would have to be rebuilt at each
// start. Triggers refuse UPDATE and DELETE for every SQLite client, not
// only this program; `cloudfilm ledger check` finds what a determined
// writer changes anyway (ledger_check.hpp).
//
// Thread-safe; calls block (SQLite). Several processes may share the file
// (WAL; appends and signing take the write lock, so indexes and tree heads
// are assigned in one order).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/bytes.hpp"
#include "core/error.hpp"
#include "crypto/signing.hpp"
#include "ledger/merkle.hpp"
#include "ledger/timestamp.hpp"
#include "ledger/tree_head.hpp"

namespace cf::ledger {

class TransparencyLog {
 public:
  virtual ~TransparencyLog() = default;

  // Appends `entries` as the next leaves, durably, in one transaction.
  // Returns the index of the first. Entries may be empty byte strings.
  virtual Result<uint64_t> Append(std::span<const ByteView> entries) = 0;
  Result<uint64_t> Append(ByteView entry) { return Append(std::span<const ByteView>(&entry, 1)); }

  // The number of entries.
  virtual Result<uint64_t> Size() = 0;
  // kNotFound for an index at or past the end.
  virtual Result<Bytes> Entry(uint64_t index) = 0;

  // MTH of the first `size` entries; kInvalidArgument past the end.
  virtual Result<Hash> RootHash(uint64_t size) = 0;
  // kInvalidArgument unless index < size <= Size().
  virtual Result<std::vector<Hash>> InclusionProof(uint64_t index, uint64_t size) = 0;
  // kInvalidArgument unless old_size <= new_size <= Size().
  virtual Result<std::vector<Hash>> ConsistencyProof(uint64_t old_size, uint64_t new_size) = 0;

  // The latest signed tree head, after signing one for the current size
  // if the log grew since the last (one tree head per size; timestamps
  // never go backwards). kInvalidArgument when the log was opened without
  // a signing key and a new head is needed; kConflict when the latest
  // head covers more entries than the log holds (entries were removed).
  virtual Result<SignedTreeHead> TreeHead() = 0;
  // Without signing: the latest head, if any.
  virtual Result<std::optional<SignedTreeHead>> LatestTreeHead() = 0;
  // Every stored head, by size.
  virtual Result<std::vector<SignedTreeHead>> TreeHeads() = 0;

  // Keeps a TSA's time-stamp of the stored head of `stamp.tree_size`
  // (checked by the caller: timestamp.hpp). A head keeps its first stamp;
  // adding another is a no-op. kNotFound when no head has that size.
  virtual Result<void> AddTimestamp(const TreeHeadTimestamp& stamp) = 0;
  // Every stored time-stamp, by tree size.
  virtual Result<std::vector<TreeHeadTimestamp>> Timestamps() = 0;
  // The largest stamped head, with its stamp.
  struct StampedHead {
    SignedTreeHead head;
    TreeHeadTimestamp stamp;
  };
  virtual Result<std::optional<StampedHead>> LatestStampedHead() = 0;

  // For the check, which recomputes everything from the raw rows:
  // every entry in index order (`visit` may stop the scan with an error),
  // and the stored node (level, index), nullopt when absent.
  using EntryVisitor = std::function<Result<void>(uint64_t index, ByteView entry)>;
  virtual Result<void> ForEachEntry(const EntryVisitor& visit) = 0;
  virtual Result<std::optional<Hash>> StoredNode(int level, uint64_t index) = 0;
};

// The head to prove entry `index` against, with its RFC 3161 stamp: the
// newest head a TSA stamped when it covers the entry (the entry is then
// dated on the TSA's word, not ours), else the latest head (signed now if
// the log grew) without a stamp.
struct HeadToProve {
  SignedTreeHead head;
  std::optional<TreeHeadTimestamp> stamp;
};
inline Result<HeadToProve> HeadCovering(TransparencyLog& log, uint64_t index) {
  auto stamped = log.LatestStampedHead();
  if (!stamped) return std::unexpected(stamped.error());
  if (*stamped && (*stamped)->head.head.tree_size > index) {
    return HeadToProve{std::move((*stamped)->head), std::move((*stamped)->stamp)};
  }
  auto latest = log.TreeHead();
  if (!latest) return std::unexpected(latest.error());
  return HeadToProve{std::move(*latest), std::nullopt};
}

struct SqliteLogOptions {
  std::filesystem::path path;
  // An SQLite VFS (catalog/encrypted_vfs.hpp), empty = plain files.
  std::string vfs;
  bool readonly = false;
  int busy_timeout_ms = 10'000;
  // The log key; without one the log can append and prove but not sign.
  std::shared_ptr<const crypto::SigningKey> signer;
  // Milliseconds since 1970 for tree head timestamps; the system clock when
  // unset (tests fix it).
  std::function<int64_t()> now_ms;
};

// Opens (creating and migrating when writable) the log at options.path.
Result<std::unique_ptr<TransparencyLog>> OpenSqliteTransparencyLog(SqliteLogOptions options);

}  // namespace cf::ledger
