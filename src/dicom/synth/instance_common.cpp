// SPDX-License-Identifier: Apache-2.0
// The attributes every synthetic instance shares (SOP common, patient, study,
// series, equipment, general image), and the dispatch to the modality
// builders. Text was encoded per study (plan.cpp); here it is only copied.
#include <algorithm>
#include <cmath>

#include "dicom/synth/instance.hpp"
#include "dicom/synth/tags.hpp"
#include "dicom/synth/text_format.hpp"
#include "dicom/synth/uids.hpp"

namespace cf::dicom::synth {
namespace {

// Seconds between instances of a series, for content and acquisition times.
double InstanceSpacingSeconds(SynthModality modality) {
  switch (modality) {
    case SynthModality::kCT:
      return 0.35;
    case SynthModality::kMR:
      return 0;  // a 2D multi-slice acquisition: one time for all slices
    case SynthModality::kCR:
    case SynthModality::kDX:
      return 45;
    case SynthModality::kUS:
      return 25;
  }
  return 0;
}

std::string TimeWithFraction(double seconds) {
  const long long millis = std::llround(std::clamp(seconds, 0.0, 86399.999) * 1000);
  return FormatTime(static_cast<int>(millis / 1000)) +
         Sprintf(".%03d", static_cast<int>(millis % 1000));
}

}  // namespace

std::string Ds(double value) {
  if (value == 0 || std::abs(value) < 1e-9) return "0";
  for (int decimals = 10; decimals >= 0; --decimals) {
    std::string s = FormatFixed(value, decimals);
    if (s.find('.') != std::string::npos) {
      while (s.back() == '0') s.pop_back();
      if (s.back() == '.') s.pop_back();
    }
    if (s == "-0") s = "0";
    if (s.size() <= 16) return s;
  }
  return FormatGeneral(value, 9).substr(0, 16);
}

std::string DsList(std::initializer_list<double> values) {
  std::string out;
  for (double v : values) {
    if (!out.empty()) out += '\\';
    out += Ds(v);
  }
  return out;
}

BuiltInstance BuildInstance(const Context& ctx) {
  const SeriesPlan& series = ctx.series;
  const StudyPlan& study = *series.study;
  const PatientPlan& patient = *study.patient;
  const auto u = [](int64_t v) { return static_cast<uint64_t>(v); };

  BuiltInstance out;
  out.sop_instance_uid = MakeUid(ctx.plan.fingerprint, {4, u(patient.index), u(study.index),
                                                        u(series.index), u(ctx.instance)});
  switch (study.modality) {
    case SynthModality::kCT:
      AddCtImage(ctx, out);
      break;
    case SynthModality::kMR:
      AddMrImage(ctx, out);
      break;
    case SynthModality::kCR:
    case SynthModality::kDX:
      AddRadiograph(ctx, out);
      break;
    case SynthModality::kUS:
      AddUltrasoundClip(ctx, out);
      break;
  }

  const std::string date = FormatDate(study.date_days);
  const std::string content_time = TimeWithFraction(
      series.time_seconds + 20 + ctx.instance * InstanceSpacingSeconds(study.modality));
  Elements& e = out.elements;
  // SOP common.
  const std::string_view charset = DicomTermOf(patient.charset);
  if (!charset.empty()) e.push_back(Text(tag::kSpecificCharacterSet, "CS", charset));
  e.push_back(Text(tag::kSopClassUid, "UI", out.sop_class_uid));
  e.push_back(Text(tag::kSopInstanceUid, "UI", out.sop_instance_uid));
  e.push_back(Text(tag::kInstanceCreationDate, "DA", date));
  e.push_back(Text(tag::kInstanceCreationTime, "TM", content_time));
  // Patient.
  e.push_back(Text(tag::kPatientName, "PN", study.text.patient_name));
  e.push_back(Text(tag::kPatientId, "LO", patient.id));
  e.push_back(Text(tag::kIssuerOfPatientId, "LO", "CFSYNTH"));
  e.push_back(Text(tag::kPatientBirthDate, "DA", FormatDate(patient.birth_days)));
  e.push_back(Text(tag::kPatientSex, "CS", patient.sex));
  e.push_back(Text(tag::kPatientAge, "AS", Sprintf("%03dY", study.age_years)));
  e.push_back(Text(tag::kPatientSize, "DS", Ds(std::round(patient.height_m * 100) / 100)));
  e.push_back(Text(tag::kPatientWeight, "DS", Ds(patient.weight_kg)));
  // Study.
  e.push_back(Text(tag::kStudyInstanceUid, "UI", study.uid));
  e.push_back(Text(tag::kStudyDate, "DA", date));
  e.push_back(Text(tag::kStudyTime, "TM", FormatTime(study.time_seconds)));
  e.push_back(Text(tag::kReferringPhysicianName, "PN", study.text.referring_physician));
  e.push_back(Text(tag::kStudyId, "SH", study.study_id));
  e.push_back(Text(tag::kAccessionNumber, "SH", study.accession));
  e.push_back(Text(tag::kStudyDescription, "LO", study.text.study_description));
  // Series.
  e.push_back(Text(tag::kModality, "CS", ToString(study.modality)));
  e.push_back(Text(tag::kSeriesInstanceUid, "UI", series.uid));
  e.push_back(Text(tag::kSeriesNumber, "IS", std::to_string(series.number)));
  e.push_back(Text(tag::kSeriesDescription, "LO", series.description));
  e.push_back(Text(tag::kProtocolName, "LO", series.protocol));
  e.push_back(Text(tag::kBodyPartExamined, "CS", study.body_part));
  e.push_back(Text(tag::kSeriesDate, "DA", date));
  e.push_back(Text(tag::kSeriesTime, "TM", FormatTime(series.time_seconds)));
  // Equipment.
  const Equipment& eq = study.equipment;
  e.push_back(Text(tag::kManufacturer, "LO", eq.manufacturer));
  e.push_back(Text(tag::kInstitutionName, "LO", study.text.institution));
  e.push_back(Text(tag::kInstitutionalDepartmentName, "LO", study.text.department));
  e.push_back(Text(tag::kStationName, "SH", eq.station));
  e.push_back(Text(tag::kManufacturerModelName, "LO", eq.model));
  e.push_back(Text(tag::kDeviceSerialNumber, "LO", eq.serial));
  e.push_back(Text(tag::kSoftwareVersions, "LO", eq.software));
  // General image.
  e.push_back(Text(tag::kInstanceNumber, "IS", std::to_string(ctx.instance + 1)));
  e.push_back(Text(tag::kAcquisitionNumber, "IS", "1"));
  e.push_back(Text(tag::kContentDate, "DA", date));
  e.push_back(Text(tag::kContentTime, "TM", content_time));
  e.push_back(Text(tag::kAcquisitionDate, "DA", date));
  e.push_back(Text(tag::kAcquisitionTime, "TM", content_time));
  e.push_back(Text(tag::kLossyImageCompression, "CS", "00"));
  e.push_back(Text(tag::kBurnedInAnnotation, "CS", "NO"));
  return out;
}

}  // namespace cf::dicom::synth
