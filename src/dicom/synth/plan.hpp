// SPDX-License-Identifier: Apache-2.0
// The plan of a synthetic run (private to dicom_synth): who the patients
// are, which studies and series they had, on which scanner, when, and under
// which UIDs. Planning is cheap and done up front; pixels are rendered per
// file later. Everything here is derived from the options by hashing, so a
// series' plan does not depend on how many patients were asked for.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dicom/synth/charset.hpp"
#include "dicom/synth/names.hpp"
#include "dicom/synth/phantom.hpp"
#include "dicom/synth/synth.hpp"

namespace cf::dicom::synth {

// Text already converted to the patient's character set.
struct EncodedText {
  std::string patient_name;
  std::string institution;
  std::string department;
  std::string referring_physician;
  std::string study_description;
};

struct Equipment {
  std::string manufacturer;
  std::string model;
  std::string station;
  std::string serial;
  std::string software;
  bool signed_ct = false;       // GE style: signed 16 bits, padding -2000
  double field_strength = 3.0;  // MR
};

struct PatientPlan {
  int index = 0;
  Charset charset = Charset::kAscii;
  std::string id;
  PersonName name;
  std::string sex;     // "M" or "F"
  int birth_days = 0;  // days since 1970-01-01
  double weight_kg = 70;
  double height_m = 1.7;
  Habitus habitus;
  Institution institution;
};

// Which part of the body a CT study covers, as a range of the phantom's t.
struct CtCoverage {
  double t_start = 0;
  double slice_mm = 5;    // thickness = spacing
  double z_start_mm = 0;  // table position of the first (most cranial) slice
};

struct StudyPlan {
  const PatientPlan* patient = nullptr;
  int index = 0;             // within the patient
  int64_t global_index = 0;  // within the run
  SynthModality modality = SynthModality::kCT;
  int variant = 0;  // protocol variant (CT: chest, chest-abdomen-pelvis, abdomen)
  std::string uid;
  std::string frame_of_reference_uid;
  int date_days = 0;  // days since 1970-01-01
  int time_seconds = 0;
  std::string accession;
  std::string study_id;
  std::string description_utf8;
  std::string body_part;
  std::string referring_utf8;
  int age_years = 0;
  Equipment equipment;
  CtCoverage ct;
  EncodedText text;
};

struct SeriesPlan {
  const StudyPlan* study = nullptr;
  int index = 0;  // within the study
  int number = 1;
  std::string uid;
  std::string description;  // ASCII, as modalities send it
  std::string protocol;
  int time_seconds = 0;
  CtPhase phase = CtPhase::kNonContrast;
  bool sharp_kernel = false;  // CT lung kernel: more noise, lung window
  MrWeighting weighting = MrWeighting::kT2;
  bool lateral = false;        // CR/DX
  bool color_doppler = false;  // US
};

struct Plan {
  uint64_t fingerprint = 0;
  std::vector<PatientPlan> patients;
  std::vector<StudyPlan> studies;
  std::vector<SeriesPlan> series;
};

// Builds the plan for `options` (already validated).
Result<Plan> MakePlan(const SynthOptions& options);

// "YYYYMMDD" and "HHMMSS" helpers.
std::string FormatDate(int days_since_epoch);
std::string FormatTime(int seconds_of_day);

}  // namespace cf::dicom::synth
