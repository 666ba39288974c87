// SPDX-License-Identifier: Apache-2.0
#include "codec/htj2k_header.hpp"

#include <optional>
#include <string>

namespace cf::codec {
namespace {

constexpr uint16_t kSoc = 0xFF4F;
constexpr uint16_t kSot = 0xFF90;
constexpr uint16_t kCod = 0xFF52;
constexpr uint16_t kQcd = 0xFF5C;
// J2K allows 32 levels; OpenJPH's tables stop well before.
constexpr uint8_t kMaxDecompositions = 32;

uint16_t Be16(ByteView b, size_t at) {
  return static_cast<uint16_t>(std::to_integer<unsigned>(b[at]) << 8 |
                               std::to_integer<unsigned>(b[at + 1]));
}

std::unexpected<Error> Invalid(const char* what) {
  return Fail(ErrorCode::kInvalidDicom, std::string("HTJ2K: ") + what);
}

}  // namespace

Result<Htj2kCoding> ReadHtj2kCoding(ByteView codestream) {
  if (codestream.size() < 2 || Be16(codestream, 0) != kSoc) {
    return Invalid("no start of codestream");
  }
  std::optional<ByteView> cod;
  std::optional<ByteView> qcd;
  size_t at = 2;
  for (;;) {
    if (at + 2 > codestream.size()) return Invalid("truncated main header");
    const uint16_t marker = Be16(codestream, at);
    if (marker == kSot) break;
    if (at + 4 > codestream.size()) return Invalid("truncated main header");
    // Every main-header marker after SOC has a segment whose length counts itself.
    const size_t length = Be16(codestream, at + 2);
    if ((marker & 0xFF00) != 0xFF00 || length < 2 || at + 2 + length > codestream.size()) {
      return Invalid("damaged main header");
    }
    const ByteView segment = codestream.subspan(at + 4, length - 2);
    if (marker == kCod || marker == kQcd) {
      auto& slot = marker == kCod ? cod : qcd;
      if (slot) return Invalid("repeated COD or QCD marker");
      slot = segment;
    }
    at += 2 + length;
  }
  // COD: Scod, progression, layers (2), MCT, then SPcod: levels, code-block
  // width and height, style, transformation.
  if (!cod || cod->size() < 10) return Invalid("no coding style (COD)");
  if (!qcd || qcd->empty()) return Invalid("no quantization (QCD)");
  Htj2kCoding c;
  c.decompositions = std::to_integer<uint8_t>((*cod)[5]);
  const uint8_t transform = std::to_integer<uint8_t>((*cod)[9]);
  if (transform > 1) return Invalid("unknown wavelet");
  c.reversible = transform == 1;
  if (c.decompositions > kMaxDecompositions) {
    return Invalid("too many decomposition levels");
  }
  c.quantization = std::to_integer<uint8_t>((*qcd)[0]) & 0x1F;
  // One byte per subband without quantization, two when expounded.
  const size_t steps = qcd->size() - 1;
  c.quantization_steps = static_cast<uint32_t>(c.quantization == 0 ? steps : steps / 2);
  if (c.quantization != (c.reversible ? 0 : 2)) {
    return Invalid("quantization does not match the wavelet");
  }
  if (c.quantization_steps < 3u * c.decompositions + 1) {
    return Invalid("fewer quantization steps than subbands");
  }
  return c;
}

}  // namespace cf::codec
