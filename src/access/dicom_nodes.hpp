// SPDX-License-Identifier: Apache-2.0
// The DICOM nodes that hospital admins register from the admin console
// instead of the configuration file: a modality, workstation or PACS by its
// AE title, the hospital (tenant) it belongs to, and optionally the address
// where it listens (then it is also a C-MOVE destination and where Storage
// Commitment results go). An AE title is an identity, like an account: what
// a node stores is filed under its hospital. Kept in DATA/dicom_nodes.sqlite,
// encrypted below SQLite like the other databases.
//
// The configuration file's AE titles stay and win: they are `reserved`
// here, and a registry entry may not take one. Thread-safe; calls block.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace cf::access {

struct DicomNode {
  std::string ae_title;  // 1-16 characters (DICOM AE), unique across the node
  std::string tenant;    // the hospital
  std::string host;      // empty: no address (the node only calls us)
  uint16_t port = 0;     // with `host`
  std::string description = {};
  std::string changed_by = {};  // the account of the last change ("alice", "token:...")
  int64_t changed_ms = 0;       // Unix ms of the last change
};

// DICOM PS3.5 AE: 1 to 16 characters of printable ASCII but '\', not only
// spaces; we also refuse leading and trailing spaces (DICOM ignores them, so
// "CT1 " would be a second name for "CT1").
bool IsValidAeTitle(std::string_view ae);
// A host name (RFC 1123 labels) or an IPv4 literal, at most 253 characters.
bool IsValidDicomHost(std::string_view host);

struct DicomNodeOptions {
  std::string vfs = {};  // SQLite VFS that encrypts the file; empty = plain
  // AE titles the configuration file uses (its tenants' AE titles, its
  // destinations, this server's own AE title): kConflict for a node.
  std::set<std::string> reserved = {};
};

class DicomNodeRegistry {
 public:
  // Opens (creating) the database at `path`.
  static Result<std::unique_ptr<DicomNodeRegistry>> Open(const std::filesystem::path& path,
                                                         DicomNodeOptions options);
  ~DicomNodeRegistry();
  DicomNodeRegistry(const DicomNodeRegistry&) = delete;
  DicomNodeRegistry& operator=(const DicomNodeRegistry&) = delete;

  // Every node, by AE title; only those of `tenant` when set.
  Result<std::vector<DicomNode>> List(std::optional<std::string_view> tenant = std::nullopt);
  // nullopt: no such node.
  Result<std::optional<DicomNode>> Get(std::string_view ae_title);

  struct Saved {
    DicomNode node;
    bool created = false;          // false: an existing node was updated
    std::optional<DicomNode> was;  // the node before an update
  };
  // Creates the node or replaces the one with its AE title, stamped with
  // `by` and `now_ms`. `within`, when set, is the only hospital whose node
  // may be replaced (a hospital admin's). Errors: kInvalidArgument (bad AE
  // title, tenant code, host, port, or a description over 200 characters),
  // kConflict (a reserved AE title, or one of another hospital's nodes when
  // `within` is set).
  Result<Saved> Put(DicomNode node, std::string_view by, int64_t now_ms,
                    std::optional<std::string_view> within = std::nullopt);
  // Removes the node and returns it. kNotFound when there is none (or it is
  // another hospital's, with `within` set).
  Result<DicomNode> Remove(std::string_view ae_title,
                           std::optional<std::string_view> within = std::nullopt);

  // `listener(nodes)` runs after every successful change, with every node,
  // under the registry's lock (so that listeners see changes in order).
  // Call before the registry is shared between threads.
  void OnChange(std::function<void(const std::vector<DicomNode>&)> listener);

 private:
  struct Impl;
  explicit DicomNodeRegistry(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace cf::access
