// SPDX-License-Identifier: Apache-2.0
// DCMTK reads each object's header (up to the pixel data, from memory);
// the DICOMDIR itself is encoded here, because its offsets are byte
// positions in the file: records encoded with fixed-size offset elements
// have lengths that do not depend on the offsets' values, so one pass
// lays the records out and a second writes them with their offsets.
#include "dicom/dicomdir_writer.hpp"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcistrmb.h>
#include <dcmtk/dcmdata/dcmetinf.h>

#include <algorithm>
#include <array>

#include "dicom/dcmtk_read.hpp"
#include "dicom/dicomdir.hpp"
#include "dicom/uids.hpp"

namespace cf::dicom {
namespace {

using Element = DicomdirWriter::Element;
using Record = DicomdirWriter::Record;

constexpr uint32_t Tag(uint16_t group, uint16_t element) {
  return (static_cast<uint32_t>(group) << 16) | element;
}

constexpr std::string_view kExplicitLittle = "1.2.840.10008.1.2.1";

// VRs whose length field has 4 bytes (after 2 reserved ones).
bool LongLength(const char* vr) {
  static constexpr std::string_view kLong[] = {"OB", "OD", "OF", "OL", "OV", "OW", "SQ",
                                               "SV", "UC", "UN", "UR", "UT", "UV"};
  const std::string_view v(vr, 2);
  return std::find(std::begin(kLong), std::end(kLong), v) != std::end(kLong);
}

void Put16(std::string& out, uint32_t v) {
  out.push_back(static_cast<char>(v & 0xff));
  out.push_back(static_cast<char>((v >> 8) & 0xff));
}

void Put32(std::string& out, uint32_t v) {
  Put16(out, v & 0xffff);
  Put16(out, v >> 16);
}

std::string U32(uint32_t v) {
  std::string s;
  Put32(s, v);
  return s;
}

std::string U16(uint32_t v) {
  std::string s;
  Put16(s, v);
  return s;
}

void PutTag(std::string& out, uint32_t tag) {
  Put16(out, tag >> 16);
  Put16(out, tag & 0xffff);
}

// One element, padded to even length (UI and OB with NUL, text with space).
void Encode(std::string& out, const Element& e) {
  std::string value = e.value;
  if (value.size() % 2 != 0) {
    const std::string_view vr(e.vr, 2);
    value.push_back(vr == "UI" || vr == "OB" ? '\0' : ' ');
  }
  PutTag(out, e.tag);
  out.append(e.vr, 2);
  if (LongLength(e.vr)) {
    Put16(out, 0);
    Put32(out, static_cast<uint32_t>(value.size()));
  } else {
    Put16(out, static_cast<uint32_t>(value.size()));
  }
  out += value;
}

Element Text(uint32_t tag, const char* vr, std::string value) {
  Element e;
  e.tag = tag;
  e.vr[0] = vr[0];
  e.vr[1] = vr[1];
  e.value = std::move(value);
  return e;
}

// The record's item: its own four elements, then its keys. Offsets of the
// next record and of the first child are filled in by the caller's layout.
std::string EncodeItem(const Record& r, uint32_t next, uint32_t lower) {
  std::string body;
  Encode(body, Text(Tag(0x0004, 0x1400), "UL", U32(next)));
  Encode(body, Text(Tag(0x0004, 0x1410), "US", U16(0xffff)));
  Encode(body, Text(Tag(0x0004, 0x1420), "UL", U32(lower)));
  Encode(body, Text(Tag(0x0004, 0x1430), "CS", r.type));
  for (const auto& k : r.keys) Encode(body, k);
  std::string item;
  PutTag(item, Tag(0xfffe, 0xe000));
  Put32(item, 0xffffffff);
  item += body;
  PutTag(item, Tag(0xfffe, 0xe00d));
  Put32(item, 0);
  return item;
}

// Records depth first, as they are laid out in the sequence.
struct Flat {
  const Record* record = nullptr;
  size_t next = 0;   // index of the next sibling, 0: none
  size_t lower = 0;  // index of the first child, 0: none
};

void Flatten(const std::vector<Record>& siblings, std::vector<Flat>& out) {
  std::vector<size_t> mine;
  for (const auto& r : siblings) {
    mine.push_back(out.size());
    out.push_back({&r, 0, 0});
    const size_t me = out.size() - 1;
    if (!r.children.empty()) {
      out[me].lower = out.size();
      Flatten(r.children, out);
    }
  }
  for (size_t i = 0; i + 1 < mine.size(); ++i) out[mine[i]].next = mine[i + 1];
}

std::string Value(DcmItem& item, const DcmTagKey& key) {
  OFString value;
  if (item.findAndGetOFStringArray(key, value).bad()) return {};
  std::string s(value.c_str(), value.length());
  while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) s.pop_back();
  return s;
}

std::string RecordTypeOf(std::string_view sop_class) {
  constexpr std::string_view kStorage = "1.2.840.10008.5.1.4.1.1.";
  if (!sop_class.starts_with(kStorage)) return "IMAGE";
  const std::string_view rest = sop_class.substr(kStorage.size());
  if (rest == "88.59") return "KEY OBJECT DOC";
  if (rest.starts_with("88.")) return "SR DOCUMENT";
  if (rest.starts_with("11.")) return "PRESENTATION";
  if (rest.starts_with("104.")) return "ENCAP DOC";
  if (rest.starts_with("9.")) return "WAVEFORM";
  if (rest == "481.2") return "RT DOSE";
  if (rest == "481.3") return "RT STRUCTURE SET";
  if (rest == "481.5") return "RT PLAN";
  return "IMAGE";
}

Record* FindChild(std::vector<Record>& records, uint32_t tag, const std::string& value) {
  for (auto& r : records) {
    for (const auto& k : r.keys) {
      if (k.tag == tag && k.value == value) return &r;
    }
  }
  return nullptr;
}

void SortKeys(Record& r) {
  std::stable_sort(r.keys.begin(), r.keys.end(),
                   [](const Element& a, const Element& b) { return a.tag < b.tag; });
}

}  // namespace

std::string UidFromUuidBytes(ByteView sixteen) {
  // The 128-bit big-endian number in decimal: long division by 10.
  std::array<unsigned, 16> n{};
  for (size_t i = 0; i < n.size() && i < sixteen.size(); ++i) {
    n[i] = std::to_integer<unsigned>(sixteen[i]);
  }
  std::string digits;
  bool zero = false;
  while (!zero) {
    unsigned rest = 0;
    zero = true;
    for (auto& byte : n) {
      const unsigned v = (rest << 8) | byte;
      byte = v / 10;
      rest = v % 10;
      if (byte != 0) zero = false;
    }
    digits.push_back(static_cast<char>('0' + rest));
  }
  std::reverse(digits.begin(), digits.end());
  return "2.25." + digits;
}

DicomdirWriter::DicomdirWriter(std::string file_set_id, std::string media_storage_uid)
    : file_set_id_(std::move(file_set_id)), media_storage_uid_(std::move(media_storage_uid)) {}

std::optional<std::string> DicomdirWriter::Add(std::string_view file_id, ByteView object) {
  QuietDcmtk();
  if (object.size() < 132 || AsChars(object.subspan(128, 4)) != "DICM") {
    return "no file meta: a raw dataset has no transfer syntax to reference";
  }
  DcmInputBufferStream stream;
  stream.setBuffer(object.data(), static_cast<offile_off_t>(object.size()));
  stream.setEos();
  DcmFileFormat file;
  auto parsed = ParseGuarded([&] {
    file.transferInit();
    const OFCondition status =
        file.readUntilTag(stream, EXS_Unknown, EGL_noChange, DCM_MaxReadLength, DCM_PixelData);
    file.transferEnd();
    return status;
  });
  if (!parsed) return "the header: " + parsed.error().message;
  DcmItem& meta = *file.getMetaInfo();
  DcmItem& ds = *file.getDataset();
  const std::string ts = Value(meta, DCM_TransferSyntaxUID);
  if (ts.empty()) return "no file meta: no transfer syntax to reference";
  const std::string sop_class = Value(ds, DCM_SOPClassUID);
  const std::string sop_uid = Value(ds, DCM_SOPInstanceUID);
  const std::string study_uid = Value(ds, DCM_StudyInstanceUID);
  const std::string series_uid = Value(ds, DCM_SeriesInstanceUID);
  const std::string patient_id = Value(ds, DCM_PatientID);
  if (sop_class.empty() || sop_uid.empty()) return "no SOP Class or SOP Instance UID";
  if (study_uid.empty() || series_uid.empty()) return "no Study or Series Instance UID";
  if (patient_id.empty()) return "no Patient ID (a record never invents an identity)";
  const std::string charset = Value(ds, DCM_SpecificCharacterSet);

  auto key = [&](std::vector<Element>& keys, const DcmTagKey& tag, const char* vr, bool always) {
    std::string v = Value(ds, tag);
    if (v.empty() && !always) return;
    keys.push_back(Text(Tag(tag.getGroup(), tag.getElement()), vr, std::move(v)));
  };
  auto with_charset = [&](Record& r) {
    if (!charset.empty()) r.keys.push_back(Text(Tag(0x0008, 0x0005), "CS", charset));
  };

  constexpr uint32_t kPatientId = Tag(0x0010, 0x0020);
  Record* patient = FindChild(patients_, kPatientId, patient_id);
  if (patient == nullptr) {
    Record r;
    r.type = "PATIENT";
    with_charset(r);
    key(r.keys, DCM_PatientName, "PN", true);
    r.keys.push_back(Text(kPatientId, "LO", patient_id));
    key(r.keys, DCM_PatientBirthDate, "DA", false);
    key(r.keys, DCM_PatientSex, "CS", false);
    SortKeys(r);
    patients_.push_back(std::move(r));
    patient = &patients_.back();
  }

  constexpr uint32_t kStudyUid = Tag(0x0020, 0x000d);
  Record* study = FindChild(patient->children, kStudyUid, study_uid);
  if (study == nullptr) {
    Record r;
    r.type = "STUDY";
    with_charset(r);
    key(r.keys, DCM_StudyDate, "DA", true);
    key(r.keys, DCM_StudyTime, "TM", true);
    key(r.keys, DCM_AccessionNumber, "SH", true);
    key(r.keys, DCM_StudyDescription, "LO", true);
    r.keys.push_back(Text(kStudyUid, "UI", study_uid));
    std::string study_id = Value(ds, DCM_StudyID);
    if (study_id.empty()) study_id = std::to_string(patient->children.size() + 1);
    r.keys.push_back(Text(Tag(0x0020, 0x0010), "SH", study_id));
    SortKeys(r);
    patient->children.push_back(std::move(r));
    study = &patient->children.back();
  }

  constexpr uint32_t kSeriesUid = Tag(0x0020, 0x000e);
  Record* series = FindChild(study->children, kSeriesUid, series_uid);
  if (series == nullptr) {
    Record r;
    r.type = "SERIES";
    with_charset(r);
    key(r.keys, DCM_Modality, "CS", true);
    key(r.keys, DCM_SeriesDescription, "LO", false);
    r.keys.push_back(Text(kSeriesUid, "UI", series_uid));
    std::string number = Value(ds, DCM_SeriesNumber);
    if (number.empty()) number = std::to_string(study->children.size() + 1);
    r.keys.push_back(Text(Tag(0x0020, 0x0011), "IS", number));
    SortKeys(r);
    study->children.push_back(std::move(r));
    series = &study->children.back();
  }

  Record leaf;
  leaf.type = RecordTypeOf(sop_class);
  std::string file_id_value(file_id);
  std::replace(file_id_value.begin(), file_id_value.end(), '/', '\\');
  leaf.keys.push_back(Text(Tag(0x0004, 0x1500), "CS", file_id_value));
  leaf.keys.push_back(Text(Tag(0x0004, 0x1510), "UI", sop_class));
  leaf.keys.push_back(Text(Tag(0x0004, 0x1511), "UI", sop_uid));
  leaf.keys.push_back(Text(Tag(0x0004, 0x1512), "UI", ts));
  with_charset(leaf);
  std::string number = Value(ds, DCM_InstanceNumber);
  if (number.empty()) number = std::to_string(series->children.size() + 1);
  leaf.keys.push_back(Text(Tag(0x0020, 0x0013), "IS", number));
  if (leaf.type != "IMAGE") {
    // The scalar keys of F.5 for documents and presentation states (their
    // code sequences are not copied).
    key(leaf.keys, DCM_ContentDate, "DA", false);
    key(leaf.keys, DCM_ContentTime, "TM", false);
    key(leaf.keys, DCM_CompletionFlag, "CS", false);
    key(leaf.keys, DCM_VerificationFlag, "CS", false);
    key(leaf.keys, DCM_DocumentTitle, "ST", false);
    key(leaf.keys, DCM_MIMETypeOfEncapsulatedDocument, "LO", false);
    key(leaf.keys, DCM_ContentLabel, "CS", false);
    key(leaf.keys, DCM_ContentDescription, "LO", false);
    key(leaf.keys, DCM_PresentationCreationDate, "DA", false);
    key(leaf.keys, DCM_PresentationCreationTime, "TM", false);
  }
  SortKeys(leaf);
  series->children.push_back(std::move(leaf));
  ++objects_;
  return std::nullopt;
}

Bytes DicomdirWriter::Finish() const {
  // File meta (group length first, then the group in tag order).
  std::string group;
  Encode(group, Text(Tag(0x0002, 0x0001), "OB", std::string("\0\1", 2)));
  Encode(group, Text(Tag(0x0002, 0x0002), "UI", kMediaStorageDirectorySopClass));
  Encode(group, Text(Tag(0x0002, 0x0003), "UI", media_storage_uid_));
  Encode(group, Text(Tag(0x0002, 0x0010), "UI", std::string(kExplicitLittle)));
  Encode(group, Text(Tag(0x0002, 0x0012), "UI", std::string(kImplementationClassUid)));
  std::string head(128, '\0');
  head += "DICM";
  Encode(head, Text(Tag(0x0002, 0x0000), "UL", U32(static_cast<uint32_t>(group.size()))));
  head += group;

  std::vector<Flat> flat;
  Flatten(patients_, flat);
  // Where the sequence's first item starts: the four data set elements
  // before it have fixed lengths once the file-set ID is known.
  std::string before;
  Encode(before, Text(Tag(0x0004, 0x1130), "CS", file_set_id_));
  Encode(before, Text(Tag(0x0004, 0x1200), "UL", U32(0)));
  Encode(before, Text(Tag(0x0004, 0x1202), "UL", U32(0)));
  Encode(before, Text(Tag(0x0004, 0x1212), "US", U16(0)));
  const size_t first_item = head.size() + before.size() + 12;  // + the SQ's header
  std::vector<uint32_t> offset(flat.size());
  size_t at = first_item;
  for (size_t i = 0; i < flat.size(); ++i) {
    offset[i] = static_cast<uint32_t>(at);
    at += EncodeItem(*flat[i].record, 0, 0).size();
  }
  uint32_t last_root = 0;
  for (size_t i = 0; i < flat.size(); i = flat[i].next) {
    last_root = offset[i];
    if (flat[i].next == 0) break;
  }

  std::string out = head;
  Encode(out, Text(Tag(0x0004, 0x1130), "CS", file_set_id_));
  Encode(out, Text(Tag(0x0004, 0x1200), "UL", U32(flat.empty() ? 0 : offset[0])));
  Encode(out, Text(Tag(0x0004, 0x1202), "UL", U32(last_root)));
  Encode(out, Text(Tag(0x0004, 0x1212), "US", U16(0)));
  PutTag(out, Tag(0x0004, 0x1220));
  out += "SQ";
  Put16(out, 0);
  Put32(out, 0xffffffff);
  for (size_t i = 0; i < flat.size(); ++i) {
    const uint32_t next = flat[i].next == 0 ? 0 : offset[flat[i].next];
    const uint32_t lower = flat[i].lower == 0 ? 0 : offset[flat[i].lower];
    out += EncodeItem(*flat[i].record, next, lower);
  }
  PutTag(out, Tag(0xfffe, 0xe0dd));
  Put32(out, 0);
  const ByteView bytes = AsBytes(out);
  return Bytes(bytes.begin(), bytes.end());
}

}  // namespace cf::dicom
