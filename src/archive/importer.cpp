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
#include <condition_variable>
#include <cstring>
#include <deque>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>

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
  // libarchive's reason, which it does not always give (NULL: the import
  // fuzzer's ZIP made appending it read address 0).
  std::string ErrorText() const {
    const char* text = archive_error_string(a);
    return text != nullptr ? text : "no reason given";
  }
};

// Past a warning too: libarchive warns about an entry whose name it cannot
// convert (below) and still gives its data.
bool NextEntry(ArchiveReader& r, struct archive_entry** entry) {
  const int rc = archive_read_next_header(r.a, entry);
  return rc == ARCHIVE_OK || rc == ARCHIVE_WARN;
}

// An entry's name, for reports and for matching DICOMDIR file IDs.
// libarchive converts names to the process locale, and in the "C" locale a
// name the ZIP flags as UTF-8 (a Chinese folder name, zipped on a Mac or
// with 7-Zip) has no form at all: every accessor returns NULL. `cloudfilm
// import` runs in C.UTF-8 for that; in any other locale the entry gets a
// placeholder name rather than a crash, and is imported all the same.
std::string EntryName(struct archive_entry* entry, int64_t index) {
  if (const char* name = archive_entry_pathname_utf8(entry)) return name;
  if (const char* name = archive_entry_pathname(entry)) return name;
  return "entry " + std::to_string(index) + " (its name cannot be read in this locale)";
}

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
  for (int64_t index = 1; NextEntry(r, &entry); ++index) {
    if (archive_entry_filetype(entry) != AE_IFREG || Upper(EntryName(entry, index)) != "DICOMDIR") {
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

// libarchive ends quietly when a ZIP's central directory is damaged where
// it expects an entry: an "empty" ZIP (EOF before entry `index` 1) that
// begins with an entry is a damaged one.
bool EndsBeforeItsFirstEntry(const fs::path& zip, int64_t index) {
  return index == 1 && HasZipMagic(zip);
}

// Regular entries of a ZIP, DICOMDIR indexes left out (their files are
// entries too), as ProduceZip will report them: an unreadable ZIP, the
// damage that ends one, or a central directory that lists nothing in a
// file that begins with an entry, counts as the one more item it is
// reported as.
int64_t CountZipEntries(const fs::path& zip) {
  ArchiveReader r;
  archive_read_support_format_zip(r.a);
  if (archive_read_open_filename(r.a, zip.c_str(), 1 << 16) != ARCHIVE_OK) return 1;
  const auto media = RootDicomdirIds(zip);
  int64_t n = 0;
  struct archive_entry* entry = nullptr;
  for (int64_t index = 1;; ++index) {
    const int rc = archive_read_next_header(r.a, &entry);
    if (rc == ARCHIVE_EOF) return EndsBeforeItsFirstEntry(zip, index) ? 1 : n;
    if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) return n + 1;
    if (archive_entry_filetype(entry) == AE_IFREG && ImportsEntry(media, EntryName(entry, index)))
      ++n;
  }
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

Importer::Importer(Archive& archive, std::string tenant, ImportOptions options)
    : archive_(archive), tenant_(std::move(tenant)), options_(options) {}
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

// One object of the plan: a file for the worker to read, the bytes of a
// ZIP entry (a ZIP can only be read in order, by the producer), or what
// went wrong before there was anything to ingest.
struct Importer::Work {
  size_t seq = 0;
  std::string name;  // as ImportItem::name
  std::optional<fs::path> file;
  Bytes data;
  std::optional<Error> error;
};

// Work from the producer to the workers through a bounded queue, so that
// a large ZIP is not read into memory ahead of the ingests; results back
// to the caller in plan order, however the workers finish.
class Importer::Pipeline {
 public:
  explicit Pipeline(size_t capacity) : capacity_(capacity) {}

  void Push(Work work) {
    std::unique_lock lock(mu_);
    space_cv_.wait(lock, [&] { return queue_.size() < capacity_; });
    work.seq = pushed_++;
    queue_.push_back(std::move(work));
    work_cv_.notify_one();
  }

  void PushError(std::string name, Error error) {
    Work work;
    work.name = std::move(name);
    work.error = std::move(error);
    Push(std::move(work));
  }

  void PushFile(const fs::path& file) {
    Work work;
    work.name = file.string();
    work.file = file;
    Push(std::move(work));
  }

  void Close() {
    std::lock_guard lock(mu_);
    closed_ = true;
    work_cv_.notify_all();
    done_cv_.notify_all();
  }

  // nullopt once closed and drained.
  std::optional<Work> Pop() {
    std::unique_lock lock(mu_);
    work_cv_.wait(lock, [&] { return !queue_.empty() || closed_; });
    if (queue_.empty()) return std::nullopt;
    Work work = std::move(queue_.front());
    queue_.pop_front();
    space_cv_.notify_one();
    return work;
  }

  void Done(size_t seq, ImportItem item) {
    std::lock_guard lock(mu_);
    done_.emplace(seq, std::move(item));
    if (seq == next_) done_cv_.notify_all();
  }

  // The next result in plan order; nullopt when every object is reported.
  std::optional<ImportItem> Next() {
    std::unique_lock lock(mu_);
    done_cv_.wait(lock, [&] { return done_.contains(next_) || (closed_ && next_ == pushed_); });
    const auto it = done_.find(next_);
    if (it == done_.end()) return std::nullopt;
    ImportItem item = std::move(it->second);
    done_.erase(it);
    ++next_;
    return item;
  }

 private:
  std::mutex mu_;
  std::condition_variable work_cv_;   // queue_ not empty, or closed_
  std::condition_variable space_cv_;  // queue_ below capacity_
  std::condition_variable done_cv_;   // done_ holds next_, or all are out
  std::deque<Work> queue_;
  std::map<size_t, ImportItem> done_;
  const size_t capacity_;
  size_t pushed_ = 0;  // the sequence number of the next Push
  size_t next_ = 0;    // the sequence number Next returns next
  bool closed_ = false;
};

void Importer::Record(const ImportItem& item, ImportTotals& totals, const OnItem& on_item) {
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

void Importer::ProduceZip(const fs::path& zip, Pipeline& pipeline) {
  ArchiveReader r;
  archive_read_support_format_zip(r.a);
  if (archive_read_open_filename(r.a, zip.c_str(), 1 << 16) != ARCHIVE_OK) {
    pipeline.PushError(zip.string(),
                       Error{ErrorCode::kInvalidArgument, "cannot open ZIP: " + r.ErrorText()});
    return;
  }
  const uint64_t limit = archive_.Options().max_object_size;
  const auto media = RootDicomdirIds(zip);
  struct archive_entry* entry = nullptr;
  for (int64_t index = 1;; ++index) {
    const int rc = archive_read_next_header(r.a, &entry);
    if (rc == ARCHIVE_EOF && EndsBeforeItsFirstEntry(zip, index)) {
      pipeline.PushError(zip.string(),
                         Error{ErrorCode::kInvalidArgument,
                               "damaged ZIP: its central directory lists no entry, though the file "
                               "begins with one (repair it, e.g. zip -FF, and import it again)"});
      return;
    }
    if (rc == ARCHIVE_EOF) break;
    if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
      pipeline.PushError(zip.string(),
                         Error{ErrorCode::kInvalidArgument, "damaged ZIP: " + r.ErrorText()});
      return;
    }
    if (archive_entry_filetype(entry) != AE_IFREG) continue;
    const std::string entry_name = EntryName(entry, index);
    if (!ImportsEntry(media, entry_name)) continue;
    Work work;
    work.name = zip.string() + "!" + entry_name;
    if (archive_entry_size_is_set(entry) &&
        static_cast<uint64_t>(archive_entry_size(entry)) > limit) {
      work.error = Error{ErrorCode::kTooLarge, "ZIP entry larger than the object size limit"};
    }
    char buf[1 << 16];
    while (!work.error) {
      const la_ssize_t n = archive_read_data(r.a, buf, sizeof buf);
      if (n == 0) break;
      if (n < 0) {
        work.error = Error{ErrorCode::kInvalidArgument, "cannot read ZIP entry: " + r.ErrorText()};
      } else if (work.data.size() + static_cast<size_t>(n) > limit) {
        work.error = Error{ErrorCode::kTooLarge, "ZIP entry larger than the object size limit"};
      } else {
        const auto* p = reinterpret_cast<const std::byte*>(buf);
        work.data.insert(work.data.end(), p, p + n);
      }
    }
    if (work.error) work.data = Bytes{};
    pipeline.Push(std::move(work));
  }
}

void Importer::Produce(Pipeline& pipeline) {
  for (const auto& unit : planned_) {
    switch (unit.kind) {
      case Unit::Kind::kZip:
        ProduceZip(unit.path, pipeline);
        break;
      case Unit::Kind::kError:
        pipeline.PushError(unit.path.string(), unit.error);
        break;
      case Unit::Kind::kFile:
        pipeline.PushFile(unit.path);
        break;
    }
  }
}

ImportItem Importer::Ingest(Work& work) {
  ImportItem item{std::move(work.name), Fail(ErrorCode::kInternal, "")};
  if (work.error) {
    item.result = std::unexpected(std::move(*work.error));
    return item;
  }
  const char* via = "zip";
  if (work.file) {
    auto bytes = ReadFile(*work.file, archive_.Options().max_object_size);
    if (!bytes) {
      item.result = std::unexpected(bytes.error());
      return item;
    }
    work.data = std::move(*bytes);
    via = "file";
  }
  item.result = archive_.Ingest(work.data, IngestSource{"import", via, tenant_});
  return item;
}

ImportTotals Importer::Run(const OnItem& on_item) {
  constexpr int kMaxJobs = 64;
  const int jobs =
      options_.jobs > 0
          ? std::min(options_.jobs, kMaxJobs)
          : std::clamp(2 * static_cast<int>(std::thread::hardware_concurrency()), 2, 16);
  Pipeline pipeline(static_cast<size_t>(jobs));
  ImportTotals totals;
  {
    std::vector<std::jthread> threads;
    threads.emplace_back([&] {
      Produce(pipeline);
      pipeline.Close();
    });
    for (int i = 0; i < jobs; ++i) {
      threads.emplace_back([&] {
        while (auto work = pipeline.Pop()) {
          const size_t seq = work->seq;
          pipeline.Done(seq, Ingest(*work));
        }
      });
    }
    while (auto item = pipeline.Next()) Record(*item, totals, on_item);
  }
  return totals;
}

}  // namespace cf::archive
