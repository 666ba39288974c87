// SPDX-License-Identifier: Apache-2.0
// The negotiation policy and the status mapping, without a network: which
// SOP classes and transfer syntaxes are accepted, which transfer syntax is
// chosen, and which C-STORE status each archive outcome becomes.
#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcistrmb.h>
#include <dcmtk/dcmdata/dcmetinf.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "dicom/uids.hpp"
#include "dimse/file_meta.hpp"
#include "dimse/sop_classes.hpp"
#include "dimse/store_status.hpp"

namespace cf::dimse {
namespace {

constexpr char kExplicitLe[] = "1.2.840.10008.1.2.1";
constexpr char kImplicitLe[] = "1.2.840.10008.1.2";
constexpr char kJpegLsLossless[] = "1.2.840.10008.1.2.4.80";
constexpr char kHtj2kLossless[] = "1.2.840.10008.1.2.4.201";
constexpr char kCt[] = "1.2.840.10008.5.1.4.1.1.2";

std::optional<std::string> Choose(std::string_view sop, std::vector<std::string> proposed) {
  return SopClassPolicy().ChooseTransferSyntax(sop, proposed);
}

TEST(SopClassPolicyTest, AcceptsStorageClassesOfEveryKind) {
  const SopClassPolicy policy;
  for (const char* uid : {
           "1.2.840.10008.5.1.4.1.1.2",       // CT
           "1.2.840.10008.5.1.4.1.1.4.1",     // Enhanced MR
           "1.2.840.10008.5.1.4.1.1.88.33",   // Comprehensive SR
           "1.2.840.10008.5.1.4.1.1.88.59",   // Key Object Selection
           "1.2.840.10008.5.1.4.1.1.104.1",   // Encapsulated PDF
           "1.2.840.10008.5.1.4.1.1.104.2",   // Encapsulated CDA
           "1.2.840.10008.5.1.4.1.1.104.3",   // Encapsulated STL
           "1.2.840.10008.5.1.4.1.1.9.1.1",   // 12-lead ECG
           "1.2.840.10008.5.1.4.1.1.11.1",    // Grayscale Softcopy Presentation State
           "1.2.840.10008.5.1.4.1.1.481.2",   // RT Dose
           "1.2.840.10008.5.1.4.1.1.66.4",    // Segmentation
           "1.2.840.10008.5.1.4.1.1.77.1.6",  // VL Whole Slide Microscopy
           "1.2.840.10008.5.1.4.1.1.88.800",  // newer than DCMTK 3.6.7, under the storage root
           "1.2.840.10008.5.1.4.38.1",        // Hanging Protocol
           "1.2.840.10008.5.1.4.39.1",        // Color Palette
           "1.2.840.10008.5.1.4.34.7",        // RT Beams Delivery Instruction
       }) {
    EXPECT_TRUE(policy.IsStorage(uid)) << uid;
  }
  EXPECT_TRUE(policy.IsAccepted(kVerificationSopClass));
  EXPECT_FALSE(policy.IsStorage(kVerificationSopClass));
  EXPECT_TRUE(policy.IsAccepted("1.2.840.10008.5.1.4.1.2.2.1"));  // Study Root FIND
  EXPECT_TRUE(policy.IsAccepted("1.2.840.10008.1.20.1"));         // Storage Commitment
  EXPECT_FALSE(policy.IsAccepted("1.2.840.10008.5.1.4.31"));      // Modality Worklist FIND
  EXPECT_FALSE(policy.IsAccepted("1.2.840.10008.5.1.4.1.1."));
  EXPECT_FALSE(policy.IsAccepted("1.2.3.4.5"));
  EXPECT_TRUE(SopClassPolicy({"1.2.3.4.5"}).IsAccepted("1.2.3.4.5"));
}

TEST(SopClassPolicyTest, AcceptsEveryCompressionAndVideoSyntax) {
  for (const char* ts :
       {kExplicitLe, kImplicitLe, "1.2.840.10008.1.2.2", "1.2.840.10008.1.2.1.99",
        "1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51", "1.2.840.10008.1.2.4.57",
        "1.2.840.10008.1.2.4.70", kJpegLsLossless, "1.2.840.10008.1.2.4.81",
        "1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.91", "1.2.840.10008.1.2.5",
        "1.2.840.10008.1.2.4.100", "1.2.840.10008.1.2.4.102", "1.2.840.10008.1.2.4.107",
        "1.2.840.10008.1.2.4.108"}) {
    EXPECT_TRUE(IsAcceptedTransferSyntax(ts)) << ts;
  }
  EXPECT_FALSE(IsAcceptedTransferSyntax("1.2.840.10008.1.2.4.94"));  // JPIP referenced
  EXPECT_FALSE(IsAcceptedTransferSyntax("1.2.3"));
  // Newer syntaxes: accepted exactly when the linked DCMTK can carry them.
  for (const char* ts : {kHtj2kLossless, "1.2.840.10008.1.2.4.202", "1.2.840.10008.1.2.4.203",
                         "1.2.840.10008.1.2.4.110", "1.2.840.10008.1.2.1.98"}) {
    EXPECT_EQ(IsAcceptedTransferSyntax(ts), DcmtkCanCarry(ts)) << ts;
  }
}

TEST(SopClassPolicyTest, PrefersExplicitLittleEndianAmongUncompressed) {
  EXPECT_EQ(Choose(kCt, {kImplicitLe, kExplicitLe}), kExplicitLe);
  EXPECT_EQ(Choose(kCt, {kImplicitLe}), kImplicitLe);
  EXPECT_EQ(Choose(kCt, {kExplicitLe, kJpegLsLossless}), kExplicitLe);
}

TEST(SopClassPolicyTest, KeepsACompressedSyntaxTheSenderProposesFirst) {
  EXPECT_EQ(Choose(kCt, {kJpegLsLossless, kExplicitLe}), kJpegLsLossless);
  EXPECT_EQ(Choose(kCt, {"1.2.3.4", "1.2.840.10008.1.2.4.90", kExplicitLe}),
            "1.2.840.10008.1.2.4.90");
  // A syntax the linked DCMTK cannot carry is passed over.
  if (!DcmtkCanCarry(kHtj2kLossless)) {
    EXPECT_EQ(Choose(kCt, {kHtj2kLossless, kExplicitLe}), kExplicitLe);
  }
}

TEST(SopClassPolicyTest, RefusesWhatItCannotTake) {
  EXPECT_EQ(Choose(kCt, {"1.2.3.4"}), std::nullopt);
  EXPECT_EQ(Choose("1.2.3.4.5", {kExplicitLe}), std::nullopt);
  // Verification carries no data set: uncompressed only.
  EXPECT_EQ(Choose(std::string(kVerificationSopClass), {kJpegLsLossless}), std::nullopt);
  EXPECT_EQ(Choose(std::string(kVerificationSopClass), {kImplicitLe}), kImplicitLe);
}

archive::IngestReceipt Receipt(catalog::IndexOutcome outcome, int version = 1) {
  archive::IngestReceipt r;
  r.outcome = outcome;
  r.version = version;
  r.sop_class_uid = kCt;
  r.sop_instance_uid = "2.25.1";
  return r;
}

TEST(StoreStatusTest, OutcomesBecomeSuccessOrWarning) {
  using catalog::IndexOutcome;
  EXPECT_EQ(ResponseForReceipt(Receipt(IndexOutcome::kStored), kCt, "2.25.1").status, 0x0000);
  EXPECT_EQ(ResponseForReceipt(Receipt(IndexOutcome::kAlreadyPresent), kCt, "2.25.1").status,
            0x0000);
  const auto warned = ResponseForReceipt(Receipt(IndexOutcome::kNewVersion, 3), kCt, "2.25.1");
  EXPECT_EQ(warned.status, 0xB000);
  EXPECT_NE(warned.comment.find("version 3"), std::string::npos) << warned.comment;
  EXPECT_EQ(warned.outcome, "new-version");
}

TEST(StoreStatusTest, UidsThatDifferFromTheCommandAreRefused) {
  const auto r = ResponseForReceipt(Receipt(catalog::IndexOutcome::kStored), kCt, "2.25.2");
  EXPECT_EQ(r.status, 0xA900);
  EXPECT_EQ(ResponseForReceipt(Receipt(catalog::IndexOutcome::kStored), "1.2.3", "2.25.1").status,
            0xA900);
}

TEST(StoreStatusTest, ErrorsUseTheSharedTable) {
  EXPECT_EQ(ResponseForError({ErrorCode::kStorageUnavailable, "disk full"}).status, 0xA700);
  EXPECT_EQ(ResponseForError({ErrorCode::kTooLarge, "too big"}).status, 0xA700);
  EXPECT_EQ(ResponseForError({ErrorCode::kInvalidDicom, "bad"}).status, 0xC000);
  EXPECT_EQ(ResponseForError({ErrorCode::kConflict, "series in another study"}).status, 0xA900);
  EXPECT_EQ(ResponseForError({ErrorCode::kConflict, "x"}).comment, "x");
}

TEST(StoreStatusTest, ErrorCommentsFitAnLo) {
  EXPECT_EQ(ToErrorComment(std::string(100, 'a')).size(), 64u);
  EXPECT_EQ(ToErrorComment("a\\b\nc\xC3\xA9"), "a?b?c??");
  EXPECT_EQ(ToErrorComment("trailing   "), "trailing");
}

TEST(FileMetaTest, IsAValidMetaGroupThatDependsOnlyOnTheUids) {
  const Bytes meta = BuildFileMeta(kCt, "2.25.12345", kExplicitLe);
  EXPECT_EQ(meta, BuildFileMeta(kCt, "2.25.12345", kExplicitLe));
  EXPECT_NE(meta, BuildFileMeta(kCt, "2.25.123456", kExplicitLe));

  // Followed by a one-element data set, DCMTK reads it as a Part 10 file.
  Bytes file = meta;
  const std::string element(
      "\x08\x00\x60\x00"
      "CS\x02\x00"
      "CT",
      10);  // (0008,0060) Modality
  const ByteView tail = AsBytes(element);
  file.insert(file.end(), tail.begin(), tail.end());
  DcmInputBufferStream stream;
  stream.setBuffer(file.data(), static_cast<offile_off_t>(file.size()));
  stream.setEos();
  DcmFileFormat dcm;
  dcm.transferInit();
  ASSERT_TRUE(dcm.read(stream).good());
  dcm.transferEnd();
  DcmMetaInfo* info = dcm.getMetaInfo();
  OFString value;
  EXPECT_TRUE(info->findAndGetOFString(DCM_MediaStorageSOPClassUID, value).good());
  EXPECT_EQ(value, kCt);
  EXPECT_TRUE(info->findAndGetOFString(DCM_MediaStorageSOPInstanceUID, value).good());
  EXPECT_EQ(value, "2.25.12345");
  EXPECT_TRUE(info->findAndGetOFString(DCM_TransferSyntaxUID, value).good());
  EXPECT_EQ(value, kExplicitLe);
  EXPECT_TRUE(info->findAndGetOFString(DCM_ImplementationClassUID, value).good());
  EXPECT_EQ(value, std::string(dicom::kImplementationClassUid).c_str());
  EXPECT_FALSE(info->tagExists(DCM_SourceApplicationEntityTitle));
  Uint32 group_length = 0;
  EXPECT_TRUE(info->findAndGetUint32(DCM_FileMetaInformationGroupLength, group_length).good());
  EXPECT_EQ(group_length, meta.size() - 144);
  EXPECT_TRUE(dcm.getDataset()->findAndGetOFString(DCM_Modality, value).good());
  EXPECT_EQ(value, "CT");
}

}  // namespace
}  // namespace cf::dimse
