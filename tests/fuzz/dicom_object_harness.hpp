// SPDX-License-Identifier: Apache-2.0
// The one entry point shared by the libFuzzer target dicom_object_fuzz.cpp
// (`make fuzz`) and the corpus replay test that runs on every `make test`:
// arbitrary bytes taken as a DICOM object that a sender uploaded (C-STORE,
// STOW-RS, import), or as a stored form read back from the blob store.
//
// An upload goes through everything that reads a received object: the
// ingest parse, the stored form (encoded, then rebuilt), DICOM JSON, bulk
// data, report and key object readers, the header kept for metadata, the
// pixel decoders, rendering, frame extraction and transcoding. Besides
// crashes, leaks and sanitizer findings it checks what a film as legal
// evidence rests on:
// - a stored form that ingest would keep rebuilds the received bytes
//   exactly, and its header-only decode has the same length;
// - an object transcoded to a lossless syntax decodes to the same samples
//   as the received one.
// A broken promise aborts, which libFuzzer reports as a crash.
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace cf::fuzz {

// Runs one input; returns a short summary for the replay log ("rejected:
// <reason>", "stored form 2.4x", ...). No patient data: inputs are
// synthetic or the fuzzer's. Thread-safe.
std::string RunDicomObject(std::span<const uint8_t> input);

}  // namespace cf::fuzz
