// SPDX-License-Identifier: Apache-2.0
// Query/Retrieve identifiers to catalog queries and back (see identifier.hpp).
#include "dimse/identifier.hpp"

#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcelem.h>

#include <optional>

#include "dimse/sop_classes.hpp"

namespace cf::dimse {
namespace {

using catalog::QueryAttr;
using catalog::QueryLevel;

std::string Trim(std::string_view s) {
  const auto first = s.find_first_not_of(' ');
  if (first == std::string_view::npos) return {};
  return std::string(s.substr(first, s.find_last_not_of(' ') - first + 1));
}

uint32_t TagNumber(const DcmTagKey& tag) {
  return (static_cast<uint32_t>(tag.getGroup()) << 16) | tag.getElement();
}

// Identifiers from peers that name a character set other than UTF-8 are
// converted, so that values meet the catalog's UTF-8 text.
Result<void> ToUtf8(DcmDataset& identifier) {
  OFString charset;
  identifier.findAndGetOFStringArray(DCM_SpecificCharacterSet, charset);
  const std::string name = Trim(charset.c_str());
  if (name.empty() || name == "ISO_IR 192" || name == "ISO_IR 6") return {};
  if (identifier.convertToUTF8().bad()) {
    return Fail(ErrorCode::kInvalidArgument, "cannot convert the identifier's character set");
  }
  return {};
}

Result<std::pair<QueryLevel, std::string>> ReadLevel(DcmDataset& identifier, QrModel model) {
  OFString text;
  if (identifier.findAndGetOFString(DCM_QueryRetrieveLevel, text).bad()) {
    return Fail(ErrorCode::kInvalidArgument, "QueryRetrieveLevel (0008,0052) is missing");
  }
  const std::string level = Trim(text.c_str());
  if (level == "PATIENT" && model == QrModel::kPatientRoot) return {{QueryLevel::kPatient, level}};
  if (level == "STUDY") return {{QueryLevel::kStudy, level}};
  if (level == "SERIES") return {{QueryLevel::kSeries, level}};
  if (level == "IMAGE") return {{QueryLevel::kInstance, level}};
  return Fail(ErrorCode::kInvalidArgument,
              "QueryRetrieveLevel must be " +
                  std::string(model == QrModel::kPatientRoot ? "PATIENT, " : "") +
                  "STUDY, SERIES or IMAGE");
}

// The value of a top-level element as an identifier writes it (multiple
// values joined by '\'), without the padding spaces.
std::string ValueOf(DcmElement& element) {
  OFString value;
  if (element.getOFStringArray(value).bad()) return {};
  return Trim(value.c_str());
}

// The tag a response writes a key with: with the dictionary's VR, so that
// a request's wrong VR is not echoed; for a tag the dictionary lacks
// (private, or newer than DCMTK's), with the VR the request gave it, or UN
// when its encoding (implicit VR) gave none.
DcmTag ResponseTag(const DcmTag& as_sent) {
  auto unknown = [](const DcmTag& t) {
    return t.getEVR() == EVR_UNKNOWN || t.getEVR() == EVR_UNKNOWN2B;
  };
  DcmTag tag(as_sent.getGroup(), as_sent.getElement());
  if (!unknown(tag)) return tag;
  tag = as_sent;
  if (unknown(tag)) tag.setVR(DcmVR(EVR_UN));
  return tag;
}

bool IsReturnKey(const DcmTagKey& tag) {
  if (tag.getGroup() <= 0x0002 || tag.getElement() == 0x0000) return false;  // meta, lengths
  return tag != DCM_SpecificCharacterSet && tag != DCM_QueryRetrieveLevel;
}

std::string Join(const std::vector<std::string>& values) {
  std::string out;
  for (const auto& v : values) {
    if (!out.empty()) out += '\\';
    out += v;
  }
  return out;
}

std::string Number(std::optional<int> n) { return n ? std::to_string(*n) : std::string(); }

// The value of a catalog attribute in `match`; empty when not recorded.
std::string AttrValue(QueryAttr attr, const catalog::QueryMatch& m) {
  const auto& p = m.patient;
  const auto& st = m.study;
  auto either = [](const std::string& a, const std::string& b) { return a.empty() ? b : a; };
  switch (attr) {
    case QueryAttr::kPatientId:
      return either(p.patient_id, st.patient_id);
    case QueryAttr::kIssuerOfPatientId:
      return either(p.issuer_of_patient_id, st.issuer_of_patient_id);
    case QueryAttr::kPatientName:
      return either(p.patient_name, st.patient_name);
    case QueryAttr::kPatientBirthDate:
      return either(p.birth_date, st.patient_birth_date);
    case QueryAttr::kPatientSex:
      return either(p.sex, st.patient_sex);
    case QueryAttr::kStudyInstanceUid:
      return st.study_instance_uid;
    case QueryAttr::kStudyDate:
      return st.study_date;
    case QueryAttr::kStudyTime:
      return st.study_time;
    case QueryAttr::kAccessionNumber:
      return st.accession_number;
    case QueryAttr::kStudyId:
      return st.study_id;
    case QueryAttr::kStudyDescription:
      return st.study_description;
    case QueryAttr::kReferringPhysicianName:
      return st.referring_physician_name;
    case QueryAttr::kModalitiesInStudy:
      return Join(st.modalities);
    case QueryAttr::kSeriesInstanceUid:
      return m.series.series_instance_uid;
    case QueryAttr::kModality:
      return m.series.modality;
    case QueryAttr::kSeriesNumber:
      return Number(m.series.series_number);
    case QueryAttr::kSeriesDescription:
      return m.series.series_description;
    case QueryAttr::kBodyPartExamined:
      return m.series.body_part_examined;
    case QueryAttr::kSeriesDate:
      return m.series.series_date;
    case QueryAttr::kSeriesTime:
      return m.series.series_time;
    case QueryAttr::kPerformedProcedureStepStartDate:
      return m.series.performed_procedure_step_start_date;
    case QueryAttr::kPerformedProcedureStepStartTime:
      return m.series.performed_procedure_step_start_time;
    case QueryAttr::kSopInstanceUid:
      return m.instance.sop_instance_uid;
    case QueryAttr::kSopClassUid:
      return m.instance.sop_class_uid;
    case QueryAttr::kInstanceNumber:
      return Number(m.instance.instance_number);
  }
  return {};
}

// Return keys the catalog does not match on but can answer: counts,
// availability, image size.
std::optional<std::string> DerivedValue(const DcmTagKey& tag, QueryLevel level,
                                        const catalog::QueryMatch& m,
                                        std::string_view retrieve_ae) {
  if (tag == DCM_RetrieveAETitle) return std::string(retrieve_ae);
  if (tag == DCM_InstanceAvailability) return "ONLINE";
  if (tag == DCM_NumberOfPatientRelatedStudies && level == QueryLevel::kPatient) {
    return std::to_string(m.patient.num_studies);
  }
  if (level == QueryLevel::kStudy) {
    if (tag == DCM_NumberOfStudyRelatedSeries) return std::to_string(m.study.num_series);
    if (tag == DCM_NumberOfStudyRelatedInstances) return std::to_string(m.study.num_instances);
  }
  if (level == QueryLevel::kSeries && tag == DCM_NumberOfSeriesRelatedInstances) {
    return std::to_string(m.series.num_instances);
  }
  if (level == QueryLevel::kInstance) {
    if (tag == DCM_Rows) return Number(m.instance.rows);
    if (tag == DCM_Columns) return Number(m.instance.columns);
    if (tag == DCM_NumberOfFrames) return Number(m.instance.number_of_frames);
  }
  return std::nullopt;
}

}  // namespace

QrModel ModelOf(std::string_view sop_class_uid) {
  const bool patient_root = sop_class_uid == kPatientRootFind ||
                            sop_class_uid == kPatientRootMove || sop_class_uid == kPatientRootGet;
  return patient_root ? QrModel::kPatientRoot : QrModel::kStudyRoot;
}

Result<ParsedIdentifier> ParseFindIdentifier(DcmDataset& identifier, QrModel model,
                                             const catalog::Scope& scope) {
  if (auto converted = ToUtf8(identifier); !converted) return std::unexpected(converted.error());
  auto level = ReadLevel(identifier, model);
  if (!level) return std::unexpected(level.error());
  ParsedIdentifier parsed{catalog::Query{scope}};
  parsed.query.level = level->first;
  parsed.level = level->second;
  for (unsigned long i = 0; i < identifier.card(); ++i) {
    DcmElement* element = identifier.getElement(i);
    const DcmTagKey tag = element->getTag();
    if (!IsReturnKey(tag)) continue;
    parsed.keys.push_back({ResponseTag(element->getTag())});
    if (tag.isPrivateReservation()) {
      parsed.keys.back().private_creator = ValueOf(*element);
      continue;
    }
    const auto attr = catalog::QueryAttrForTag(TagNumber(tag));
    if (!attr || catalog::LevelOf(*attr) > parsed.query.level) continue;
    if (element->getVR() == EVR_SQ) continue;
    std::string value = ValueOf(*element);
    if (value.empty() || value == "*") continue;  // universal matching
    parsed.query.conditions.push_back({*attr, std::move(value)});
  }
  return parsed;
}

Result<ParsedIdentifier> ParseRetrieveIdentifier(DcmDataset& identifier, QrModel model,
                                                 const catalog::Scope& scope) {
  auto level = ReadLevel(identifier, model);
  if (!level) return std::unexpected(level.error());
  ParsedIdentifier parsed{catalog::Query{scope}};
  parsed.level = level->second;
  parsed.query.level = QueryLevel::kInstance;
  struct UniqueKey {
    DcmTagKey tag;
    QueryAttr attr;
    QueryLevel level;
  };
  const UniqueKey keys[] = {
      {DCM_PatientID, QueryAttr::kPatientId, QueryLevel::kPatient},
      {DCM_StudyInstanceUID, QueryAttr::kStudyInstanceUid, QueryLevel::kStudy},
      {DCM_SeriesInstanceUID, QueryAttr::kSeriesInstanceUid, QueryLevel::kSeries},
      {DCM_SOPInstanceUID, QueryAttr::kSopInstanceUid, QueryLevel::kInstance},
  };
  bool has_level_key = false;
  for (const auto& key : keys) {
    // Patient ID is a unique key of the Patient Root model only.
    if (key.level == QueryLevel::kPatient && model != QrModel::kPatientRoot) continue;
    if (key.level > level->first) continue;
    OFString value;
    if (identifier.findAndGetOFStringArray(key.tag, value).bad()) continue;
    std::string text = Trim(value.c_str());
    if (text.empty()) continue;
    if (key.level == level->first) has_level_key = true;
    parsed.query.conditions.push_back({key.attr, std::move(text)});
  }
  if (!has_level_key) {
    return Fail(ErrorCode::kInvalidArgument,
                "the identifier lacks the unique key of level " + parsed.level);
  }
  return parsed;
}

std::unique_ptr<DcmDataset> BuildFindResponse(const ParsedIdentifier& request,
                                              const catalog::QueryMatch& match,
                                              std::string_view retrieve_ae_title) {
  auto out = std::make_unique<DcmDataset>();
  out->putAndInsertString(DCM_SpecificCharacterSet, "ISO_IR 192");
  out->putAndInsertString(DCM_QueryRetrieveLevel, request.level.c_str());
  const QueryLevel level = request.query.level;
  for (const ReturnKey& key : request.keys) {
    const DcmTagKey& tag = key.tag;
    std::string value = key.private_creator;
    if (const auto attr = catalog::QueryAttrForTag(TagNumber(tag))) {
      if (catalog::LevelOf(*attr) <= level) value = AttrValue(*attr, match);
    } else if (auto derived = DerivedValue(tag, level, match, retrieve_ae_title)) {
      value = std::move(*derived);
    }
    // By hand rather than insertEmptyElement(), which refuses UN.
    DcmElement* element = nullptr;
    if (DcmItem::newDicomElement(element, key.tag).bad() || element == nullptr) continue;
    // A value the element's VR cannot hold (never expected from the
    // catalog) is returned empty rather than failing the response.
    if (!value.empty() && element->putString(value.c_str()).bad()) element->clear();
    if (out->insert(element, true).bad()) delete element;
  }
  return out;
}

}  // namespace cf::dimse
