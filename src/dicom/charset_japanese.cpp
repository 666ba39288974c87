// SPDX-License-Identifier: Apache-2.0
#include "dicom/charset_japanese.hpp"

#include <iconv.h>

#include <cerrno>

namespace cf::dicom {

bool IsIso2022Japanese(std::string_view charset) {
  bool japanese = false;
  size_t start = 0;
  while (start <= charset.size()) {
    const size_t end = charset.find('\\', start);
    std::string_view term =
        charset.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    while (!term.empty() && term.back() == ' ') term.remove_suffix(1);
    if (term == "ISO 2022 IR 87" || term == "ISO 2022 IR 159" || term == "ISO 2022 IR 13") {
      japanese = true;
    } else if (!term.empty() && term != "ISO 2022 IR 6" && term != "ISO_IR 13") {
      return false;
    }
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return japanese;
}

std::optional<std::string> DecodeIso2022Japanese(std::string_view raw) {
  // The G0 set after each escape: ASCII / JIS X 0201 roman, JIS X 0208 or JIS X 0212.
  enum class G0 { kSingle, kJis0208, kJis0212 } g0 = G0::kSingle;
  std::string euc;
  euc.reserve(raw.size() + 8);
  for (size_t i = 0; i < raw.size(); ++i) {
    const auto b = static_cast<unsigned char>(raw[i]);
    if (b == 0x1B) {
      const std::string_view rest = raw.substr(i + 1);
      if (rest.starts_with("$B") || rest.starts_with("$@")) {
        g0 = G0::kJis0208;
        i += 2;
      } else if (rest.starts_with("$(D")) {
        g0 = G0::kJis0212;
        i += 3;
      } else if (rest.starts_with("(B") || rest.starts_with("(J")) {
        g0 = G0::kSingle;
        i += 2;
      } else if (rest.starts_with(")I")) {
        i += 2;  // half-width katakana designated to G1: the bytes say it already
      } else {
        return std::nullopt;
      }
      continue;
    }
    // In the two-byte sets '^' and '=' are character bytes: PS3.5 6.1.2.5.3
    // has encoders switch back (ESC ( B) before a delimiter.
    if (g0 == G0::kSingle || b < 0x21 || b == 0x7F) {
      if (b >= 0xA1 && b <= 0xDF) {
        euc.push_back(static_cast<char>(0x8E));  // SS2: JIS X 0201 katakana
        euc.push_back(static_cast<char>(b));
      } else if (b >= 0x80) {
        return std::nullopt;
      } else {
        euc.push_back(static_cast<char>(b));
      }
      continue;
    }
    if (i + 1 >= raw.size()) return std::nullopt;
    const auto b2 = static_cast<unsigned char>(raw[i + 1]);
    if (b2 < 0x21 || b2 > 0x7E) return std::nullopt;
    if (g0 == G0::kJis0212) euc.push_back(static_cast<char>(0x8F));  // SS3
    euc.push_back(static_cast<char>(b | 0x80));
    euc.push_back(static_cast<char>(b2 | 0x80));
    ++i;
  }
  iconv_t cd = iconv_open("UTF-8", "EUC-JP");
  if (cd == reinterpret_cast<iconv_t>(-1)) return std::nullopt;
  std::string out(euc.size() * 2 + 16, '\0');
  char* in_ptr = euc.data();
  size_t in_left = euc.size();
  char* out_ptr = out.data();
  size_t out_left = out.size();
  const size_t rc = iconv(cd, &in_ptr, &in_left, &out_ptr, &out_left);
  iconv_close(cd);
  if (rc == static_cast<size_t>(-1)) return std::nullopt;
  out.resize(out.size() - out_left);
  return out;
}

}  // namespace cf::dicom
