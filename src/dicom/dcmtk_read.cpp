// SPDX-License-Identifier: Apache-2.0
#include "dicom/dcmtk_read.hpp"

#include <dcmtk/dcmdata/dcistrmb.h>
#include <dcmtk/oflog/oflog.h>

#include <mutex>
#include <string>

namespace cf::dicom {

void QuietDcmtk() {
  static std::once_flag quiet;
  std::call_once(quiet,
                 [] { OFLog::getLogger("dcmtk.dcmdata").setLogLevel(OFLogger::FATAL_LOG_LEVEL); });
}

Result<std::unique_ptr<DcmFileFormat>> ReadWithDcmtk(ByteView bytes, const DcmTagKey& stop) {
  QuietDcmtk();
  DcmInputBufferStream stream;
  stream.setBuffer(bytes.data(), static_cast<offile_off_t>(bytes.size()));
  stream.setEos();
  auto file = std::make_unique<DcmFileFormat>();
  auto parsed = ParseGuarded([&] {
    file->transferInit();
    const OFCondition status =
        file->readUntilTag(stream, EXS_Unknown, EGL_noChange, DCM_MaxReadLength, stop);
    file->transferEnd();
    return status;
  });
  if (!parsed) return std::unexpected(parsed.error());
  return file;
}

std::string ElementText(DcmItem& item, const DcmTagKey& tag) {
  OFString value;
  if (item.findAndGetOFStringArray(tag, value, OFFalse).bad()) return {};
  std::string s(value.c_str(), value.length());
  while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) s.pop_back();
  return s;
}

}  // namespace cf::dicom
