// SPDX-License-Identifier: Apache-2.0
#include "access/dicom_nodes.hpp"

#include <algorithm>
#include <mutex>

#include "catalog/sqlite_db.hpp"
#include "core/tenant.hpp"
#include "dicom/ae_title.hpp"

namespace cf::access {
namespace {

using catalog::sqlite::Collect;
using catalog::sqlite::Connection;
using catalog::sqlite::First;
using catalog::sqlite::Statement;

constexpr size_t kMaxDescription = 200;

// Never edit a migration that has shipped: add a new one.
constexpr const char* kMigrations[] = {
    R"sql(
CREATE TABLE dicom_nodes (
  ae_title    TEXT PRIMARY KEY NOT NULL,
  tenant      TEXT NOT NULL,
  host        TEXT NOT NULL,
  port        INTEGER NOT NULL,
  description TEXT NOT NULL,
  changed_by  TEXT NOT NULL,
  changed_ms  INTEGER NOT NULL
);
CREATE INDEX dicom_nodes_by_tenant ON dicom_nodes (tenant, ae_title);
)sql",
};

constexpr const char* kColumns =
    "ae_title, tenant, host, port, description, changed_by, changed_ms";

DicomNode ReadNode(const Statement& s) {
  DicomNode n;
  n.ae_title = s.Text(0);
  n.tenant = s.Text(1);
  n.host = s.Text(2);
  n.port = static_cast<uint16_t>(s.Int(3));
  n.description = s.Text(4);
  n.changed_by = s.Text(5);
  n.changed_ms = s.Int(6);
  return n;
}

Result<void> Check(const DicomNode& n, const std::set<std::string>& reserved) {
  if (!IsValidAeTitle(n.ae_title)) {
    return Fail(ErrorCode::kInvalidArgument,
                "an AE title is 1 to 16 printable ASCII characters without '\\' and without "
                "leading or trailing spaces");
  }
  if (reserved.contains(n.ae_title)) {
    return Fail(ErrorCode::kConflict, "AE title " + n.ae_title +
                                          " is set in the configuration file, which wins: "
                                          "change it there");
  }
  if (!IsValidTenantCode(n.tenant)) {
    return Fail(ErrorCode::kInvalidArgument, "a tenant code is [a-z][a-z0-9-]{0,31}");
  }
  if (n.host.empty() != (n.port == 0)) {
    return Fail(ErrorCode::kInvalidArgument,
                "an address needs both a host and a port from 1 to 65535 (or neither)");
  }
  if (!n.host.empty() && !IsValidDicomHost(n.host)) {
    return Fail(ErrorCode::kInvalidArgument,
                "host must be an IPv4 address or a host name (letters, digits, '-' and '.')");
  }
  if (n.description.size() > kMaxDescription) {
    return Fail(ErrorCode::kInvalidArgument, "description is longer than 200 bytes");
  }
  if (std::ranges::any_of(n.description,
                          [](char c) { return static_cast<unsigned char>(c) < 0x20; })) {
    return Fail(ErrorCode::kInvalidArgument, "description must not hold control characters");
  }
  return {};
}

}  // namespace

bool IsValidAeTitle(std::string_view ae) {
  // Stricter than the DICOM rule: a registry key never has the padding
  // spaces DICOM ignores, so that "CT1" and "CT1 " are not two nodes.
  return dicom::IsValidAeTitle(ae) && ae.front() != ' ' && ae.back() != ' ';
}

bool IsValidDicomHost(std::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  size_t start = 0;
  while (start <= host.size()) {
    const size_t dot = std::min(host.find('.', start), host.size());
    const std::string_view label = host.substr(start, dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return false;
    }
    const bool ok = std::ranges::all_of(label, [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
    });
    if (!ok) return false;
    start = dot + 1;
  }
  return true;
}

struct DicomNodeRegistry::Impl {
  std::mutex mutex;
  Connection db;
  DicomNodeOptions options;
  std::vector<std::function<void(const std::vector<DicomNode>&)>> listeners;

  Result<std::vector<DicomNode>> ListLocked(std::optional<std::string_view> tenant) {
    auto s =
        tenant
            ? db.Prepare(std::string("SELECT ") + kColumns +
                         " FROM dicom_nodes WHERE tenant = ?1 ORDER BY ae_title")
            : db.Prepare(std::string("SELECT ") + kColumns + " FROM dicom_nodes ORDER BY ae_title");
    if (!s) return std::unexpected(s.error());
    if (tenant) (*s)->Bind(1, *tenant);
    return Collect<DicomNode>(**s, ReadNode);
  }

  Result<std::optional<DicomNode>> GetLocked(std::string_view ae) {
    auto s =
        db.Prepare(std::string("SELECT ") + kColumns + " FROM dicom_nodes WHERE ae_title = ?1");
    if (!s) return std::unexpected(s.error());
    (*s)->Bind(1, ae);
    return First<DicomNode>(**s, ReadNode);
  }

  void Notify() {
    if (listeners.empty()) return;
    auto all = ListLocked(std::nullopt);
    // The change is durable; a listener that cannot be told now is told at
    // the next change. Reading back a database just written does not fail
    // short of a broken disk, which the next write reports.
    if (!all) return;
    for (const auto& listener : listeners) listener(*all);
  }
};

DicomNodeRegistry::DicomNodeRegistry(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
DicomNodeRegistry::~DicomNodeRegistry() = default;

Result<std::unique_ptr<DicomNodeRegistry>> DicomNodeRegistry::Open(
    const std::filesystem::path& path, DicomNodeOptions options) {
  auto db = catalog::sqlite::OpenDurable(path.string(), options.vfs, kMigrations, "dicom nodes");
  if (!db) return std::unexpected(db.error());
  auto impl = std::make_unique<Impl>();
  impl->db = std::move(*db);
  impl->options = std::move(options);
  return std::unique_ptr<DicomNodeRegistry>(new DicomNodeRegistry(std::move(impl)));
}

Result<std::vector<DicomNode>> DicomNodeRegistry::List(std::optional<std::string_view> tenant) {
  std::lock_guard lock(impl_->mutex);
  return impl_->ListLocked(tenant);
}

Result<std::optional<DicomNode>> DicomNodeRegistry::Get(std::string_view ae_title) {
  std::lock_guard lock(impl_->mutex);
  return impl_->GetLocked(ae_title);
}

Result<DicomNodeRegistry::Saved> DicomNodeRegistry::Put(DicomNode node, std::string_view by,
                                                        int64_t now_ms,
                                                        std::optional<std::string_view> within) {
  if (auto ok = Check(node, impl_->options.reserved); !ok) return std::unexpected(ok.error());
  node.changed_by = std::string(by);
  node.changed_ms = now_ms;
  std::lock_guard lock(impl_->mutex);
  auto existing = impl_->GetLocked(node.ae_title);
  if (!existing) return std::unexpected(existing.error());
  if (*existing && within && (*existing)->tenant != *within) {
    return Fail(ErrorCode::kConflict,
                "AE title " + node.ae_title + " is a node of another hospital");
  }
  auto s = impl_->db.Prepare(
      "INSERT INTO dicom_nodes (ae_title, tenant, host, port, description, changed_by, "
      "changed_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
      "ON CONFLICT (ae_title) DO UPDATE SET tenant = excluded.tenant, host = excluded.host, "
      "port = excluded.port, description = excluded.description, "
      "changed_by = excluded.changed_by, changed_ms = excluded.changed_ms");
  if (!s) return std::unexpected(s.error());
  (*s)->Bind(1, node.ae_title).Bind(2, node.tenant).Bind(3, node.host);
  (*s)->Bind(4, int64_t{node.port}).Bind(5, node.description).Bind(6, node.changed_by);
  (*s)->Bind(7, node.changed_ms);
  if (auto done = (*s)->Run(); !done) return std::unexpected(done.error());
  Saved saved{node, !existing->has_value(), std::move(*existing)};
  impl_->Notify();
  return saved;
}

Result<DicomNode> DicomNodeRegistry::Remove(std::string_view ae_title,
                                            std::optional<std::string_view> within) {
  std::lock_guard lock(impl_->mutex);
  auto existing = impl_->GetLocked(ae_title);
  if (!existing) return std::unexpected(existing.error());
  if (!*existing || (within && (*existing)->tenant != *within)) {
    return Fail(ErrorCode::kNotFound, "no such DICOM node");
  }
  auto s = impl_->db.Prepare("DELETE FROM dicom_nodes WHERE ae_title = ?1");
  if (!s) return std::unexpected(s.error());
  (*s)->Bind(1, ae_title);
  if (auto done = (*s)->Run(); !done) return std::unexpected(done.error());
  impl_->Notify();
  return std::move(**existing);
}

void DicomNodeRegistry::OnChange(std::function<void(const std::vector<DicomNode>&)> listener) {
  std::lock_guard lock(impl_->mutex);
  impl_->listeners.push_back(std::move(listener));
}

}  // namespace cf::access
