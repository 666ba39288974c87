// SPDX-License-Identifier: Apache-2.0
// Builds the plan of a synthetic run: patients, studies and series with
// their dates, scanners, descriptions and UIDs; see plan.hpp. Dates are spread
// over 2018-2024 from a fixed origin, never from the clock, so a run is
// reproducible years later.
#include "dicom/synth/plan.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>

#include "dicom/synth/rng.hpp"
#include "dicom/synth/text_format.hpp"
#include "dicom/synth/uids.hpp"

namespace cf::dicom::synth {
namespace {

using namespace std::chrono_literals;

// Domains of the hashes, so that different facts never share a hash.
enum Domain : uint64_t {
  kPatientDomain = 101,
  kNameDomain,
  kStudyGapDomain,
  kPhysicianDomain,
  kStudyDomain,
  kEquipmentDomain,
};

uint64_t HashText(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a
  for (char c : s) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ull;
  return h;
}

uint64_t FingerprintOf(const SynthOptions& o) {
  uint64_t h = HashOf(
      {o.seed, static_cast<uint64_t>(o.studies_per_patient),
       static_cast<uint64_t>(o.series_per_study), static_cast<uint64_t>(o.instances_per_series),
       static_cast<uint64_t>(o.ct_size), static_cast<uint64_t>(o.us_frames), HashText(o.charset)});
  for (SynthModality m : o.modalities) h = Mix64(h ^ (static_cast<uint64_t>(m) + 0x100));
  return h;
}

int DaysOf(std::chrono::year_month_day ymd) {
  return static_cast<int>(std::chrono::sys_days(ymd).time_since_epoch().count());
}

struct Scanner {
  const char* manufacturer;
  const char* model;
  const char* software;
  bool signed_ct;
  double field_strength;
};

constexpr std::array<Scanner, 3> kCtScanners = {{
    {"SIEMENS", "SOMATOM Definition AS+", "syngo CT VA48A", false, 0},
    {"GE MEDICAL SYSTEMS", "Revolution CT", "revo_ct_22ms.40", true, 0},
    {"UIH", "uCT 760", "R002.1.0.210126", false, 0},
}};
constexpr std::array<Scanner, 4> kMrScanners = {{
    {"SIEMENS", "MAGNETOM Skyra", "syngo MR E11", false, 3.0},
    {"GE MEDICAL SYSTEMS", "SIGNA Pioneer", "29\\LX\\MR Software release:PX29.1", false, 3.0},
    {"UIH", "uMR 780", "R005", false, 3.0},
    {"Philips Medical Systems", "Ingenia", "5.4.1\\5.4.1.1", false, 1.5},
}};
constexpr std::array<Scanner, 2> kCrScanners = {{
    {"FUJIFILM Corporation", "FCR PROFECT CS", "A08", false, 0},
    {"Carestream Health", "DirectView CR 975", "5.7.412.0220", false, 0},
}};
constexpr std::array<Scanner, 2> kDxScanners = {{
    {"Philips Medical Systems", "DigitalDiagnost", "4.3.5", false, 0},
    {"Carestream Health", "DRX-Evolution Plus", "5.9.9", false, 0},
}};
constexpr std::array<Scanner, 3> kUsScanners = {{
    {"Mindray", "Resona 7", "01.06.00", false, 0},
    {"GE Healthcare", "LOGIQ E10", "R3.1.1", false, 0},
    {"SAMSUNG MEDISON CO., LTD.", "RS85", "1.01.00.0510", false, 0},
}};

Equipment EquipmentFor(SynthModality modality, uint64_t hash) {
  const Scanner* s = nullptr;
  const char* prefix = "";
  switch (modality) {
    case SynthModality::kCT:
      s = &kCtScanners[hash % kCtScanners.size()];
      prefix = "CT";
      break;
    case SynthModality::kMR:
      s = &kMrScanners[hash % kMrScanners.size()];
      prefix = "MR";
      break;
    case SynthModality::kCR:
      s = &kCrScanners[hash % kCrScanners.size()];
      prefix = "CR";
      break;
    case SynthModality::kDX:
      s = &kDxScanners[hash % kDxScanners.size()];
      prefix = "DR";
      break;
    case SynthModality::kUS:
      s = &kUsScanners[hash % kUsScanners.size()];
      prefix = "US";
      break;
  }
  Equipment e;
  e.manufacturer = s->manufacturer;
  e.model = s->model;
  e.software = s->software;
  e.signed_ct = s->signed_ct;
  e.field_strength = s->field_strength;
  e.station = Sprintf("%s%02d", prefix, static_cast<int>((hash >> 8) % 3 + 1));
  e.serial = std::to_string(10000 + (hash >> 16) % 90000);
  return e;
}

struct Description {
  const char* english;
  const char* chinese;
  const char* body_part;
};

Description StudyDescriptionFor(SynthModality modality, int variant, int series_per_study) {
  const bool two_views = series_per_study > 1;
  switch (modality) {
    case SynthModality::kCT:
      if (variant == 0) return {"CT CHEST W/O CONTRAST", "胸部CT平扫", "CHEST"};
      if (variant == 1) {
        return {"CT CHEST ABDOMEN PELVIS W CONTRAST", "胸腹盆腔CT增强扫描", "CHESTABDPELVIS"};
      }
      return {"CT ABDOMEN PELVIS W CONTRAST", "全腹部CT增强扫描", "ABDOMENPELVIS"};
    case SynthModality::kMR:
      return {"MR BRAIN W/O CONTRAST", "头颅MRI平扫", "HEAD"};
    case SynthModality::kCR:
      return two_views ? Description{"XR CHEST PA AND LATERAL", "胸部正侧位片", "CHEST"}
                       : Description{"XR CHEST PA", "胸部正位片", "CHEST"};
    case SynthModality::kDX:
      return two_views ? Description{"DX CHEST 2 VIEWS", "胸部DR正侧位", "CHEST"}
                       : Description{"DX CHEST 1 VIEW", "胸部DR正位", "CHEST"};
    case SynthModality::kUS:
      return {"US ABDOMEN COMPLETE", "腹部彩超(肝胆胰脾)", "ABDOMEN"};
  }
  return {"", "", ""};
}

// CT slices: the thickest standard reconstruction that fits the region, so
// short series look like routine 5 mm reads and long ones like thin recons.
CtCoverage CtCoverageFor(int variant, int slices) {
  static constexpr double kBodyMm = 600;  // t = 0..1
  static constexpr std::array<double, 8> kThickness = {5, 3, 2.5, 2, 1.25, 1, 0.625, 0.5};
  const double t0 = variant == 0 ? 0.0 : (variant == 1 ? 0.0 : 0.3);
  const double t1 = variant == 0 ? 0.42 : 1.0;
  const double region_mm = (t1 - t0) * kBodyMm;
  CtCoverage c;
  c.slice_mm = kThickness.back();
  for (double s : kThickness) {
    if (slices * s <= region_mm * 1.05) {
      c.slice_mm = s;
      break;
    }
  }
  const double coverage_t = slices * c.slice_mm / kBodyMm;
  const double centre = (t0 + t1) / 2;
  c.t_start = std::clamp(centre - coverage_t / 2, t0, std::max(t0, t1 - coverage_t));
  c.z_start_mm = 100 - kBodyMm * c.t_start;
  return c;
}

std::string CtSeriesDescription(const Equipment& e, int variant, int k, double slice_mm,
                                CtPhase* phase, bool* sharp) {
  const bool ge = e.manufacturer.starts_with("GE");
  const bool uih = e.manufacturer == "UIH";
  const std::string thickness = FormatGeneral(slice_mm, 3);
  const char* th = thickness.c_str();
  if (variant == 0) {
    *phase = CtPhase::kNonContrast;
    *sharp = k % 2 == 1;
    if (ge) return Sprintf("%s %smm", *sharp ? "LUNG" : "STND", th);
    if (uih) return Sprintf("%s %smm", *sharp ? "Lung" : "Mediastinum", th);
    return Sprintf("%s %s %s", *sharp ? "Lung" : "Thorax", th, *sharp ? "B70f" : "B31f");
  }
  static constexpr std::array<CtPhase, 4> kPhases = {CtPhase::kNonContrast, CtPhase::kArterial,
                                                     CtPhase::kPortalVenous, CtPhase::kDelayed};
  static constexpr std::array<const char*, 4> kNames = {"NC", "Arterial", "PV", "Delay"};
  *phase = kPhases[static_cast<size_t>(k % 4)];
  *sharp = false;
  const char* name = kNames[static_cast<size_t>(k % 4)];
  if (ge) return Sprintf("%s %smm STND", name, th);
  if (uih) return Sprintf("%s %smm B_SOFT_B", name, th);
  return Sprintf("%s %s B31f", name, th);
}

std::string MrSeriesDescription(const Equipment& e, MrWeighting w) {
  const int i = w == MrWeighting::kT2 ? 0 : (w == MrWeighting::kT1 ? 1 : 2);
  static constexpr std::array<std::array<const char*, 3>, 4> kNames = {{
      {"t2_tse_tra", "t1_se_tra", "t2_tirm_tra_dark-fluid"},
      {"Ax T2 FSE", "Ax T1 SE", "Ax T2 FLAIR"},
      {"t2_fse_tra", "t1_se_tra", "t2_flair_tra"},
      {"T2W_TSE", "T1W_SE", "T2W_FLAIR"},
  }};
  size_t vendor = 0;
  if (e.manufacturer.starts_with("GE")) vendor = 1;
  if (e.manufacturer == "UIH") vendor = 2;
  if (e.manufacturer.starts_with("Philips")) vendor = 3;
  return kNames[vendor][static_cast<size_t>(i)];
}

}  // namespace

std::string FormatDate(int days_since_epoch) {
  const std::chrono::year_month_day ymd{std::chrono::sys_days{std::chrono::days{days_since_epoch}}};
  return Sprintf("%04d%02u%02u", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                 static_cast<unsigned>(ymd.day()));
}

std::string FormatTime(int seconds_of_day) {
  const int s = std::clamp(seconds_of_day, 0, 86399);
  return Sprintf("%02d%02d%02d", s / 3600, s / 60 % 60, s % 60);
}

Result<Plan> MakePlan(const SynthOptions& o) {
  auto charsets = ParseCharsetOption(o.charset);
  if (!charsets) return std::unexpected(charsets.error());
  Plan plan;
  plan.fingerprint = FingerprintOf(o);
  const uint64_t fp = plan.fingerprint;
  const auto u = [](int64_t v) { return static_cast<uint64_t>(v); };
  const int first_day = DaysOf(std::chrono::year{2018} / 1 / 1);

  plan.patients.reserve(static_cast<size_t>(o.patients));
  plan.studies.reserve(static_cast<size_t>(o.patients) * o.studies_per_patient);
  plan.series.reserve(plan.studies.capacity() * o.series_per_study);

  for (int p = 0; p < o.patients; ++p) {
    Rng rng(HashOf({fp, kPatientDomain, u(p)}));
    PatientPlan& patient = plan.patients.emplace_back();
    patient.index = p;
    patient.charset = (*charsets)[static_cast<size_t>(p) % charsets->size()];
    const bool female = rng.Next() % 2 == 0;
    patient.name = PatientNameFor(patient.charset, HashOf({fp, kNameDomain, u(p)}), female);
    patient.sex = female ? "F" : "M";
    // A hospital-style ID: two digits of the run, then a scrambled counter
    // (a bijection on 0..10^8-1, so IDs are unique within a run).
    const uint64_t scrambled = (u(p) * 2654435761ull + fp % 100000000ull) % 100000000ull;
    patient.id = Sprintf("%02d%08llu", static_cast<int>(10 + fp % 90),
                         static_cast<unsigned long long>(scrambled));
    patient.height_m = female ? rng.Uniform(1.50, 1.72) : rng.Uniform(1.62, 1.86);
    const double bmi = rng.Uniform(18, 32);
    patient.weight_kg = std::round(bmi * patient.height_m * patient.height_m);
    patient.habitus.seed = rng.Next();
    patient.habitus.female = female;
    patient.habitus.width_scale = 0.88 + (bmi - 18) * 0.018;
    patient.habitus.depth_scale = 0.9 + (bmi - 18) * 0.02;
    patient.habitus.fat_mm = 6 + (bmi - 18) * 1.6 + (female ? 4 : 0);
    patient.institution = InstitutionFor(patient.charset);
    const int first_study = first_day + static_cast<int>(rng.Next() % 2190);
    const int age_at_first = rng.Int(18, 88);
    patient.birth_days = first_study - static_cast<int>(age_at_first * 365.2425) - rng.Int(0, 364);

    int study_day = first_study;
    for (int s = 0; s < o.studies_per_patient; ++s) {
      const int64_t g = static_cast<int64_t>(p) * o.studies_per_patient + s;
      Rng srng(HashOf({fp, kStudyDomain, u(p), u(s)}));
      if (s > 0) study_day += 7 + static_cast<int>(HashOf({fp, kStudyGapDomain, u(p), u(s)}) % 400);
      StudyPlan& study = plan.studies.emplace_back();
      study.patient = &patient;
      study.index = s;
      study.global_index = g;
      study.modality = o.modalities[static_cast<size_t>(g) % o.modalities.size()];
      study.variant = study.modality == SynthModality::kCT ? srng.Int(0, 2) : 0;
      study.uid = MakeUid(fp, {1, u(p), u(s)});
      study.frame_of_reference_uid = MakeUid(fp, {2, u(p), u(s)});
      study.date_days = study_day;
      study.time_seconds = 7 * 3600 + 1800 + srng.Int(0, 13 * 3600);
      study.accession =
          FormatDate(study_day) +
          Sprintf("%06llu", static_cast<unsigned long long>(
                                (u(g) * 48271ull + (fp >> 24) % 1000000ull) % 1000000ull));
      study.study_id = std::to_string(10000 + srng.Next() % 90000);
      const Description d = StudyDescriptionFor(study.modality, study.variant, o.series_per_study);
      study.description_utf8 = patient.institution.chinese_descriptions ? d.chinese : d.english;
      study.body_part = d.body_part;
      study.referring_utf8 =
          PhysicianNameFor(patient.charset, HashOf({fp, kPhysicianDomain, u(p), u(s)}));
      study.age_years = static_cast<int>((study_day - patient.birth_days) / 365.2425);
      study.equipment = EquipmentFor(study.modality, HashOf({fp, kEquipmentDomain, u(p), u(s)}));
      if (study.modality == SynthModality::kCT) {
        study.ct = CtCoverageFor(study.variant, o.instances_per_series);
      }
      const std::string& department = study.modality == SynthModality::kUS
                                          ? patient.institution.ultrasound_utf8
                                          : patient.institution.radiology_utf8;
      // Encode once per study, not per file: iconv is not free.
      using Field = std::pair<const std::string*, std::string*>;
      for (auto [in, out] : {Field{&patient.name.pn_utf8, &study.text.patient_name},
                             Field{&patient.institution.name_utf8, &study.text.institution},
                             Field{&department, &study.text.department},
                             Field{&study.referring_utf8, &study.text.referring_physician},
                             Field{&study.description_utf8, &study.text.study_description}}) {
        auto encoded = EncodeText(*in, patient.charset);
        if (!encoded) return std::unexpected(encoded.error());
        *out = std::move(*encoded);
      }

      for (int k = 0; k < o.series_per_study; ++k) {
        SeriesPlan& series = plan.series.emplace_back();
        series.study = &study;
        series.index = k;
        series.number = k + 1;
        series.uid = MakeUid(fp, {3, u(p), u(s), u(k)});
        series.time_seconds = study.time_seconds + 60 + k * 150;
        switch (study.modality) {
          case SynthModality::kCT:
            series.description =
                CtSeriesDescription(study.equipment, study.variant, k, study.ct.slice_mm,
                                    &series.phase, &series.sharp_kernel);
            series.protocol = study.variant == 0 ? "Thorax Routine" : "Abdomen Multiphase";
            break;
          case SynthModality::kMR: {
            static constexpr std::array<MrWeighting, 3> kOrder = {
                MrWeighting::kT2, MrWeighting::kT1, MrWeighting::kFlair};
            series.weighting = kOrder[static_cast<size_t>(k % 3)];
            series.description = MrSeriesDescription(study.equipment, series.weighting);
            series.protocol = series.description;
            break;
          }
          case SynthModality::kCR:
          case SynthModality::kDX:
            series.lateral = k % 2 == 1;
            series.description = series.lateral ? "Chest Lateral" : "Chest PA";
            series.protocol = series.lateral ? "Thorax lat" : "Thorax pa";
            break;
          case SynthModality::kUS:
            series.color_doppler = k % 2 == 1;
            series.description = series.color_doppler ? "Abdomen CDFI" : "Abdomen";
            series.protocol = "Abdomen";
            break;
        }
      }
    }
  }
  return plan;
}

}  // namespace cf::dicom::synth
