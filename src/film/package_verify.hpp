// SPDX-License-Identifier: Apache-2.0
// The offline check of a film package (`cloudfilm verify`): no data folder,
// no network, only the ZIP and, optionally, keys the verifier trusts. It
// checks that the manifest is signed by the packaged hospital key (and that
// the key is a trusted one, when keys are given), that every object and
// report version the manifest lists is in the package and hashes to the
// listed value, that no DICOM file or other member is there that the
// signed manifest and contents.json do not cover, that the DICOMDIR
// references only packaged DICOM files, that the log entry records this
// film, that the inclusion proof leads from that entry to the signed tree
// head's root, that the tree head's signature verifies with the log key,
// and that a TSA's time-stamp, when the package has one, stamps that head.
// Signatures and proofs are checked by crypto/signing.hpp and
// ledger/merkle.hpp, the code that made them.
//
// It also checks that the ZIP's central directory (what unzip follows) and
// its local headers (what a reader streaming the ZIP follows) hold the same
// members with the same bytes, so that no workstation unpacks something
// else than what was verified.
//
// Members are read as a stream (libarchive), hashed piece by piece; only
// the small ones (JSON, keys, signatures, the DICOMDIR) are kept in memory.
// The two readings of the ZIP run on two threads. Thread-safe (no shared
// state); blocks (disk).
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "crypto/signing.hpp"

namespace cf::film {

struct PackageCheck {
  // What is wrong, one line each, naming the member and the expected and
  // actual value (hash, key id, root). Empty when the package is intact.
  std::vector<std::string> failures;
  // What the verifier should know but is not a failure (a self-asserted key).
  std::vector<std::string> notes;

  std::string film_id;
  std::string hospital;  // the tenant code
  int64_t issued_at_ms = 0;
  std::string supersedes;  // the earlier film of the exam this one replaces, if any
  std::string signature_suite;
  std::string signing_key_id;
  bool signing_key_trusted = false;  // one of the trusted keys
  bool log_key_trusted = false;
  std::string log_key_id;
  uint64_t objects = 0;
  uint64_t report_versions = 0;
  uint64_t ledger_index = 0;
  uint64_t tree_size = 0;
  int64_t tree_head_ms = 0;
  // From log/tree-head.tst, when the package has one: the TSA's time, and
  // whether its signature was checked (against the given TSA CA) or only
  // its imprint.
  int64_t timestamp_ms = 0;
  bool timestamp_ca_checked = false;

  bool Ok() const { return failures.empty(); }
};

// Errors only for a package that cannot be read at all (no such file, not a
// ZIP): kInvalidArgument. Everything found wrong in a readable package is a
// failure in the result.
// With `tsa_ca_file`, a packaged RFC 3161 token is checked up to that CA;
// without, only that it stamps the packaged tree head.
Result<PackageCheck> VerifyPackage(const std::filesystem::path& zip,
                                   std::span<const crypto::VerifyingKey> trusted_keys = {},
                                   const std::filesystem::path& tsa_ca_file = {});

}  // namespace cf::film
