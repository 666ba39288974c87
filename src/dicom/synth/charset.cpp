// SPDX-License-Identifier: Apache-2.0
// Character set names and conversion with iconv; see charset.hpp.
#include "dicom/synth/charset.hpp"

#include <iconv.h>

#include <cerrno>

namespace cf::dicom::synth {
namespace {

Result<std::string> Iconv(std::string_view utf8, const char* to) {
  iconv_t cd = ::iconv_open(to, "UTF-8");
  if (cd == reinterpret_cast<iconv_t>(-1)) {
    return Fail(ErrorCode::kUnsupported, std::string("iconv cannot convert to ") + to);
  }
  std::string out(utf8.size() * 4 + 16, '\0');
  char* in_ptr = const_cast<char*>(utf8.data());
  size_t in_left = utf8.size();
  char* out_ptr = out.data();
  size_t out_left = out.size();
  const size_t rc = ::iconv(cd, &in_ptr, &in_left, &out_ptr, &out_left);
  ::iconv_close(cd);
  if (rc == static_cast<size_t>(-1) || rc > 0) {
    // rc > 0 counts irreversible (approximated) conversions: not acceptable.
    return Fail(ErrorCode::kInvalidArgument, std::string("text not representable in ") + to);
  }
  out.resize(out.size() - out_left);
  return out;
}

}  // namespace

std::string_view DicomTermOf(Charset charset) {
  switch (charset) {
    case Charset::kUtf8:
      return "ISO_IR 192";
    case Charset::kGb18030:
      return "GB18030";
    case Charset::kLatin1:
      return "ISO_IR 100";
    case Charset::kAscii:
      return "";
  }
  return "";
}

bool IsChinese(Charset charset) {
  return charset == Charset::kUtf8 || charset == Charset::kGb18030;
}

Result<std::vector<Charset>> ParseCharsetOption(std::string_view option) {
  if (option == "utf8") return std::vector<Charset>{Charset::kUtf8};
  if (option == "gb18030") return std::vector<Charset>{Charset::kGb18030};
  if (option == "latin1") return std::vector<Charset>{Charset::kLatin1};
  if (option == "ascii") return std::vector<Charset>{Charset::kAscii};
  if (option == "mixed") {
    return std::vector<Charset>{Charset::kUtf8, Charset::kGb18030, Charset::kLatin1,
                                Charset::kAscii};
  }
  return Fail(ErrorCode::kInvalidArgument,
              "unknown charset '" + std::string(option) +
                  "' (expected utf8, gb18030, latin1, ascii or mixed)");
}

Result<std::string> EncodeText(std::string_view utf8, Charset charset) {
  switch (charset) {
    case Charset::kUtf8:
      return std::string(utf8);
    case Charset::kGb18030:
      return Iconv(utf8, "GB18030");
    case Charset::kLatin1:
      return Iconv(utf8, "ISO-8859-1");
    case Charset::kAscii:
      for (char c : utf8) {
        if (static_cast<unsigned char>(c) >= 0x80) {
          return Fail(ErrorCode::kInvalidArgument, "text not representable in ASCII");
        }
      }
      return std::string(utf8);
  }
  return Fail(ErrorCode::kInternal, "unknown character set");
}

}  // namespace cf::dicom::synth
