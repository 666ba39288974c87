// SPDX-License-Identifier: Apache-2.0
// Writes the seed corpus of the film package fuzzer (corpus/package_verify):
// packages the platform itself issues and writes, from a test archive of
// tiny objects, turned into the fuzzer's input format
// (package_verify_harness.hpp):
//   ct-two-series-two-reports  3 objects in 2 series, a preliminary text
//                              report and a final one with its PDF
//   one-object-amended         an amended report's film, which names the
//                              film it supersedes
//   one-object-no-report       an exam of one object, no report
// Each run makes new keys: run it again only to change the seeds, and
// replace the whole folder.
//   build/tests/fuzz/make_package_seeds tests/fuzz/corpus/package_verify
#include <archive.h>
#include <archive_entry.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "fuzz/package_verify_harness.hpp"
#include "support/dicom_builder.hpp"
#include "support/temp_dir.hpp"
#include "support/test_archive.hpp"
#include "support/test_films.hpp"

namespace fs = std::filesystem;

namespace {

std::vector<cf::fuzz::PackageMember> ReadZip(const fs::path& zip) {
  std::vector<cf::fuzz::PackageMember> out;
  struct archive* a = archive_read_new();
  archive_read_support_format_zip_seekable(a);
  if (archive_read_open_filename(a, zip.c_str(), 1 << 16) == ARCHIVE_OK) {
    struct archive_entry* entry = nullptr;
    char buf[1 << 14];
    while (archive_read_next_header(a, &entry) == ARCHIVE_OK) {
      cf::fuzz::PackageMember m{archive_entry_pathname(entry), {}};
      for (la_ssize_t n; (n = archive_read_data(a, buf, sizeof buf)) > 0;) {
        m.content.append(buf, static_cast<size_t>(n));
      }
      out.push_back(std::move(m));
    }
  }
  archive_read_free(a);
  return out;
}

bool Store(cf::archive::Archive& archive, const char* study, const char* series, const char* sop) {
  auto bytes = cf::testing::DicomBuilder()
                   .Study(study)
                   .Series(series)
                   .Sop(sop)
                   .Patient("P-77", "Wang^Fang")
                   .Set("StudyDate", "20261129")
                   .Pixels(8, 8)
                   .Build();
  return archive.Ingest(bytes, {"seed", "", "ruijin"}).has_value();
}

bool FileReport(cf::testing::TestFilms& films, const char* study, cf::film::ReportStatus status,
                std::string pdf) {
  cf::film::NewReportVersion v;
  v.tenant = "ruijin";
  v.study_uid = study;
  v.content.status = status;
  v.content.conclusion = "no abnormality";
  if (status != cf::film::ReportStatus::kPreliminary) {
    v.content.signer = "Dr. Li";
    v.content.signed_at_ms = 1795915800000;
  }
  v.content.pdf = cf::Bytes(cf::AsBytes(pdf).begin(), cf::AsBytes(pdf).end());
  return films.reports->Submit(v).has_value();
}

bool WriteSeed(cf::testing::TestFilms& films, const cf::film::Film& film, const fs::path& work,
               const fs::path& out) {
  const fs::path zip = work / (out.filename().string() + ".zip");
  if (!films.packager->Write(film, zip)) return false;
  std::ofstream(out, std::ios::binary | std::ios::trunc)
      << cf::fuzz::EncodePackageMembers(ReadZip(zip));
  std::printf("%s\n", out.c_str());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_package_seeds FOLDER\n");
    return 2;
  }
  const fs::path folder = argv[1];
  fs::create_directories(folder);
  cf::testing::TempDir dir;
  cf::testing::TestArchive archive;
  cf::testing::TestFilms films;
  if (!archive.Open(dir.Path() / "data") || !films.Open(dir.Path() / "films", *archive.archive)) {
    std::fprintf(stderr, "make_package_seeds: cannot open the test archive\n");
    return 1;
  }
  const auto fail = [](const char* what) {
    std::fprintf(stderr, "make_package_seeds: cannot %s\n", what);
    return 1;
  };
  using cf::film::ReportStatus;
  if (!Store(*archive.archive, "1.2.9.1", "1.2.9.1.1", "1.2.9.1.1.1") ||
      !Store(*archive.archive, "1.2.9.1", "1.2.9.1.1", "1.2.9.1.1.2") ||
      !Store(*archive.archive, "1.2.9.1", "1.2.9.1.2", "1.2.9.1.2.1") ||
      !Store(*archive.archive, "1.2.9.2", "1.2.9.2.1", "1.2.9.2.1.1") ||
      !Store(*archive.archive, "1.2.9.3", "1.2.9.3.1", "1.2.9.3.1.1")) {
    return fail("store the objects");
  }
  if (!FileReport(films, "1.2.9.1", ReportStatus::kPreliminary, "") ||
      !FileReport(films, "1.2.9.1", ReportStatus::kFinal, "%PDF-1.4\n% the report\n") ||
      !FileReport(films, "1.2.9.2", ReportStatus::kFinal, "")) {
    return fail("file the reports");
  }
  auto ct = films.issuer->Issue("ruijin", "1.2.9.1", "dr.li");
  auto first = films.issuer->Issue("ruijin", "1.2.9.2", "dr.li");
  if (!ct || !first || !FileReport(films, "1.2.9.2", ReportStatus::kAmended, "")) {
    return fail("issue the films");
  }
  auto amended = films.issuer->Issue("ruijin", "1.2.9.2", "dr.li");
  auto plain = films.issuer->Issue("ruijin", "1.2.9.3", "dr.li");
  if (!amended || !plain || amended->supersedes != first->id) return fail("amend the film");
  if (!WriteSeed(films, *ct, dir.Path(), folder / "ct-two-series-two-reports") ||
      !WriteSeed(films, *amended, dir.Path(), folder / "one-object-amended") ||
      !WriteSeed(films, *plain, dir.Path(), folder / "one-object-no-report")) {
    return fail("package the films");
  }
  return 0;
}
