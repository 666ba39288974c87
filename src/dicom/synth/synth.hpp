// SPDX-License-Identifier: Apache-2.0
// The synthetic study generator behind `cloudfilm synth`. The project's own
// tests, demos and compression benchmarks must run on a fresh clone, without
// the shared real-world test data, so this writes Part 10 files that look like
// real modality output: anatomy-like CT/MR/CR/DX/US pixel data with realistic
// noise (and therefore realistic lossless compression ratios), consistent
// geometry, plausible hospital metadata and patient names in several
// character sets (GB18030, UTF-8, Latin-1, ASCII).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace cf::dicom {

enum class SynthModality { kCT, kMR, kCR, kDX, kUS };

// "CT", "MR", "CR", "DX", "US".
std::string_view ToString(SynthModality modality);
// Case-insensitive inverse of ToString; kInvalidArgument otherwise.
Result<SynthModality> ParseSynthModality(std::string_view text);

struct SynthOptions {
  uint64_t seed = 1;
  int patients = 1;
  int studies_per_patient = 1;
  int series_per_study = 1;
  // One instance is one slice (CT, MR), one radiograph (CR, DX) or one
  // multi-frame cine clip (US).
  int instances_per_series = 10;
  // Cycled over studies (the k-th study of the whole run gets
  // modalities[k % size]).
  std::vector<SynthModality> modalities = {SynthModality::kCT};
  // "utf8" (ISO_IR 192), "gb18030" (GB18030), "latin1" (ISO_IR 100),
  // "ascii" (no Specific Character Set), or "mixed": cycle through them per
  // patient. Chinese names for utf8 and gb18030, European names with
  // diacritics for latin1, English names for ascii. The Chinese pools
  // deliberately include characters whose GB18030 bytes contain 0x5C ('\',
  // the value delimiter) or need four bytes, as real data does.
  std::string charset = "mixed";
  // "explicit-le" (1.2.840.10008.1.2.1) or "implicit-le" (1.2.840.10008.1.2).
  std::string transfer_syntax = "explicit-le";
  int ct_size = 512;   // CT rows = columns, 16..2048
  int us_frames = 20;  // frames per US cine clip, 1..1000
  int threads = 1;     // worker threads; the output does not depend on it
};

struct SynthSummary {
  int64_t files = 0;
  uint64_t bytes = 0;  // sum of the sizes of the .dcm files
  int64_t studies = 0;
};

// Writes Part 10 files under out_dir/<patient id>/<accession>/<series number>/<instance>.dcm
// and out_dir/manifest.tsv, one line per file (relative path, patient ID,
// patient name in UTF-8, character set, study/series/SOP instance UIDs, SOP
// class, modality, study date, accession number, series and instance number,
// transfer syntax, rows, columns, frames, size). `out_dir` is created when
// missing and must otherwise be empty (kConflict): stale files from an
// earlier run would not be in the manifest.
//
// Deterministic: the same options produce byte-identical files on the same
// build (pixel values go through libm, so another platform may differ in a
// few pixels). UIDs (2.25 root) derive from the seed and the options that
// change content, except `patients` (a larger run extends a smaller one) and
// `transfer_syntax` (the same instance in another encoding keeps its UIDs).
//
// `progress`, if set, is called after each file, serialized but possibly from
// a worker thread. Fails with kInvalidArgument for bad options and
// kStorageUnavailable when a file cannot be written. Blocks (CPU and disk).
Result<SynthSummary> WriteSynthStudies(
    const SynthOptions& options, const std::filesystem::path& out_dir,
    const std::function<void(int64_t done, int64_t total)>& progress = {});

}  // namespace cf::dicom
