// SPDX-License-Identifier: Apache-2.0
// Bulk import of what hospitals hand over: single files, folders (walked
// recursively), ZIP archives and DICOMDIR media. Every object goes through
// Archive::Ingest, so imported data has the same durability and versioning
// as received data. Several objects are ingested at once (ImportOptions::jobs)
// so that their journal syncs are shared, as for concurrent associations;
// results are still reported in plan order. Not thread-safe: one import per
// Importer.
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

struct ImportOptions {
  // Objects ingested at once; 0 picks twice the cores (at least 2): an
  // ingest mostly waits for its journal sync, which concurrent ingests
  // share. With 1, objects are ingested strictly in plan order, so that of
  // two objects with one SOP Instance UID the first planned is version 1;
  // with more, the first to be committed is.
  int jobs = 0;
};

class Importer {
 public:
  // Files every object under `tenant` (a tenant code).
  Importer(Archive& archive, std::string tenant, ImportOptions options = {});
  ~Importer();

  // Walks `inputs` once (folders, DICOMDIR references, ZIP entry headers) and
  // returns how many objects they hold, so that progress can be shown.
  // Unreadable inputs count as one object. Run imports what was planned.
  int64_t Plan(const std::vector<std::filesystem::path>& inputs);

  // Imports what Plan found, calling `on_item` on the calling thread once
  // per object, in plan order, with the totals so far (that object
  // included). Returns the totals; a rejected object does not stop the
  // import.
  using OnItem = std::function<void(const ImportItem&, const ImportTotals&)>;
  ImportTotals Run(const OnItem& on_item);

 private:
  struct Unit;
  struct Work;
  class Pipeline;
  std::vector<Unit> Expand(const std::filesystem::path& input);
  // Hands each object of the plan, in order, to `pipeline`.
  void Produce(Pipeline& pipeline);
  void ProduceZip(const std::filesystem::path& zip, Pipeline& pipeline);
  ImportItem Ingest(Work& work);
  static void Record(const ImportItem& item, ImportTotals& totals, const OnItem& on_item);

  Archive& archive_;
  std::string tenant_;
  ImportOptions options_;
  std::vector<Unit> planned_;
};

}  // namespace cf::archive
