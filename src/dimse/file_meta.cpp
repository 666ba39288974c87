// SPDX-License-Identifier: Apache-2.0
// Writing the file meta group of a received object (see file_meta.hpp). The
// group is always explicit VR little endian (PS3.10 7.1) and opens with
// (0002,0000), the length of the rest of the group.
#include "dimse/file_meta.hpp"
#include "dicom/uids.hpp"

#include <cstdint>

namespace cf::dimse {
namespace {

void PutU16(Bytes& out, uint32_t v) {
  out.push_back(std::byte(v & 0xFF));
  out.push_back(std::byte((v >> 8) & 0xFF));
}

void PutU32(Bytes& out, uint32_t v) {
  PutU16(out, v & 0xFFFF);
  PutU16(out, v >> 16);
}

void PutChars(Bytes& out, std::string_view s) {
  for (char c : s) out.push_back(std::byte(static_cast<unsigned char>(c)));
}

// A UI element: short length form, value padded to even length with NUL.
void PutUid(Bytes& out, uint16_t element, std::string_view uid) {
  const size_t padded = uid.size() + uid.size() % 2;
  PutU16(out, 0x0002);
  PutU16(out, element);
  PutChars(out, "UI");
  PutU16(out, static_cast<uint32_t>(padded));
  PutChars(out, uid);
  if (padded != uid.size()) out.push_back(std::byte{0});
}

}  // namespace

Bytes BuildFileMeta(std::string_view sop_class_uid, std::string_view sop_instance_uid,
                    std::string_view transfer_syntax_uid) {
  Bytes group;
  // (0002,0001) File Meta Information Version: OB, long length form.
  PutU16(group, 0x0002);
  PutU16(group, 0x0001);
  PutChars(group, "OB");
  PutU16(group, 0);
  PutU32(group, 2);
  group.push_back(std::byte{0x00});
  group.push_back(std::byte{0x01});
  PutUid(group, 0x0002, sop_class_uid);
  PutUid(group, 0x0003, sop_instance_uid);
  PutUid(group, 0x0010, transfer_syntax_uid);
  PutUid(group, 0x0012, dicom::kImplementationClassUid);

  Bytes out(128, std::byte{0});
  PutChars(out, "DICM");
  PutU16(out, 0x0002);
  PutU16(out, 0x0000);
  PutChars(out, "UL");
  PutU16(out, 4);
  PutU32(out, static_cast<uint32_t>(group.size()));
  out.insert(out.end(), group.begin(), group.end());
  return out;
}

}  // namespace cf::dimse
