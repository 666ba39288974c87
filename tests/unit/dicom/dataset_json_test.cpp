// SPDX-License-Identifier: Apache-2.0
// DatasetToJson and ReadBulkData on objects built here with DCMTK: VRs and
// their JSON types, PN component groups, character sets decoded to UTF-8
// (GB18030 included, with a byte 0x5C inside a character), BulkDataURIs for
// top-level binary values only, sequences, and the bulk data bytes.
#include "dicom/dataset_json.hpp"

#include <gtest/gtest.h>

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcostrmb.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <nlohmann/json.hpp>

#include <stdexcept>
#include <string>
#include <vector>

#include "core/bytes.hpp"

namespace cf::dicom {
namespace {

using nlohmann::json;

constexpr const char* kPrefix = "http://h/dicom-web/studies/1/series/2/instances/3/bulkdata/";

// A Part 10 object with the usual identifying attributes; `fill` adds the
// rest to its dataset.
template <class Fill>
Bytes Build(Fill fill, E_TransferSyntax xfer = EXS_LittleEndianExplicit) {
  DcmFileFormat file;
  DcmDataset* ds = file.getDataset();
  ds->putAndInsertString(DCM_SOPClassUID, UID_SecondaryCaptureImageStorage);
  ds->putAndInsertString(DCM_SOPInstanceUID, "1.2.3.4.5");
  ds->putAndInsertString(DCM_StudyInstanceUID, "1.2.3.4");
  ds->putAndInsertString(DCM_SeriesInstanceUID, "1.2.3.4.1");
  fill(*ds);
  if (file.validateMetaInfo(xfer).bad()) throw std::runtime_error("cannot build file meta");
  file.transferInit();
  const Uint32 length = file.calcElementLength(xfer, EET_ExplicitLength) + 1024;
  Bytes out(length);
  DcmOutputBufferStream stream(out.data(), static_cast<offile_off_t>(out.size()));
  const OFCondition status = file.write(stream, xfer, EET_ExplicitLength, nullptr);
  file.transferEnd();
  if (status.bad()) throw std::runtime_error(status.text());
  void* buffer = nullptr;
  offile_off_t written = 0;
  stream.flushBuffer(buffer, written);
  out.resize(static_cast<size_t>(written));
  return out;
}

json ToJson(ByteView bytes, JsonOptions options = {.bulk_data_uri_prefix = kPrefix}) {
  auto text = DatasetToJson(bytes, options);
  if (!text) throw std::runtime_error(text.error().message);
  return json::parse(*text);
}

TEST(DatasetJsonTest, WritesEachVrWithItsJsonType) {
  const Bytes bytes = Build([](DcmDataset& ds) {
    ds.putAndInsertString(DCM_ImageType, "ORIGINAL\\PRIMARY\\\\AXIAL");
    ds.putAndInsertString(DCM_StudyDate, "20260102");
    ds.putAndInsertUint16(DCM_Rows, 512);
    ds.putAndInsertString(DCM_PixelSpacing, "0.5\\+.75");
    ds.putAndInsertString(DCM_InstanceNumber, "  12");
    ds.putAndInsertString(DCM_SliceThickness, "not a number");
    ds.putAndInsertString(DCM_ImagePositionPatient, "-1.5\\2e2\\0");
    ds.putAndInsertUint32(DCM_SimpleFrameList, 7);
    ds.putAndInsertSint16(DCM_TagAngleSecondAxis, -3);
    ds.putAndInsertFloat64(DCM_RealWorldValueSlope, 0.25);
    ds.putAndInsertTagKey(DCM_FrameIncrementPointer, DCM_FrameTime);
    ds.putAndInsertString(DCM_ImageComments, "a\\b stays one value  ");
    ds.putAndInsertString(DCM_StudyDescription, "");
  });
  const json j = ToJson(bytes);
  EXPECT_EQ(j["00080008"],
            json::parse(R"({"vr":"CS","Value":["ORIGINAL","PRIMARY",null,"AXIAL"]})"));
  EXPECT_EQ(j["00080020"]["Value"][0], "20260102");
  EXPECT_EQ(j["00280010"], json::parse(R"({"vr":"US","Value":[512]})"));
  EXPECT_EQ(j["00280030"]["vr"], "DS");
  EXPECT_EQ(j["00280030"]["Value"], json::parse("[0.5, 0.75]"));
  EXPECT_EQ(j["00200013"], json::parse(R"({"vr":"IS","Value":[12]})"));
  EXPECT_EQ(j["00180050"]["Value"][0], "not a number");  // kept, not lost
  EXPECT_EQ(j["00200032"]["Value"], json::parse("[-1.5, 200.0, 0]"));
  EXPECT_EQ(j["00081161"], json::parse(R"({"vr":"UL","Value":[7]})"));
  EXPECT_EQ(j["00189219"], json::parse(R"({"vr":"SS","Value":[-3]})"));
  EXPECT_EQ(j["00409225"], json::parse(R"({"vr":"FD","Value":[0.25]})"));
  EXPECT_EQ(j["00280009"], json::parse(R"({"vr":"AT","Value":["00181063"]})"));
  EXPECT_EQ(j["00204000"]["Value"], json::parse(R"(["a\\b stays one value"])"));
  EXPECT_EQ(j["00081030"], json::parse(R"({"vr":"LO"})"));
  EXPECT_EQ(j["00080018"]["Value"][0], "1.2.3.4.5");
  for (const auto& [key, value] : j.items()) {
    EXPECT_FALSE(key.starts_with("0002")) << "file meta leaked: " << key;
  }
}

TEST(DatasetJsonTest, TextIsEscapedAndNumbersReadBackExactly) {
  const Bytes bytes = Build([](DcmDataset& ds) {
    ds.putAndInsertString(DCM_ImageComments, "say \"hi\"\\ back\\slash\ttab\r\nnew\x01line");
    ds.putAndInsertString(DCM_PatientName, "O\"Brien^Ann");
    ds.putAndInsertString(DCM_PixelSpacing, "0.1\\1e-05\\3");
    ds.putAndInsertFloat32(DCM_RecommendedDisplayFrameRateInFloat, 0.1f);
    ds.putAndInsertFloat64(DCM_RealWorldValueSlope, 1e300);
  });
  auto text = DatasetToJson(bytes, {.bulk_data_uri_prefix = kPrefix});
  ASSERT_TRUE(text) << text.error().message;
  const json j = json::parse(*text);  // throws, failing the test, on invalid JSON
  EXPECT_EQ(j["00204000"]["Value"][0], "say \"hi\"\\ back\\slash\ttab\r\nnew\x01line");
  EXPECT_NE(text->find(R"(\u0001)"), std::string::npos);
  EXPECT_EQ(j["00100010"]["Value"][0]["Alphabetic"], "O\"Brien^Ann");
  EXPECT_EQ(j["00280030"]["Value"], json::parse("[0.1, 0.00001, 3]"));
  EXPECT_EQ(j["00089459"]["Value"][0].get<double>(), static_cast<double>(0.1f));
  EXPECT_EQ(j["00409225"]["Value"][0].get<double>(), 1e300);
  // Attributes come in tag order, each with its value before its VR.
  EXPECT_LT(text->find("\"00080016\""), text->find("\"00100010\""));
  EXPECT_LT(text->find("\"00100010\""), text->find("\"00204000\""));
  EXPECT_NE(text->find(R"("00280030":{"Value":[0.1,1e-05,3],"vr":"DS"})"), std::string::npos)
      << *text;
}

TEST(DatasetJsonTest, PersonNameHasItsComponentGroups) {
  const Bytes bytes = Build([](DcmDataset& ds) {
    ds.putAndInsertString(DCM_SpecificCharacterSet, "ISO_IR 192");
    ds.putAndInsertString(DCM_PatientName,
                          "Wang^Wei=\xE7\x8E\x8B^\xE4\xBC\x9F=wang^wei\\Li^Na==li^na");
    ds.putAndInsertString(DCM_ReferringPhysicianName, "Yamada^Tarou");
  });
  const json j = ToJson(bytes);
  EXPECT_EQ(j["00100010"]["vr"], "PN");
  EXPECT_EQ(j["00100010"]["Value"], json::parse(R"([
    {"Alphabetic":"Wang^Wei","Ideographic":"王^伟","Phonetic":"wang^wei"},
    {"Alphabetic":"Li^Na","Phonetic":"li^na"}])"));
  EXPECT_EQ(j["00080090"]["Value"], json::parse(R"([{"Alphabetic":"Yamada^Tarou"}])"));
  EXPECT_EQ(j["00080005"]["Value"], json::parse(R"(["ISO_IR 192"])"));
}

TEST(DatasetJsonTest, Gb18030TextComesOutAsUtf8) {
  const Bytes bytes = Build([](DcmDataset& ds) {
    ds.putAndInsertString(DCM_SpecificCharacterSet, "GB18030");
    // 王^伟 in GB18030; 乗 is 0x81 0x5C, whose second byte looks like '\'.
    ds.putAndInsertString(DCM_PatientName, "Wang^Wei=\xCD\xF5^\xCE\xB0");
    ds.putAndInsertString(DCM_StudyDescription, "\x81\x5C\\CT");
  });
  const json j = ToJson(bytes);
  EXPECT_EQ(j["00080005"]["Value"], json::parse(R"(["ISO_IR 192"])"));
  EXPECT_EQ(j["00100010"]["Value"][0]["Ideographic"], "王^伟");
  EXPECT_EQ(j["00100010"]["Value"][0]["Alphabetic"], "Wang^Wei");
  EXPECT_EQ(j["00081030"]["Value"], json::parse(R"(["乗", "CT"])"));
}

TEST(DatasetJsonTest, OnlyTagsWritesTheseTopLevelAttributesDecodedAsTheWholeWould) {
  const Bytes bytes = Build([](DcmDataset& ds) {
    ds.putAndInsertString(DCM_SpecificCharacterSet, "GB18030");
    ds.putAndInsertString(DCM_PatientName, "Wang^Wei=\xCD\xF5^\xCE\xB0");
    ds.putAndInsertString(DCM_InstitutionName, "\xCD\xF5");
    ds.putAndInsertString(DCM_Modality, "CT");
    DcmItem* item = nullptr;
    ds.findOrCreateSequenceItem(DCM_ProcedureCodeSequence, item, -2);
    item->putAndInsertString(DCM_CodeValue, "X1");
    item->putAndInsertString(DCM_CodeMeaning, "\xCE\xB0");
  });
  JsonOptions options{.bulk_data_uri_prefix = kPrefix};
  // (0008,0005) not asked for: the text is still decoded in the object's
  // set. Slice Thickness is asked for and absent; Patient's Name, before
  // it, is parsed and left out.
  options.only_tags = {0x00080080, 0x00081032, 0x00180050};
  const json j = ToJson(bytes, options);
  EXPECT_EQ(j, json::parse(R"({
    "00080080": {"Value": ["王"], "vr": "LO"},
    "00081032": {"Value": [{"00080100": {"Value": ["X1"], "vr": "SH"},
                            "00080104": {"Value": ["伟"], "vr": "LO"}}], "vr": "SQ"}})"));
  // The whole object, for comparison: the same values.
  const json whole = ToJson(bytes);
  EXPECT_EQ(whole["00080080"], j["00080080"]);
  EXPECT_EQ(whole["00081032"], j["00081032"]);
  EXPECT_EQ(whole["00080060"]["Value"], json::parse(R"(["CT"])"));
  // One early attribute: what follows it is not parsed, so an object cut
  // short in its last element (Series Instance UID) still gives it.
  const Bytes cut(bytes.begin(), bytes.end() - 3);
  ASSERT_FALSE(DatasetToJson(cut));
  options.only_tags = {0x00080060};
  EXPECT_EQ(ToJson(cut, options), json::parse(R"({"00080060": {"Value": ["CT"], "vr": "CS"}})"));
}

TEST(DatasetJsonTest, TopLevelBinaryBecomesBulkDataUriNestedStaysInline) {
  const std::vector<Uint8> document(4000, 0x25);
  const Bytes bytes = Build([&](DcmDataset& ds) {
    ds.putAndInsertUint16(DCM_Rows, 2);
    ds.putAndInsertUint16(DCM_Columns, 2);
    ds.putAndInsertUint16(DCM_BitsAllocated, 16);
    const Uint16 pixels[4] = {1, 2, 3, 0x0102};
    ds.putAndInsertUint16Array(DCM_PixelData, pixels, 4);
    ds.putAndInsertUint8Array(DCM_EncapsulatedDocument, document.data(), 4000);
    const Uint16 lut[3] = {0x0001, 0x0203, 0xFFFF};
    ds.putAndInsertUint16Array(DCM_RedPaletteColorLookupTableData, lut, 3);
    DcmItem* item = nullptr;
    ds.findOrCreateSequenceItem(DCM_IconImageSequence, item, 0);
    item->putAndInsertUint8Array(DCM_PixelData, document.data(), 2000);
    item->putAndInsertString(DCM_SpecificCharacterSet, "ISO_IR 100");
    item->putAndInsertString(DCM_ImageComments, "caf\xE9");
    DcmItem* empty = nullptr;
    ds.findOrCreateSequenceItem(DCM_ReferencedImageSequence, empty, 0);
    ds.insertEmptyElement(DCM_SourceImageSequence);
  });
  const json j = ToJson(bytes);
  EXPECT_EQ(j["7FE00010"],
            json::parse(std::string(R"({"vr":"OW","BulkDataURI":")") + kPrefix + R"(7FE00010"})"));
  EXPECT_EQ(j["00420011"]["BulkDataURI"], std::string(kPrefix) + "00420011");
  // Small values are inline: 01 00 03 02 FF FF in little endian.
  EXPECT_EQ(j["00281201"], json::parse(R"({"vr":"OW","InlineBinary":"AQADAv//"})"));
  const json& icon = j["00880200"]["Value"][0];
  EXPECT_EQ(icon["7FE00010"]["InlineBinary"].get<std::string>().size(), 2000u / 3 * 4 + 4);
  EXPECT_EQ(icon["00204000"]["Value"][0], "café");  // the item's own character set
  EXPECT_EQ(j["00081140"], json::parse(R"({"vr":"SQ","Value":[{}]})"));
  EXPECT_EQ(j["00082112"], json::parse(R"({"vr":"SQ"})"));
}

TEST(DatasetJsonTest, WithoutPrefixLargeValuesHaveNoValue) {
  const std::vector<Uint8> document(4000, 0x25);
  const Bytes bytes = Build([&](DcmDataset& ds) {
    ds.putAndInsertUint8Array(DCM_EncapsulatedDocument, document.data(), 4000);
  });
  const json j = ToJson(bytes, {});
  EXPECT_EQ(j["00420011"], json::parse(R"({"vr":"OB"})"));
}

TEST(DatasetJsonTest, ImplicitLittleEndianKnowsVrsFromTheDictionary) {
  const Bytes bytes = Build([](DcmDataset& ds) { ds.putAndInsertUint16(DCM_Columns, 64); },
                            EXS_LittleEndianImplicit);
  const json j = ToJson(bytes);
  EXPECT_EQ(j["00280011"], json::parse(R"({"vr":"US","Value":[64]})"));
}

TEST(DatasetJsonTest, GarbageIsInvalidDicom) {
  const std::string garbage(300, 'x');
  const auto result = DatasetToJson(AsBytes(garbage));
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::kInvalidDicom);
}

TEST(ReadBulkDataTest, ReturnsTheValueBytesInLittleEndian) {
  const Bytes bytes = Build(
      [](DcmDataset& ds) {
        const Uint16 pixels[4] = {1, 2, 3, 0x0102};
        ds.putAndInsertUint16Array(DCM_PixelData, pixels, 4);
        const Uint8 doc[5] = {'%', 'P', 'D', 'F', '-'};
        ds.putAndInsertUint8Array(DCM_EncapsulatedDocument, doc, 5);
      },
      EXS_BigEndianExplicit);
  auto pixels = ReadBulkData(bytes, 0x7FE00010);
  ASSERT_TRUE(pixels) << pixels.error().message;
  const std::vector<uint8_t> expected = {1, 0, 2, 0, 3, 0, 2, 1};
  ASSERT_EQ(pixels->size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(static_cast<uint8_t>((*pixels)[i]), expected[i]) << i;
  }
  auto doc = ReadBulkData(bytes, 0x00420011);
  ASSERT_TRUE(doc);
  EXPECT_EQ(AsChars(*doc).substr(0, 5), "%PDF-");
  auto missing = ReadBulkData(bytes, 0x00091234);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
}

}  // namespace
}  // namespace cf::dicom
