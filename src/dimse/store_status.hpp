// SPDX-License-Identifier: Apache-2.0
// How an archive outcome becomes a C-STORE response status (PS3.4 B.2.3)
// and Error Comment. Plain code, apart from the DCMTK glue, so that the
// mapping is tested without a network. Internal to the dimse part.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "archive/archive.hpp"
#include "core/error.hpp"

namespace cf::dimse {

inline constexpr uint16_t kStatusSuccess = 0x0000;
// The only Storage warnings PS3.4 allows are B000 (coercion of data
// elements), B006 (elements discarded) and B007 (data set does not match SOP
// class). A new version under a known SOP Instance UID is stored, but a
// retrieve by that UID returns the first version, so to the sender its data
// came out different from what it sent: B000 is the closest meaning, and the
// Error Comment says what really happened. Senders treat warnings as stored
// and do not retry.
inline constexpr uint16_t kStatusWarningNewVersion = 0xB000;
inline constexpr uint16_t kStatusOutOfResources = 0xA700;
inline constexpr uint16_t kStatusDoesNotMatchSopClass = 0xA900;
inline constexpr uint16_t kStatusCannotUnderstand = 0xC000;
inline constexpr uint16_t kStatusProcessingFailure = 0x0110;

struct StoreResponse {
  uint16_t status = kStatusSuccess;
  std::string comment;  // Error Comment (0000,0902); empty = none. No patient data.
  std::string outcome;  // for logs: stored, already-present, new-version, refused
};

// The response to an object the archive accepted. `command_*` are the UIDs
// of the C-STORE request, which must name what the dataset holds.
StoreResponse ResponseForReceipt(const archive::IngestReceipt& receipt,
                                 std::string_view command_sop_class,
                                 std::string_view command_sop_instance);

// The response to an object that was refused, before or by the archive.
StoreResponse ResponseForError(const Error& error);

// An Error Comment is an LO: at most 64 characters, printable ASCII, no
// backslash. Anything else in `text` is replaced or cut.
std::string ToErrorComment(std::string_view text);

}  // namespace cf::dimse
