// SPDX-License-Identifier: Apache-2.0
// Bulk import of what hospitals hand over: single files, folders (walked
// recursively), ZIP archives and DICOMDIR media. Every object goes through
// Archive::Ingest, so imported data has the same durability and versioning
// as received data. Not thread-safe: one import per Importer.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "archive/archive.hpp"

namespace cf::archive {

struct ImportItem {
  std::string name;  // file path, or "archive.zip!entry/path"
  Result<IngestReceipt> result = std::unexpected(Error{ErrorCode::kInternal, "not run"});
};

struct ImportTotals {
  int64_t stored = 0;
  int64_t already_present = 0;
  int64_t new_versions = 0;
  int64_t rejected = 0;
  uint64_t bytes = 0;
};

class Importer {
 public:
  // Files every object under `tenant` (a tenant code).
  Importer(Archive& archive, std::string tenant);
  ~Importer();

  // Walks `inputs` once (folders, DICOMDIR references, ZIP entry headers) and
  // returns how many objects they hold, so that progress can be shown.
  // Unreadable inputs count as one object. Run imports what was planned.
  int64_t Plan(const std::vector<std::filesystem::path>& inputs);

  // Imports what Plan found, calling `on_item` once per object in order with
  // the totals so far (that object included). Returns the totals; a rejected
  // object does not stop the import.
  using OnItem = std::function<void(const ImportItem&, const ImportTotals&)>;
  ImportTotals Run(const OnItem& on_item);

 private:
  struct Unit;
  std::vector<Unit> Expand(const std::filesystem::path& input);
  void ImportZip(const std::filesystem::path& zip, ImportTotals& totals, const OnItem& on_item);
  void Record(ImportItem& item, ImportTotals& totals, const OnItem& on_item);

  Archive& archive_;
  std::string tenant_;
  std::vector<Unit> planned_;
};

}  // namespace cf::archive
