// SPDX-License-Identifier: Apache-2.0
// WriteSynthStudies: validates the options, plans the run, renders and writes
// the files (on as many threads as asked; each file depends only on its own
// coordinates, so the output does not depend on the thread count or order),
// and writes the manifest last, so a manifest means the run completed.
#include "dicom/synth/synth.hpp"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <fstream>
#include <mutex>
#include <optional>
#include <thread>

#include "dicom/synth/instance.hpp"
#include "dicom/synth/plan.hpp"
#include "dicom/synth/text_format.hpp"

namespace cf::dicom {
namespace {

using synth::BuiltInstance;
using synth::Context;
using synth::Plan;
using synth::SeriesPlan;

Result<void> Validate(const SynthOptions& o) {
  const auto check = [](bool ok, std::string_view what) -> Result<void> {
    if (ok) return {};
    return Fail(ErrorCode::kInvalidArgument, std::string(what));
  };
  if (auto r = check(o.patients >= 1 && o.patients <= 1'000'000, "patients must be 1..1000000");
      !r) {
    return r;
  }
  if (auto r = check(o.studies_per_patient >= 1 && o.studies_per_patient <= 100,
                     "studies_per_patient must be 1..100");
      !r) {
    return r;
  }
  if (auto r = check(o.series_per_study >= 1 && o.series_per_study <= 100,
                     "series_per_study must be 1..100");
      !r) {
    return r;
  }
  if (auto r = check(o.instances_per_series >= 1 && o.instances_per_series <= 100'000,
                     "instances_per_series must be 1..100000");
      !r) {
    return r;
  }
  if (auto r = check(o.ct_size >= 16 && o.ct_size <= 2048, "ct_size must be 16..2048"); !r) {
    return r;
  }
  if (auto r = check(o.us_frames >= 1 && o.us_frames <= 1000, "us_frames must be 1..1000"); !r) {
    return r;
  }
  if (auto r = check(o.threads >= 1 && o.threads <= 256, "threads must be 1..256"); !r) return r;
  if (auto r = check(!o.modalities.empty(), "at least one modality is needed"); !r) return r;
  if (auto r = check(o.transfer_syntax == "explicit-le" || o.transfer_syntax == "implicit-le",
                     "transfer_syntax must be explicit-le or implicit-le");
      !r) {
    return r;
  }
  const int64_t files =
      int64_t{o.patients} * o.studies_per_patient * o.series_per_study * o.instances_per_series;
  return check(files <= 100'000'000, "more than 100,000,000 files requested");
}

Result<void> PrepareOutputDir(const std::filesystem::path& dir) {
  std::error_code ec;
  if (std::filesystem::exists(dir, ec)) {
    if (!std::filesystem::is_directory(dir, ec)) {
      return Fail(ErrorCode::kConflict, "output path exists and is not a folder");
    }
    if (!std::filesystem::is_empty(dir, ec)) {
      return Fail(ErrorCode::kConflict, "output folder is not empty");
    }
  }
  std::filesystem::create_directories(dir, ec);
  if (ec)
    return Fail(ErrorCode::kStorageUnavailable, "cannot create output folder: " + ec.message());
  return {};
}

std::filesystem::path SeriesDir(const SeriesPlan& series) {
  return std::filesystem::path(series.study->patient->id) / series.study->accession /
         synth::Sprintf("%03d", series.number);
}

std::string ManifestLine(const std::string& file, const SeriesPlan& series,
                         const BuiltInstance& built, int instance, std::string_view ts_uid,
                         uint64_t bytes) {
  const synth::StudyPlan& study = *series.study;
  const synth::PatientPlan& patient = *study.patient;
  std::string line = file;
  for (const std::string& field :
       {patient.id, patient.name.pn_utf8, std::string(synth::DicomTermOf(patient.charset)),
        study.uid, series.uid, built.sop_instance_uid, built.sop_class_uid,
        std::string(ToString(study.modality)), synth::FormatDate(study.date_days), study.accession,
        std::to_string(series.number), std::to_string(instance + 1), std::string(ts_uid),
        std::to_string(built.rows), std::to_string(built.columns), std::to_string(built.frames),
        std::to_string(bytes)}) {
    line += '\t';
    line += field;
  }
  line += '\n';
  return line;
}

constexpr std::string_view kManifestHeader =
    "file\tpatient_id\tpatient_name\tspecific_character_set\tstudy_uid\tseries_uid\tsop_uid\t"
    "sop_class_uid\tmodality\tstudy_date\taccession_number\tseries_number\tinstance_number\t"
    "transfer_syntax_uid\trows\tcolumns\tframes\tbytes\n";

}  // namespace

std::string_view ToString(SynthModality modality) {
  switch (modality) {
    case SynthModality::kCT:
      return "CT";
    case SynthModality::kMR:
      return "MR";
    case SynthModality::kCR:
      return "CR";
    case SynthModality::kDX:
      return "DX";
    case SynthModality::kUS:
      return "US";
  }
  return "";
}

Result<SynthModality> ParseSynthModality(std::string_view text) {
  std::string upper(text);
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (SynthModality m : {SynthModality::kCT, SynthModality::kMR, SynthModality::kCR,
                          SynthModality::kDX, SynthModality::kUS}) {
    if (upper == ToString(m)) return m;
  }
  return Fail(ErrorCode::kInvalidArgument,
              "unknown modality '" + std::string(text) + "' (expected CT, MR, CR, DX or US)");
}

Result<SynthSummary> WriteSynthStudies(
    const SynthOptions& options, const std::filesystem::path& out_dir,
    const std::function<void(int64_t done, int64_t total)>& progress) {
  if (auto valid = Validate(options); !valid) return std::unexpected(valid.error());
  auto plan = synth::MakePlan(options);
  if (!plan) return std::unexpected(plan.error());
  if (auto prepared = PrepareOutputDir(out_dir); !prepared) {
    return std::unexpected(prepared.error());
  }
  for (const SeriesPlan& series : plan->series) {
    std::error_code ec;
    std::filesystem::create_directories(out_dir / SeriesDir(series), ec);
    if (ec)
      return Fail(ErrorCode::kStorageUnavailable, "cannot create a series folder: " + ec.message());
  }

  const int per_series = options.instances_per_series;
  const int64_t total = static_cast<int64_t>(plan->series.size()) * per_series;
  const int name_width = std::max(4, static_cast<int>(std::to_string(per_series).size()));
  const bool implicit_vr = options.transfer_syntax == "implicit-le";
  const std::string_view ts_uid = implicit_vr ? "1.2.840.10008.1.2" : "1.2.840.10008.1.2.1";

  std::vector<std::string> lines(static_cast<size_t>(total));
  std::atomic<int64_t> next{0};
  std::atomic<uint64_t> bytes{0};
  std::atomic<bool> failed{false};
  std::mutex mutex;  // guards first_error, done and progress calls
  std::optional<Error> first_error;
  int64_t done = 0;

  const auto work = [&] {
    try {
      for (int64_t j = next++; j < total && !failed; j = next++) {
        const SeriesPlan& series = plan->series[static_cast<size_t>(j / per_series)];
        const int instance = static_cast<int>(j % per_series);
        const BuiltInstance built = synth::BuildInstance(Context{*plan, series, instance, options});
        const std::string relative =
            (SeriesDir(series) / synth::Sprintf("%0*d.dcm", name_width, instance + 1))
                .generic_string();
        auto size = synth::WritePart10(built, implicit_vr, out_dir / relative);
        if (!size) {
          std::lock_guard lock(mutex);
          if (!first_error) first_error = size.error();
          failed = true;
          return;
        }
        bytes += *size;
        lines[static_cast<size_t>(j)] =
            ManifestLine(relative, series, built, instance, ts_uid, *size);
        std::lock_guard lock(mutex);
        ++done;
        if (progress) progress(done, total);
      }
    } catch (const std::exception& e) {
      // A thread must not let an exception escape; report it as a bug or
      // exhausted memory instead of terminating the process.
      std::lock_guard lock(mutex);
      if (!first_error) first_error = Error{ErrorCode::kInternal, e.what()};
      failed = true;
    }
  };
  {
    std::vector<std::jthread> workers;
    const int64_t helpers = std::min<int64_t>(options.threads - 1, total - 1);
    for (int64_t t = 0; t < helpers; ++t) workers.emplace_back(work);
    work();
  }
  if (first_error) return std::unexpected(*first_error);

  std::ofstream manifest(out_dir / "manifest.tsv", std::ios::binary | std::ios::trunc);
  manifest << kManifestHeader;
  for (const std::string& line : lines) manifest << line;
  manifest.close();
  if (!manifest) return Fail(ErrorCode::kStorageUnavailable, "cannot write manifest.tsv");

  SynthSummary summary;
  summary.files = total;
  summary.bytes = bytes;
  summary.studies = static_cast<int64_t>(plan->studies.size());
  return summary;
}

}  // namespace cf::dicom
