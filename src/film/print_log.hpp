// SPDX-License-Identifier: Apache-2.0
// What the self-service kiosks (and the service desk) have printed for a
// patient: each report version's PDF and each film's film sheet, with the
// first and last print time and how often. The kiosk shows "printed" from
// here; the audit trail keeps who printed what (action "print"). Kept in
// DATA/prints.sqlite, encrypted below SQLite like the other databases.
// Thread-safe; calls block.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace cf::film {

// What was printed: a report version's PDF or a film's film sheet.
enum class PrintKind { kReport, kFilmSheet };
std::string_view PrintKindName(PrintKind kind);  // "report", "film-sheet"

struct PrintTarget {
  std::string tenant;
  PrintKind kind = PrintKind::kReport;
  std::string id;   // the report id or the film id
  int version = 0;  // the report version; 0 for a film sheet
};

struct PrintRecord {
  int64_t first_ms = 0;
  int64_t last_ms = 0;
  int64_t count = 0;
  std::string last_by;  // the account that printed last (kiosk login)
};

class PrintLog {
 public:
  static Result<std::unique_ptr<PrintLog>> Open(const std::filesystem::path& path,
                                                const std::string& vfs);
  ~PrintLog();
  PrintLog(const PrintLog&) = delete;
  PrintLog& operator=(const PrintLog&) = delete;

  // Counts one print of `target` at `now_ms` by `by`; returns the record
  // after it. kInvalidArgument for an empty tenant or id.
  Result<PrintRecord> Record(const PrintTarget& target, std::string_view by, int64_t now_ms);
  // nullopt: never printed.
  Result<std::optional<PrintRecord>> Get(const PrintTarget& target);

 private:
  struct Impl;
  explicit PrintLog(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace cf::film
