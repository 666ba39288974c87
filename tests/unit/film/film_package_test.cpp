// SPDX-License-Identifier: Apache-2.0
// Film packages: written from a test archive, verified offline, and every
// kind of tampering (any member changed, removed or added; a manifest
// re-hashed; a proof for another entry; a tree head from another key)
// fails verification with a message naming what was changed.
#include "film/film_package.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/file_io.hpp"
#include "crypto/sha256.hpp"
#include "dicom/dicomdir.hpp"
#include "film/package_layout.hpp"
#include "film/package_verify.hpp"
#include "ledger/tree_head.hpp"
#include "support/dicom_builder.hpp"
#include "support/temp_dir.hpp"
#include "support/test_archive.hpp"
#include "support/test_films.hpp"

namespace cf::film {
namespace {

namespace fs = std::filesystem;
using Members = std::vector<std::pair<std::string, Bytes>>;

// The members in central-directory order, as unzip sees them; with
// `streamed`, in local-header order, as a reader that streams the ZIP sees
// them.
Members ReadZip(const fs::path& zip, bool streamed = false) {
  Members out;
  struct archive* a = archive_read_new();
  if (streamed) {
    archive_read_support_format_zip_streamable(a);
  } else {
    archive_read_support_format_zip_seekable(a);
  }
  EXPECT_EQ(archive_read_open_filename(a, zip.c_str(), 1 << 16), ARCHIVE_OK);
  struct archive_entry* entry = nullptr;
  while (archive_read_next_header(a, &entry) == ARCHIVE_OK) {
    Bytes data;
    char buf[1 << 16];
    for (la_ssize_t n; (n = archive_read_data(a, buf, sizeof buf)) > 0;) {
      data.insert(data.end(), reinterpret_cast<std::byte*>(buf),
                  reinterpret_cast<std::byte*>(buf) + n);
    }
    out.emplace_back(archive_entry_pathname(entry), std::move(data));
  }
  archive_read_free(a);
  return out;
}

// What a forger does: rewrites the ZIP (with correct CRCs) around the
// members as they want them.
void WriteZip(const fs::path& zip, const Members& members, bool store = false) {
  struct archive* a = archive_write_new();
  archive_write_set_format_zip(a);
  if (store) archive_write_zip_set_compression_store(a);
  ASSERT_EQ(archive_write_open_filename(a, zip.c_str()), ARCHIVE_OK);
  for (const auto& [name, data] : members) {
    struct archive_entry* entry = archive_entry_new();
    archive_entry_set_pathname(entry, name.c_str());
    archive_entry_set_filetype(entry, AE_IFREG);
    archive_entry_set_perm(entry, 0644);
    archive_entry_set_size(entry, static_cast<la_int64_t>(data.size()));
    ASSERT_EQ(archive_write_header(a, entry), ARCHIVE_OK);
    if (!data.empty()) archive_write_data(a, data.data(), data.size());
    archive_entry_free(entry);
  }
  archive_write_close(a);
  archive_write_free(a);
}

Bytes& MemberOf(Members& members, std::string_view name) {
  auto it =
      std::find_if(members.begin(), members.end(), [&](const auto& m) { return m.first == name; });
  EXPECT_NE(it, members.end()) << name;
  return it->second;
}

std::optional<Bytes> Slurp(const fs::path& path) {
  auto bytes = ReadFile(path, 1 << 30);
  if (!bytes) return std::nullopt;
  return std::move(*bytes);
}

std::string Text(const Bytes& b) { return std::string(AsChars(b)); }
Bytes FromText(std::string_view s) { return Bytes(AsBytes(s).begin(), AsBytes(s).end()); }

// True when one failure names `member` (and `also`, when given).
bool NamesMember(const PackageCheck& check, const std::string& member,
                 const std::string& also = "") {
  return std::any_of(check.failures.begin(), check.failures.end(), [&](const std::string& f) {
    return f.find(member) != std::string::npos && f.find(also) != std::string::npos;
  });
}

std::string AllFailures(const PackageCheck& check) {
  std::string out;
  for (const auto& f : check.failures) out += "\n  " + f;
  return out;
}

class FilmPackageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(archive_.Open(dir_.Path() / "data"));
    ASSERT_TRUE(films_.Open(dir_.Path() / "films", *archive_.archive));
    // Two series of the exam (2 + 1 objects) and another exam.
    const std::vector<std::pair<const char*, const char*>> objects = {
        {"1.2.9.1.1", "1.2.9.1.1.1"}, {"1.2.9.1.1", "1.2.9.1.1.2"}, {"1.2.9.1.2", "1.2.9.1.2.1"}};
    for (const auto& [series, sop] : objects) Store("1.2.9.1", series, sop);
    Store("1.2.9.2", "1.2.9.2.1", "1.2.9.2.1.1");
    ASSERT_TRUE(FileReport("1.2.9.1", ReportStatus::kPreliminary, {}));
    ASSERT_TRUE(FileReport("1.2.9.1", ReportStatus::kFinal, FromText("%PDF-1.4\n% the report\n")));
    auto film = films_.issuer->Issue("ruijin", "1.2.9.1", "dr.li");
    ASSERT_TRUE(film) << film.error().message;
    film_ = *film;
    ASSERT_TRUE(FileReport("1.2.9.2", ReportStatus::kFinal, {}));
    auto other = films_.issuer->Issue("ruijin", "1.2.9.2", "dr.li");
    ASSERT_TRUE(other) << other.error().message;
    other_ = *other;
    zip_ = dir_.Path() / "film.zip";
    auto written = films_.packager->Write(film_, zip_);
    ASSERT_TRUE(written) << written.error().message;
    summary_ = *written;
    members_ = ReadZip(zip_);
  }

  void Store(const char* study, const char* series, const char* sop) {
    auto bytes = cf::testing::DicomBuilder()
                     .Study(study)
                     .Series(series)
                     .Sop(sop)
                     .Patient("P-77", "Wang^Fang")
                     .Set("StudyDate", "20261129")
                     .Pixels(8, 8)
                     .Build();
    ASSERT_TRUE(archive_.archive->Ingest(bytes, {"test", "", "ruijin"}));
  }

  bool FileReport(const char* study, ReportStatus status, Bytes pdf) {
    NewReportVersion v;
    v.tenant = "ruijin";
    v.study_uid = study;
    v.content.status = status;
    v.content.conclusion = "no abnormality";
    if (status != ReportStatus::kPreliminary) {
      v.content.signer = "Dr. Li";
      v.content.signed_at_ms = 1795915800000;
    }
    v.content.pdf = std::move(pdf);
    return films_.reports->Submit(v).has_value();
  }

  // Verifies `members` rewritten as a ZIP.
  PackageCheck VerifyAltered(const Members& members,
                             std::span<const crypto::VerifyingKey> trusted = {}) {
    const fs::path altered = dir_.Path() / "altered.zip";
    WriteZip(altered, members);
    auto check = VerifyPackage(altered, trusted);
    EXPECT_TRUE(check) << check.error().message;
    return check ? *check : PackageCheck{};
  }

  crypto::VerifyingKey HospitalKey() {
    auto key = films_.keys->Find(film_.key_id);
    EXPECT_TRUE(key);
    return (*key)->public_key();
  }

  cf::testing::TempDir dir_;
  cf::testing::TestArchive archive_;
  cf::testing::TestFilms films_;
  Film film_;
  Film other_;
  fs::path zip_;
  PackageSummary summary_;
  Members members_;
};

TEST_F(FilmPackageTest, APackageHoldsTheDocumentedLayoutAndVerifies) {
  std::vector<std::string> names;
  for (const auto& [name, data] : members_) names.push_back(name);
  auto layout = LayoutOf(film_.manifest);
  ASSERT_TRUE(layout);
  ASSERT_EQ(layout->reports.size(), 2u);
  // What needs nothing but the film first, the objects as they are read,
  // then what depends on them (the DICOMDIR, the README naming objects it
  // could not index, every member's hash).
  const std::vector<std::string> expected = {"manifest.json",
                                             "manifest.sig",
                                             "signing-key.pem",
                                             "log/entry.json",
                                             "log/inclusion-proof.json",
                                             "log/tree-head.json",
                                             "log/log-key.pem",
                                             layout->reports[0].json_member,
                                             layout->reports[1].json_member,
                                             layout->reports[1].pdf_member,
                                             "DICOM/S0001/I0001",
                                             "DICOM/S0001/I0002",
                                             "DICOM/S0002/I0001",
                                             "DICOMDIR",
                                             "README.txt",
                                             "contents.json",
                                             "contents.sig"};
  EXPECT_EQ(names, expected);
  EXPECT_EQ(summary_.objects, 3u);
  EXPECT_EQ(summary_.report_versions, 2u);
  EXPECT_EQ(summary_.pdfs, 1u);
  EXPECT_TRUE(summary_.not_indexed.empty()) << summary_.not_indexed[0].reason;

  // The exact signed bytes, the received bytes, and a DICOMDIR that indexes them.
  EXPECT_EQ(Text(MemberOf(members_, "manifest.json")), film_.manifest);
  EXPECT_EQ(MemberOf(members_, "manifest.sig"), film_.signature);
  auto record = archive_.archive->GetInstanceVersion(catalog::Scope::Of("ruijin"), "1.2.9.1.2.1");
  ASSERT_TRUE(record);
  EXPECT_EQ(MemberOf(members_, "DICOM/S0002/I0001"), *archive_.archive->ReadBlob(*record));
  auto ids = dicom::ReadDicomdirFileIds(ByteView(MemberOf(members_, "DICOMDIR")));
  ASSERT_TRUE(ids) << ids.error().message;
  EXPECT_EQ(*ids, (std::vector<std::string>{"DICOM/S0001/I0001", "DICOM/S0001/I0002",
                                            "DICOM/S0002/I0001"}));

  auto check = VerifyPackage(zip_);
  ASSERT_TRUE(check) << check.error().message;
  EXPECT_TRUE(check->Ok()) << AllFailures(*check);
  EXPECT_EQ(check->film_id, film_.id);
  EXPECT_EQ(check->hospital, "ruijin");
  EXPECT_EQ(check->objects, 3u);
  EXPECT_EQ(check->report_versions, 2u);
  EXPECT_EQ(check->ledger_index, film_.ledger_index);
  EXPECT_EQ(check->tree_size, 2u);
  EXPECT_FALSE(check->signing_key_trusted);
  ASSERT_EQ(check->notes.size(), 2u) << "both keys are only the package's word";
  EXPECT_NE(check->notes[0].find("signing-key.pem"), std::string::npos);

  const std::vector<crypto::VerifyingKey> trusted = {HospitalKey()};
  auto trusting = VerifyPackage(zip_, trusted);
  ASSERT_TRUE(trusting);
  EXPECT_TRUE(trusting->Ok()) << AllFailures(*trusting);
  EXPECT_TRUE(trusting->signing_key_trusted);
}

TEST_F(FilmPackageTest, WritingTwiceGivesTheSameBytes) {
  const fs::path again = dir_.Path() / "again.zip";
  ASSERT_TRUE(films_.packager->Write(film_, again));
  auto first = Slurp(zip_);
  auto second = Slurp(again);
  ASSERT_TRUE(first && second);
  EXPECT_TRUE(*first == *second) << "same film, same log head: the same package byte for byte";
  // The DICOMDIR's UID comes from the film id: another film gets another.
  const fs::path other_zip = dir_.Path() / "other.zip";
  ASSERT_TRUE(films_.packager->Write(other_, other_zip));
  Members other = ReadZip(other_zip);
  EXPECT_FALSE(MemberOf(other, "DICOMDIR") == MemberOf(members_, "DICOMDIR"));
  // Nothing but the package itself was written.
  std::vector<std::string> files;
  for (const auto& e : fs::recursive_directory_iterator(dir_.Path())) {
    if (e.is_regular_file() && e.path().extension() == ".zip") {
      files.push_back(e.path().filename().string());
    }
  }
  std::sort(files.begin(), files.end());
  EXPECT_EQ(files, (std::vector<std::string>{"again.zip", "film.zip", "other.zip"}));
  EXPECT_FALSE(fs::exists(dir_.Path() / "films" / "tmp")) << "no staging folder";
}

TEST_F(FilmPackageTest, TheStreamGivesTheSameBytesInSmallPieces) {
  auto stream = films_.packager->Open(film_, 1024);
  ASSERT_TRUE(stream) << stream.error().message;
  Bytes all;
  size_t pieces = 0;
  for (;;) {
    auto piece = (*stream)->Next();
    ASSERT_TRUE(piece) << piece.error().message;
    if (piece->empty()) break;
    // A piece is what was asked for, plus at most one object slice.
    EXPECT_LE(piece->size(), 1024u + (512u << 10));
    all.insert(all.end(), piece->begin(), piece->end());
    ++pieces;
  }
  EXPECT_GT(pieces, 3u);
  EXPECT_EQ((*stream)->bytes_out(), all.size());
  EXPECT_EQ((*stream)->summary().objects, 3u);
  EXPECT_EQ((*stream)->summary().members, members_.size());
  auto written = Slurp(zip_);
  ASSERT_TRUE(written);
  EXPECT_TRUE(all == *written);
  auto after = (*stream)->Next();
  ASSERT_TRUE(after);
  EXPECT_TRUE(after->empty()) << "the end stays the end";
}

TEST_F(FilmPackageTest, AnObjectUnreadableMidStreamFailsAndLeavesNoValidZip) {
  // Damage the stored bytes of the exam's last object (the manifest's hash
  // no longer matches what the store gives back).
  auto record = archive_.archive->GetInstanceVersion(catalog::Scope::Of("ruijin"), "1.2.9.1.2.1");
  ASSERT_TRUE(record);
  auto original = archive_.archive->ReadBlob(*record);
  ASSERT_TRUE(original);
  int damaged = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir_.Path() / "data")) {
    if (!e.is_regular_file()) continue;
    auto bytes = Slurp(e.path());
    if (!bytes || *bytes != *original) continue;
    (*bytes)[bytes->size() - 1] ^= std::byte{0x01};
    std::ofstream(e.path(), std::ios::binary | std::ios::trunc)
        .write(reinterpret_cast<const char*>(bytes->data()),
               static_cast<std::streamsize>(bytes->size()));
    ++damaged;
  }
  ASSERT_EQ(damaged, 1) << "the test archive keeps objects as plain files";

  auto stream = films_.packager->Open(film_, 512);
  ASSERT_TRUE(stream) << "nothing is read before the stream starts";
  Bytes got;
  Result<Bytes> piece = Bytes{};
  size_t pieces = 0;
  while ((piece = (*stream)->Next()) && !piece->empty()) {
    got.insert(got.end(), piece->begin(), piece->end());
    ++pieces;
  }
  ASSERT_FALSE(piece) << "the damaged object must fail the stream";
  EXPECT_GT(pieces, 0u) << "the failure comes after the first pieces were given";
  EXPECT_FALSE((*stream)->Next()) << "a failed stream stays failed";
  // What was given is not a ZIP any reader accepts as complete.
  const fs::path partial = dir_.Path() / "partial.zip";
  std::ofstream(partial, std::ios::binary)
      .write(reinterpret_cast<const char*>(got.data()), static_cast<std::streamsize>(got.size()));
  struct archive* a = archive_read_new();
  archive_read_support_format_zip_seekable(a);
  EXPECT_NE(archive_read_open_filename(a, partial.c_str(), 1 << 16), ARCHIVE_OK)
      << "no central directory: not a complete ZIP";
  archive_read_free(a);
  auto verified = VerifyPackage(partial);
  EXPECT_FALSE(verified && verified->Ok());

  // Write removes its temporary file and leaves no package.
  const fs::path out = dir_.Path() / "failed.zip";
  EXPECT_FALSE(films_.packager->Write(film_, out));
  EXPECT_FALSE(fs::exists(out));
  for (const auto& e : fs::directory_iterator(dir_.Path())) {
    EXPECT_EQ(e.path().filename().string().find("failed.zip.tmp"), std::string::npos);
  }
}

TEST_F(FilmPackageTest, ChangingAnyByteOfAnyMemberFailsNamingThatMember) {
  for (size_t i = 0; i < members_.size(); ++i) {
    Members altered = members_;
    auto& [name, data] = altered[i];
    ASSERT_FALSE(data.empty()) << name;
    data[data.size() / 2] ^= std::byte{0x01};
    const PackageCheck check = VerifyAltered(altered);
    EXPECT_FALSE(check.Ok()) << name;
    EXPECT_TRUE(NamesMember(check, name)) << name << ":" << AllFailures(check);
  }
}

TEST_F(FilmPackageTest, AByteFlippedInTheZipFileItselfFailsNamingTheMember) {
  // Not a forger who rewrites the ZIP: damage (or a hex editor) that
  // leaves the member's CRC wrong. Stored members, to find the bytes.
  const fs::path stored = dir_.Path() / "stored.zip";
  WriteZip(stored, members_, /*store=*/true);
  auto bytes = ReadFile(stored, 1 << 24);
  ASSERT_TRUE(bytes);
  const std::string text(AsChars(*bytes));
  const size_t at = text.find("CLOUDFILM FILM PACKAGE");
  ASSERT_NE(at, std::string::npos);
  (*bytes)[at + 3] ^= std::byte{0x20};
  { std::ofstream(stored, std::ios::binary | std::ios::trunc) << AsChars(*bytes); }
  auto check = VerifyPackage(stored);
  ASSERT_TRUE(check) << check.error().message;
  EXPECT_FALSE(check->Ok());
  EXPECT_TRUE(NamesMember(*check, "README.txt")) << AllFailures(*check);
}

TEST_F(FilmPackageTest, AChangedObjectFailsWithTheManifestsAndTheActualHash) {
  Members altered = members_;
  Bytes& dicom = MemberOf(altered, "DICOM/S0001/I0002");
  dicom[dicom.size() - 1] ^= std::byte{0xff};
  const std::string actual = crypto::ToHex(crypto::Sha256(dicom));
  auto layout = LayoutOf(film_.manifest);
  const PackageCheck check = VerifyAltered(altered);
  EXPECT_TRUE(NamesMember(check, "DICOM/S0001/I0002: SHA-256 expected " +
                                     layout->objects[1].sha256 +
                                     " (manifest, object 1.2.9.1.1.2), actual " + actual))
      << AllFailures(check);
}

TEST_F(FilmPackageTest, ARemovedMemberIsMissing) {
  for (const char* removed : {"DICOM/S0001/I0001", "log/inclusion-proof.json", "DICOMDIR"}) {
    Members altered = members_;
    std::erase_if(altered, [&](const auto& m) { return m.first == removed; });
    const PackageCheck check = VerifyAltered(altered);
    EXPECT_TRUE(NamesMember(check, std::string(removed) + ": missing from the package"))
        << removed << AllFailures(check);
  }
}

TEST_F(FilmPackageTest, AnAddedDicomFileIsNotInTheManifest) {
  Members altered = members_;
  altered.emplace_back("DICOM/S0002/I0002", MemberOf(altered, "DICOM/S0002/I0001"));
  const PackageCheck check = VerifyAltered(altered);
  EXPECT_TRUE(NamesMember(check, "DICOM/S0002/I0002: a DICOM file that the manifest does not list"))
      << AllFailures(check);
  EXPECT_TRUE(NamesMember(check, "DICOM/S0002/I0002: not listed in contents.json"));
}

// `zip` with `extra`'s local entries (all of its bytes before its own
// central directory) put just before zip's central directory, which still
// lists only zip's members: unzip and the verifier's central-directory
// reading see the signed package, a reader that streams the ZIP sees the
// extra entries too.
void SmuggleLocalEntries(const fs::path& zip, const fs::path& extra) {
  auto bytes = ReadFile(zip, 1 << 24);
  auto smuggled = ReadFile(extra, 1 << 24);
  ASSERT_TRUE(bytes && smuggled);
  const auto central_directory_at = [](const Bytes& b, size_t& eocd) {
    const std::string_view text = AsChars(b);
    eocd = text.rfind(std::string_view("PK\x05\x06", 4));
    EXPECT_NE(eocd, std::string_view::npos);
    uint32_t offset = 0;
    for (int i = 3; i >= 0; --i)
      offset = (offset << 8) | std::to_integer<uint32_t>(b[eocd + 16 + i]);
    EXPECT_NE(offset, 0xffffffffu) << "a ZIP64 directory: not handled here";
    return size_t{offset};
  };
  size_t eocd = 0;
  size_t extra_eocd = 0;
  const size_t at = central_directory_at(*bytes, eocd);
  const size_t local_size = central_directory_at(*smuggled, extra_eocd);
  bytes->insert(bytes->begin() + static_cast<ptrdiff_t>(at), smuggled->begin(),
                smuggled->begin() + static_cast<ptrdiff_t>(local_size));
  eocd += local_size;
  const auto moved = static_cast<uint32_t>(at + local_size);
  for (int i = 0; i < 4; ++i) (*bytes)[eocd + 16 + i] = static_cast<std::byte>(moved >> (8 * i));
  std::ofstream(zip, std::ios::binary | std::ios::trunc) << AsChars(*bytes);
}

TEST_F(FilmPackageTest, AnEntryHiddenFromTheCentralDirectoryFails) {
  // A forger cannot re-sign, but can add local entries after the signed
  // ones: a workstation that streams the ZIP (Java's ZipInputStream)
  // unpacks a later entry of one name over the first.
  Bytes forged = MemberOf(members_, "DICOM/S0001/I0001");
  forged[forged.size() - 1] ^= std::byte{0xff};
  const fs::path extra = dir_.Path() / "extra.zip";
  WriteZip(extra, {{"DICOM/S0001/I0001", forged}, {"DICOM/S0001/I0009", forged}});
  const fs::path package = dir_.Path() / "smuggled.zip";
  fs::copy_file(zip_, package);
  SmuggleLocalEntries(package, extra);
  ASSERT_EQ(ReadZip(package), members_);
  const Members streamed = ReadZip(package, /*streamed=*/true);
  ASSERT_EQ(streamed.size(), members_.size() + 2);
  ASSERT_EQ(streamed[streamed.size() - 2], Members::value_type("DICOM/S0001/I0001", forged));

  auto check = VerifyPackage(package);
  ASSERT_TRUE(check) << check.error().message;
  EXPECT_FALSE(check->Ok());
  EXPECT_TRUE(
      NamesMember(*check, "DICOM/S0001/I0001: the ZIP's local headers hold this member twice"))
      << AllFailures(*check);
  EXPECT_TRUE(NamesMember(*check,
                          "DICOM/S0001/I0009: a local entry that the ZIP's central "
                          "directory does not list"))
      << AllFailures(*check);
}

TEST_F(FilmPackageTest, AManifestWithAChangedHashFailsItsSignatureAndTheLog) {
  Members altered = members_;
  std::string manifest = Text(MemberOf(altered, "manifest.json"));
  auto layout = LayoutOf(manifest);
  const std::string forged(64, 'a');
  manifest.replace(manifest.find(layout->objects[0].sha256), 64, forged);
  MemberOf(altered, "manifest.json") = FromText(manifest);
  const PackageCheck check = VerifyAltered(altered);
  EXPECT_TRUE(NamesMember(check, "manifest.sig: the signature of manifest.json does not verify"))
      << AllFailures(check);
  EXPECT_TRUE(NamesMember(check, "log/entry.json: is not the issuance entry of this manifest"));
}

TEST_F(FilmPackageTest, AForgerWhoReSignsWithTheirOwnKeyIsCaughtByTheLogAndTheTrustedKey) {
  auto forger = crypto::SigningKey::Generate(crypto::SignatureSuite::kEd25519);
  ASSERT_TRUE(forger);
  Members altered = members_;
  std::string manifest = Text(MemberOf(altered, "manifest.json"));
  manifest.replace(manifest.find(film_.key_id), film_.key_id.size(), forger->key_id());
  MemberOf(altered, "manifest.json") = FromText(manifest);
  MemberOf(altered, "manifest.sig") = *forger->Sign(AsBytes(manifest));
  MemberOf(altered, "signing-key.pem") = FromText(forger->public_key().ToPem());
  // A consistent contents.json, signed by the forger too.
  nlohmann::json contents = nlohmann::json::parse(Text(MemberOf(altered, "contents.json")));
  for (auto& m : contents["members"]) {
    m["sha256"] = crypto::ToHex(crypto::Sha256(MemberOf(altered, m["path"].get<std::string>())));
  }
  const std::string contents_text = contents.dump();
  MemberOf(altered, "contents.json") = FromText(contents_text);
  MemberOf(altered, "contents.sig") = *forger->Sign(AsBytes(contents_text));

  const PackageCheck self = VerifyAltered(altered);
  EXPECT_TRUE(NamesMember(self, "log/entry.json: is not the issuance entry of this manifest"))
      << AllFailures(self);
  const std::vector<crypto::VerifyingKey> trusted = {HospitalKey()};
  const PackageCheck checked = VerifyAltered(altered, trusted);
  EXPECT_TRUE(NamesMember(checked, "signing-key.pem: key " + forger->key_id() +
                                       " is not one of the trusted keys (--trust-key)"))
      << AllFailures(checked);
}

TEST_F(FilmPackageTest, AProofForAnotherIndexDoesNotLeadToTheSignedRoot) {
  const fs::path other_zip = dir_.Path() / "other.zip";
  ASSERT_TRUE(films_.packager->Write(other_, other_zip));
  Members other = ReadZip(other_zip);
  ASSERT_NE(other_.ledger_index, film_.ledger_index);
  Members altered = members_;
  MemberOf(altered, "log/inclusion-proof.json") = MemberOf(other, "log/inclusion-proof.json");
  const PackageCheck check = VerifyAltered(altered);
  EXPECT_TRUE(
      NamesMember(check, "log/inclusion-proof.json: the path from log/entry.json at index " +
                             std::to_string(other_.ledger_index) + " leads to root"))
      << AllFailures(check);
  EXPECT_TRUE(NamesMember(check, "log/inclusion-proof.json: leaf_hash"));
}

TEST_F(FilmPackageTest, ATreeHeadSignedByAnotherKeyFails) {
  auto head = ledger::SignedTreeHeadFromJson(Text(MemberOf(members_, "log/tree-head.json")));
  ASSERT_TRUE(head);
  auto other_key = crypto::SigningKey::Generate(crypto::SignatureSuite::kEd25519);
  ASSERT_TRUE(other_key);
  auto forged = ledger::SignTreeHead(head->head, *other_key);
  ASSERT_TRUE(forged);
  Members altered = members_;
  MemberOf(altered, "log/tree-head.json") = FromText(ledger::ToJson(*forged));
  const PackageCheck check = VerifyAltered(altered);
  EXPECT_TRUE(NamesMember(check,
                          "log/tree-head.json: its signature does not verify with "
                          "log/log-key.pem"))
      << AllFailures(check);
}

TEST_F(FilmPackageTest, AnObjectTheProfileRefusesIsShippedOutsideTheDicomdirWithItsReason) {
  // A raw dataset (no file meta, as some old modalities send): the General
  // Purpose profile cannot index it, the package still carries it.
  auto raw = cf::testing::DicomBuilder()
                 .Study("1.2.9.3")
                 .Series("1.2.9.3.1")
                 .Sop("1.2.9.3.1.1")
                 .Patient("P-77", "Wang^Fang")
                 .Pixels(8, 8)
                 .WithoutFileMeta()
                 .Build();
  ASSERT_TRUE(archive_.archive->Ingest(raw, {"test", "", "ruijin"}));
  Store("1.2.9.3", "1.2.9.3.1", "1.2.9.3.1.2");
  auto film = films_.issuer->Issue("ruijin", "1.2.9.3", "dr.li");
  ASSERT_TRUE(film) << film.error().message;
  const fs::path zip = dir_.Path() / "raw.zip";
  auto summary = films_.packager->Write(*film, zip);
  ASSERT_TRUE(summary) << summary.error().message;
  auto layout = LayoutOf(film->manifest);
  ASSERT_TRUE(layout);
  ASSERT_EQ(layout->objects.size(), 2u);
  const bool raw_first = layout->objects[0].sop_uid == "1.2.9.3.1.1";
  const std::string raw_member = layout->objects[raw_first ? 0 : 1].member;
  const std::string other_member = layout->objects[raw_first ? 1 : 0].member;
  ASSERT_EQ(summary->not_indexed.size(), 1u);
  EXPECT_EQ(summary->not_indexed[0].member, raw_member);
  EXPECT_NE(summary->not_indexed[0].reason.find("meta"), std::string::npos)
      << summary->not_indexed[0].reason;
  Members members = ReadZip(zip);
  EXPECT_EQ(MemberOf(members, raw_member), raw);
  auto ids = dicom::ReadDicomdirFileIds(ByteView(MemberOf(members, "DICOMDIR")));
  ASSERT_TRUE(ids);
  EXPECT_EQ(*ids, std::vector<std::string>{other_member});
  EXPECT_NE(Text(MemberOf(members, "README.txt")).find(raw_member + ": "), std::string::npos);
  auto check = VerifyPackage(zip);
  ASSERT_TRUE(check);
  EXPECT_TRUE(check->Ok()) << AllFailures(*check);
}

TEST_F(FilmPackageTest, AnAmendedFilmsPackageSaysWhichFilmItReplaces) {
  ASSERT_TRUE(FileReport("1.2.9.1", ReportStatus::kAmended, {}));
  auto amended = films_.issuer->Issue("ruijin", "1.2.9.1", "dr.li");
  ASSERT_TRUE(amended);
  ASSERT_EQ(amended->supersedes, film_.id);
  const fs::path zip = dir_.Path() / "amended.zip";
  ASSERT_TRUE(films_.packager->Write(*amended, zip));
  auto check = VerifyPackage(zip);
  ASSERT_TRUE(check);
  EXPECT_TRUE(check->Ok()) << AllFailures(*check);
  EXPECT_EQ(check->supersedes, film_.id);
  EXPECT_EQ(check->report_versions, 3u);
  // The first film, packaged again now, proves its entry in the grown log.
  const fs::path first_zip = dir_.Path() / "first-again.zip";
  ASSERT_TRUE(films_.packager->Write(film_, first_zip));
  auto first = VerifyPackage(first_zip);
  ASSERT_TRUE(first);
  EXPECT_TRUE(first->Ok()) << AllFailures(*first);
  EXPECT_EQ(first->tree_size, 3u);
  EXPECT_EQ(first->ledger_index, film_.ledger_index);
}

TEST_F(FilmPackageTest, ATextReportIsPrintedIntoThePackageAsThePlatformsPdf) {
  ReportPrinter printer(*archive_.archive, {});
  FilmPackager packager(*archive_.archive, *films_.reports, *films_.log, *films_.keys, &printer);
  const fs::path zip = dir_.Path() / "printed.zip";
  auto summary = packager.Write(other_, zip);
  ASSERT_TRUE(summary) << summary.error().message;
  EXPECT_EQ(summary->pdfs, 0u);
  EXPECT_EQ(summary->rendered_pdfs, 1u);
  auto layout = LayoutOf(other_.manifest);
  ASSERT_TRUE(layout);
  ASSERT_EQ(layout->reports.size(), 1u);
  Members members = ReadZip(zip);
  EXPECT_EQ(Text(MemberOf(members, layout->reports[0].rendered_member)).substr(0, 5), "%PDF-");
  auto check = VerifyPackage(zip);
  ASSERT_TRUE(check);
  EXPECT_TRUE(check->Ok()) << AllFailures(*check);
  EXPECT_TRUE(std::any_of(check->notes.begin(), check->notes.end(), [&](const std::string& n) {
    return n.starts_with(layout->reports[0].rendered_member + " was printed by the platform");
  }));
  // Covered by contents.json all the same.
  MemberOf(members, layout->reports[0].rendered_member).push_back(std::byte{' '});
  const PackageCheck altered = VerifyAltered(members);
  EXPECT_TRUE(NamesMember(altered, layout->reports[0].rendered_member + ": SHA-256 expected"))
      << AllFailures(altered);
}

TEST_F(FilmPackageTest, AnUnreadablePackageIsAnErrorNotAFailure) {
  EXPECT_EQ(VerifyPackage(dir_.Path() / "nothing.zip").error().code, ErrorCode::kInvalidArgument);
  const fs::path not_zip = dir_.Path() / "not.zip";
  { std::ofstream(not_zip) << "this is not a ZIP"; }
  EXPECT_FALSE(VerifyPackage(not_zip));
}

}  // namespace
}  // namespace cf::film
