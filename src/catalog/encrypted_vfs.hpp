// SPDX-License-Identifier: Apache-2.0
// An SQLite VFS shim that encrypts every file SQLite opens through it, the
// way full-disk encryption does: below SQLite, byte for byte, with no change
// to SQLite's own file formats. It wraps the default VFS; a connection uses
// it by passing the returned name as the zVfs argument of sqlite3_open_v2.
//
// On-disk format ("cloudfilm sqlite v1"; changing any of it makes existing
// databases unreadable):
//
//   kind_key = HMAC-SHA256(key, "cloudfilm sqlite v1" 0x00 label 0x00 kind)
//   kind     = "main-db" | "main-journal" | "wal" | "super-journal" | "other"
//              (numbered 1..5 in that order)
//   byte o of the file = plaintext byte o XOR byte (o mod 16) of
//              AES-256(kind_key, BE64(kind number) || BE64(o / 16))
//
// i.e. AES-256-CTR with the keystream position equal to the byte offset, so
// that any read or write of any offset and length works (SQLite writes the
// database in pages, the WAL as a 32-byte header then 24-byte frame headers
// and pages, rollback journals as headers and records) and file sizes are
// unchanged. Keys depend on the label and the kind of file, never on its
// name, so a database moved or renamed with its -wal/-journal still opens.
// Files that cannot outlive their connection (temporary databases, statement
// and sorter journals, ephemeral tables: files opened without a name or
// delete-on-close) are encrypted under a random key held only in memory.
// The -shm wal-index is not a file SQLite opens through xOpen: it is shared
// memory (xShmMap) and stays in clear (see encrypted_vfs.cpp for what it
// holds). Memory-mapped I/O is off for encrypted files (SQLite would read
// ciphertext from the map); `PRAGMA mmap_size` is accepted and reports 0.
//
// Threat model. Like dm-crypt, this protects data at rest against a reader
// of one copy of the files: a stolen disk or a backup. It does not protect:
// - against someone who sees two versions of a file (two backups, or blocks
//   a filesystem or SSD left behind): the keystream depends only on the
//   position, so they learn which bytes changed and the XOR of old and new
//   plaintext there;
// - integrity: ciphertext is malleable (flipping a bit flips the same
//   plaintext bit) and nothing detects it beyond SQLite's own checks;
// - against a process that holds the key (a running server), or the
//   plaintext in memory, in SQLite's page cache, or in the -shm file.
// This is acceptable here because the databases are indexes: the objects
// themselves are sealed with AES-256-GCM and named by SHA-256, and fsck
// cross-checks the catalog against them, so a tampered row is caught where
// it matters. Authenticated pages (AES-GCM per page, tag and nonce kept in
// the page's reserved bytes, as SQLCipher does) would close both gaps and
// need a file-format change: future work.
//
// Use one label per database (say "catalog", "access", "audit"): two
// databases under the same label and key share keystreams, which leaks the
// XOR of their contents to anyone holding both files. An ATTACHed database
// shares the label of the connection's VFS.
//
// Opening a database whose first 16 bytes do not decrypt to SQLite's magic
// string fails with SQLITE_NOTADB in sqlite3_open_v2 itself, before SQLite
// reads a hot journal or WAL: that is a wrong key or label, or a plaintext
// database. Were the open to go on, SQLite would read a journal or WAL left
// by a crash as garbage, take it for empty, and delete it when closing.
//
// WARNING: SQLite without this VFS (the sqlite3 tool, Python's sqlite3, a
// build with encryption off) does exactly that. On an encrypted database it
// answers "file is not a database"; and if no other connection has the
// database open after a crash, closing it deletes the -wal (every commit
// since the last checkpoint is lost) or the hot -journal (an interrupted
// transaction stays half-written). Open encrypted databases only through
// this VFS; a plain tool is harmless only while a server has them open or
// after a clean shutdown. File names are SQLite's own (-wal, -journal, -shm).
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include <filesystem>
#include <string>

#include "core/error.hpp"

namespace cf::catalog {

inline constexpr size_t kEncryptedVfsKeyBytes = 32;

// Registers (with SQLite, process-wide, not as the default) an encrypting
// VFS named "cfenc-<label>" over the default VFS, and returns that name.
// Thread-safe. Idempotent: registering a label again with the same key
// returns the same name. The VFS stays registered until the process ends.
// The key is copied into derived keys kept in memory; it is never logged.
//
// Errors: kInvalidArgument for a label that is empty, longer than 64
// characters or not made of [A-Za-z0-9._-]; kConflict when the label is
// already registered with another key (or another VFS of that name exists);
// kInternal when OpenSSL or SQLite fails.
Result<std::string> RegisterEncryptedVfs(std::span<const std::byte, kEncryptedVfsKeyBytes> key,
                                         std::string_view label);

// Turns a plaintext SQLite database at `path` (a folder from before
// encryption was on) into one encrypted through `vfs`, in place: its WAL is
// checkpointed, a copy is made through the VFS with SQLite's backup API,
// fsynced and renamed over the original. Returns true when it converted,
// false when there was nothing to do (no file, or already encrypted).
// REQUIRES: no other process has the database open.
Result<bool> EncryptPlainDatabase(const std::filesystem::path& path, const std::string& vfs);

}  // namespace cf::catalog
