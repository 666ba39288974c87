// SPDX-License-Identifier: Apache-2.0
// The coding parameters of a JPEG 2000 / HTJ2K main header (ISO/IEC
// 15444-1 A.6), read before OpenJPH sees the codestream. OpenJPH 0.9 trusts
// them: a quantization that does not match the wavelet, or fewer step sizes
// than subbands, fails an assertion, and Debian builds it with assertions
// on, so one damaged frame would abort the whole server. Internal to the
// codec part.
#pragma once

#include <cstdint>

#include "core/bytes.hpp"
#include "core/error.hpp"

namespace cf::codec {

struct Htj2kCoding {
  bool reversible = false;          // 5-3 wavelet (else 9-7)
  uint8_t decompositions = 0;       // wavelet levels
  uint8_t quantization = 0;         // Sqcd style: 0 none, 1 scalar derived, 2 scalar expounded
  uint32_t quantization_steps = 0;  // step sizes (or exponents) the QCD lists
};

// Reads COD and QCD from the main header (SOC up to the first SOT) and
// checks what OpenJPH relies on: one COD and one QCD, whole segments, no
// quantization for the reversible wavelet and expounded steps for the
// irreversible one, a step for each of the 3 * levels + 1 subbands.
// kInvalidDicom naming the problem otherwise.
Result<Htj2kCoding> ReadHtj2kCoding(ByteView codestream);

}  // namespace cf::codec
