// SPDX-License-Identifier: Apache-2.0
// The in-memory DICOMDIR: DCMTK reads it as a DICOMDIR whose records
// reference every indexed object under the patient/study/series hierarchy,
// every offset points at the record it should, text keeps the object's
// character set, numbers an object lacks are invented in the record only,
// and the same additions give the same bytes.
#include "dicom/dicomdir_writer.hpp"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcistrmb.h>
#include <dcmtk/dcmdata/dcmetinf.h>
#include <dcmtk/dcmdata/dcsequen.h>
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "dicom/dicomdir.hpp"
#include "support/dicom_builder.hpp"

namespace cf::dicom {
namespace {

using cf::testing::DicomBuilder;

Bytes Object(const char* study, const char* series, const char* sop, const char* patient = "P-1") {
  return DicomBuilder()
      .Study(study)
      .Series(series)
      .Sop(sop)
      .Patient(patient, "Wang^Fang")
      .Pixels(4, 4)
      .Build();
}

std::unique_ptr<DcmFileFormat> Parse(const Bytes& bytes) {
  DcmInputBufferStream stream;
  stream.setBuffer(bytes.data(), static_cast<offile_off_t>(bytes.size()));
  stream.setEos();
  auto file = std::make_unique<DcmFileFormat>();
  file->transferInit();
  EXPECT_TRUE(file->read(stream).good());
  file->transferEnd();
  return file;
}

uint32_t U32At(const Bytes& b, size_t at) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | std::to_integer<uint32_t>(b[at + i]);
  return v;
}

// The record type of the item that starts at byte `offset` of the file.
std::string RecordAt(const Bytes& file, uint32_t offset) {
  if (offset + 8 > file.size() || U32At(file, offset) != 0xe000fffe) return "<not an item>";
  // The item's elements: (0004,1400) UL, (0004,1410) US, (0004,1420) UL, (0004,1430) CS.
  const size_t type_at = offset + 8 + 12 + 10 + 12;
  const uint32_t n = std::to_integer<uint32_t>(file[type_at + 6]) |
                     (std::to_integer<uint32_t>(file[type_at + 7]) << 8);
  std::string type(AsChars(ByteView(file).subspan(type_at + 8, n)));
  while (!type.empty() && type.back() == ' ') type.pop_back();
  return type;
}

TEST(DicomdirWriterTest, DcmtkReadsTheHierarchyAndEveryOffsetPointsAtItsRecord) {
  DicomdirWriter writer("CLOUDFILM", "2.25.1234");
  EXPECT_FALSE(writer.Add("DICOM/S0001/I0001", Object("1.2.1", "1.2.1.1", "1.2.1.1.1")));
  EXPECT_FALSE(writer.Add("DICOM/S0001/I0002", Object("1.2.1", "1.2.1.1", "1.2.1.1.2")));
  EXPECT_FALSE(writer.Add("DICOM/S0002/I0001", Object("1.2.1", "1.2.1.2", "1.2.1.2.1")));
  EXPECT_FALSE(writer.Add("DICOM/S0003/I0001", Object("1.2.2", "1.2.2.1", "1.2.2.1.1", "P-2")));
  EXPECT_EQ(writer.indexed(), 4u);
  const Bytes bytes = writer.Finish();
  EXPECT_TRUE(bytes == writer.Finish()) << "the same additions, the same bytes";

  auto ids = ReadDicomdirFileIds(ByteView(bytes));
  ASSERT_TRUE(ids) << ids.error().message;
  EXPECT_EQ(*ids, (std::vector<std::string>{"DICOM/S0001/I0001", "DICOM/S0001/I0002",
                                            "DICOM/S0002/I0001", "DICOM/S0003/I0001"}));

  auto file = Parse(bytes);
  OFString uid;
  file->getMetaInfo()->findAndGetOFString(DCM_MediaStorageSOPInstanceUID, uid);
  EXPECT_EQ(std::string(uid.c_str()), "2.25.1234");
  DcmDataset& ds = *file->getDataset();
  DcmSequenceOfItems* records = nullptr;
  ASSERT_TRUE(ds.findAndGetSequence(DCM_DirectoryRecordSequence, records).good());
  std::vector<std::string> types;
  for (unsigned long i = 0; i < records->card(); ++i) {
    OFString type;
    records->getItem(i)->findAndGetOFString(DCM_DirectoryRecordType, type);
    types.emplace_back(type.c_str());
  }
  EXPECT_EQ(types,
            (std::vector<std::string>{"PATIENT", "STUDY", "SERIES", "IMAGE", "IMAGE", "SERIES",
                                      "IMAGE", "PATIENT", "STUDY", "SERIES", "IMAGE"}));
  // Offsets: the root's first and last records, each record's next sibling
  // and first child, as byte positions in the file.
  Uint32 first = 0, last = 0;
  ds.findAndGetUint32(DCM_OffsetOfTheFirstDirectoryRecordOfTheRootDirectoryEntity, first);
  ds.findAndGetUint32(DCM_OffsetOfTheLastDirectoryRecordOfTheRootDirectoryEntity, last);
  EXPECT_EQ(RecordAt(bytes, first), "PATIENT");
  EXPECT_EQ(RecordAt(bytes, last), "PATIENT");
  EXPECT_NE(first, last);
  DcmItem* patient = records->getItem(0);
  Uint32 next = 0, lower = 0;
  patient->findAndGetUint32(DCM_OffsetOfTheNextDirectoryRecord, next);
  patient->findAndGetUint32(DCM_OffsetOfReferencedLowerLevelDirectoryEntity, lower);
  EXPECT_EQ(next, last) << "the first patient's sibling is the second patient";
  EXPECT_EQ(RecordAt(bytes, lower), "STUDY");
  DcmItem* series = records->getItem(2);
  series->findAndGetUint32(DCM_OffsetOfTheNextDirectoryRecord, next);
  series->findAndGetUint32(DCM_OffsetOfReferencedLowerLevelDirectoryEntity, lower);
  EXPECT_EQ(RecordAt(bytes, next), "SERIES");
  EXPECT_EQ(RecordAt(bytes, lower), "IMAGE");
  DcmItem* image = records->getItem(4);
  image->findAndGetUint32(DCM_OffsetOfTheNextDirectoryRecord, next);
  image->findAndGetUint32(DCM_OffsetOfReferencedLowerLevelDirectoryEntity, lower);
  EXPECT_EQ(next, 0u) << "the series' last image";
  EXPECT_EQ(lower, 0u);

  // The image record's references and invented type 1 numbers.
  DcmItem* leaf = records->getItem(3);
  OFString value;
  leaf->findAndGetOFString(DCM_ReferencedSOPInstanceUIDInFile, value);
  EXPECT_EQ(std::string(value.c_str()), "1.2.1.1.1");
  leaf->findAndGetOFString(DCM_ReferencedTransferSyntaxUIDInFile, value);
  EXPECT_EQ(std::string(value.c_str()), "1.2.840.10008.1.2.1");
  records->getItem(1)->findAndGetOFString(DCM_StudyID, value);
  EXPECT_EQ(std::string(value.c_str()), "1") << "invented in the record, the object has none";
  records->getItem(5)->findAndGetOFString(DCM_SeriesNumber, value);
  EXPECT_EQ(std::string(value.c_str()), "2");
  records->getItem(0)->findAndGetOFString(DCM_PatientName, value);
  EXPECT_EQ(std::string(value.c_str()), "Wang^Fang");
}

TEST(DicomdirWriterTest, TextKeepsTheObjectsCharacterSet) {
  DicomdirWriter writer("CLOUDFILM", "2.25.1");
  const std::string name = "\xe7\x8e\x8b^\xe8\x8a\xb3";  // 王^芳 in UTF-8
  auto object = DicomBuilder()
                    .Study("1.2.1")
                    .Series("1.2.1.1")
                    .Sop("1.2.1.1.1")
                    .Patient("P-1", name)
                    .Set("SpecificCharacterSet", "ISO_IR 192")
                    .Build();
  ASSERT_FALSE(writer.Add("DICOM/S0001/I0001", object));
  auto file = Parse(writer.Finish());
  DcmSequenceOfItems* records = nullptr;
  ASSERT_TRUE(file->getDataset()->findAndGetSequence(DCM_DirectoryRecordSequence, records).good());
  OFString value;
  records->getItem(0)->findAndGetOFString(DCM_SpecificCharacterSet, value);
  EXPECT_EQ(std::string(value.c_str()), "ISO_IR 192");
  records->getItem(0)->findAndGetOFString(DCM_PatientName, value);
  EXPECT_EQ(std::string(value.c_str()), name);
}

TEST(DicomdirWriterTest, WhatARecordCannotReferenceIsLeftOutWithItsReason) {
  DicomdirWriter writer("CLOUDFILM", "2.25.1");
  auto raw = DicomBuilder().Study("1.2.1").Series("1.2.1.1").Sop("1.2.1.1.1").WithoutFileMeta();
  auto reason = writer.Add("DICOM/S0001/I0001", raw.Build());
  ASSERT_TRUE(reason);
  EXPECT_NE(reason->find("meta"), std::string::npos) << *reason;
  auto no_id =
      writer.Add("DICOM/S0001/I0002",
                 DicomBuilder().Study("1.2.1").Series("1.2.1.1").Set("PatientID", "").Build());
  ASSERT_TRUE(no_id);
  EXPECT_NE(no_id->find("Patient ID"), std::string::npos) << *no_id;
  auto garbage = writer.Add("DICOM/S0001/I0003", AsBytes(std::string(200, 'x')));
  ASSERT_TRUE(garbage);
  EXPECT_EQ(writer.indexed(), 0u);
  auto ids = ReadDicomdirFileIds(ByteView(writer.Finish()));
  ASSERT_TRUE(ids) << "an empty file-set is a valid DICOMDIR";
  EXPECT_TRUE(ids->empty());
}

TEST(DicomdirWriterTest, UidsFromSixteenBytesAreTheirDecimalValue) {
  EXPECT_EQ(UidFromUuidBytes(Bytes(16, std::byte{0})), "2.25.0");
  EXPECT_EQ(UidFromUuidBytes(Bytes(16, std::byte{0xff})),
            "2.25.340282366920938463463374607431768211455");
  Bytes one(16, std::byte{0});
  one[15] = std::byte{1};
  one[14] = std::byte{1};
  EXPECT_EQ(UidFromUuidBytes(one), "2.25.257");
}

}  // namespace
}  // namespace cf::dicom
