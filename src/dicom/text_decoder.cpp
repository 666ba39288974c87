// SPDX-License-Identifier: Apache-2.0
// TextDecoder over DCMTK's DcmSpecificCharacterSet (glibc iconv underneath).
#include "dicom/text_decoder.hpp"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcspchrs.h>

#include "dicom/charset_japanese.hpp"

namespace cf::dicom {

std::string SanitizeUtf8(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  size_t i = 0;
  while (i < in.size()) {
    const auto c = static_cast<unsigned char>(in[i]);
    size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    bool ok = len != 0 && i + len <= in.size();
    for (size_t k = 1; ok && k < len; ++k) ok = (static_cast<unsigned char>(in[i + k]) >> 6) == 2;
    if (ok) {
      out.append(in.substr(i, len));
      i += len;
    } else {
      out.append("\xEF\xBF\xBD");
      ++i;
    }
  }
  return out;
}

struct TextDecoder::Impl {
  DcmSpecificCharacterSet converter;
  bool active = false;
  bool japanese = false;
};

TextDecoder::TextDecoder(const std::string& charset, std::vector<std::string>& warnings)
    : impl_(std::make_unique<Impl>()) {
  const bool plain = charset.empty() || charset == "ISO_IR 6" || charset == "ISO_IR 192";
  if (plain) return;
  const OFCondition st = impl_->converter.selectCharacterSet(charset.c_str(), "ISO_IR 192");
  if (st.good()) {
    impl_->active = true;
  } else if (IsIso2022Japanese(charset)) {
    impl_->japanese = true;
  } else {
    warnings.push_back(
        "unsupported Specific Character Set; text indexed with invalid bytes replaced");
  }
}

TextDecoder::~TextDecoder() = default;

std::string TextDecoder::Decode(std::string_view raw, const char* delimiters) {
  if (impl_->japanese && !raw.empty()) {
    if (auto utf8 = DecodeIso2022Japanese(raw)) return SanitizeUtf8(*utf8);
  }
  if (!impl_->active || raw.empty()) return SanitizeUtf8(raw);
  OFString out;
  if (impl_->converter.convertString(OFString(raw.data(), raw.size()), out, delimiters).bad()) {
    return SanitizeUtf8(raw);
  }
  return SanitizeUtf8(std::string_view(out.c_str(), out.length()));
}

}  // namespace cf::dicom
