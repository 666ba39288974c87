// SPDX-License-Identifier: Apache-2.0
// The one entry point shared by the libFuzzer target package_verify_fuzz.cpp
// (`make fuzz`) and the corpus replay test that runs on every `make test`:
// arbitrary bytes taken as the members of a film package, as a forger who
// rewrites the ZIP would choose them, zipped (stored, with right CRCs) and
// checked by film::VerifyPackage, the code of `cloudfilm verify`, trusting
// only the keys that signed the seed packages (corpus/package_verify, made
// by make_package_seeds from films the platform issued).
//
// Input: members one after another, each a name (1 byte of length, then
// the name) and a content (3 bytes of length, little endian, then the
// content). An incomplete last member is dropped.
//
// Besides crashes and sanitizer findings it checks:
// - a package that verifies is, member for member, one of the seed
//   packages: the same names with the same SHA-256, as unzip reads the ZIP
//   back. Nothing but the seeds' keys is trusted and nobody here can sign
//   with them, so any other package that verifies got a change past the
//   checks;
// - a package that does not verify names at least one failure.
// A broken promise aborts, which libFuzzer reports as a crash.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

namespace cf::fuzz {

struct PackageMember {
  std::string name;
  std::string content;
};

std::vector<PackageMember> DecodePackageMembers(std::span<const uint8_t> input);
// The input that decodes to `members` (names of at most 255 bytes,
// contents under 16 MiB).
std::string EncodePackageMembers(const std::vector<PackageMember>& members);

// Writes `members` as a stored ZIP at `path` with libarchive, names as
// they are (members it refuses, an empty name say, are left out); false
// when the ZIP cannot be written.
bool WriteStoredZip(const std::filesystem::path& path, const std::vector<PackageMember>& members);

// Runs one input; returns a short summary for the replay log ("verified: 3
// objects", "failed: <first failure>", "unreadable: <reason>"). Not
// thread-safe: one package file per process.
std::string RunPackageVerify(std::span<const uint8_t> input);

}  // namespace cf::fuzz
