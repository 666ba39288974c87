// SPDX-License-Identifier: Apache-2.0
#include "support/dicom_builder.hpp"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcdicent.h>
#include <dcmtk/dcmdata/dcdict.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcostrmb.h>
#include <dcmtk/dcmdata/dcpath.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmdata/dcwcache.h>

#include <stdexcept>

namespace cf::testing {

DicomBuilder::DicomBuilder() {
  values_ = {{"SOPClassUID", UID_SecondaryCaptureImageStorage},
             {"SOPInstanceUID", "1.2.3.4.1.1"},
             {"StudyInstanceUID", "1.2.3.4.2"},
             {"SeriesInstanceUID", "1.2.3.4.3"},
             {"PatientID", "P1"},
             {"PatientName", "Test^Patient"},
             {"StudyDate", "20260101"},
             {"Modality", "OT"},
             {"InstanceNumber", "1"}};
}

DicomBuilder& DicomBuilder::Set(std::string key, std::string value) {
  for (auto& [k, v] : values_) {
    if (k == key) {
      v = std::move(value);
      return *this;
    }
  }
  values_.emplace_back(std::move(key), std::move(value));
  return *this;
}
DicomBuilder& DicomBuilder::Study(std::string uid) {
  return Set("StudyInstanceUID", std::move(uid));
}
DicomBuilder& DicomBuilder::Series(std::string uid) {
  return Set("SeriesInstanceUID", std::move(uid));
}
DicomBuilder& DicomBuilder::Sop(std::string uid) { return Set("SOPInstanceUID", std::move(uid)); }
DicomBuilder& DicomBuilder::Patient(std::string id, std::string name) {
  Set("PatientID", std::move(id));
  return Set("PatientName", std::move(name));
}
DicomBuilder& DicomBuilder::Pixels(int rows, int columns, uint16_t seed) {
  rows_ = rows;
  columns_ = columns;
  seed_ = seed;
  return *this;
}
DicomBuilder& DicomBuilder::WithoutFileMeta() {
  file_meta_ = false;
  return *this;
}
DicomBuilder& DicomBuilder::ImplicitVr() {
  implicit_ = true;
  return *this;
}

Bytes DicomBuilder::Build() const {
  DcmFileFormat file;
  DcmDataset* ds = file.getDataset();
  for (const auto& [key, value] : values_) {
    if (key.find_first_of(".[") != std::string::npos) {
      // A path into sequences, as dcmodify takes it:
      // "ContentSequence[0].ReferencedSOPSequence[0].ReferencedSOPInstanceUID".
      DcmPathProcessor paths;
      OFList<DcmPath*> found;
      if (paths.findOrCreatePath(ds, key.c_str(), OFTrue).bad() || paths.getResults(found) != 1)
        throw std::invalid_argument("cannot create " + key);
      DcmObject* leaf = found.front()->back()->m_obj;
      auto* element = dynamic_cast<DcmElement*>(leaf);
      if (element == nullptr || element->putString(value.c_str()).bad())
        throw std::runtime_error("cannot set " + key);
      continue;
    }
    DcmTagKey tag;
    const DcmDictEntry* entry = nullptr;
    {
      const DcmDataDictionary& dict = dcmDataDict.rdlock();
      entry = dict.findEntry(key.c_str());
      if (entry != nullptr) tag = entry->getKey();
      dcmDataDict.rdunlock();
    }
    if (entry == nullptr) {
      unsigned int g = 0, e = 0;
      if (std::sscanf(key.c_str(), "%x,%x", &g, &e) != 2)
        throw std::invalid_argument("unknown tag " + key);
      tag = DcmTagKey(static_cast<Uint16>(g), static_cast<Uint16>(e));
    }
    if (ds->putAndInsertString(tag, value.c_str()).bad())
      throw std::runtime_error("cannot set " + key);
  }
  if (rows_ > 0) {
    ds->putAndInsertUint16(DCM_Rows, static_cast<Uint16>(rows_));
    ds->putAndInsertUint16(DCM_Columns, static_cast<Uint16>(columns_));
    ds->putAndInsertUint16(DCM_SamplesPerPixel, 1);
    ds->putAndInsertString(DCM_PhotometricInterpretation, "MONOCHROME2");
    ds->putAndInsertUint16(DCM_BitsAllocated, 16);
    ds->putAndInsertUint16(DCM_BitsStored, 12);
    ds->putAndInsertUint16(DCM_HighBit, 11);
    ds->putAndInsertUint16(DCM_PixelRepresentation, 0);
    std::vector<Uint16> px(static_cast<size_t>(rows_) * static_cast<size_t>(columns_));
    for (size_t i = 0; i < px.size(); ++i) px[i] = static_cast<Uint16>((i * 7 + seed_) & 0x0fff);
    ds->putAndInsertUint16Array(DCM_PixelData, px.data(), static_cast<unsigned long>(px.size()));
  }
  const E_TransferSyntax xfer = implicit_ ? EXS_LittleEndianImplicit : EXS_LittleEndianExplicit;
  DcmObject* obj = ds;
  if (file_meta_) {
    if (file.validateMetaInfo(xfer).bad()) throw std::runtime_error("cannot build file meta");
    obj = &file;
  }
  obj->transferInit();
  const Uint32 len = file_meta_ ? file.calcElementLength(xfer, EET_ExplicitLength) + 132
                                : ds->calcElementLength(xfer, EET_ExplicitLength);
  Bytes out(len + 1024);
  DcmOutputBufferStream stream(out.data(), static_cast<offile_off_t>(out.size()));
  OFCondition st = file_meta_ ? file.write(stream, xfer, EET_ExplicitLength, nullptr)
                              : ds->write(stream, xfer, EET_ExplicitLength, nullptr);
  obj->transferEnd();
  if (st.bad()) throw std::runtime_error(std::string("cannot write DICOM: ") + st.text());
  void* buf = nullptr;
  offile_off_t written = 0;
  stream.flushBuffer(buf, written);
  out.resize(static_cast<size_t>(written));
  return out;
}

}  // namespace cf::testing
