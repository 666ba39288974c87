// SPDX-License-Identifier: Apache-2.0
// RFC 3161 time-stamps of signed tree heads. A tree head carries our own
// clock, signed with our own key; a time-stamping authority (TSA) is a
// third party that signs "these bytes existed at time T". Stamping tree
// heads dates every film in the log with nobody's word but the TSA's: a
// film included in a stamped head was issued no later than the stamp.
//
// The stamped message is the tree head's 50 signed bytes
// (TreeHeadSignatureInput), hashed with SHA-256: anyone can recompute the
// imprint from a tree head and check the token with OpenSSL alone:
//
//   openssl ts -verify -digest <imprint hex> -in token.der -token_in
//     -CAfile tsa-ca.pem
//
// OpenSSL's TS implementation builds the query and checks the answer (the
// signature, its chain to the configured CA, the timeStamping key usage,
// the imprint and our nonce); nothing of it is written here.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "core/bytes.hpp"
#include "core/error.hpp"
#include "ledger/merkle.hpp"
#include "ledger/tree_head.hpp"

namespace cf::ledger {

struct TreeHeadTimestamp {
  uint64_t tree_size = 0;  // the stamped head
  Bytes token;             // DER TimeStampToken (CMS SignedData), as the TSA signed it
  int64_t gen_time_ms = 0;
  std::string tsa;  // the signing certificate's subject, for people
};

// SHA-256 of the head's signed bytes: what the TSA signs.
Hash TimestampImprint(const TreeHead& head);

// A DER TimeStampReq for `imprint` (SHA-256), asking for the TSA's
// certificate in the answer, with `nonce` against replayed answers.
Result<Bytes> MakeTimestampQuery(const Hash& imprint, uint64_t nonce);

// Checks a TSA's DER TimeStampResp to `query`: granted, signed by a
// certificate that chains to `ca_file` and may stamp, over the query's
// imprint and nonce. kConflict naming what failed, kInvalidArgument for
// bytes that are no answer.
Result<TreeHeadTimestamp> AcceptTimestampResponse(ByteView query, ByteView response,
                                                  const std::filesystem::path& ca_file);

// Checks a kept token: signature, chain to `ca_file`, and that it stamps
// `imprint`; without a CA file only the imprint (the signature needs the
// TSA's CA). Returns its time (ms since 1970).
Result<int64_t> VerifyTimestampToken(ByteView token, const Hash& imprint,
                                     const std::filesystem::path& ca_file);

}  // namespace cf::ledger
