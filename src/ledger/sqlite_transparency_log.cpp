// SPDX-License-Identifier: Apache-2.0
// SqliteTransparencyLog: transparency_log.hpp over one SQLite connection
// (WAL, synchronous = FULL: an appended entry or a signed tree head handed
// to anyone must survive a power loss). One mutex serializes this
// process's calls; BEGIN IMMEDIATE serializes writers across processes.
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <mutex>
#include <string>

#include "catalog/sqlite_db.hpp"
#include "core/time_text.hpp"
#include "ledger/sqlite_log_schema.hpp"
#include "ledger/transparency_log.hpp"

namespace cf::ledger {
namespace {

using catalog::sqlite::Connection;
using catalog::sqlite::Statement;

Error Unavailable(const Error& e, std::string_view what) {
  return Error{
      e.code == ErrorCode::kConflict ? ErrorCode::kConflict : ErrorCode::kStorageUnavailable,
      "ledger: " + std::string(what) + ": " + e.message};
}

std::optional<Hash> HashFrom(const Bytes& b) {
  if (b.size() != 32) return std::nullopt;
  Hash h{};
  std::memcpy(h.data(), b.data(), 32);
  return h;
}

ByteView View(const Hash& h) { return std::as_bytes(std::span(h)); }

// Ends a write transaction: rolls back unless Commit() succeeded.
class WriteTransaction {
 public:
  explicit WriteTransaction(Connection& db) : db_(db) {}
  ~WriteTransaction() {
    if (open_) (void)db_.Exec("ROLLBACK");
  }
  WriteTransaction(const WriteTransaction&) = delete;
  WriteTransaction& operator=(const WriteTransaction&) = delete;
  Result<void> Begin() {
    auto r = db_.Exec("BEGIN IMMEDIATE");
    open_ = r.has_value();
    return r;
  }
  Result<void> Commit() {
    auto r = db_.Exec("COMMIT");
    if (r) open_ = false;
    return r;
  }

 private:
  Connection& db_;
  bool open_ = false;
};

class SqliteTransparencyLog final : public TransparencyLog, private NodeSource {
 public:
  SqliteTransparencyLog(Connection db, SqliteLogOptions options)
      : db_(std::move(db)), options_(std::move(options)) {
    if (!options_.now_ms) options_.now_ms = UnixNowMs;
  }

  Result<uint64_t> Append(std::span<const ByteView> entries) override {
    std::lock_guard lock(mutex_);
    WriteTransaction tx(db_);
    if (auto r = tx.Begin(); !r) return std::unexpected(Unavailable(r.error(), "append"));
    auto first = SizeLocked();
    if (!first) return first;
    // Never reuse an index a signed head already covers: after entries were
    // removed from the end, new ones would take their places under heads
    // that signed the old ones.
    auto latest = LatestLocked();
    if (!latest) return std::unexpected(latest.error());
    if (*latest && (*latest)->head.tree_size > *first) {
      return std::unexpected(Removed((*latest)->head.tree_size, *first));
    }
    const int64_t now = options_.now_ms();
    uint64_t index = *first;
    for (ByteView entry : entries) {
      if (auto r = AppendOneLocked(index, entry, now); !r) return std::unexpected(r.error());
      ++index;
    }
    if (auto r = tx.Commit(); !r) return std::unexpected(Unavailable(r.error(), "append"));
    return *first;
  }

  Result<uint64_t> Size() override {
    std::lock_guard lock(mutex_);
    return SizeLocked();
  }

  Result<Bytes> Entry(uint64_t index) override {
    std::lock_guard lock(mutex_);
    auto s = db_.Prepare("SELECT entry FROM ledger_entries WHERE leaf_index = ?");
    if (!s) return std::unexpected(s.error());
    (*s)->Bind(1, static_cast<int64_t>(index));
    auto row = catalog::sqlite::First<Bytes>(**s, [](Statement& st) { return st.Blob(0); });
    if (!row) return std::unexpected(Unavailable(row.error(), "read entry"));
    if (!*row) return Fail(ErrorCode::kNotFound, "no ledger entry " + std::to_string(index));
    return std::move(**row);
  }

  Result<Hash> RootHash(uint64_t size) override {
    std::lock_guard lock(mutex_);
    if (auto r = CheckSizeLocked(size); !r) return std::unexpected(r.error());
    return ledger::RootHash(*this, size);
  }

  Result<std::vector<Hash>> InclusionProof(uint64_t index, uint64_t size) override {
    std::lock_guard lock(mutex_);
    if (auto r = CheckSizeLocked(size); !r) return std::unexpected(r.error());
    return ledger::InclusionProof(*this, index, size);
  }

  Result<std::vector<Hash>> ConsistencyProof(uint64_t old_size, uint64_t new_size) override {
    std::lock_guard lock(mutex_);
    if (auto r = CheckSizeLocked(new_size); !r) return std::unexpected(r.error());
    return ledger::ConsistencyProof(*this, old_size, new_size);
  }

  Result<SignedTreeHead> TreeHead() override {
    std::lock_guard lock(mutex_);
    WriteTransaction tx(db_);
    if (auto r = tx.Begin(); !r) return std::unexpected(Unavailable(r.error(), "tree head"));
    auto size = SizeLocked();
    if (!size) return std::unexpected(size.error());
    auto latest = LatestLocked();
    if (!latest) return std::unexpected(latest.error());
    if (*latest && (*latest)->head.tree_size > *size) {
      return std::unexpected(Removed((*latest)->head.tree_size, *size));
    }
    if (*latest && (*latest)->head.tree_size == *size) {
      // Handed out again only if the log still matches it (O(log n) reads).
      auto root = ledger::RootHash(*this, *size);
      if (!root) return std::unexpected(root.error());
      if (*root != (*latest)->head.root_hash) {
        return Fail(ErrorCode::kConflict,
                    "ledger: the log no longer matches its latest tree head (size " +
                        std::to_string(*size) + "): run cloudfilm ledger check");
      }
      return **latest;
    }
    if (!options_.signer) {
      return Fail(ErrorCode::kInvalidArgument,
                  "ledger: a new tree head is needed and no log key was given");
    }
    auto root = ledger::RootHash(*this, *size);
    if (!root) return std::unexpected(root.error());
    // Never before the previous head: a clock set back must not make the
    // log look as if it signed out of order.
    int64_t now = options_.now_ms();
    if (*latest) now = std::max(now, (*latest)->head.timestamp_ms);
    auto sth = SignTreeHead(ledger::TreeHead{*size, now, *root}, *options_.signer);
    if (!sth) return std::unexpected(sth.error());
    auto s = db_.Prepare(
        "INSERT INTO ledger_tree_heads (tree_size, timestamp_ms, root_hash, suite, key_id, "
        "signature) VALUES (?, ?, ?, ?, ?, ?)");
    if (!s) return std::unexpected(s.error());
    (*s)->Bind(1, static_cast<int64_t>(sth->head.tree_size))
        .Bind(2, sth->head.timestamp_ms)
        .BindBlob(3, View(sth->head.root_hash))
        .Bind(4, crypto::SuiteName(sth->suite))
        .Bind(5, sth->key_id)
        .BindBlob(6, sth->signature);
    if (auto r = (*s)->Run(); !r) return std::unexpected(Unavailable(r.error(), "tree head"));
    if (auto r = tx.Commit(); !r) return std::unexpected(Unavailable(r.error(), "tree head"));
    return std::move(*sth);
  }

  Result<std::optional<SignedTreeHead>> LatestTreeHead() override {
    std::lock_guard lock(mutex_);
    return LatestLocked();
  }

  Result<std::vector<SignedTreeHead>> TreeHeads() override {
    std::lock_guard lock(mutex_);
    auto s = db_.Prepare(std::string(kHeadColumns) + " ORDER BY tree_size");
    if (!s) return std::unexpected(s.error());
    std::vector<SignedTreeHead> out;
    for (;;) {
      auto row = (*s)->Step();
      if (!row) {
        (*s)->Reset();
        return std::unexpected(Unavailable(row.error(), "read tree heads"));
      }
      if (!*row) break;
      auto sth = ReadHead(**s);
      if (!sth) {
        (*s)->Reset();
        return std::unexpected(sth.error());
      }
      out.push_back(std::move(*sth));
    }
    (*s)->Reset();
    return out;
  }

  Result<void> AddTimestamp(const TreeHeadTimestamp& stamp) override {
    std::lock_guard lock(mutex_);
    auto head = db_.Prepare("SELECT 1 FROM ledger_tree_heads WHERE tree_size = ?");
    if (!head) return std::unexpected(head.error());
    (*head)->Bind(1, static_cast<int64_t>(stamp.tree_size));
    auto found = catalog::sqlite::First<int64_t>(**head, [](Statement& st) { return st.Int(0); });
    if (!found) return std::unexpected(Unavailable(found.error(), "time-stamp"));
    if (!*found) {
      return Fail(ErrorCode::kNotFound,
                  "ledger: no tree head of size " + std::to_string(stamp.tree_size));
    }
    auto s = db_.Prepare(
        "INSERT OR IGNORE INTO ledger_timestamps (tree_size, token, gen_time_ms, tsa) "
        "VALUES (?, ?, ?, ?)");
    if (!s) return std::unexpected(s.error());
    (*s)->Bind(1, static_cast<int64_t>(stamp.tree_size))
        .BindBlob(2, stamp.token)
        .Bind(3, stamp.gen_time_ms)
        .Bind(4, stamp.tsa);
    if (auto r = (*s)->Run(); !r) return std::unexpected(Unavailable(r.error(), "time-stamp"));
    return {};
  }

  Result<std::vector<TreeHeadTimestamp>> Timestamps() override {
    std::lock_guard lock(mutex_);
    auto s = db_.Prepare(std::string(kStampColumns) + " ORDER BY tree_size");
    if (!s) return std::unexpected(s.error());
    auto out = catalog::sqlite::Collect<TreeHeadTimestamp>(**s, ReadStamp);
    if (!out) return std::unexpected(Unavailable(out.error(), "read time-stamps"));
    return out;
  }

  Result<std::optional<StampedHead>> LatestStampedHead() override {
    std::lock_guard lock(mutex_);
    auto s = db_.Prepare(std::string(kStampColumns) + " ORDER BY tree_size DESC LIMIT 1");
    if (!s) return std::unexpected(s.error());
    auto stamp = catalog::sqlite::First<TreeHeadTimestamp>(**s, ReadStamp);
    if (!stamp) return std::unexpected(Unavailable(stamp.error(), "read time-stamp"));
    if (!*stamp) return std::optional<StampedHead>();
    auto h = db_.Prepare(std::string(kHeadColumns) + " WHERE tree_size = ?");
    if (!h) return std::unexpected(h.error());
    (*h)->Bind(1, static_cast<int64_t>((*stamp)->tree_size));
    auto row = (*h)->Step();
    if (!row || !*row) {
      (*h)->Reset();
      if (!row) return std::unexpected(Unavailable(row.error(), "read tree head"));
      return Fail(ErrorCode::kConflict, "ledger: the time-stamped head of size " +
                                            std::to_string((*stamp)->tree_size) +
                                            " is missing: run cloudfilm ledger check");
    }
    auto head = ReadHead(**h);
    (*h)->Reset();
    if (!head) return std::unexpected(head.error());
    return std::optional<StampedHead>(StampedHead{std::move(*head), std::move(**stamp)});
  }

  Result<void> ForEachEntry(const EntryVisitor& visit) override {
    std::lock_guard lock(mutex_);
    // A statement of its own (not the cache): the visitor may call back
    // into StoredNode, whose cached statement must stay usable meanwhile.
    // The whole scan is one read transaction, so a concurrent append
    // cannot be half seen.
    Statement s(db_.get(), "SELECT leaf_index, entry FROM ledger_entries ORDER BY leaf_index");
    if (!s.ok()) {
      return std::unexpected(
          catalog::sqlite::SqliteError(db_.get(), sqlite3_errcode(db_.get()), "ledger scan"));
    }
    for (;;) {
      auto row = s.Step();
      if (!row) return std::unexpected(Unavailable(row.error(), "scan entries"));
      if (!*row) return {};
      const Bytes entry = s.Blob(1);
      if (auto r = visit(static_cast<uint64_t>(s.Int(0)), entry); !r) return r;
    }
  }

  Result<std::optional<Hash>> StoredNode(int level, uint64_t index) override {
    std::lock_guard lock(mutex_);
    return ReadNodeLocked(level, index);
  }

  // Initial schema and pragmas.
  Result<void> Init() {
    if (options_.readonly) {
      auto s = db_.Prepare("PRAGMA user_version");
      if (!s) return std::unexpected(s.error());
      auto v = catalog::sqlite::First<int64_t>(**s, [](Statement& st) { return st.Int(0); });
      if (!v) return std::unexpected(v.error());
      if (!*v || **v != sqlite::kSchemaVersion) {
        return Fail(ErrorCode::kConflict, "ledger: " + options_.path.string() +
                                              " has schema version " +
                                              std::to_string(v->value_or(0)) + ", this program " +
                                              std::to_string(sqlite::kSchemaVersion));
      }
      return {};
    }
    if (auto r = db_.Exec("PRAGMA journal_mode = WAL"); !r) return r;
    if (auto r = db_.Exec("PRAGMA synchronous = FULL"); !r) return r;
    return catalog::sqlite::ApplyMigrations(db_, sqlite::Migrations(), "ledger");
  }

 private:
  static Error Removed(uint64_t signed_size, uint64_t size) {
    return Error{ErrorCode::kConflict, "ledger: the latest tree head covers " +
                                           std::to_string(signed_size) +
                                           " entries but the log holds " + std::to_string(size) +
                                           ": entries were removed (run cloudfilm ledger check)"};
  }

  static constexpr std::string_view kStampColumns =
      "SELECT tree_size, token, gen_time_ms, tsa FROM ledger_timestamps";
  static TreeHeadTimestamp ReadStamp(Statement& s) {
    return TreeHeadTimestamp{static_cast<uint64_t>(s.Int(0)), s.Blob(1), s.Int(2), s.Text(3)};
  }

  static constexpr std::string_view kHeadColumns =
      "SELECT tree_size, timestamp_ms, root_hash, suite, key_id, signature FROM "
      "ledger_tree_heads";

  // NodeSource, for the Merkle algorithms. REQUIRES: mutex_ held.
  Result<Hash> Node(int level, uint64_t index) override {
    auto h = ReadNodeLocked(level, index);
    if (!h) return std::unexpected(h.error());
    if (!*h) {
      return Fail(ErrorCode::kInternal, "ledger node (level " + std::to_string(level) + ", index " +
                                            std::to_string(index) +
                                            ") is missing (run cloudfilm ledger check)");
    }
    return **h;
  }

  Result<std::optional<Hash>> ReadNodeLocked(int level, uint64_t index) {
    auto s = db_.Prepare("SELECT hash FROM ledger_nodes WHERE level = ? AND node_index = ?");
    if (!s) return std::unexpected(s.error());
    (*s)->Bind(1, static_cast<int64_t>(level)).Bind(2, static_cast<int64_t>(index));
    auto row = catalog::sqlite::First<Bytes>(**s, [](Statement& st) { return st.Blob(0); });
    if (!row) return std::unexpected(Unavailable(row.error(), "read node"));
    if (!*row) return std::optional<Hash>();
    auto h = HashFrom(**row);
    if (!h) {
      return Fail(ErrorCode::kInternal, "ledger node (level " + std::to_string(level) + ", index " +
                                            std::to_string(index) + ") is not 32 bytes");
    }
    return h;
  }

  Result<void> InsertNodeLocked(int level, uint64_t index, const Hash& h) {
    auto s = db_.Prepare("INSERT INTO ledger_nodes (level, node_index, hash) VALUES (?, ?, ?)");
    if (!s) return std::unexpected(s.error());
    (*s)->Bind(1, static_cast<int64_t>(level))
        .Bind(2, static_cast<int64_t>(index))
        .BindBlob(3, View(h));
    if (auto r = (*s)->Run(); !r) {
      // A node already there means rows were removed behind our back: the
      // next index is taken from the entries, the nodes remember more.
      return std::unexpected(Unavailable(r.error(), "store node (level " + std::to_string(level) +
                                                        ", index " + std::to_string(index) +
                                                        "); run cloudfilm ledger check"));
    }
    return {};
  }

  // Inserts entry `index`, its leaf hash and every subtree root it
  // completes (one per trailing 1 bit of `index`), reading each left
  // sibling back from the nodes. REQUIRES: mutex_ held, in a transaction.
  Result<void> AppendOneLocked(uint64_t index, ByteView entry, int64_t now) {
    auto s =
        db_.Prepare("INSERT INTO ledger_entries (leaf_index, entry, appended_ms) VALUES (?, ?, ?)");
    if (!s) return std::unexpected(s.error());
    (*s)->Bind(1, static_cast<int64_t>(index)).BindBlob(2, entry).Bind(3, now);
    if (auto r = (*s)->Run(); !r) return std::unexpected(Unavailable(r.error(), "store entry"));
    Hash h = LeafHash(entry);
    if (auto r = InsertNodeLocked(0, index, h); !r) return r;
    int level = 0;
    for (uint64_t i = index; (i & 1) != 0; i >>= 1) {
      auto left = Node(level, i - 1);
      if (!left) return std::unexpected(left.error());
      h = NodeHash(*left, h);
      ++level;
      if (auto r = InsertNodeLocked(level, i >> 1, h); !r) return r;
    }
    return {};
  }

  Result<uint64_t> SizeLocked() {
    auto s = db_.Prepare("SELECT COALESCE(MAX(leaf_index) + 1, 0) FROM ledger_entries");
    if (!s) return std::unexpected(s.error());
    auto n = catalog::sqlite::First<int64_t>(**s, [](Statement& st) { return st.Int(0); });
    if (!n) return std::unexpected(Unavailable(n.error(), "size"));
    return static_cast<uint64_t>(n->value_or(0));
  }

  Result<void> CheckSizeLocked(uint64_t size) {
    auto n = SizeLocked();
    if (!n) return std::unexpected(n.error());
    if (size > *n) {
      return Fail(ErrorCode::kInvalidArgument, "the ledger holds " + std::to_string(*n) +
                                                   " entries, not " + std::to_string(size));
    }
    return {};
  }

  static Result<SignedTreeHead> ReadHead(Statement& s) {
    SignedTreeHead sth;
    sth.head.tree_size = static_cast<uint64_t>(s.Int(0));
    sth.head.timestamp_ms = s.Int(1);
    const auto root = HashFrom(s.Blob(2));
    const auto suite = crypto::ParseSignatureSuite(s.Text(3));
    if (!root || !suite) {
      return Fail(ErrorCode::kInternal, "ledger: tree head of size " +
                                            std::to_string(sth.head.tree_size) +
                                            " is malformed (root hash or suite)");
    }
    sth.head.root_hash = *root;
    sth.suite = *suite;
    sth.key_id = s.Text(4);
    sth.signature = s.Blob(5);
    return sth;
  }

  Result<std::optional<SignedTreeHead>> LatestLocked() {
    auto s = db_.Prepare(std::string(kHeadColumns) + " ORDER BY tree_size DESC LIMIT 1");
    if (!s) return std::unexpected(s.error());
    auto row = (*s)->Step();
    if (!row) {
      (*s)->Reset();
      return std::unexpected(Unavailable(row.error(), "read tree head"));
    }
    if (!*row) {
      (*s)->Reset();
      return std::optional<SignedTreeHead>();
    }
    auto sth = ReadHead(**s);
    (*s)->Reset();
    if (!sth) return std::unexpected(sth.error());
    return std::optional<SignedTreeHead>(std::move(*sth));
  }

  // Recursive: ForEachEntry's visitor may call StoredNode (the check).
  std::recursive_mutex mutex_;
  Connection db_;  // guarded by mutex_
  SqliteLogOptions options_;
};

}  // namespace

Result<std::unique_ptr<TransparencyLog>> OpenSqliteTransparencyLog(SqliteLogOptions options) {
  auto db = Connection::Open(options.path.string(), options.busy_timeout_ms, options.readonly,
                             options.vfs);
  if (!db) return std::unexpected(db.error());
  auto log = std::make_unique<SqliteTransparencyLog>(std::move(*db), std::move(options));
  if (auto r = log->Init(); !r) return std::unexpected(r.error());
  return std::unique_ptr<TransparencyLog>(std::move(log));
}

}  // namespace cf::ledger
