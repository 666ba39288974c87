// SPDX-License-Identifier: Apache-2.0
// The one entry point shared by the libFuzzer target import_media_fuzz.cpp
// (`make fuzz`) and the corpus replay test that runs on every `make test`:
// what another hospital hands over on a CD or in a ZIP, imported by
// archive::Importer (the code of `cloudfilm import`) into a throw-away
// archive, in the UTF-8 locale the command sets.
//
// Input: a first byte, whose bit 0 chooses media on disk (the members
// written as files of a folder, imported through its DICOMDIR when it has
// one, else as a folder) over a ZIP (the members zipped as they are, names
// in any bytes, stored); then the members in the film package fuzzer's
// format (package_verify_harness.hpp).
//
// Besides crashes and sanitizer findings it checks:
// - the import reports one item per object its plan counted, and its
//   totals add up to them;
// - every rejected item has a name and a reason;
// - every item names something inside the media ("zip!entry", or a file
//   below the folder): a DICOMDIR cannot make the import read a file
//   outside what was handed over.
// A broken promise aborts, which libFuzzer reports as a crash.
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace cf::fuzz {

// Runs one input; returns a short summary for the replay log ("zip: 3
// stored, 0 present, 1 rejected"). Not thread-safe: one archive and one
// media folder per process.
std::string RunImportMedia(std::span<const uint8_t> input);

}  // namespace cf::fuzz
