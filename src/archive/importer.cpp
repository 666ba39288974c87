// SPDX-License-Identifier: Apache-2.0
// Import walks its inputs in a stable (sorted) order so that two imports of
// the same media report the same thing. ZIP archives are read with
// libarchive, entry by entry, never unpacked to disk. A DICOMDIR given as an
// input is followed to the files it references; one met while walking a
// folder is skipped, since the files it lists are walked anyway. A ZIP with
// a DICOMDIR at its root is media (a film package, a CD zipped up): only
// the files that DICOMDIR references are imported, so that its README,
// reports and signatures are not taken for broken DICOM objects.
#include "archive/importer.hpp"

#include <archive.h>
#include <archive_entry.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <optional>
#include <set>

#include "core/file_io.hpp"
#include "dicom/dicomdir.hpp"

namespace cf::archive {
namespace fs = std::filesystem;

namespace {

bool HasZipMagic(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  char magic[4] = {};
  in.read(magic, 4);
  return in.gcount() == 4 && std::memcmp(magic, "PK\x03\x04", 4) == 0;
}

bool IsDicomdirName(const fs::path& p) {
  std::string name = p.filename().string();
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return std::toupper(c); });
  return name == "DICOMDIR";
}

// CDs often use upper-case names while the DICOMDIR says otherwise (or the
// reverse); find the file component by component, ignoring case.
fs::path ResolveFileId(const fs::path& root, const std::string& file_id) {
  fs::path exact = root / file_id;
  std::error_code ec;
  if (fs::exists(exact, ec)) return exact;
  fs::path cur = root;
  size_t start = 0;
  while (start <= file_id.size()) {
    const size_t slash = file_id.find('/', start);
    const std::string part =
        file_id.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    bool found = false;
    for (const auto& e : fs::directory_iterator(cur, ec)) {
      const std::string n = e.path().filename().string();
      if (n.size() == part.size() &&
          std::equal(n.begin(), n.end(), part.begin(), [](char a, char b) {
            return std::tolower(static_cast<unsigned char>(a)) ==
                   std::tolower(static_cast<unsigned char>(b));
          })) {
        cur = e.path();
        found = true;
        break;
      }
    }
    if (!found) return exact;
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return cur;
}

struct ArchiveReader {
  struct archive* a = archive_read_new();
  ~ArchiveReader() { archive_read_free(a); }
};

std::string Upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::toupper(c); });
  return s;
}

// The upper-cased file IDs the DICOMDIR at the root of `zip` references;
// nullopt when there is none (or it cannot be read: then every entry is
// tried, as for any ZIP).
std::optional<std::set<std::string>> RootDicomdirIds(const fs::path& zip) {
  constexpr size_t kMaxDicomdir = 64 << 20;
  ArchiveReader r;
  archive_read_support_format_zip(r.a);
  if (archive_read_open_filename(r.a, zip.c_str(), 1 << 16) != ARCHIVE_OK) return std::nullopt;
  struct archive_entry* entry = nullptr;
  while (archive_read_next_header(r.a, &entry) == ARCHIVE_OK) {
    if (archive_entry_filetype(entry) != AE_IFREG ||
        Upper(archive_entry_pathname(entry)) != "DICOMDIR") {
      continue;
    }
    // Read to the end: a streamed ZIP entry need not state its size.
    Bytes data;
    char buf[1 << 16];
    for (la_ssize_t n; (n = archive_read_data(r.a, buf, sizeof buf)) != 0;) {
      if (n < 0 || data.size() + static_cast<size_t>(n) > kMaxDicomdir) return std::nullopt;
      const auto* p = reinterpret_cast<const std::byte*>(buf);
      data.insert(data.end(), p, p + n);
    }
    auto ids = dicom::ReadDicomdirFileIds(ByteView(data));
    if (!ids) return std::nullopt;
    std::set<std::string> out;
    for (const auto& id : *ids) out.insert(Upper(id));
    return out;
  }
  return std::nullopt;
}

bool ImportsEntry(const std::optional<std::set<std::string>>& media, const std::string& name) {
  if (IsDicomdirName(name)) return false;
  return !media || media->contains(Upper(name));
}

// Regular entries of a ZIP, DICOMDIR indexes left out (their files are
// entries too); an unreadable ZIP counts as the one object it is reported as.
int64_t CountZipEntries(const fs::path& zip) {
  ArchiveReader r;
  archive_read_support_format_zip(r.a);
  if (archive_read_open_filename(r.a, zip.c_str(), 1 << 16) != ARCHIVE_OK) return 1;
  const auto media = RootDicomdirIds(zip);
  int64_t n = 0;
  struct archive_entry* entry = nullptr;
  while (archive_read_next_header(r.a, &entry) == ARCHIVE_OK) {
    if (archive_entry_filetype(entry) == AE_IFREG &&
        ImportsEntry(media, archive_entry_pathname(entry)))
      ++n;
  }
  return n;
}

}  // namespace

struct Importer::Unit {
  enum class Kind { kFile, kZip, kError } kind;
  fs::path path;
  Error error{ErrorCode::kInternal, ""};
};

std::vector<Importer::Unit> Importer::Expand(const fs::path& input) {
  std::vector<Unit> units;
  std::error_code ec;
  const auto status = fs::status(input, ec);
  if (ec || !fs::exists(status)) {
    units.push_back(
        {Unit::Kind::kError, input, Error{ErrorCode::kNotFound, "no such file or folder"}});
    return units;
  }
  if (fs::is_directory(status)) {
    std::vector<fs::path> files;
    for (auto it = fs::recursive_directory_iterator(
             input, fs::directory_options::skip_permission_denied, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (it->is_regular_file(ec) && !IsDicomdirName(it->path())) files.push_back(it->path());
    }
    if (ec)
      units.push_back(
          {Unit::Kind::kError, input,
           Error{ErrorCode::kStorageUnavailable, "cannot walk folder: " + ec.message()}});
    std::sort(files.begin(), files.end());
    for (auto& f : files) {
      units.push_back({HasZipMagic(f) ? Unit::Kind::kZip : Unit::Kind::kFile, std::move(f), {}});
    }
    return units;
  }
  if (IsDicomdirName(input)) {
    auto ids = dicom::ReadDicomdirFileIds(input);
    if (!ids) {
      units.push_back({Unit::Kind::kError, input, ids.error()});
      return units;
    }
    for (const auto& id : *ids) {
      units.push_back({Unit::Kind::kFile, ResolveFileId(input.parent_path(), id), {}});
    }
    return units;
  }
  units.push_back({HasZipMagic(input) ? Unit::Kind::kZip : Unit::Kind::kFile, input, {}});
  return units;
}

Importer::Importer(Archive& archive, std::string tenant)
    : archive_(archive), tenant_(std::move(tenant)) {}
Importer::~Importer() = default;

int64_t Importer::Plan(const std::vector<fs::path>& inputs) {
  planned_.clear();
  int64_t n = 0;
  for (const auto& input : inputs) {
    for (auto& unit : Expand(input)) {
      n += unit.kind == Unit::Kind::kZip ? CountZipEntries(unit.path) : 1;
      planned_.push_back(std::move(unit));
    }
  }
  return n;
}

void Importer::Record(ImportItem& item, ImportTotals& totals, const OnItem& on_item) {
  if (!item.result) {
    ++totals.rejected;
  } else {
    totals.bytes += item.result->size;
    switch (item.result->outcome) {
      case catalog::IndexOutcome::kStored:
        ++totals.stored;
        break;
      case catalog::IndexOutcome::kAlreadyPresent:
        ++totals.already_present;
        break;
      case catalog::IndexOutcome::kNewVersion:
        ++totals.new_versions;
        break;
    }
  }
  if (on_item) on_item(item, totals);
}

void Importer::ImportZip(const fs::path& zip, ImportTotals& totals, const OnItem& on_item) {
  ArchiveReader r;
  archive_read_support_format_zip(r.a);
  if (archive_read_open_filename(r.a, zip.c_str(), 1 << 16) != ARCHIVE_OK) {
    ImportItem item{zip.string(),
                    Fail(ErrorCode::kInvalidArgument,
                         std::string("cannot open ZIP: ") + archive_error_string(r.a))};
    Record(item, totals, on_item);
    return;
  }
  const uint64_t limit = archive_.Options().max_object_size;
  const auto media = RootDicomdirIds(zip);
  struct archive_entry* entry = nullptr;
  for (;;) {
    const int rc = archive_read_next_header(r.a, &entry);
    if (rc == ARCHIVE_EOF) break;
    if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
      ImportItem item{zip.string(), Fail(ErrorCode::kInvalidArgument,
                                         std::string("damaged ZIP: ") + archive_error_string(r.a))};
      Record(item, totals, on_item);
      return;
    }
    if (archive_entry_filetype(entry) != AE_IFREG) continue;
    const std::string entry_name = archive_entry_pathname(entry);
    if (!ImportsEntry(media, entry_name)) continue;
    ImportItem item{zip.string() + "!" + entry_name, Fail(ErrorCode::kInternal, "")};
    Bytes data;
    bool ok = true;
    if (archive_entry_size_is_set(entry) &&
        static_cast<uint64_t>(archive_entry_size(entry)) > limit) {
      item.result = Fail(ErrorCode::kTooLarge, "ZIP entry larger than the object size limit");
      ok = false;
    }
    char buf[1 << 16];
    while (ok) {
      const la_ssize_t n = archive_read_data(r.a, buf, sizeof buf);
      if (n == 0) break;
      if (n < 0) {
        item.result = Fail(ErrorCode::kInvalidArgument,
                           std::string("cannot read ZIP entry: ") + archive_error_string(r.a));
        ok = false;
        break;
      }
      if (data.size() + static_cast<size_t>(n) > limit) {
        item.result = Fail(ErrorCode::kTooLarge, "ZIP entry larger than the object size limit");
        ok = false;
        break;
      }
      const auto* p = reinterpret_cast<const std::byte*>(buf);
      data.insert(data.end(), p, p + n);
    }
    if (ok) item.result = archive_.Ingest(data, IngestSource{"import", "zip", tenant_});
    Record(item, totals, on_item);
  }
}

ImportTotals Importer::Run(const OnItem& on_item) {
  ImportTotals totals;
  const uint64_t limit = archive_.Options().max_object_size;
  for (const auto& unit : planned_) {
    if (unit.kind == Unit::Kind::kZip) {
      ImportZip(unit.path, totals, on_item);
      continue;
    }
    ImportItem item{unit.path.string(), Fail(ErrorCode::kInternal, "")};
    if (unit.kind == Unit::Kind::kError) {
      item.result = std::unexpected(unit.error);
    } else {
      auto bytes = ReadFile(unit.path, limit);
      item.result = bytes ? archive_.Ingest(*bytes, IngestSource{"import", "file", tenant_})
                          : Result<IngestReceipt>(std::unexpected(bytes.error()));
    }
    Record(item, totals, on_item);
  }
  return totals;
}

}  // namespace cf::archive
