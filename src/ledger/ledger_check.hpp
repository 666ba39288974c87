// SPDX-License-Identifier: Apache-2.0
// The audit of a transparency log from its raw rows (`cloudfilm ledger
// check`): every leaf hash and every stored subtree root is recomputed
// from the entries, every signed tree head is checked against the root
// recomputed at its size and against its signature, and successive heads
// must be consistent (a consistency proof from the stored nodes verifies)
// and in time order. Each problem names what is wrong: the entry index,
// the node, the tree head (by size and time).
//
// What it can and cannot see: an entry rewritten in place differs from the
// leaf hash recorded when it was appended, and from every head signed since;
// an entry rewritten together with its leaf and node hashes still differs
// from every head signed since, which brackets it between two heads (one
// head per append names it exactly); a removed last entry is caught by the
// last head that covered it. Someone who also removes that head, or
// re-signs with the log key, is caught only by a head kept elsewhere:
// pass those (from film packages, say) as `external`.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "crypto/signing.hpp"
#include "ledger/transparency_log.hpp"

namespace cf::ledger {

struct CheckReport {
  uint64_t entries = 0;     // entries read
  uint64_t tree_heads = 0;  // stored heads checked
  uint64_t timestamps = 0;  // stored RFC 3161 time-stamps checked
  std::vector<std::string> problems;
  bool Clean() const { return problems.empty(); }
};

// The public key with a given key id (the log key, or an older one).
using KeyLookup = std::function<Result<crypto::VerifyingKey>(std::string_view key_id)>;

// Errors are for a log that cannot be read at all; everything found wrong
// in a readable log is a problem in the report.
// Time-stamps are checked against their heads, and their signatures
// against `tsa_ca_file` when one is given (timestamp.hpp).
Result<CheckReport> CheckLog(TransparencyLog& log, const KeyLookup& keys,
                             std::span<const SignedTreeHead> external = {},
                             const std::filesystem::path& tsa_ca_file = {});

}  // namespace cf::ledger
