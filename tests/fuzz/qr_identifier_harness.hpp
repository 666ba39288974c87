// SPDX-License-Identifier: Apache-2.0
// The one entry point shared by the libFuzzer target qr_identifier_fuzz.cpp
// (`make fuzz`) and the corpus replay test that runs on every `make test`:
// arbitrary bytes taken as the identifier of a C-FIND, C-MOVE or C-GET
// request, the data set any calling AE title the server accepts can send.
//
// The first byte chooses what the association negotiated: bit 0 the Patient
// Root model (else Study Root), bit 1 a retrieve (else a find), bit 2
// explicit VR little endian (else implicit), bit 3 the calling AE's
// hospital (south, else north), bit 4 a patient's share of one study
// instead of the whole hospital. The rest is the data set, read by DCMTK as
// DIMSE reads it, then parsed (dimse/identifier.hpp), searched in a
// catalog of two hospitals (two_hospital_catalog.hpp) and, for a find,
// answered with the response identifiers the SCP would send.
//
// Besides crashes and sanitizer findings it checks:
// - a refused identifier fails with kInvalidArgument and a message (the
//   SCP's 0xA900), never another error;
// - an identifier that parses runs: a catalog error other than an invalid
//   argument would be the SCP's "unable to process" from client input;
// - no answer belongs to another hospital or, in a share, another study;
// - every find response encodes in the negotiated transfer syntax, reads
//   back, and holds the level and every key the request asked for;
// - a retrieve names the unique key of its level and every instance found
//   has it.
// A broken promise aborts, which libFuzzer reports as a crash.
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace cf::fuzz {

// Runs one input; returns a short summary for the replay log ("rejected:
// <reason>", "find: 3 matches", "retrieve: 4 instances"). Thread-safe.
std::string RunQrIdentifier(std::span<const uint8_t> input);

}  // namespace cf::fuzz
