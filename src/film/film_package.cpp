// SPDX-License-Identifier: Apache-2.0
#include "film/film_package.hpp"

#include <fmt/format.h>
#include <sys/stat.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <map>
#include <optional>

#include "core/log.hpp"
#include "core/time_text.hpp"
#include "crypto/random.hpp"
#include "crypto/sha256.hpp"
#include "dicom/dicomdir.hpp"
#include "film/package_layout.hpp"
#include "film/zip_writer.hpp"

namespace cf::film {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Removes a folder or file holding patient data, whatever path leaves scope.
class RemoveOnExit {
 public:
  explicit RemoveOnExit(fs::path path) : path_(std::move(path)) {}
  ~RemoveOnExit() {
    if (path_.empty()) return;
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  void Keep() { path_.clear(); }
  RemoveOnExit(const RemoveOnExit&) = delete;
  RemoveOnExit& operator=(const RemoveOnExit&) = delete;

 private:
  fs::path path_;
};

Result<void> WriteWhole(const fs::path& path, ByteView data) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
  out.close();
  if (!out) return Fail(ErrorCode::kStorageUnavailable, "cannot write a staged package file");
  return {};
}

json HexList(const std::vector<ledger::Hash>& hashes) {
  json out = json::array();
  for (const auto& h : hashes) out.push_back(crypto::ToHex(h));
  return out;
}

std::string Readme(const PackageLayout& layout, const Film& film,
                   const std::vector<NotIndexed>& not_indexed) {
  std::string text = fmt::format(
      "CLOUDFILM FILM PACKAGE\n"
      "======================\n\n"
      "This is film {} issued by the hospital \"{}\" at {}:\n"
      "the images of an imaging exam exactly as the hospital received them, its\n"
      "report(s), and the proof that the hospital issued exactly this, when, and\n"
      "that the issuance is recorded in a public transparency log.\n\n"
      "Contents\n"
      "  DICOMDIR, DICOM/     the {} DICOM object(s); open the folder (or the ZIP)\n"
      "                       with any DICOM workstation as you would a CD\n"
      "  reports/             each report version ({}) as the hospital signed it\n"
      "                       (canonical JSON) and its PDF where it sent one, or\n"
      "                       (.rendered.pdf) a print-out of the text, for reading\n"
      "  manifest.json        the film: every object and report version by SHA-256\n"
      "  manifest.sig         the hospital's signature of manifest.json ({})\n"
      "  signing-key.pem      the hospital's public key (key id {})\n"
      "  log/                 the transparency log entry of this issuance, its\n"
      "                       inclusion proof, the signed tree head, the log's key,\n"
      "                       and the TSA's RFC 3161 stamp of that head if any\n"
      "  contents.json/.sig   every file of this package by SHA-256, signed\n\n"
      "How to check it (offline)\n"
      "  cloudfilm verify {} --trust-key HOSPITAL-KEY.pem\n"
      "checks every signature, every hash and the log proof, and exits 0 only when\n"
      "nothing was altered. Get HOSPITAL-KEY.pem from the hospital itself (not from\n"
      "this package: a forger would put their own key here). Without cloudfilm:\n"
      "  openssl pkeyutl -verify -pubin -inkey signing-key.pem -rawin \\\n"
      "    -in manifest.json -sigfile manifest.sig{}\n"
      "then compare `sha256sum` of each file with manifest.json and contents.json.\n",
      film.id, film.tenant, Rfc3339Utc(film.issued_at_ms), layout.objects.size(),
      layout.reports.size(), film.suite, film.key_id, PackageFileName(film),
      film.suite == "sm2" ? " \\\n    -digest sm3 -pkeyopt distid:1234567812345678" : "");
  if (!not_indexed.empty()) {
    text +=
        "\nObjects not in the DICOMDIR (the General Purpose CD-R profile does not admit\n"
        "them; they are in DICOM/ all the same):\n";
    for (const auto& n : not_indexed) text += "  " + n.member + ": " + n.reason + "\n";
  }
  return text;
}

// A report version's PDF as a package carries it.
struct PackagedPdf {
  Bytes bytes;
  bool rendered = false;  // printed by the platform from the text
};

// The one place a package looks a report version's PDF up: the
// department's own, whose SHA-256 the canonical content (and so the signed
// manifest) holds; otherwise, with a printer, one printed from the signed
// text. A printed PDF is the platform's rendering, not something the
// hospital signed: it gets its own member name, and the verifier holds it
// only to contents.json (package_verify.cpp).
Result<std::optional<PackagedPdf>> PdfOf(ReportPrinter* printer, const catalog::Scope& scope,
                                         const Report& report, const ReportVersion& version) {
  if (!version.content.pdf.empty()) return PackagedPdf{version.content.pdf, false};
  if (printer == nullptr) return std::optional<PackagedPdf>();
  auto printed = printer->Pdf(scope, report, version);
  if (!printed) return std::unexpected(printed.error());
  return PackagedPdf{std::move(*printed), true};
}

}  // namespace

std::string PackageFileName(const Film& film) { return "film-" + film.id + ".zip"; }

FilmPackager::FilmPackager(archive::Archive& archive, ReportStore& reports,
                           ledger::TransparencyLog& log, crypto::SigningKeyStore& keys,
                           fs::path work_dir, ReportPrinter* printer)
    : archive_(archive),
      reports_(reports),
      log_(log),
      keys_(keys),
      work_dir_(std::move(work_dir)),
      printer_(printer) {}

int FilmPackager::RemoveLeftovers(std::chrono::seconds min_age) {
  std::error_code ec;
  const auto cutoff = fs::file_time_type::clock::now() - min_age;
  int removed = 0;
  for (const auto& e : fs::directory_iterator(work_dir_, ec)) {
    const std::string name = e.path().filename().string();
    const bool ours = name.starts_with("staging-") || name.starts_with("package-");
    if (!ours || e.last_write_time(ec) > cutoff || ec) continue;
    if (fs::remove_all(e.path(), ec) > 0 && !ec) ++removed;
  }
  if (removed > 0) log::Info("film.package_leftovers_removed", {{"entries", removed}});
  return removed;
}

Result<fs::path> FilmPackager::WriteTemporary(const Film& film) {
  const fs::path out = work_dir_ / ("package-" + crypto::RandomHex(8) + ".zip");
  auto written = Write(film, out);
  if (!written) return std::unexpected(written.error());
  return out;
}

Result<PackageSummary> FilmPackager::Write(const Film& film, const fs::path& out) {
  auto layout = LayoutOf(film.manifest);
  if (!layout) return std::unexpected(layout.error());
  std::error_code ec;
  fs::create_directories(work_dir_, ec);
  ::chmod(work_dir_.c_str(), 0700);
  const fs::path staging = work_dir_ / ("staging-" + crypto::RandomHex(8));
  if (!fs::create_directories(staging, ec) || ec) {
    return Fail(ErrorCode::kStorageUnavailable, "cannot create a package staging folder");
  }
  RemoveOnExit remove_staging(staging);
  const catalog::Scope scope = catalog::Scope::Of(film.tenant);
  PackageSummary summary;

  // The objects, one in memory at a time, as the manifest lists them.
  std::vector<std::string> file_ids;
  for (const auto& o : layout->objects) {
    auto record = archive_.GetInstanceVersion(scope, o.sop_uid, o.version);
    if (!record) return std::unexpected(record.error());
    // ReadBlob checks the bytes against the record's SHA-256; the record
    // must be the one the manifest lists.
    if (record->sha256_hex != o.sha256) {
      return Fail(ErrorCode::kInternal, "a stored object no longer has its manifest hash");
    }
    auto bytes = archive_.ReadBlob(*record);
    if (!bytes) return std::unexpected(bytes.error());
    if (auto w = WriteWhole(staging / o.member, *bytes); !w) return std::unexpected(w.error());
    file_ids.push_back(o.member);
  }
  auto excluded = dicom::WriteDicomdir(staging, file_ids, "CLOUDFILM");
  if (!excluded) return std::unexpected(excluded.error());
  for (auto& e : *excluded) summary.not_indexed.push_back({e.file_id, e.reason});

  // Report versions by (id, version), from the exam's reports.
  ReportQuery query{scope};
  query.study_uid = film.study_uid;
  query.limit = 10'000;
  auto found = reports_.Find(query);
  if (!found) return std::unexpected(found.error());
  std::map<std::pair<std::string, int>, std::pair<const Report*, const ReportVersion*>> versions;
  for (const auto& r : *found) {
    for (const auto& v : r.versions) versions[{r.id, v.version}] = {&r, &v};
  }

  // The log: the film's entry, a head covering it, the proof between them.
  auto entry = log_.Entry(film.ledger_index);
  if (!entry) return std::unexpected(entry.error());
  // The head FilmIssuer::Verify proves against too.
  auto proving = ledger::HeadCovering(log_, film.ledger_index);
  if (!proving) return std::unexpected(proving.error());
  const ledger::SignedTreeHead* head = &proving->head;
  const std::optional<ledger::TreeHeadTimestamp>& stamp = proving->stamp;
  auto proof = log_.InclusionProof(film.ledger_index, head->head.tree_size);
  if (!proof) return std::unexpected(proof.error());
  auto log_key = keys_.Find(head->key_id);
  if (!log_key) return std::unexpected(log_key.error());
  auto key = keys_.Find(film.key_id);
  if (!key) return std::unexpected(key.error());

  const fs::path temp = out.string() + ".tmp-" + crypto::RandomHex(4);
  RemoveOnExit remove_temp(temp);
  auto zip = ZipWriter::Create(temp, film.issued_at_ms / 1000);
  if (!zip) return std::unexpected(zip.error());
  ZipWriter& z = **zip;
  auto add = [&](std::string_view name, std::string_view text) {
    return z.AddBytes(std::string(name), AsBytes(text));
  };
  const std::string inclusion = json{
      {"leaf_index", film.ledger_index},
      {"tree_size", head->head.tree_size},
      {"leaf_hash", crypto::ToHex(ledger::LeafHash(*entry))},
      {"inclusion_path",
       HexList(*proof)}}.dump(2);
  for (auto r :
       {add(kReadmeMember, Readme(*layout, film, summary.not_indexed)),
        add(kManifestMember, film.manifest),
        z.AddBytes(std::string(kManifestSigMember), film.signature),
        add(kSigningKeyMember, (*key)->public_key().ToPem()), add(kLogEntryMember, AsChars(*entry)),
        add(kInclusionProofMember, inclusion), add(kTreeHeadMember, ledger::ToJson(*head)),
        add(kLogKeyMember, (*log_key)->public_key().ToPem())}) {
    if (!r) return std::unexpected(r.error());
  }
  if (stamp) {
    if (auto w = z.AddBytes(std::string(kTimestampMember), stamp->token); !w) {
      return std::unexpected(w.error());
    }
  }
  for (const auto& r : layout->reports) {
    auto it = versions.find({r.report_id, r.version});
    if (it == versions.end()) return Fail(ErrorCode::kNotFound, "a report version is not held");
    const auto& [report, version] = it->second;
    const std::string canonical = CanonicalContent(version->content);
    if (crypto::ToHex(crypto::Sha256(AsBytes(canonical))) != r.sha256) {
      return Fail(ErrorCode::kInternal, "a report version no longer hashes to its manifest value");
    }
    if (auto w = add(r.json_member, canonical); !w) return std::unexpected(w.error());
    auto pdf = PdfOf(printer_, scope, *report, *version);
    if (!pdf) return std::unexpected(pdf.error());
    if (*pdf) {
      const std::string& member = (*pdf)->rendered ? r.rendered_member : r.pdf_member;
      if (auto w = z.AddBytes(member, (*pdf)->bytes); !w) return std::unexpected(w.error());
      ++((*pdf)->rendered ? summary.rendered_pdfs : summary.pdfs);
    }
    ++summary.report_versions;
  }
  if (auto w = z.AddFile(std::string(kDicomdirMember), staging / "DICOMDIR"); !w) {
    return std::unexpected(w.error());
  }
  for (const auto& o : layout->objects) {
    if (auto w = z.AddFile(o.member, staging / o.member); !w) return std::unexpected(w.error());
    fs::remove(staging / o.member, ec);  // keeps the staging folder from doubling the disk use
    ++summary.objects;
  }
  json members = json::array();
  for (const auto& m : z.members()) {
    members.push_back({{"path", m.name}, {"sha256", m.sha256}, {"size", m.size}});
  }
  const std::string contents = json{
      {"format", "cloudfilm-package-contents/1"},
      {"film_id", film.id},
      {"manifest_sha256", film.manifest_sha256},
      {"members",
       std::move(members)}}.dump();
  auto contents_sig = (*key)->Sign(AsBytes(contents));
  if (!contents_sig) return std::unexpected(contents_sig.error());
  if (auto w = add(kContentsMember, contents); !w) return std::unexpected(w.error());
  if (auto w = z.AddBytes(std::string(kContentsSigMember), *contents_sig); !w) {
    return std::unexpected(w.error());
  }
  summary.members = z.members().size();
  if (auto w = z.Close(); !w) return std::unexpected(w.error());
  fs::rename(temp, out, ec);
  if (ec) return Fail(ErrorCode::kStorageUnavailable, "cannot move the package into place");
  remove_temp.Keep();
  log::Info("film.packaged", {{"tenant", film.tenant},
                              {"objects", summary.objects},
                              {"not_indexed", summary.not_indexed.size()}});
  return summary;
}

}  // namespace cf::film
