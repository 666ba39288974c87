// SPDX-License-Identifier: Apache-2.0
// The attribute table of the query model and the checks on matching values
// that do not need the database.
#include "catalog/query.hpp"

#include <algorithm>
#include <array>

namespace cf::catalog {
namespace {

struct AttrInfo {
  QueryAttr attr;
  uint32_t tag;
  const char* keyword;
  QueryLevel level;
};

constexpr std::array<AttrInfo, 25> kAttrs = {{
    {QueryAttr::kPatientId, 0x00100020, "PatientID", QueryLevel::kPatient},
    {QueryAttr::kIssuerOfPatientId, 0x00100021, "IssuerOfPatientID", QueryLevel::kPatient},
    {QueryAttr::kPatientName, 0x00100010, "PatientName", QueryLevel::kPatient},
    {QueryAttr::kPatientBirthDate, 0x00100030, "PatientBirthDate", QueryLevel::kPatient},
    {QueryAttr::kPatientSex, 0x00100040, "PatientSex", QueryLevel::kPatient},
    {QueryAttr::kStudyInstanceUid, 0x0020000D, "StudyInstanceUID", QueryLevel::kStudy},
    {QueryAttr::kStudyDate, 0x00080020, "StudyDate", QueryLevel::kStudy},
    {QueryAttr::kStudyTime, 0x00080030, "StudyTime", QueryLevel::kStudy},
    {QueryAttr::kAccessionNumber, 0x00080050, "AccessionNumber", QueryLevel::kStudy},
    {QueryAttr::kStudyId, 0x00200010, "StudyID", QueryLevel::kStudy},
    {QueryAttr::kStudyDescription, 0x00081030, "StudyDescription", QueryLevel::kStudy},
    {QueryAttr::kReferringPhysicianName, 0x00080090, "ReferringPhysicianName", QueryLevel::kStudy},
    {QueryAttr::kModalitiesInStudy, 0x00080061, "ModalitiesInStudy", QueryLevel::kStudy},
    {QueryAttr::kSeriesInstanceUid, 0x0020000E, "SeriesInstanceUID", QueryLevel::kSeries},
    {QueryAttr::kModality, 0x00080060, "Modality", QueryLevel::kSeries},
    {QueryAttr::kSeriesNumber, 0x00200011, "SeriesNumber", QueryLevel::kSeries},
    {QueryAttr::kSeriesDescription, 0x0008103E, "SeriesDescription", QueryLevel::kSeries},
    {QueryAttr::kBodyPartExamined, 0x00180015, "BodyPartExamined", QueryLevel::kSeries},
    {QueryAttr::kSeriesDate, 0x00080021, "SeriesDate", QueryLevel::kSeries},
    {QueryAttr::kSeriesTime, 0x00080031, "SeriesTime", QueryLevel::kSeries},
    {QueryAttr::kPerformedProcedureStepStartDate, 0x00400244, "PerformedProcedureStepStartDate",
     QueryLevel::kSeries},
    {QueryAttr::kPerformedProcedureStepStartTime, 0x00400245, "PerformedProcedureStepStartTime",
     QueryLevel::kSeries},
    {QueryAttr::kSopInstanceUid, 0x00080018, "SOPInstanceUID", QueryLevel::kInstance},
    {QueryAttr::kSopClassUid, 0x00080016, "SOPClassUID", QueryLevel::kInstance},
    {QueryAttr::kInstanceNumber, 0x00200013, "InstanceNumber", QueryLevel::kInstance},
}};

const AttrInfo& Info(QueryAttr attr) {
  for (const auto& info : kAttrs) {
    if (info.attr == attr) return info;
  }
  return kAttrs[0];  // unreachable: every enumerator is in the table
}

std::vector<std::string_view> SplitOn(std::string_view text, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (;;) {
    const size_t end = text.find(sep, start);
    out.push_back(text.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) return out;
    start = end + 1;
  }
}

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool IsUidText(std::string_view s) {
  return !s.empty() && s.size() <= 64 &&
         std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || c == '.'; });
}

bool IsDate(std::string_view d) {
  if (d.size() != 8 || !AllDigits(d)) return false;
  const int month = (d[4] - '0') * 10 + (d[5] - '0');
  const int day = (d[6] - '0') * 10 + (d[7] - '0');
  return month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

// HH, HHMM, HHMMSS or HHMMSS.F{1,6}
bool IsTime(std::string_view t) {
  const auto dot = t.find('.');
  const std::string_view whole = t.substr(0, dot);
  if (whole.size() != 2 && whole.size() != 4 && whole.size() != 6) return false;
  if (!AllDigits(whole)) return false;
  if (dot != std::string_view::npos) {
    const auto fraction = t.substr(dot + 1);
    if (whole.size() != 6 || fraction.empty() || fraction.size() > 6 || !AllDigits(fraction)) {
      return false;
    }
  }
  return (whole[0] - '0') * 10 + (whole[1] - '0') < 24;
}

Result<void> CheckRange(std::string_view name, std::string_view value,
                        bool (*valid)(std::string_view)) {
  const auto dash = value.find('-');
  auto bad = [&] {
    return Fail(ErrorCode::kInvalidArgument,
                std::string(name) + " must be a value or a range 'from-to', 'from-' or '-to' " +
                    "of valid values");
  };
  if (dash == std::string_view::npos) {
    if (!valid(value)) return bad();
    return {};
  }
  const auto from = value.substr(0, dash);
  const auto to = value.substr(dash + 1);
  if (to.find('-') != std::string_view::npos || (from.empty() && to.empty())) return bad();
  if (!from.empty() && !valid(from)) return bad();
  if (!to.empty() && !valid(to)) return bad();
  if (!from.empty() && !to.empty() && from > to) {
    return Fail(ErrorCode::kInvalidArgument, std::string(name) + " range ends before it starts");
  }
  return {};
}

char AsciiUpper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }

std::string Upper(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), AsciiUpper);
  return out;
}

void AddWord(std::vector<std::string>& words, std::string word) {
  if (word.empty()) return;
  if (std::find(words.begin(), words.end(), word) == words.end()) words.push_back(std::move(word));
}

// Chinese names are often written in one component without a space
// ("王小明"); a search for the given name "小明" must still find them, so
// a word in non-ASCII script also counts from each of its later characters.
void AddWordAndSuffixes(std::vector<std::string>& words, const std::string& word) {
  AddWord(words, word);
  const bool ascii = std::all_of(word.begin(), word.end(),
                                 [](char c) { return static_cast<unsigned char>(c) < 0x80; });
  if (ascii) return;
  for (size_t i = 1; i < word.size(); ++i) {
    const auto byte = static_cast<unsigned char>(word[i]);
    if ((byte & 0xC0) != 0x80) AddWord(words, word.substr(i));  // a UTF-8 lead byte
  }
}

}  // namespace

std::optional<QueryAttr> QueryAttrForTag(uint32_t tag) {
  for (const auto& info : kAttrs) {
    if (info.tag == tag) return info.attr;
  }
  return std::nullopt;
}

std::optional<QueryAttr> QueryAttrForKeyword(std::string_view keyword) {
  for (const auto& info : kAttrs) {
    if (keyword == info.keyword) return info.attr;
  }
  return std::nullopt;
}

uint32_t TagOf(QueryAttr attr) { return Info(attr).tag; }

QueryLevel LevelOf(QueryAttr attr) { return Info(attr).level; }

Result<void> ValidateQuery(const Query& query) {
  if (query.limit < 0 || query.offset < 0) {
    return Fail(ErrorCode::kInvalidArgument, "limit and offset must not be negative");
  }
  for (const auto& c : query.conditions) {
    const AttrInfo& info = Info(c.attr);
    if (static_cast<int>(info.level) > static_cast<int>(query.level)) {
      return Fail(ErrorCode::kInvalidArgument,
                  std::string(info.keyword) + " cannot be matched at this query level");
    }
    if (c.value.empty()) continue;
    if (c.value.size() > 1024) {
      return Fail(ErrorCode::kInvalidArgument, std::string(info.keyword) + " value is too long");
    }
    switch (c.attr) {
      case QueryAttr::kStudyInstanceUid:
      case QueryAttr::kSeriesInstanceUid:
      case QueryAttr::kSopInstanceUid:
      case QueryAttr::kSopClassUid:
        for (auto uid : SplitOn(c.value, '\\')) {
          if (!IsUidText(uid)) {
            return Fail(
                ErrorCode::kInvalidArgument,
                std::string(info.keyword) + " must be a UID or a list of UIDs separated by '\\'");
          }
        }
        break;
      case QueryAttr::kStudyDate:
      case QueryAttr::kPatientBirthDate:
      case QueryAttr::kSeriesDate:
      case QueryAttr::kPerformedProcedureStepStartDate:
        if (auto r = CheckRange(info.keyword, c.value, IsDate); !r) return r;
        break;
      case QueryAttr::kStudyTime:
      case QueryAttr::kSeriesTime:
      case QueryAttr::kPerformedProcedureStepStartTime:
        if (auto r = CheckRange(info.keyword, c.value, IsTime); !r) return r;
        break;
      case QueryAttr::kSeriesNumber:
      case QueryAttr::kInstanceNumber:
        for (auto n : SplitOn(c.value, '\\')) {
          const auto digits = !n.empty() && (n[0] == '-' || n[0] == '+') ? n.substr(1) : n;
          if (!AllDigits(digits) || digits.size() > 9) {
            return Fail(ErrorCode::kInvalidArgument,
                        std::string(info.keyword) + " must be an integer or a list of integers");
          }
        }
        break;
      default:
        break;
    }
  }
  return {};
}

std::vector<std::string> NameWords(std::string_view person_name) {
  std::vector<std::string> words;
  for (auto group : SplitOn(person_name, '=')) {
    const auto components = SplitOn(group, '^');
    std::string family_given;
    for (size_t i = 0; i < components.size(); ++i) {
      for (auto word : SplitOn(components[i], ' ')) AddWordAndSuffixes(words, Upper(word));
      if (i < 2) {
        for (auto word : SplitOn(components[i], ' ')) family_given += Upper(word);
      }
    }
    if (components.size() > 1) AddWordAndSuffixes(words, family_given);
  }
  return words;
}

}  // namespace cf::catalog
