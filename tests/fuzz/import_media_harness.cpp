// SPDX-License-Identifier: Apache-2.0
#include "fuzz/import_media_harness.hpp"

#include <unistd.h>

#include <clocale>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <vector>

#include "archive/archive.hpp"
#include "archive/importer.hpp"
#include "catalog/sqlite_catalog.hpp"
#include "core/log.hpp"
#include "fuzz/package_verify_harness.hpp"
#include "fuzz/require.hpp"
#include "store/filesystem_blob_store.hpp"

namespace cf::fuzz {
namespace {

namespace fs = std::filesystem;

// The throw-away archive every input is imported into (no fsync: nothing
// here needs to survive the process), and the folder media are written to.
struct Setting {
  fs::path root;
  std::unique_ptr<store::FilesystemBlobStore> blobs;
  std::unique_ptr<catalog::Catalog> catalog;
  std::unique_ptr<archive::Archive> archive;
};

Setting& TheSetting() {
  static Setting setting = [] {
    // As `cloudfilm import` runs (import_command.cpp), without a line per
    // rejected object.
    std::setlocale(LC_CTYPE, "C.UTF-8");
    log::SetLevel(log::Level::kError);
    Setting s;
    s.root = fs::temp_directory_path() / ("cf-import-fuzz-" + std::to_string(getpid()));
    fs::remove_all(s.root);
    fs::create_directories(s.root / "archive");
    auto blobs = store::FilesystemBlobStore::Open({s.root / "archive", false});
    Require(blobs.has_value());
    s.blobs = std::move(*blobs);
    catalog::SqliteOptions options;
    options.path = s.root / "archive" / "catalog.sqlite";
    options.synchronous_full = false;
    options.read_connections = 1;
    auto catalog = catalog::OpenSqliteCatalog(options);
    Require(catalog.has_value());
    s.catalog = std::move(*catalog);
    s.archive = std::make_unique<archive::Archive>(*s.catalog, *s.blobs, archive::ArchiveOptions{});
    return s;
  }();
  return setting;
}

// Writes the members below `folder`; names that would leave it (or that
// no file can have) are left out: the harness's own hygiene, not the
// importer's.
void WriteFolder(const fs::path& folder, const std::vector<PackageMember>& members) {
  for (const auto& m : members) {
    const fs::path relative(m.name);
    if (m.name.empty() || m.name.find('\0') != std::string::npos || relative.is_absolute() ||
        m.name.find("..") != std::string::npos || m.name.back() == '/') {
      continue;
    }
    std::error_code ec;
    fs::create_directories((folder / relative).parent_path(), ec);
    std::ofstream(folder / relative, std::ios::binary) << m.content;
  }
}

}  // namespace

std::string RunImportMedia(std::span<const uint8_t> input) {
  if (input.empty()) return "empty";
  Setting& setting = TheSetting();
  const bool folder_media = (input[0] & 1) != 0;
  const auto members = DecodePackageMembers(input.subspan(1));
  const fs::path media = setting.root / "media";
  fs::remove_all(media);
  fs::create_directories(media);

  fs::path given;      // what is handed to the importer
  std::string inside;  // what every item's name must start with
  if (folder_media) {
    const fs::path folder = media / "cd";
    fs::create_directories(folder);
    WriteFolder(folder, members);
    given = fs::exists(folder / "DICOMDIR") ? folder / "DICOMDIR" : folder;
    inside = folder.string() + "/";
  } else {
    given = media / "media.zip";
    (void)WriteStoredZip(given, members);  // a ZIP libarchive could not finish is media too
    inside = given.string();
  }

  archive::Importer importer(*setting.archive, "fuzz", {.jobs = 1});
  const int64_t planned = importer.Plan({given});
  int64_t items = 0;
  const auto totals =
      importer.Run([&](const archive::ImportItem& item, const archive::ImportTotals&) {
        ++items;
        Require(!item.name.empty());
        Require(item.name.starts_with(inside));
        if (!item.result) Require(!item.result.error().message.empty());
      });
  if (items != planned) {
    std::fprintf(stderr, "planned %lld objects, imported %lld\n", static_cast<long long>(planned),
                 static_cast<long long>(items));
  }
  Require(items == planned);
  Require(totals.stored + totals.already_present + totals.new_versions + totals.rejected == items);
  return std::string(folder_media ? "folder: " : "zip: ") + std::to_string(totals.stored) +
         " stored, " + std::to_string(totals.already_present + totals.new_versions) + " present, " +
         std::to_string(totals.rejected) + " rejected";
}

}  // namespace cf::fuzz
