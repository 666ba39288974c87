// SPDX-License-Identifier: Apache-2.0
#include "http/qr_code.hpp"

#include <png.h>
#include <qrencode.h>

#include <memory>
#include <vector>

namespace cf::http {
namespace {

constexpr int kQuietZone = 4;  // modules of white around the code (ISO/IEC 18004)
constexpr int kPixelsPerModule = 8;

struct QrFree {
  void operator()(QRcode* code) const { QRcode_free(code); }
};

void AppendToBytes(png_structp png, png_bytep data, png_size_t length) {
  auto* out = static_cast<Bytes*>(png_get_io_ptr(png));
  const auto* begin = reinterpret_cast<const std::byte*>(data);
  out->insert(out->end(), begin, begin + length);
}

void NoFlush(png_structp) {}

// Dark modules as black pixels, quiet zone included.
Result<Bytes> EncodePng(const QRcode& code) {
  const int side = (code.width + 2 * kQuietZone) * kPixelsPerModule;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  if (png == nullptr) return Fail(ErrorCode::kInternal, "libpng: cannot create a writer");
  png_infop info = png_create_info_struct(png);
  Bytes out;
  std::vector<png_byte> row(static_cast<size_t>(side));
  // libpng reports errors by longjmp: nothing below owns a destructor that
  // the jump would skip (the buffers are declared above).
  if (info == nullptr || setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    return Fail(ErrorCode::kInternal, "libpng: cannot write the QR code");
  }
  png_set_write_fn(png, &out, AppendToBytes, NoFlush);
  png_set_IHDR(png, info, static_cast<png_uint_32>(side), static_cast<png_uint_32>(side), 8,
               PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  for (int y = 0; y < side; ++y) {
    const int my = y / kPixelsPerModule - kQuietZone;
    for (int x = 0; x < side; ++x) {
      const int mx = x / kPixelsPerModule - kQuietZone;
      const bool dark = mx >= 0 && my >= 0 && mx < code.width && my < code.width &&
                        (code.data[my * code.width + mx] & 1) != 0;
      row[static_cast<size_t>(x)] = dark ? 0 : 255;
    }
    png_write_row(png, row.data());
  }
  png_write_end(png, info);
  png_destroy_write_struct(&png, &info);
  return out;
}

std::string EncodeSvg(const QRcode& code) {
  const int side = code.width + 2 * kQuietZone;
  const std::string size = std::to_string(side);
  std::string svg =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" "
      "viewBox=\"0 0 " +
      size + " " + size + "\" width=\"" + std::to_string(side * kPixelsPerModule) + "\" height=\"" +
      std::to_string(side * kPixelsPerModule) +
      "\" shape-rendering=\"crispEdges\"><rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>"
      "<path fill=\"#000\" d=\"";
  for (int y = 0; y < code.width; ++y) {
    for (int x = 0; x < code.width; ++x) {
      if ((code.data[y * code.width + x] & 1) == 0) continue;
      svg +=
          "M" + std::to_string(x + kQuietZone) + " " + std::to_string(y + kQuietZone) + "h1v1h-1z";
    }
  }
  svg += "\"/></svg>\n";
  return svg;
}

}  // namespace

Result<QrCode> MakeQrCode(std::string_view text) {
  if (text.empty() || text.size() > 1000) {
    return Fail(ErrorCode::kInvalidArgument, "a QR code needs 1 to 1000 bytes of text");
  }
  const std::string input(text);  // NUL-terminated for libqrencode
  std::unique_ptr<QRcode, QrFree> code(QRcode_encodeString8bit(input.c_str(), 0, QR_ECLEVEL_M));
  if (!code) return Fail(ErrorCode::kInternal, "libqrencode could not encode the text");
  QrCode out;
  out.svg = EncodeSvg(*code);
  auto png = EncodePng(*code);
  if (!png) return std::unexpected(png.error());
  out.png = std::move(*png);
  return out;
}

}  // namespace cf::http
