// SPDX-License-Identifier: Apache-2.0
// The DICOM tags the synthetic generator writes (private to dicom_synth), as
// (group << 16) | element, so the modality builders need no DCMTK header.
#pragma once

#include <cstdint>

namespace cf::dicom::synth::tag {

// SOP common, study, series, equipment.
inline constexpr uint32_t kSpecificCharacterSet = 0x00080005;
inline constexpr uint32_t kImageType = 0x00080008;
inline constexpr uint32_t kInstanceCreationDate = 0x00080012;
inline constexpr uint32_t kInstanceCreationTime = 0x00080013;
inline constexpr uint32_t kSopClassUid = 0x00080016;
inline constexpr uint32_t kSopInstanceUid = 0x00080018;
inline constexpr uint32_t kStudyDate = 0x00080020;
inline constexpr uint32_t kSeriesDate = 0x00080021;
inline constexpr uint32_t kAcquisitionDate = 0x00080022;
inline constexpr uint32_t kContentDate = 0x00080023;
inline constexpr uint32_t kStudyTime = 0x00080030;
inline constexpr uint32_t kSeriesTime = 0x00080031;
inline constexpr uint32_t kAcquisitionTime = 0x00080032;
inline constexpr uint32_t kContentTime = 0x00080033;
inline constexpr uint32_t kAccessionNumber = 0x00080050;
inline constexpr uint32_t kModality = 0x00080060;
inline constexpr uint32_t kPresentationIntentType = 0x00080068;
inline constexpr uint32_t kManufacturer = 0x00080070;
inline constexpr uint32_t kInstitutionName = 0x00080080;
inline constexpr uint32_t kReferringPhysicianName = 0x00080090;
inline constexpr uint32_t kCodeValue = 0x00080100;
inline constexpr uint32_t kCodingSchemeDesignator = 0x00080102;
inline constexpr uint32_t kCodeMeaning = 0x00080104;
inline constexpr uint32_t kStationName = 0x00081010;
inline constexpr uint32_t kStudyDescription = 0x00081030;
inline constexpr uint32_t kSeriesDescription = 0x0008103E;
inline constexpr uint32_t kInstitutionalDepartmentName = 0x00081040;
inline constexpr uint32_t kManufacturerModelName = 0x00081090;
inline constexpr uint32_t kRecommendedDisplayFrameRate = 0x00082144;
inline constexpr uint32_t kAnatomicRegionSequence = 0x00082218;

// Patient.
inline constexpr uint32_t kPatientName = 0x00100010;
inline constexpr uint32_t kPatientId = 0x00100020;
inline constexpr uint32_t kIssuerOfPatientId = 0x00100021;
inline constexpr uint32_t kPatientBirthDate = 0x00100030;
inline constexpr uint32_t kPatientSex = 0x00100040;
inline constexpr uint32_t kPatientAge = 0x00101010;
inline constexpr uint32_t kPatientSize = 0x00101020;
inline constexpr uint32_t kPatientWeight = 0x00101030;

// Acquisition.
inline constexpr uint32_t kContrastBolusAgent = 0x00180010;
inline constexpr uint32_t kBodyPartExamined = 0x00180015;
inline constexpr uint32_t kScanningSequence = 0x00180020;
inline constexpr uint32_t kSequenceVariant = 0x00180021;
inline constexpr uint32_t kScanOptions = 0x00180022;
inline constexpr uint32_t kMrAcquisitionType = 0x00180023;
inline constexpr uint32_t kSequenceName = 0x00180024;
inline constexpr uint32_t kCineRate = 0x00180040;
inline constexpr uint32_t kSliceThickness = 0x00180050;
inline constexpr uint32_t kKvp = 0x00180060;
inline constexpr uint32_t kRepetitionTime = 0x00180080;
inline constexpr uint32_t kEchoTime = 0x00180081;
inline constexpr uint32_t kInversionTime = 0x00180082;
inline constexpr uint32_t kNumberOfAverages = 0x00180083;
inline constexpr uint32_t kImagingFrequency = 0x00180084;
inline constexpr uint32_t kImagedNucleus = 0x00180085;
inline constexpr uint32_t kEchoNumbers = 0x00180086;
inline constexpr uint32_t kMagneticFieldStrength = 0x00180087;
inline constexpr uint32_t kSpacingBetweenSlices = 0x00180088;
inline constexpr uint32_t kNumberOfPhaseEncodingSteps = 0x00180089;
inline constexpr uint32_t kDataCollectionDiameter = 0x00180090;
inline constexpr uint32_t kEchoTrainLength = 0x00180091;
inline constexpr uint32_t kPercentSampling = 0x00180093;
inline constexpr uint32_t kPercentPhaseFieldOfView = 0x00180094;
inline constexpr uint32_t kPixelBandwidth = 0x00180095;
inline constexpr uint32_t kDeviceSerialNumber = 0x00181000;
inline constexpr uint32_t kSoftwareVersions = 0x00181020;
inline constexpr uint32_t kProtocolName = 0x00181030;
inline constexpr uint32_t kContrastBolusRoute = 0x00181040;
inline constexpr uint32_t kFrameTime = 0x00181063;
inline constexpr uint32_t kReconstructionDiameter = 0x00181100;
inline constexpr uint32_t kDistanceSourceToDetector = 0x00181110;
inline constexpr uint32_t kDistanceSourceToPatient = 0x00181111;
inline constexpr uint32_t kGantryDetectorTilt = 0x00181120;
inline constexpr uint32_t kTableHeight = 0x00181130;
inline constexpr uint32_t kRotationDirection = 0x00181140;
inline constexpr uint32_t kExposureTime = 0x00181150;
inline constexpr uint32_t kXRayTubeCurrent = 0x00181151;
inline constexpr uint32_t kExposure = 0x00181152;
inline constexpr uint32_t kFilterType = 0x00181160;
inline constexpr uint32_t kImagerPixelSpacing = 0x00181164;
inline constexpr uint32_t kGrid = 0x00181166;
inline constexpr uint32_t kGeneratorPower = 0x00181170;
inline constexpr uint32_t kFocalSpots = 0x00181190;
inline constexpr uint32_t kConvolutionKernel = 0x00181210;
inline constexpr uint32_t kReceiveCoilName = 0x00181250;
inline constexpr uint32_t kTransmitCoilName = 0x00181251;
inline constexpr uint32_t kAcquisitionMatrix = 0x00181310;
inline constexpr uint32_t kInPlanePhaseEncodingDirection = 0x00181312;
inline constexpr uint32_t kFlipAngle = 0x00181314;
inline constexpr uint32_t kSar = 0x00181316;
inline constexpr uint32_t kTransducerData = 0x00185010;
inline constexpr uint32_t kProcessingFunction = 0x00185020;
inline constexpr uint32_t kMechanicalIndex = 0x00185022;
inline constexpr uint32_t kSoftTissueThermalIndex = 0x00185027;
inline constexpr uint32_t kDepthOfScanField = 0x00185050;
inline constexpr uint32_t kPatientPosition = 0x00185100;
inline constexpr uint32_t kViewPosition = 0x00185101;
inline constexpr uint32_t kSensitivity = 0x00186000;
inline constexpr uint32_t kSequenceOfUltrasoundRegions = 0x00186011;
inline constexpr uint32_t kRegionSpatialFormat = 0x00186012;
inline constexpr uint32_t kRegionDataType = 0x00186014;
inline constexpr uint32_t kRegionFlags = 0x00186016;
inline constexpr uint32_t kRegionLocationMinX0 = 0x00186018;
inline constexpr uint32_t kRegionLocationMinY0 = 0x0018601A;
inline constexpr uint32_t kRegionLocationMaxX1 = 0x0018601C;
inline constexpr uint32_t kRegionLocationMaxY1 = 0x0018601E;
inline constexpr uint32_t kReferencePixelX0 = 0x00186020;
inline constexpr uint32_t kReferencePixelY0 = 0x00186022;
inline constexpr uint32_t kPhysicalUnitsXDirection = 0x00186024;
inline constexpr uint32_t kPhysicalUnitsYDirection = 0x00186026;
inline constexpr uint32_t kReferencePixelPhysicalValueX = 0x00186028;
inline constexpr uint32_t kReferencePixelPhysicalValueY = 0x0018602A;
inline constexpr uint32_t kPhysicalDeltaX = 0x0018602C;
inline constexpr uint32_t kPhysicalDeltaY = 0x0018602E;
inline constexpr uint32_t kTransducerFrequency = 0x00186030;
inline constexpr uint32_t kDetectorType = 0x00187004;
inline constexpr uint32_t kRevolutionTime = 0x00189305;
inline constexpr uint32_t kSingleCollimationWidth = 0x00189306;
inline constexpr uint32_t kTotalCollimationWidth = 0x00189307;
inline constexpr uint32_t kTableSpeed = 0x00189309;
inline constexpr uint32_t kTableFeedPerRotation = 0x00189310;
inline constexpr uint32_t kSpiralPitchFactor = 0x00189311;
inline constexpr uint32_t kCtdiVol = 0x00189345;

// Relationship and image plane.
inline constexpr uint32_t kStudyInstanceUid = 0x0020000D;
inline constexpr uint32_t kSeriesInstanceUid = 0x0020000E;
inline constexpr uint32_t kStudyId = 0x00200010;
inline constexpr uint32_t kSeriesNumber = 0x00200011;
inline constexpr uint32_t kAcquisitionNumber = 0x00200012;
inline constexpr uint32_t kInstanceNumber = 0x00200013;
inline constexpr uint32_t kPatientOrientation = 0x00200020;
inline constexpr uint32_t kImagePositionPatient = 0x00200032;
inline constexpr uint32_t kImageOrientationPatient = 0x00200037;
inline constexpr uint32_t kFrameOfReferenceUid = 0x00200052;
inline constexpr uint32_t kImageLaterality = 0x00200062;
inline constexpr uint32_t kPositionReferenceIndicator = 0x00201040;
inline constexpr uint32_t kSliceLocation = 0x00201041;

// Image pixel and presentation.
inline constexpr uint32_t kSamplesPerPixel = 0x00280002;
inline constexpr uint32_t kPhotometricInterpretation = 0x00280004;
inline constexpr uint32_t kPlanarConfiguration = 0x00280006;
inline constexpr uint32_t kNumberOfFrames = 0x00280008;
inline constexpr uint32_t kFrameIncrementPointer = 0x00280009;
inline constexpr uint32_t kRows = 0x00280010;
inline constexpr uint32_t kColumns = 0x00280011;
inline constexpr uint32_t kPixelSpacing = 0x00280030;
inline constexpr uint32_t kBitsAllocated = 0x00280100;
inline constexpr uint32_t kBitsStored = 0x00280101;
inline constexpr uint32_t kHighBit = 0x00280102;
inline constexpr uint32_t kPixelRepresentation = 0x00280103;
inline constexpr uint32_t kPixelPaddingValue = 0x00280120;
inline constexpr uint32_t kBurnedInAnnotation = 0x00280301;
inline constexpr uint32_t kPixelIntensityRelationship = 0x00281040;
inline constexpr uint32_t kPixelIntensityRelationshipSign = 0x00281041;
inline constexpr uint32_t kWindowCenter = 0x00281050;
inline constexpr uint32_t kWindowWidth = 0x00281051;
inline constexpr uint32_t kRescaleIntercept = 0x00281052;
inline constexpr uint32_t kRescaleSlope = 0x00281053;
inline constexpr uint32_t kRescaleType = 0x00281054;
inline constexpr uint32_t kWindowCenterWidthExplanation = 0x00281055;
inline constexpr uint32_t kLossyImageCompression = 0x00282110;
inline constexpr uint32_t kPresentationLutShape = 0x20500020;

}  // namespace cf::dicom::synth::tag
