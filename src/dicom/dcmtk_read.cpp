// SPDX-License-Identifier: Apache-2.0
#include "dicom/dcmtk_read.hpp"

#include <dcmtk/dcmdata/dcistrmb.h>
#include <dcmtk/oflog/oflog.h>

#include <mutex>
#include <string>

namespace cf::dicom {

Result<std::unique_ptr<DcmFileFormat>> ReadWithDcmtk(ByteView bytes, const DcmTagKey& stop) {
  // DCMTK would print its parse warnings to stderr; errors come back as values.
  static std::once_flag quiet;
  std::call_once(quiet,
                 [] { OFLog::getLogger("dcmtk.dcmdata").setLogLevel(OFLogger::FATAL_LOG_LEVEL); });
  DcmInputBufferStream stream;
  stream.setBuffer(bytes.data(), static_cast<offile_off_t>(bytes.size()));
  stream.setEos();
  auto file = std::make_unique<DcmFileFormat>();
  file->transferInit();
  const OFCondition status =
      file->readUntilTag(stream, EXS_Unknown, EGL_noChange, DCM_MaxReadLength, stop);
  file->transferEnd();
  if (status.bad()) {
    return Fail(ErrorCode::kInvalidDicom, std::string("cannot parse: ") + status.text());
  }
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
