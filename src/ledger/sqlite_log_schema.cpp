// SPDX-License-Identifier: Apache-2.0
#include "ledger/sqlite_log_schema.hpp"

#include <array>

namespace cf::ledger::sqlite {
namespace {

constexpr std::array<const char*, kSchemaVersion> kMigrations = {
    // 1: entries, complete-subtree roots, signed tree heads. Hashes and
    // signatures are BLOBs (32 bytes for hashes). leaf_index is the rowid:
    // the 0-based index of RFC 6962. ledger_nodes (level, node_index) holds
    // the root of leaves [node_index << level, (node_index + 1) << level);
    // level 0 holds the leaf hashes, so that the check can tell a rewritten
    // entry from a rewritten tree. The triggers make all three append-only
    // for every SQLite client.
    R"sql(
CREATE TABLE ledger_entries (
  leaf_index   INTEGER PRIMARY KEY,
  entry        BLOB NOT NULL,
  appended_ms  INTEGER NOT NULL
);
CREATE TABLE ledger_nodes (
  level       INTEGER NOT NULL,
  node_index  INTEGER NOT NULL,
  hash        BLOB NOT NULL,
  PRIMARY KEY (level, node_index)
) WITHOUT ROWID;
CREATE TABLE ledger_tree_heads (
  tree_size     INTEGER PRIMARY KEY,
  timestamp_ms  INTEGER NOT NULL,
  root_hash     BLOB NOT NULL,
  suite         TEXT NOT NULL,
  key_id        TEXT NOT NULL,
  signature     BLOB NOT NULL
);
CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE ON ledger_entries
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
CREATE TRIGGER ledger_entries_no_delete BEFORE DELETE ON ledger_entries
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
CREATE TRIGGER ledger_nodes_no_update BEFORE UPDATE ON ledger_nodes
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
CREATE TRIGGER ledger_nodes_no_delete BEFORE DELETE ON ledger_nodes
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
CREATE TRIGGER ledger_tree_heads_no_update BEFORE UPDATE ON ledger_tree_heads
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
CREATE TRIGGER ledger_tree_heads_no_delete BEFORE DELETE ON ledger_tree_heads
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
)sql",
    // 2: RFC 3161 time-stamps of tree heads (timestamp.hpp), at most one
    // per head, append-only like the rest.
    R"sql(
CREATE TABLE ledger_timestamps (
  tree_size    INTEGER PRIMARY KEY REFERENCES ledger_tree_heads (tree_size),
  token        BLOB NOT NULL,
  gen_time_ms  INTEGER NOT NULL,
  tsa          TEXT NOT NULL
);
CREATE TRIGGER ledger_timestamps_no_update BEFORE UPDATE ON ledger_timestamps
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
CREATE TRIGGER ledger_timestamps_no_delete BEFORE DELETE ON ledger_timestamps
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
)sql",
};

}  // namespace

std::span<const char* const> Migrations() { return kMigrations; }

}  // namespace cf::ledger::sqlite
