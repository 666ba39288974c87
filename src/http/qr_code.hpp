// SPDX-License-Identifier: Apache-2.0
// A QR code of a short text (a share URL) as SVG and PNG, for the patient's
// slip, a kiosk print-out or a phone screen. libqrencode finds the modules,
// libpng writes the PNG; both stay in qr_code.cpp.
#pragma once

#include <string>
#include <string_view>

#include "core/bytes.hpp"
#include "core/error.hpp"

namespace cf::http {

struct QrCode {
  std::string svg;  // a standalone SVG document, black modules on white
  Bytes png;        // 8-bit grey, 8 pixels per module, 4-module quiet zone
};

// Error correction level M (15%): survives a crease or a smudge on paper.
// Errors: kInvalidArgument (empty or too long for a QR code), kInternal.
Result<QrCode> MakeQrCode(std::string_view text);

}  // namespace cf::http
