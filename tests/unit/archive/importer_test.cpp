// SPDX-License-Identifier: Apache-2.0
#include "archive/importer.hpp"

#include <archive.h>
#include <archive_entry.h>

#include <fstream>
#include <map>
#include <set>

#include "archive_fixture.hpp"
#include "core/file_io.hpp"
#include "crypto/sha256.hpp"
#include "dicom/dicomdir.hpp"
#include "support/dicom_builder.hpp"

namespace cf::archive {
namespace {
namespace fs = std::filesystem;
using cf::testing::DicomBuilder;

class ImporterTest : public ArchiveFixture {
 protected:
  std::map<std::string, ImportItem> Import(const std::vector<fs::path>& inputs,
                                           ImportTotals* totals = nullptr,
                                           ImportOptions options = {}) {
    std::map<std::string, ImportItem> items;
    Importer importer(*archive_, "default", options);
    importer.Plan(inputs);
    auto t = importer.Run(
        [&](const ImportItem& item, const ImportTotals&) { items.emplace(item.name, item); });
    if (totals) *totals = t;
    return items;
  }

  // True when some stored version of `sop` holds exactly `bytes`.
  bool StoredExactly(const std::string& sop, const Bytes& bytes) {
    auto versions = archive_->GetInstanceVersions(cf::catalog::Scope::Of("default"), sop);
    if (!versions) return false;
    const std::string sha = crypto::ToHex(crypto::Sha256(bytes));
    for (const auto& v : *versions) {
      if (v.sha256_hex == sha)
        return archive_->ReadInstance(cf::catalog::Scope::Of("default"), sop, v.version) == bytes;
    }
    return false;
  }
};

void WriteFile(const fs::path& p, const Bytes& b) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary)
      .write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

// A ZIP of the files of `root` named `names`, in that order.
void ZipFiles(const fs::path& zip, const fs::path& root, const std::vector<std::string>& names) {
  struct archive* a = archive_write_new();
  archive_write_set_format_zip(a);
  ASSERT_EQ(archive_write_open_filename(a, zip.c_str()), ARCHIVE_OK);
  for (const auto& name : names) {
    auto data = ReadFile(root / name, 1 << 20);
    ASSERT_TRUE(data) << name;
    struct archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, name.c_str());
    archive_entry_set_size(e, static_cast<la_int64_t>(data->size()));
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_write_header(a, e);
    archive_write_data(a, data->data(), data->size());
    archive_entry_free(e);
  }
  archive_write_close(a);
  archive_write_free(a);
}

TEST_F(ImporterTest, FolderIsWalkedRecursivelyAndNonDicomIsRejectedWithAReason) {
  cf::testing::TempDir src;
  WriteFile(src.Path() / "a" / "1.dcm", DicomBuilder().Sop("1.9.1").Build());
  WriteFile(src.Path() / "a" / "b" / "2.dcm", DicomBuilder().Sop("1.9.2").Build());
  WriteFile(src.Path() / "notes.txt", Bytes(AsBytes("hello").begin(), AsBytes("hello").end()));
  ImportTotals totals;
  auto items = Import({src.Path()}, &totals);
  EXPECT_EQ(totals.stored, 2);
  EXPECT_EQ(totals.rejected, 1);
  const auto& bad = items.at((src.Path() / "notes.txt").string());
  ASSERT_FALSE(bad.result);
  EXPECT_EQ(bad.result.error().code, ErrorCode::kInvalidDicom);
  Importer importer(*archive_, "default");
  EXPECT_EQ(importer.Plan({src.Path()}), 3);
  // A second import finds everything already present.
  Import({src.Path()}, &totals);
  EXPECT_EQ(totals.already_present, 2);
  EXPECT_EQ(totals.stored, 0);
}

TEST_F(ImporterTest, ZipEntriesAreImportedWithoutUnpacking) {
  cf::testing::TempDir src;
  const fs::path zip = src.Path() / "cd.zip";
  const Bytes one = DicomBuilder().Sop("1.9.11").Build();
  const Bytes two = DicomBuilder().Sop("1.9.12").Pixels(16, 16).Build();
  {
    struct archive* a = archive_write_new();
    archive_write_set_format_zip(a);
    ASSERT_EQ(archive_write_open_filename(a, zip.c_str()), ARCHIVE_OK);
    for (const auto& [name, data] :
         std::vector<std::pair<std::string, Bytes>>{{"IMG/1", one}, {"IMG/2", two}}) {
      struct archive_entry* e = archive_entry_new();
      archive_entry_set_pathname(e, name.c_str());
      archive_entry_set_size(e, static_cast<la_int64_t>(data.size()));
      archive_entry_set_filetype(e, AE_IFREG);
      archive_entry_set_perm(e, 0644);
      archive_write_header(a, e);
      archive_write_data(a, data.data(), data.size());
      archive_entry_free(e);
    }
    archive_write_close(a);
    archive_write_free(a);
  }
  ImportTotals totals;
  auto items = Import({zip}, &totals);
  EXPECT_EQ(totals.stored, 2);
  EXPECT_EQ(totals.rejected, 0);
  EXPECT_TRUE(items.contains(zip.string() + "!IMG/2"));
  EXPECT_TRUE(StoredExactly("1.9.11", one));
  EXPECT_TRUE(StoredExactly("1.9.12", two));
}

// Chinese folder names, flagged UTF-8 as a Mac or 7-Zip writes them. In
// the "C" locale of this test (and of any program that never sets one),
// libarchive has no form of such a name at all: reading it as a C string
// once aborted `cloudfilm import`.
TEST_F(ImporterTest, AZipEntryWhoseNameTheLocaleCannotHoldIsImported) {
  cf::testing::TempDir src;
  const fs::path zip = src.Path() / "cd.zip";
  const Bytes one = DicomBuilder().Sop("1.9.51").Build();
  const Bytes two = DicomBuilder().Sop("1.9.52").Build();
  {
    struct archive* a = archive_write_new();
    archive_write_set_format_zip(a);
    ASSERT_EQ(archive_write_set_options(a, "hdrcharset=UTF-8"), ARCHIVE_OK);
    ASSERT_EQ(archive_write_open_filename(a, zip.c_str()), ARCHIVE_OK);
    for (const auto& [name, data] :
         std::vector<std::pair<std::string, Bytes>>{{"张三/影像0001.dcm", one}, {"IMG/2", two}}) {
      struct archive_entry* e = archive_entry_new();
      // Keeps the UTF-8 form; the answer only says whether the locale has one.
      (void)archive_entry_update_pathname_utf8(e, name.c_str());
      archive_entry_set_size(e, static_cast<la_int64_t>(data.size()));
      archive_entry_set_filetype(e, AE_IFREG);
      archive_entry_set_perm(e, 0644);
      ASSERT_EQ(archive_write_header(a, e), ARCHIVE_OK);
      archive_write_data(a, data.data(), data.size());
      archive_entry_free(e);
    }
    archive_write_close(a);
    archive_write_free(a);
  }
  Importer planner(*archive_, "default");
  EXPECT_EQ(planner.Plan({zip}), 2);  // the count does not stop at the first entry
  ImportTotals totals;
  auto items = Import({zip}, &totals);
  EXPECT_EQ(totals.stored, 2);
  EXPECT_EQ(totals.rejected, 0);
  // This process never sets a locale: the name has no form in "C".
  EXPECT_TRUE(items.contains(zip.string() + "!entry 1 (its name cannot be read in this locale)"));
  EXPECT_TRUE(items.contains(zip.string() + "!IMG/2"));
  EXPECT_TRUE(StoredExactly("1.9.51", one));
  EXPECT_TRUE(StoredExactly("1.9.52", two));
}

// A ZIP whose central directory is damaged where an entry should start (a
// bad copy) reads in libarchive as an empty ZIP: the import reported
// nothing and exited 0. The import fuzzer found the other side of it: a
// damaged directory reported as one rejected item the plan had not counted
// (1 of 0). Both are now one planned item naming the damage.
TEST_F(ImporterTest, AZipWhoseCentralDirectoryIsDamagedIsOnePlannedRejection) {
  cf::testing::TempDir src;
  WriteFile(src.Path() / "IMG1", DicomBuilder().Sop("1.9.41").Build());
  const fs::path zip = src.Path() / "cd.zip";
  ZipFiles(zip, src.Path(), {"IMG1"});
  auto bytes = ReadFile(zip, 1 << 20);
  ASSERT_TRUE(bytes);
  const size_t central = std::string_view(AsChars(*bytes)).find("PK\x01\x02");
  ASSERT_NE(central, std::string_view::npos);
  (*bytes)[central + 2] = std::byte{0x07};
  WriteFile(zip, *bytes);

  Importer importer(*archive_, "default");
  EXPECT_EQ(importer.Plan({zip}), 1);
  std::vector<ImportItem> items;
  const auto totals =
      importer.Run([&](const ImportItem& item, const ImportTotals&) { items.push_back(item); });
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].name, zip.string());
  ASSERT_FALSE(items[0].result);
  EXPECT_TRUE(items[0].result.error().message.starts_with("damaged ZIP"))
      << items[0].result.error().message;
  EXPECT_EQ(totals.rejected, 1);
}

TEST_F(ImporterTest, AZipWithARootDicomdirImportsOnlyWhatItReferences) {
  // A film package or a zipped CD: a README and a signature beside the
  // media are not broken DICOM objects.
  cf::testing::TempDir src;
  const Bytes one = DicomBuilder().Sop("1.9.21").Build();
  const Bytes two = DicomBuilder().Sop("1.9.22").Build();
  WriteFile(src.Path() / "DICOM" / "S0001" / "I0001", one);
  WriteFile(src.Path() / "DICOM" / "S0001" / "I0002", two);
  WriteFile(src.Path() / "README.txt", Bytes(AsBytes("read me").begin(), AsBytes("read me").end()));
  auto excluded = dicom::WriteDicomdir(src.Path(), {"DICOM/S0001/I0001"}, "TEST");
  ASSERT_TRUE(excluded) << excluded.error().message;
  ASSERT_TRUE(excluded->empty()) << excluded->front().reason;
  const fs::path zip = src.Path() / "media.zip";
  ZipFiles(zip, src.Path(), {"README.txt", "DICOMDIR", "DICOM/S0001/I0001", "DICOM/S0001/I0002"});
  Importer planner(*archive_, "default");
  EXPECT_EQ(planner.Plan({zip}), 1);
  ImportTotals totals;
  auto items = Import({zip}, &totals);
  EXPECT_EQ(totals.stored, 1);
  EXPECT_EQ(totals.rejected, 0);
  EXPECT_TRUE(StoredExactly("1.9.21", one));
  EXPECT_FALSE(items.contains(zip.string() + "!DICOM/S0001/I0002")) << "not on the media";
}

TEST_F(ImporterTest, MissingPathIsRejected) {
  ImportTotals totals;
  auto items = Import({"/nonexistent/cloudfilm"}, &totals);
  EXPECT_EQ(totals.rejected, 1);
  EXPECT_EQ(items.begin()->second.result.error().code, ErrorCode::kNotFound);
}

TEST_F(ImporterTest, ResultsArriveInPlanOrderWhateverTheJobs) {
  cf::testing::TempDir src;
  std::vector<std::string> expected;
  for (int i = 0; i < 30; ++i) {
    char name[16];
    std::snprintf(name, sizeof name, "f%02d.dcm", i);
    const fs::path p = src.Path() / "files" / name;
    if (i % 7 == 3) {
      WriteFile(p, Bytes(AsBytes("not dicom").begin(), AsBytes("not dicom").end()));
    } else {
      WriteFile(p, DicomBuilder().Sop("1.9.40." + std::to_string(i)).Pixels(8, 8).Build());
    }
    expected.push_back(p.string());
  }
  WriteFile(src.Path() / "zip" / "IMG" / "1", DicomBuilder().Sop("1.9.41.1").Build());
  WriteFile(src.Path() / "zip" / "IMG" / "2", DicomBuilder().Sop("1.9.41.2").Build());
  const fs::path zip = src.Path() / "z.zip";
  ZipFiles(zip, src.Path() / "zip", {"IMG/2", "IMG/1"});
  expected.push_back(zip.string() + "!IMG/2");
  expected.push_back(zip.string() + "!IMG/1");

  for (const int jobs : {1, 3, 8}) {
    std::vector<std::string> order;
    std::vector<int64_t> done_so_far;
    Importer importer(*archive_, "default", {.jobs = jobs});
    ASSERT_EQ(importer.Plan({src.Path() / "files", zip}), 32);
    const ImportTotals totals = importer.Run([&](const ImportItem& item, const ImportTotals& t) {
      order.push_back(item.name);
      done_so_far.push_back(t.stored + t.already_present + t.new_versions + t.rejected);
    });
    EXPECT_EQ(order, expected) << jobs << " jobs";
    for (size_t i = 0; i < done_so_far.size(); ++i) {
      EXPECT_EQ(done_so_far[i], static_cast<int64_t>(i + 1)) << jobs << " jobs";
    }
    EXPECT_EQ(totals.rejected, 4) << jobs << " jobs";
    // The first import (1 job) stores everything, the later ones find it.
    EXPECT_EQ(totals.stored, jobs == 1 ? 28 : 0) << jobs << " jobs";
    EXPECT_EQ(totals.already_present, jobs == 1 ? 0 : 28) << jobs << " jobs";
  }
  EXPECT_TRUE(StoredExactly("1.9.41.1", *ReadFile(src.Path() / "zip" / "IMG" / "1", 1 << 20)));
}

// `count` different objects under one SOP Instance UID, written to `dir`
// as v<n>.dcm in order (and, with `copies`, each again as w<n>.dcm).
std::vector<Bytes> WriteVersions(const fs::path& dir, const std::string& sop, uint16_t count,
                                 bool copies) {
  std::vector<Bytes> versions;
  for (uint16_t seed = 1; seed <= count; ++seed) {
    versions.push_back(DicomBuilder().Sop(sop).Pixels(8, 8, seed).Build());
    WriteFile(dir / ("v" + std::to_string(seed) + ".dcm"), versions.back());
    if (copies) WriteFile(dir / ("w" + std::to_string(seed) + ".dcm"), versions.back());
  }
  return versions;
}

TEST_F(ImporterTest, OneJobMakesTheFirstPlannedObjectVersionOne) {
  cf::testing::TempDir src;
  const auto versions = WriteVersions(src.Path(), "1.9.50", 4, /*copies=*/false);
  ImportTotals totals;
  Import({src.Path()}, &totals, {.jobs = 1});
  EXPECT_EQ(totals.stored, 1);
  EXPECT_EQ(totals.new_versions, 3);
  for (int v = 1; v <= 4; ++v) {
    auto back = archive_->ReadInstance(cf::catalog::Scope::Of("default"), "1.9.50", v);
    ASSERT_TRUE(back) << v;
    EXPECT_EQ(*back, versions[static_cast<size_t>(v - 1)]) << "version " << v;
  }
}

TEST_F(ImporterTest, ConcurrentIngestsOfOneSopInstanceKeepEveryVersion) {
  cf::testing::TempDir src;
  const auto versions = WriteVersions(src.Path(), "1.9.60", 12, /*copies=*/true);
  ImportTotals totals;
  Import({src.Path()}, &totals, {.jobs = 8});
  EXPECT_EQ(totals.stored, 1);
  EXPECT_EQ(totals.new_versions, 11);
  EXPECT_EQ(totals.already_present, 12);
  EXPECT_EQ(totals.rejected, 0);
  for (const auto& bytes : versions) EXPECT_TRUE(StoredExactly("1.9.60", bytes));
  auto fsck = archive_->Fsck(false);
  ASSERT_TRUE(fsck);
  EXPECT_TRUE(fsck->Clean());
  EXPECT_EQ(fsck->instances_checked, 12);
}

// ---- Real public data beside the checkout -------------------------------

fs::path TestData() { return cf::testing::SharedTestData(); }

// Files of the shared set that are not archivable objects, though not in
// malformed/: media indexes, and a character set fragment with no SOP Class
// or SOP Instance UID anywhere (dataset or file meta).
bool ExpectedRejection(const std::string& relative) {
  return relative.starts_with("media/dicomdir-variants/") ||
         relative == "charsets/empty_charset.dcm";
}

TEST_F(ImporterTest, EveryNonMalformedTestFileRoundTripsByteExact) {
  if (TestData().empty()) GTEST_SKIP() << "../shared/testdata is absent";
  std::vector<fs::path> inputs;
  std::ifstream manifest(TestData() / "MANIFEST.tsv");
  std::string line;
  std::getline(manifest, line);  // header
  while (std::getline(manifest, line)) {
    const std::string rel = line.substr(0, line.find('\t'));
    // A DICOMDIR input expands to the files it lists; those are inputs of their own here.
    if (!rel.starts_with("malformed/") && fs::path(rel).filename() != "DICOMDIR") {
      inputs.push_back(TestData() / rel);
    }
  }
  ASSERT_GT(inputs.size(), 100u);
  ImportTotals totals;
  auto items = Import(inputs, &totals);
  ASSERT_EQ(items.size(), inputs.size());
  int checked = 0;
  for (const auto& [name, item] : items) {
    const std::string rel = fs::relative(name, TestData()).generic_string();
    if (ExpectedRejection(rel)) {
      ASSERT_FALSE(item.result) << rel;
      EXPECT_EQ(item.result.error().code, ErrorCode::kInvalidDicom) << rel;
      continue;
    }
    ASSERT_TRUE(item.result) << rel << ": " << item.result.error().message;
    auto bytes = ReadFile(name, 1ull << 32);
    ASSERT_TRUE(bytes);
    EXPECT_TRUE(StoredExactly(item.result->sop_instance_uid, *bytes)) << rel;
    ++checked;
  }
  EXPECT_GT(checked, 100);
  EXPECT_GT(totals.new_versions, 0)
      << "the data set has files sharing a SOP Instance UID on purpose";
  auto fsck = archive_->Fsck(false);
  ASSERT_TRUE(fsck);
  EXPECT_TRUE(fsck->Clean());
  EXPECT_EQ(fsck->instances_checked, totals.stored + totals.new_versions);
}

TEST_F(ImporterTest, DicomdirMediaImportsEveryReferencedFile) {
  if (TestData().empty()) GTEST_SKIP() << "../shared/testdata is absent";
  const fs::path media = TestData() / "media" / "dicomdir-3patients";
  Importer importer(*archive_, "default");
  EXPECT_EQ(importer.Plan({media / "DICOMDIR"}), 31);  // its IMAGE records
  ImportTotals totals;
  Import({media / "DICOMDIR"}, &totals);
  EXPECT_EQ(totals.stored, 31);
  EXPECT_EQ(totals.rejected, 0);
  EXPECT_EQ(archive_->Totals()->patients, 2);  // its PATIENT records
  EXPECT_EQ(archive_->Totals()->studies, 6);   // its STUDY records
}

TEST_F(ImporterTest, DicomdirVariantsInOtherEncodingsListTheSameFiles) {
  if (TestData().empty()) GTEST_SKIP() << "../shared/testdata is absent";
  const fs::path media = TestData() / "media" / "dicomdir-3patients";
  for (const char* variant : {"DICOMDIR-bigEnd", "DICOMDIR-implicit", "DICOMDIR-reordered"}) {
    // The variants name files relative to the media root: lay out a medium with the variant as its
    // index.
    cf::testing::TempDir medium;
    fs::copy_file(TestData() / "media" / "dicomdir-variants" / variant, medium.Path() / "DICOMDIR");
    for (const auto& e : fs::directory_iterator(media)) {
      if (e.is_directory())
        fs::create_directory_symlink(e.path(), medium.Path() / e.path().filename());
    }
    ImportTotals totals;
    Import({medium.Path() / "DICOMDIR"}, &totals);
    EXPECT_EQ(totals.stored + totals.already_present, 31) << variant;
    EXPECT_EQ(totals.rejected, 0) << variant;
  }
  EXPECT_EQ(archive_->Totals()->instances, 31);
  ImportTotals empty;
  Import({TestData() / "media" / "dicomdir-variants" / "DICOMDIR-empty"}, &empty);
  EXPECT_EQ(empty.rejected, 1)
      << "not named DICOMDIR: imported as an object, and refused as an index";
}

// Every file in malformed/ is refused with a reason, except the raw datasets
// that are complete and valid, and a JPEG 2000 object whose codestream is
// corrupt but whose DICOM structure is sound: those bytes are kept as sent.
TEST_F(ImporterTest, MalformedFilesAreRejectedCleanlyOrAcceptedWithAWarning) {
  if (TestData().empty()) GTEST_SKIP() << "../shared/testdata is absent";
  const std::map<std::string, std::string> accepted = {
      {"no-meta_explicit-le.dcm", "no file meta"},
      {"no-meta_explicit-be.dcm", "no file meta"},
      {"j2k_embedded-sequence-delimiter.dcm", ""},
  };
  const std::map<std::string, std::string> reason = {
      {"zero-length.dcm", "empty file"},
      {"truncated_pixel-data.dcm", "cannot parse"},
      {"truncated_rtplan.dcm", "cannot parse"},
      {"huge-length_3gb-pixel-data.dcm", "cannot parse"},
      {"philips-series-dirfile", "DICOMDIR"},
      {"bad-vr.dcm", "(0028,0008) Number of Frames"},
      {"meta-missing-transfer-syntax.dcm", "missing (0008,0016)"},
  };
  ImportTotals totals;
  auto items = Import({TestData() / "malformed"}, &totals);
  ASSERT_EQ(items.size(), 17u);
  for (const auto& [name, item] : items) {
    const std::string file = fs::path(name).filename().string();
    if (auto it = accepted.find(file); it != accepted.end()) {
      ASSERT_TRUE(item.result) << file << ": " << item.result.error().message;
      if (!it->second.empty()) {
        ASSERT_FALSE(item.result->warnings.empty()) << file;
        EXPECT_NE(item.result->warnings[0].find(it->second), std::string::npos) << file;
      }
      auto bytes = ReadFile(name, 1 << 20);
      EXPECT_TRUE(StoredExactly(item.result->sop_instance_uid, *bytes)) << file;
      continue;
    }
    ASSERT_FALSE(item.result) << file << " was accepted";
    EXPECT_EQ(item.result.error().code, ErrorCode::kInvalidDicom) << file;
    EXPECT_FALSE(item.result.error().message.empty()) << file;
    if (auto it = reason.find(file); it != reason.end()) {
      EXPECT_NE(item.result.error().message.find(it->second), std::string::npos)
          << file << ": " << item.result.error().message;
    }
  }
  EXPECT_EQ(totals.stored + totals.new_versions + totals.already_present, 3);
  EXPECT_TRUE(archive_->Fsck(false)->Clean());
}

}  // namespace
}  // namespace cf::archive
