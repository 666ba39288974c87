// SPDX-License-Identifier: Apache-2.0
#include "film/film_package.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <cerrno>
#include <map>
#include <optional>

#include "core/log.hpp"
#include "core/time_text.hpp"
#include "crypto/random.hpp"
#include "crypto/sha256.hpp"
#include "dicom/dicomdir_writer.hpp"
#include "film/package_layout.hpp"
#include "film/zip_stream.hpp"

namespace cf::film {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

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
        "\nObjects not in the DICOMDIR (a DICOMDIR record cannot reference them; they\n"
        "are in DICOM/ all the same):\n";
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

// The DICOMDIR's own UID, from the film id alone: the same film, the same
// DICOMDIR. The first 128 bits of a SHA-256 with the bits of an RFC 9562
// UUIDv8 (a UUID whose content is the application's).
std::string DicomdirUid(const Film& film) {
  const auto digest = crypto::Sha256(AsBytes("cloudfilm DICOMDIR of film " + film.id));
  Bytes uuid(16);
  for (size_t i = 0; i < 16; ++i) uuid[i] = static_cast<std::byte>(digest[i]);
  uuid[6] = (uuid[6] & std::byte{0x0f}) | std::byte{0x80};
  uuid[8] = (uuid[8] & std::byte{0x3f}) | std::byte{0x80};
  return dicom::UidFromUuidBytes(uuid);
}

// A package file being written: removed unless kept (renamed into place).
class TempFile {
 public:
  explicit TempFile(fs::path path) : path_(std::move(path)) {
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  }
  ~TempFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!kept_) ::unlink(path_.c_str());
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  bool ok() const { return fd_ >= 0; }
  bool Write(ByteView data) {
    while (!data.empty()) {
      const ssize_t n = ::write(fd_, data.data(), data.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      data = data.subspan(static_cast<size_t>(n));
    }
    return true;
  }
  bool Close() {
    const int fd = fd_;
    fd_ = -1;
    const bool synced = ::fsync(fd) == 0;
    return ::close(fd) == 0 && synced;
  }
  void Keep() { kept_ = true; }

 private:
  fs::path path_;
  int fd_ = -1;
  bool kept_ = false;
};

}  // namespace

std::string PackageFileName(const Film& film) { return "film-" + film.id + ".zip"; }

FilmPackager::FilmPackager(archive::Archive& archive, ReportStore& reports,
                           ledger::TransparencyLog& log, crypto::SigningKeyStore& keys,
                           ReportPrinter* printer)
    : archive_(archive), reports_(reports), log_(log), keys_(keys), printer_(printer) {}

struct PackageStream::State {
  enum class Phase { kFixed, kReports, kObjects, kTail, kDone, kFailed };

  State(FilmPackager& p, const Film& f, size_t piece)
      : packager(p),
        piece_bytes(piece),
        film(f),
        scope(catalog::Scope::Of(f.tenant)),
        dicomdir("CLOUDFILM", DicomdirUid(f)) {}

  FilmPackager& packager;
  size_t piece_bytes;
  Film film;
  catalog::Scope scope;
  PackageLayout layout;
  // Members known once the stream opens: the manifest, its signature, the
  // keys and the log's proof, in package order.
  std::vector<std::pair<std::string, Bytes>> fixed;
  std::vector<Report> found;                                             // the exam's reports
  std::vector<std::pair<const Report*, const ReportVersion*>> versions;  // as layout.reports
  std::vector<catalog::InstanceRecord> records;                          // as layout.objects
  std::shared_ptr<const crypto::SigningKey> key;
  std::unique_ptr<ZipStream> zip;
  dicom::DicomdirWriter dicomdir;
  PackageSummary summary;

  Phase phase = Phase::kFixed;
  size_t index = 0;  // within the phase
  Bytes object;      // the object being zipped
  size_t object_at = 0;
  bool in_object = false;
  uint64_t bytes_out = 0;

  Result<void> Step();
  Result<void> StepReport();
  Result<void> StepObject();
  Result<void> Tail();
};

Result<void> PackageStream::State::Step() {
  switch (phase) {
    case Phase::kFixed:
      if (index < fixed.size()) {
        const auto& [name, bytes] = fixed[index++];
        return zip->AddBytes(name, bytes);
      }
      phase = Phase::kReports;
      index = 0;
      return {};
    case Phase::kReports:
      if (index < layout.reports.size()) return StepReport();
      phase = Phase::kObjects;
      index = 0;
      return {};
    case Phase::kObjects:
      if (index < layout.objects.size()) return StepObject();
      phase = Phase::kTail;
      return {};
    case Phase::kTail:
      return Tail();
    case Phase::kDone:
    case Phase::kFailed:
      return {};
  }
  return {};
}

Result<void> PackageStream::State::StepReport() {
  const PackagedReport& r = layout.reports[index];
  const auto& [report, version] = versions[index];
  ++index;
  if (auto w = zip->AddBytes(r.json_member, AsBytes(CanonicalContent(version->content))); !w) {
    return w;
  }
  auto pdf = PdfOf(packager.printer_, scope, *report, *version);
  if (!pdf) return std::unexpected(pdf.error());
  if (*pdf) {
    const std::string& member = (*pdf)->rendered ? r.rendered_member : r.pdf_member;
    if (auto w = zip->AddBytes(member, (*pdf)->bytes); !w) return w;
    ++((*pdf)->rendered ? summary.rendered_pdfs : summary.pdfs);
  }
  ++summary.report_versions;
  return {};
}

// One slice of the current object per step, so that a piece stays small
// whatever the object's size.
Result<void> PackageStream::State::StepObject() {
  constexpr size_t kSlice = 256 << 10;
  const PackagedObject& o = layout.objects[index];
  if (!in_object) {
    // ReadBlob checks the bytes against the record's SHA-256, which Open
    // found to be the manifest's.
    auto bytes = packager.archive_.ReadBlob(records[index]);
    if (!bytes) return std::unexpected(bytes.error());
    object = std::move(*bytes);
    if (auto reason = dicomdir.Add(o.member, object)) {
      summary.not_indexed.push_back({o.member, *reason});
    }
    if (auto b = zip->Begin(o.member, object.size()); !b) return b;
    object_at = 0;
    in_object = true;
  }
  const size_t n = std::min(kSlice, object.size() - object_at);
  if (auto w = zip->Write(ByteView(object).subspan(object_at, n)); !w) return w;
  object_at += n;
  if (object_at < object.size()) return {};
  if (auto e = zip->End(); !e) return e;
  Bytes().swap(object);
  in_object = false;
  ++summary.objects;
  ++index;
  return {};
}

Result<void> PackageStream::State::Tail() {
  const auto add = [&](std::string_view name, std::string_view text) {
    return zip->AddBytes(std::string(name), AsBytes(text));
  };
  if (auto w = zip->AddBytes(std::string(kDicomdirMember), dicomdir.Finish()); !w) return w;
  if (auto w = add(kReadmeMember, Readme(layout, film, summary.not_indexed)); !w) return w;
  json members = json::array();
  for (const auto& m : zip->members()) {
    members.push_back({{"path", m.name}, {"sha256", m.sha256}, {"size", m.size}});
  }
  const std::string contents = json{
      {"format", "cloudfilm-package-contents/1"},
      {"film_id", film.id},
      {"manifest_sha256", film.manifest_sha256},
      {"members",
       std::move(members)}}.dump();
  auto contents_sig = key->Sign(AsBytes(contents));
  if (!contents_sig) return std::unexpected(contents_sig.error());
  if (auto w = add(kContentsMember, contents); !w) return w;
  if (auto w = zip->AddBytes(std::string(kContentsSigMember), *contents_sig); !w) return w;
  summary.members = zip->members().size();
  if (auto c = zip->Close(); !c) return c;
  phase = Phase::kDone;
  return {};
}

PackageStream::PackageStream(std::unique_ptr<State> state) : state_(std::move(state)) {}
PackageStream::~PackageStream() = default;

const PackageSummary& PackageStream::summary() const { return state_->summary; }
uint64_t PackageStream::bytes_out() const { return state_->bytes_out; }

Result<Bytes> PackageStream::Next() {
  State& s = *state_;
  if (s.phase == State::Phase::kFailed) {
    return Fail(ErrorCode::kInternal, "the package stream failed before");
  }
  while (s.phase != State::Phase::kDone && s.zip->pending() < s.piece_bytes) {
    if (auto r = s.Step(); !r) {
      s.phase = State::Phase::kFailed;
      log::Warn("film.package_failed", {{"tenant", s.film.tenant},
                                        {"objects", s.summary.objects},
                                        {"bytes", s.bytes_out},
                                        {"error", r.error().message}});
      return std::unexpected(r.error());
    }
    if (s.phase == State::Phase::kDone) {
      log::Info("film.packaged", {{"tenant", s.film.tenant},
                                  {"objects", s.summary.objects},
                                  {"not_indexed", s.summary.not_indexed.size()},
                                  {"bytes", s.bytes_out + s.zip->pending()}});
    }
  }
  Bytes piece = s.zip->Take();
  s.bytes_out += piece.size();
  return piece;
}

Result<std::unique_ptr<PackageStream>> FilmPackager::Open(const Film& film, size_t piece_bytes) {
  auto state =
      std::make_unique<PackageStream::State>(*this, film, std::max<size_t>(piece_bytes, 1));
  PackageStream::State& s = *state;
  auto layout = LayoutOf(film.manifest);
  if (!layout) return std::unexpected(layout.error());
  s.layout = std::move(*layout);

  // Every object as the manifest lists it (the catalog only: the bytes are
  // read, and checked, as they are zipped).
  s.records.reserve(s.layout.objects.size());
  for (const auto& o : s.layout.objects) {
    auto record = archive_.GetInstanceVersion(s.scope, o.sop_uid, o.version);
    if (!record) return std::unexpected(record.error());
    if (record->sha256_hex != o.sha256) {
      return Fail(ErrorCode::kInternal, "a stored object no longer has its manifest hash");
    }
    s.records.push_back(std::move(*record));
  }

  // Report versions by (id, version), from the exam's reports.
  ReportQuery query{s.scope};
  query.study_uid = film.study_uid;
  query.limit = 10'000;
  auto found = reports_.Find(query);
  if (!found) return std::unexpected(found.error());
  s.found = std::move(*found);
  std::map<std::pair<std::string, int>, std::pair<const Report*, const ReportVersion*>> versions;
  for (const auto& r : s.found) {
    for (const auto& v : r.versions) versions[{r.id, v.version}] = {&r, &v};
  }
  for (const auto& r : s.layout.reports) {
    auto it = versions.find({r.report_id, r.version});
    if (it == versions.end()) return Fail(ErrorCode::kNotFound, "a report version is not held");
    const std::string canonical = CanonicalContent(it->second.second->content);
    if (crypto::ToHex(crypto::Sha256(AsBytes(canonical))) != r.sha256) {
      return Fail(ErrorCode::kInternal, "a report version no longer hashes to its manifest value");
    }
    s.versions.push_back(it->second);
  }

  // The log: the film's entry, a head covering it, the proof between them.
  auto entry = log_.Entry(film.ledger_index);
  if (!entry) return std::unexpected(entry.error());
  // The head FilmIssuer::Verify proves against too.
  auto proving = ledger::HeadCovering(log_, film.ledger_index);
  if (!proving) return std::unexpected(proving.error());
  const ledger::SignedTreeHead& head = proving->head;
  auto proof = log_.InclusionProof(film.ledger_index, head.head.tree_size);
  if (!proof) return std::unexpected(proof.error());
  auto log_key = keys_.Find(head.key_id);
  if (!log_key) return std::unexpected(log_key.error());
  auto key = keys_.Find(film.key_id);
  if (!key) return std::unexpected(key.error());
  s.key = *key;

  const std::string inclusion = json{
      {"leaf_index", film.ledger_index},
      {"tree_size", head.head.tree_size},
      {"leaf_hash", crypto::ToHex(ledger::LeafHash(*entry))},
      {"inclusion_path",
       HexList(*proof)}}.dump(2);
  auto text = [](std::string_view t) { return Bytes(AsBytes(t).begin(), AsBytes(t).end()); };
  s.fixed = {{std::string(kManifestMember), text(film.manifest)},
             {std::string(kManifestSigMember), film.signature},
             {std::string(kSigningKeyMember), text((*key)->public_key().ToPem())},
             {std::string(kLogEntryMember), Bytes(entry->begin(), entry->end())},
             {std::string(kInclusionProofMember), text(inclusion)},
             {std::string(kTreeHeadMember), text(ledger::ToJson(head))},
             {std::string(kLogKeyMember), text((*log_key)->public_key().ToPem())}};
  if (proving->stamp) s.fixed.emplace_back(std::string(kTimestampMember), proving->stamp->token);

  auto zip = ZipStream::Create(film.issued_at_ms / 1000);
  if (!zip) return std::unexpected(zip.error());
  s.zip = std::move(*zip);
  return std::unique_ptr<PackageStream>(new PackageStream(std::move(state)));
}

Result<PackageSummary> FilmPackager::Write(const Film& film, const fs::path& out) {
  auto stream = Open(film);
  if (!stream) return std::unexpected(stream.error());
  const fs::path temp_path = out.string() + ".tmp-" + crypto::RandomHex(4);
  TempFile temp(temp_path);
  if (!temp.ok()) return Fail(ErrorCode::kStorageUnavailable, "cannot create the package file");
  for (;;) {
    auto piece = (*stream)->Next();
    if (!piece) return std::unexpected(piece.error());
    if (piece->empty()) break;
    if (!temp.Write(*piece)) {
      return Fail(ErrorCode::kStorageUnavailable, "cannot write the package file");
    }
  }
  if (!temp.Close()) return Fail(ErrorCode::kStorageUnavailable, "cannot write the package file");
  std::error_code ec;
  fs::rename(temp_path, out, ec);
  if (ec) return Fail(ErrorCode::kStorageUnavailable, "cannot move the package into place");
  temp.Keep();
  return (*stream)->summary();
}

}  // namespace cf::film
