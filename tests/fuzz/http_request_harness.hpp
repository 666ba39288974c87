// SPDX-License-Identifier: Apache-2.0
// The one entry point shared by the libFuzzer target (http_request_fuzz.cpp,
// `make fuzz`) and the corpus replay test that runs on every `make test`:
// arbitrary bytes taken as a raw HTTP request, parsed by Beast with the
// server's limits, then dispatched by the real Router with every route of
// the server (routes.hpp) against a small archive, reports, films and a
// transparency log in a temporary folder, with authentication and the audit
// trail switched on. The request's
// fields also go straight to the pure parsers that see client input
// (Accept, Range, Content-Type and multipart bodies, the target and its
// query), so that they are fuzzed even where the router refuses early.
//
// Besides crashes and sanitizer findings it checks what every answer must
// hold: a real status, no CR, LF or NUL in any header it would send, and a
// parseable problem+json body on errors. A broken promise aborts, which
// libFuzzer reports as a crash.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace cf::fuzz {

// The bootstrap (platform admin) token of the harness's server; corpus
// files carry it so that the fuzzer starts past authentication.
inline constexpr const char* kFuzzToken = "fuzz-bootstrap-token-0123456789abcdef";

// Study, series and instances stored in the harness's archive before the
// first input, for corpus files that retrieve something real.
inline constexpr const char* kFuzzStudy = "1.2.826.0.1.3680043.10.543.1";
inline constexpr const char* kFuzzSeries = "1.2.826.0.1.3680043.10.543.1.1";
inline constexpr const char* kFuzzImage = "1.2.826.0.1.3680043.10.543.1.1.1";
inline constexpr const char* kFuzzSecondImage = "1.2.826.0.1.3680043.10.543.1.1.2";

// Runs one input. The archive, accounts and audit trail are created on the
// first call (in $TMPDIR) and live until the process exits, so inputs may
// change them (STOW-RS, new tokens). Not thread-safe: one input at a time.
// Returns the answer's status, or 0 when the bytes are not a whole request
// (the server would answer 400, 413 or 431 itself, or wait for more).
unsigned RunHttpRequest(std::span<const uint8_t> input);

}  // namespace cf::fuzz
