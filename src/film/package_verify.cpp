// SPDX-License-Identifier: Apache-2.0
#include "film/package_verify.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <nlohmann/json.hpp>

#include <expected>
#include <future>
#include <map>
#include <optional>
#include <set>

#include "crypto/sha256.hpp"
#include "dicom/dicomdir.hpp"
#include "film/film_issuer.hpp"
#include "film/package_layout.hpp"
#include "ledger/merkle.hpp"
#include "ledger/timestamp.hpp"
#include "ledger/tree_head.hpp"

namespace cf::film {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Members up to this size, other than DICOM files and PDFs, are kept in
// memory to be parsed; larger ones are only hashed (and fail as unreadable
// where their content is needed).
constexpr uint64_t kMaxKeptMember = 64ull << 20;

struct Member {
  std::string sha256;
  uint64_t size = 0;
  Bytes bytes;
  bool kept = false;
  bool damaged = false;
};

struct ArchiveReader {
  struct archive* a = archive_read_new();
  ~ArchiveReader() { archive_read_free(a); }

  std::string ErrorText() const {
    const char* text = archive_error_string(a);
    return text != nullptr ? text : "unknown error";
  }
  // The name of the next member that is not a folder, whose data the
  // caller reads next; nullopt at the end; libarchive's reason when the
  // headers cannot be read further.
  std::expected<std::optional<std::string>, std::string> Next() {
    struct archive_entry* entry = nullptr;
    for (;;) {
      const int rc = archive_read_next_header(a, &entry);
      if (rc == ARCHIVE_EOF) return std::nullopt;
      if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) return std::unexpected(ErrorText());
      if (archive_entry_filetype(entry) == AE_IFDIR) continue;
      const char* name = archive_entry_pathname(entry);
      return std::string(name != nullptr ? name : "");
    }
  }
};

// The central directory (what Checker::Read follows, as unzip and most
// tools do) names the members; the local headers before it say the same
// again. A ZIP can make them disagree: an entry the central directory does
// not list, a second entry of one name, another name for an entry's bytes.
// Readers that stream a ZIP from its start (Java's ZipInputStream, bsdtar
// reading a pipe, streaming unzip libraries) follow the local headers and
// keep the last entry of a name, so a forged object added after the signed
// one would verify and be what such a workstation shows. Both views must
// hold the same members with the same bytes.
struct LocalEntries {
  std::vector<std::pair<std::string, std::string>> entries;  // name, SHA-256, in file order
  std::string error;  // why the stream stopped before the central directory
};

// Reads the local entries with libarchive's streaming ZIP reader. Apart
// from Checker::Read (it inflates every member again), so that the two
// run at once.
LocalEntries ReadLocalEntries(const fs::path& zip) {
  LocalEntries out;
  ArchiveReader r;
  archive_read_support_format_zip_streamable(r.a);
  if (archive_read_open_filename(r.a, zip.c_str(), 1 << 16) != ARCHIVE_OK) {
    out.error = "the ZIP cannot be read from its start: " + r.ErrorText();
    return out;
  }
  std::vector<char> buf(1 << 16);
  for (;;) {
    auto next = r.Next();
    if (!next) {
      out.error = "the ZIP's local headers cannot be read past " +
                  std::to_string(out.entries.size()) + " members (" + next.error() +
                  "): a reader that streams the ZIP would not see what unzip sees";
      break;
    }
    if (!*next) break;
    std::string name = std::move(**next);
    crypto::Sha256Hasher hasher;
    la_ssize_t n = 0;
    while ((n = archive_read_data(r.a, buf.data(), buf.size())) > 0) {
      hasher.Update(
          ByteView(reinterpret_cast<const std::byte*>(buf.data()), static_cast<size_t>(n)));
    }
    if (n < 0) {
      out.error = name + ": cannot be read from its local entry (" + r.ErrorText() + ")";
      break;
    }
    out.entries.emplace_back(std::move(name), crypto::ToHex(hasher.Finish()));
  }
  return out;
}

bool ShouldKeep(std::string_view name) {
  return !name.starts_with(kDicomFolder) && !name.ends_with(".pdf");
}

class Checker {
 public:
  Checker(std::span<const crypto::VerifyingKey> trusted, fs::path tsa_ca)
      : trusted_(trusted), tsa_ca_(std::move(tsa_ca)) {}

  Result<void> Read(const fs::path& zip);
  // After Read: fails a ZIP that a reader streaming it from its first
  // byte would unpack differently.
  void CompareWithStream(const LocalEntries& streamed);
  PackageCheck Check();

 private:
  void Failure(std::string text) { check_.failures.push_back(std::move(text)); }
  // The member's bytes when it is there, readable and kept; a failure
  // naming it otherwise.
  const Member* Need(std::string_view name);
  bool IsTrusted(const crypto::VerifyingKey& key) const {
    for (const auto& t : trusted_) {
      if (t.key_id() == key.key_id()) return true;
    }
    return false;
  }
  void CheckContents(const crypto::VerifyingKey* key, const std::string& manifest_sha256);
  void CheckObjects(const PackageLayout& layout);
  void CheckReports(const PackageLayout& layout);
  void CheckDicomdir(const PackageLayout& layout);
  void CheckLog(const PackageLayout& layout, const std::string& manifest_sha256);

  void CheckTimestamp(const ledger::SignedTreeHead& head);

  std::span<const crypto::VerifyingKey> trusted_;
  fs::path tsa_ca_;
  std::map<std::string, Member, std::less<>> members_;
  PackageCheck check_;
};

Result<void> Checker::Read(const fs::path& zip) {
  ArchiveReader r;
  // The seekable reader follows the central directory: the members `unzip`
  // and workstations see, whatever the local headers claim.
  archive_read_support_format_zip_seekable(r.a);
  if (archive_read_open_filename(r.a, zip.c_str(), 1 << 16) != ARCHIVE_OK) {
    return Fail(ErrorCode::kInvalidArgument, "cannot read the package as a ZIP: " + r.ErrorText());
  }
  std::vector<char> buf(1 << 16);
  for (;;) {
    auto next = r.Next();
    if (!next) {
      if (members_.empty()) {
        return Fail(ErrorCode::kInvalidArgument,
                    "cannot read the package as a ZIP: " + next.error());
      }
      Failure("the ZIP is damaged past its readable members: " + next.error());
      break;
    }
    if (!*next) break;
    const std::string name = std::move(**next);
    if (members_.contains(name)) {
      Failure(name + ": the ZIP holds this member twice");
      continue;
    }
    Member m;
    m.kept = ShouldKeep(name);
    crypto::Sha256Hasher hasher;
    for (;;) {
      const la_ssize_t n = archive_read_data(r.a, buf.data(), buf.size());
      if (n == 0) break;
      if (n < 0) {
        Failure(name + ": cannot be read from the ZIP (damaged: " + r.ErrorText() + ")");
        m.damaged = true;
        break;
      }
      const ByteView piece(reinterpret_cast<const std::byte*>(buf.data()), static_cast<size_t>(n));
      hasher.Update(piece);
      m.size += static_cast<uint64_t>(n);
      if (m.kept && m.size <= kMaxKeptMember) {
        m.bytes.insert(m.bytes.end(), piece.begin(), piece.end());
      } else {
        m.kept = false;
        m.bytes.clear();
      }
    }
    m.sha256 = crypto::ToHex(hasher.Finish());
    members_.emplace(name, std::move(m));
  }
  return {};
}

void Checker::CompareWithStream(const LocalEntries& streamed) {
  if (!check_.failures.empty()) return;  // a damaged ZIP, named already
  std::set<std::string, std::less<>> seen;
  for (const auto& [name, sha256] : streamed.entries) {
    if (!seen.insert(name).second) {
      Failure(name +
              ": the ZIP's local headers hold this member twice (a reader that streams "
              "the ZIP keeps the second; unzip, the first)");
      continue;
    }
    auto it = members_.find(name);
    if (it == members_.end()) {
      Failure(name + ": a local entry that the ZIP's central directory does not list (hidden " +
              "from unzip, unpacked by a reader that streams the ZIP)");
    } else if (it->second.sha256 != sha256) {
      Failure(name + ": its local entry holds other bytes than the central directory's (SHA-256 " +
              sha256 + ", " + it->second.sha256 + ")");
    }
  }
  if (!streamed.error.empty()) {
    Failure(streamed.error);
    return;  // the members after it were not seen
  }
  for (const auto& [name, m] : members_) {
    if (!seen.contains(name)) {
      Failure(name + ": listed in the ZIP's central directory but not among its local " +
              "entries (a reader that streams the ZIP would not see it)");
    }
  }
}

const Member* Checker::Need(std::string_view name) {
  auto it = members_.find(name);
  if (it == members_.end()) {
    Failure(std::string(name) + ": missing from the package");
    return nullptr;
  }
  if (it->second.damaged) return nullptr;  // already reported
  if (!it->second.kept) {
    Failure(std::string(name) + ": too large to be what it should be");
    return nullptr;
  }
  return &it->second;
}

void Checker::CheckContents(const crypto::VerifyingKey* key, const std::string& manifest_sha256) {
  const Member* contents = Need(kContentsMember);
  const Member* sig = Need(kContentsSigMember);
  if (contents == nullptr) return;
  if (key != nullptr && sig != nullptr && !key->Verify(contents->bytes, sig->bytes)) {
    Failure(std::string(kContentsSigMember) + ": the signature of " + std::string(kContentsMember) +
            " does not verify with " + std::string(kSigningKeyMember));
  }
  const json c = json::parse(AsChars(contents->bytes), nullptr, false);
  if (c.is_discarded() || !c.is_object() || !c.contains("members") || !c["members"].is_array()) {
    Failure(std::string(kContentsMember) +
            ": unreadable (not a cloudfilm-package-contents/1 list)");
    return;
  }
  if (c.value("film_id", "") != check_.film_id) {
    Failure(std::string(kContentsMember) + ": lists the members of film " +
            c.value("film_id", "?") + ", not of " + check_.film_id);
  }
  if (!manifest_sha256.empty() && c.value("manifest_sha256", "") != manifest_sha256) {
    Failure(std::string(kContentsMember) + ": names manifest SHA-256 " +
            c.value("manifest_sha256", "?") + ", " + std::string(kManifestMember) + " has " +
            manifest_sha256);
  }
  std::set<std::string, std::less<>> listed;
  for (const json& m : c["members"]) {
    if (!m.is_object() || !m.contains("path") || !m["path"].is_string()) continue;
    const std::string path = m["path"].get<std::string>();
    const std::string expected = m.value("sha256", "");
    listed.insert(path);
    auto it = members_.find(path);
    if (it == members_.end()) {
      Failure(path + ": missing from the package (listed in " + std::string(kContentsMember) + ")");
      continue;
    }
    if (it->second.damaged) continue;
    if (it->second.sha256 != expected) {
      Failure(path + ": SHA-256 expected " + expected + " (" + std::string(kContentsMember) +
              "), actual " + it->second.sha256);
    }
  }
  for (const auto& [name, m] : members_) {
    if (name == kContentsMember || name == kContentsSigMember) continue;
    if (!listed.contains(name)) {
      Failure(name + ": not listed in " + std::string(kContentsMember) +
              " (added to the package after it was made)");
    }
  }
}

void Checker::CheckObjects(const PackageLayout& layout) {
  std::set<std::string, std::less<>> expected;
  for (const auto& o : layout.objects) {
    expected.insert(o.member);
    auto it = members_.find(o.member);
    if (it == members_.end()) {
      Failure(o.member + ": missing from the package (object " + o.sop_uid + " of the manifest)");
      continue;
    }
    if (it->second.damaged) continue;
    if (it->second.sha256 != o.sha256) {
      Failure(o.member + ": SHA-256 expected " + o.sha256 + " (manifest, object " + o.sop_uid +
              "), actual " + it->second.sha256);
    }
  }
  for (const auto& [name, m] : members_) {
    if (name.starts_with(kDicomFolder) && !expected.contains(name)) {
      Failure(name + ": a DICOM file that the manifest does not list");
    }
  }
  check_.objects = layout.objects.size();
}

void Checker::CheckReports(const PackageLayout& layout) {
  std::set<std::string, std::less<>> expected;
  for (const auto& r : layout.reports) {
    expected.insert(r.json_member);
    const std::string which = "report " + r.report_id + " version " + std::to_string(r.version);
    const Member* content = Need(r.json_member);
    if (content == nullptr) continue;
    if (content->sha256 != r.sha256) {
      Failure(r.json_member + ": SHA-256 expected " + r.sha256 + " (manifest, " + which +
              "), actual " + content->sha256);
      continue;  // its PDF hash is not to be trusted either
    }
    const json c = json::parse(AsChars(content->bytes), nullptr, false);
    const std::string pdf_sha256 =
        c.is_object() && c.contains("pdf_sha256") && c["pdf_sha256"].is_string()
            ? c["pdf_sha256"].get<std::string>()
            : std::string();
    if (pdf_sha256.empty()) {
      // A text report: the platform may have printed it. contents.json
      // covers that PDF; the hospital's signature covers only the text.
      if (members_.contains(r.rendered_member)) {
        expected.insert(r.rendered_member);
        check_.notes.push_back(r.rendered_member + " was printed by the platform from " +
                               r.json_member + ", which is what the hospital signed");
      }
      continue;
    }
    expected.insert(r.pdf_member);
    auto it = members_.find(r.pdf_member);
    if (it == members_.end()) {
      Failure(r.pdf_member + ": missing from the package (the PDF of " + which + ")");
    } else if (!it->second.damaged && it->second.sha256 != pdf_sha256) {
      Failure(r.pdf_member + ": SHA-256 expected " + pdf_sha256 + " (" + r.json_member +
              "), actual " + it->second.sha256);
    }
  }
  for (const auto& [name, m] : members_) {
    if (name.starts_with(kReportsFolder) && !expected.contains(name)) {
      Failure(name + ": a report file that the manifest does not cover");
    }
  }
  check_.report_versions = layout.reports.size();
}

void Checker::CheckDicomdir(const PackageLayout& layout) {
  const Member* dicomdir = Need(kDicomdirMember);
  if (dicomdir == nullptr) return;
  auto ids = dicom::ReadDicomdirFileIds(ByteView(dicomdir->bytes));
  if (!ids) {
    Failure(std::string(kDicomdirMember) + ": unreadable: " + ids.error().message);
    return;
  }
  std::set<std::string, std::less<>> objects;
  for (const auto& o : layout.objects) objects.insert(o.member);
  for (const auto& id : *ids) {
    if (!objects.contains(id) || !members_.contains(id)) {
      Failure(std::string(kDicomdirMember) + ": references " + id +
              ", which is not a DICOM file of the package");
    }
  }
}

void Checker::CheckLog(const PackageLayout& layout, const std::string& manifest_sha256) {
  const Member* entry = Need(kLogEntryMember);
  const Member* proof_member = Need(kInclusionProofMember);
  const Member* head_member = Need(kTreeHeadMember);
  const Member* key_member = Need(kLogKeyMember);
  if (entry != nullptr) {
    Film film;
    film.id = layout.film_id;
    film.tenant = layout.tenant;
    film.manifest_sha256 = manifest_sha256;
    film.key_id = layout.key_id;
    film.issued_at_ms = layout.issued_at_ms;
    film.supersedes = layout.supersedes;
    const std::string expected = IssuanceEntry(film);
    if (AsChars(entry->bytes) != expected) {
      Failure(std::string(kLogEntryMember) + ": is not the issuance entry of this manifest " +
              "(SHA-256 expected " + crypto::ToHex(crypto::Sha256(AsBytes(expected))) +
              ", actual " + entry->sha256 + ")");
    }
  }
  std::optional<ledger::SignedTreeHead> head;
  if (head_member != nullptr) {
    auto parsed = ledger::SignedTreeHeadFromJson(AsChars(head_member->bytes));
    if (!parsed) {
      Failure(std::string(kTreeHeadMember) + ": unreadable: " + parsed.error().message);
    } else {
      head = *parsed;
      check_.tree_size = head->head.tree_size;
      check_.tree_head_ms = head->head.timestamp_ms;
    }
  }
  if (key_member != nullptr && head) {
    auto key = crypto::VerifyingKey::FromPem(AsChars(key_member->bytes));
    if (!key) {
      Failure(std::string(kLogKeyMember) + ": not a public key: " + key.error().message);
    } else {
      check_.log_key_id = key->key_id();
      check_.log_key_trusted = IsTrusted(*key);
      if (auto v = ledger::VerifyTreeHead(*head, *key); !v) {
        Failure(std::string(kTreeHeadMember) + ": its signature does not verify with " +
                std::string(kLogKeyMember) + ": " + v.error().message);
      }
      if (!check_.log_key_trusted) {
        check_.notes.push_back(std::string(kLogKeyMember) + " (key " + key->key_id() +
                               ") is the package's own word: compare it with the log key the "
                               "platform publishes, or pass that key with --trust-key");
      }
    }
  }
  if (head) CheckTimestamp(*head);
  if (proof_member == nullptr || entry == nullptr || !head) return;
  const json p = json::parse(AsChars(proof_member->bytes), nullptr, false);
  std::vector<ledger::Hash> path;
  bool ok = p.is_object() && p.contains("leaf_index") && p["leaf_index"].is_number_unsigned() &&
            p.contains("tree_size") && p["tree_size"].is_number_unsigned() &&
            p.contains("inclusion_path") && p["inclusion_path"].is_array();
  if (ok) {
    for (const json& h : p["inclusion_path"]) {
      auto hash = h.is_string() ? crypto::Sha256FromHex(h.get<std::string>()) : std::nullopt;
      if (!hash) {
        ok = false;
        break;
      }
      path.push_back(*hash);
    }
  }
  if (!ok) {
    Failure(std::string(kInclusionProofMember) +
            ": unreadable (needs leaf_index, tree_size and inclusion_path of hex hashes)");
    return;
  }
  const uint64_t index = p["leaf_index"].get<uint64_t>();
  const uint64_t size = p["tree_size"].get<uint64_t>();
  check_.ledger_index = index;
  const ledger::Hash leaf = ledger::LeafHash(entry->bytes);
  if (p.value("leaf_hash", "") != crypto::ToHex(leaf)) {
    Failure(std::string(kInclusionProofMember) + ": leaf_hash " + p.value("leaf_hash", "?") +
            " is not the leaf hash of " + std::string(kLogEntryMember) + " (" +
            crypto::ToHex(leaf) + ")");
  }
  if (size != head->head.tree_size) {
    Failure(std::string(kInclusionProofMember) + ": proves inclusion in a tree of " +
            std::to_string(size) + " entries, " + std::string(kTreeHeadMember) + " signs one of " +
            std::to_string(head->head.tree_size));
    return;
  }
  auto root = ledger::RootFromInclusionProof(index, size, leaf, path);
  if (!root) {
    Failure(std::string(kInclusionProofMember) + ": " + root.error().message);
  } else if (*root != head->head.root_hash) {
    Failure(std::string(kInclusionProofMember) + ": the path from " + std::string(kLogEntryMember) +
            " at index " + std::to_string(index) + " leads to root " + crypto::ToHex(*root) + ", " +
            std::string(kTreeHeadMember) + " signs root " + crypto::ToHex(head->head.root_hash));
  }
}

void Checker::CheckTimestamp(const ledger::SignedTreeHead& head) {
  auto it = members_.find(kTimestampMember);
  if (it == members_.end() || it->second.damaged) return;  // optional; damage already named
  auto time =
      ledger::VerifyTimestampToken(it->second.bytes, ledger::TimestampImprint(head.head), tsa_ca_);
  if (!time) {
    Failure(std::string(kTimestampMember) + ": not a time-stamp of " +
            std::string(kTreeHeadMember) + ": " + time.error().message);
    return;
  }
  check_.timestamp_ms = *time;
  check_.timestamp_ca_checked = !tsa_ca_.empty();
  if (!check_.timestamp_ca_checked) {
    check_.notes.push_back(std::string(kTimestampMember) +
                           " stamps the tree head, but the TSA's signature was not checked: "
                           "pass the TSA's CA certificate with --tsa-ca");
  }
}

PackageCheck Checker::Check() {
  const Member* manifest = Need(kManifestMember);
  const Member* sig = Need(kManifestSigMember);
  const Member* key_member = Need(kSigningKeyMember);
  std::optional<PackageLayout> layout;
  if (manifest != nullptr) {
    auto parsed = LayoutOf(AsChars(manifest->bytes));
    if (!parsed) {
      Failure(parsed.error().message);
    } else {
      layout = std::move(*parsed);
      check_.film_id = layout->film_id;
      check_.hospital = layout->tenant;
      check_.issued_at_ms = layout->issued_at_ms;
      check_.supersedes = layout->supersedes;
      check_.signature_suite = layout->suite;
    }
  }
  std::optional<crypto::VerifyingKey> key;
  if (key_member != nullptr) {
    auto parsed = crypto::VerifyingKey::FromPem(AsChars(key_member->bytes));
    if (!parsed) {
      Failure(std::string(kSigningKeyMember) + ": not a public key: " + parsed.error().message);
    } else {
      key = *parsed;
      check_.signing_key_id = key->key_id();
      check_.signing_key_trusted = IsTrusted(*key);
    }
  }
  if (key && layout && key->key_id() != layout->key_id) {
    Failure(std::string(kSigningKeyMember) + ": key id " + key->key_id() + ", but " +
            std::string(kManifestMember) + " names signing key " + layout->key_id);
  }
  if (key && manifest != nullptr && sig != nullptr && !key->Verify(manifest->bytes, sig->bytes)) {
    Failure(std::string(kManifestSigMember) + ": the signature of " + std::string(kManifestMember) +
            " does not verify with " + std::string(kSigningKeyMember) + " (key " + key->key_id() +
            ")");
  }
  if (key && !trusted_.empty() && !check_.signing_key_trusted) {
    Failure(std::string(kSigningKeyMember) + ": key " + key->key_id() +
            " is not one of the trusted keys (--trust-key)");
  }
  if (key && trusted_.empty()) {
    check_.notes.push_back(std::string(kSigningKeyMember) + " (key " + key->key_id() +
                           ") is the package's own word: compare it with the key the hospital "
                           "publishes, or pass that key with --trust-key");
  }
  // What the signed manifest says first, then the members it does not cover.
  if (layout) {
    CheckObjects(*layout);
    CheckReports(*layout);
    CheckDicomdir(*layout);
    CheckLog(*layout, manifest->sha256);
  }
  CheckContents(key ? &*key : nullptr, manifest != nullptr ? manifest->sha256 : std::string());
  return std::move(check_);
}

}  // namespace

Result<PackageCheck> VerifyPackage(const fs::path& zip,
                                   std::span<const crypto::VerifyingKey> trusted_keys,
                                   const fs::path& tsa_ca_file) {
  std::error_code ec;
  if (!fs::is_regular_file(zip, ec)) {
    return Fail(ErrorCode::kInvalidArgument, "no such package file: " + zip.string());
  }
  auto streamed = std::async(std::launch::async, [&zip] { return ReadLocalEntries(zip); });
  Checker checker(trusted_keys, tsa_ca_file);
  if (auto r = checker.Read(zip); !r) return std::unexpected(r.error());
  checker.CompareWithStream(streamed.get());
  return checker.Check();
}

}  // namespace cf::film
