// SPDX-License-Identifier: Apache-2.0
// Writes the seed corpus of the DICOM object fuzzer (corpus/dicom_object):
// tiny synthetic objects of every layout the archive meets (monochrome 8
// and 16 bits, signed, MONOCHROME1, RGB in both planar configurations,
// YBR_FULL_422, palette colour, multi-frame, odd lengths, implicit VR,
// big endian, a raw dataset without file meta, SR, encapsulated PDF, KOS,
// ECG), the same in every compressed syntax we decode, and stored forms.
// Tiny so that the fuzzer mutates headers and codestreams rather than
// spending its time on pixels. Run it again after changing a seed here:
//   build/tests/fuzz/make_dicom_seeds tests/fuzz/corpus/dicom_object
#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dctk.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "codec/stored_form.hpp"
#include "codec/transcode.hpp"
#include "core/bytes.hpp"

namespace fs = std::filesystem;

namespace {

constexpr const char* kRoot = "1.2.826.0.1.3680043.10.543.9";
constexpr const char* kCtClass = "1.2.840.10008.5.1.4.1.1.2";
constexpr const char* kMrClass = "1.2.840.10008.5.1.4.1.1.4";
constexpr const char* kUsMultiClass = "1.2.840.10008.5.1.4.1.1.3.1";
constexpr const char* kScClass = "1.2.840.10008.5.1.4.1.1.7";
constexpr const char* kBasicTextSrClass = "1.2.840.10008.5.1.4.1.1.88.11";
constexpr const char* kPdfClass = "1.2.840.10008.5.1.4.1.1.104.1";
constexpr const char* kKosClass = "1.2.840.10008.5.1.4.1.1.88.59";
constexpr const char* kEcgClass = "1.2.840.10008.5.1.4.1.1.9.1.1";

int g_failures = 0;

void Check(const OFCondition& cond, const char* what) {
  if (cond.good()) return;
  std::fprintf(stderr, "%s: %s\n", what, cond.text());
  ++g_failures;
}

std::string Uid(int n) { return std::string(kRoot) + "." + std::to_string(n); }

// The attributes every stored object needs, plus a Chinese name in GB18030
// so that the character set decoder is on the path.
void Identity(DcmDataset& ds, const char* sop_class, int n, const char* modality) {
  Check(ds.putAndInsertString(DCM_SpecificCharacterSet, "GB18030"), "charset");
  Check(ds.putAndInsertString(DCM_SOPClassUID, sop_class), "class");
  Check(ds.putAndInsertString(DCM_SOPInstanceUID, Uid(100 + n).c_str()), "sop");
  Check(ds.putAndInsertString(DCM_StudyInstanceUID, Uid(1).c_str()), "study");
  Check(ds.putAndInsertString(DCM_SeriesInstanceUID, Uid(10 + n).c_str()), "series");
  Check(ds.putAndInsertString(DCM_PatientID, "FUZZ-1"), "pid");
  // "Wang^Xiaoming" in GB18030 (王^小明).
  Check(ds.putAndInsertString(DCM_PatientName, "\xCD\xF5^\xD0\xA1\xC3\xF7"), "name");
  Check(ds.putAndInsertString(DCM_StudyDate, "20261202"), "date");
  Check(ds.putAndInsertString(DCM_StudyTime, "101500"), "time");
  Check(ds.putAndInsertString(DCM_AccessionNumber, "A1"), "accession");
  Check(ds.putAndInsertString(DCM_Modality, modality), "modality");
  Check(ds.putAndInsertString(DCM_SeriesNumber, "1"), "series number");
  Check(ds.putAndInsertString(DCM_InstanceNumber, std::to_string(n).c_str()), "number");
  Check(ds.putAndInsertString(DCM_InstitutionName, "Fuzz Hospital"), "institution");
}

struct Image {
  int rows = 8;
  int columns = 8;
  int frames = 1;
  int samples = 1;
  int bits_allocated = 16;
  int bits_stored = 12;
  int pixel_representation = 0;
  int planar = 0;
  const char* photometric = "MONOCHROME2";
};

void AddPixels(DcmDataset& ds, const Image& im, unsigned seed) {
  Check(ds.putAndInsertUint16(DCM_Rows, static_cast<Uint16>(im.rows)), "rows");
  Check(ds.putAndInsertUint16(DCM_Columns, static_cast<Uint16>(im.columns)), "columns");
  Check(ds.putAndInsertUint16(DCM_SamplesPerPixel, static_cast<Uint16>(im.samples)), "spp");
  Check(ds.putAndInsertString(DCM_PhotometricInterpretation, im.photometric), "photometric");
  Check(ds.putAndInsertUint16(DCM_BitsAllocated, static_cast<Uint16>(im.bits_allocated)), "ba");
  Check(ds.putAndInsertUint16(DCM_BitsStored, static_cast<Uint16>(im.bits_stored)), "bs");
  Check(ds.putAndInsertUint16(DCM_HighBit, static_cast<Uint16>(im.bits_stored - 1)), "hb");
  Check(
      ds.putAndInsertUint16(DCM_PixelRepresentation, static_cast<Uint16>(im.pixel_representation)),
      "pr");
  if (im.samples > 1) {
    Check(ds.putAndInsertUint16(DCM_PlanarConfiguration, static_cast<Uint16>(im.planar)), "planar");
  }
  if (im.frames > 1) {
    Check(ds.putAndInsertString(DCM_NumberOfFrames, std::to_string(im.frames).c_str()), "nf");
  }
  Check(ds.putAndInsertString(DCM_WindowCenter, "40"), "wc");
  Check(ds.putAndInsertString(DCM_WindowWidth, "400"), "ww");
  Check(ds.putAndInsertString(DCM_RescaleIntercept, "-1024"), "ri");
  Check(ds.putAndInsertString(DCM_RescaleSlope, "1"), "rs");
  // A gradient with a little pseudo-noise: compressible, but not trivially.
  const size_t samples = static_cast<size_t>(im.rows) * im.columns * im.samples * im.frames;
  const unsigned max = (1u << im.bits_stored) - 1;
  unsigned state = seed * 2654435761u + 1;
  auto next = [&](size_t i) {
    state = state * 1103515245u + 12345u;
    return static_cast<unsigned>((i * 37 + (state >> 16) % 9) % (max + 1));
  };
  if (im.bits_allocated == 8) {
    std::vector<Uint8> px(samples);
    for (size_t i = 0; i < samples; ++i) px[i] = static_cast<Uint8>(next(i));
    Check(ds.putAndInsertUint8Array(DCM_PixelData, px.data(), px.size()), "pixels8");
  } else {
    std::vector<Uint16> px(samples);
    for (size_t i = 0; i < samples; ++i) px[i] = static_cast<Uint16>(next(i));
    Check(ds.putAndInsertUint16Array(DCM_PixelData, px.data(), px.size()), "pixels16");
  }
}

void AddPaletteLuts(DcmDataset& ds) {
  const Uint16 descriptor[3] = {256, 0, 16};
  std::vector<Uint16> lut(256);
  for (size_t i = 0; i < lut.size(); ++i) lut[i] = static_cast<Uint16>(i * 257);
  for (auto [desc, data] :
       {std::pair{DCM_RedPaletteColorLookupTableDescriptor, DCM_RedPaletteColorLookupTableData},
        std::pair{DCM_GreenPaletteColorLookupTableDescriptor, DCM_GreenPaletteColorLookupTableData},
        std::pair{DCM_BluePaletteColorLookupTableDescriptor,
                  DCM_BluePaletteColorLookupTableData}}) {
    Check(ds.putAndInsertUint16Array(desc, descriptor, 3), "lut descriptor");
    Check(ds.putAndInsertUint16Array(data, lut.data(), lut.size()), "lut data");
  }
}

cf::Bytes Save(DcmFileFormat& file, E_TransferSyntax xfer, bool with_meta = true) {
  const fs::path tmp = fs::temp_directory_path() / "cf-seed.dcm";
  const OFCondition cond = with_meta
                               ? file.saveFile(tmp.c_str(), xfer, EET_ExplicitLength, EGL_recalcGL)
                               : file.getDataset()->saveFile(tmp.c_str(), xfer, EET_ExplicitLength);
  Check(cond, "save");
  std::ifstream in(tmp, std::ios::binary);
  std::vector<char> chars((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  fs::remove(tmp);
  cf::Bytes out(chars.size());
  for (size_t i = 0; i < chars.size(); ++i) out[i] = static_cast<std::byte>(chars[i]);
  return out;
}

void Write(const fs::path& dir, const std::string& name, const cf::Bytes& bytes) {
  std::ofstream out(dir / name, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  std::printf("%-32s %6zu bytes\n", name.c_str(), bytes.size());
}

void WriteTranscoded(const fs::path& dir, const std::string& stem, const cf::Bytes& native,
                     std::string_view target, const char* suffix, bool lossy = false) {
  cf::codec::TranscodeOptions options;
  options.allow_lossy = lossy;
  auto out = cf::codec::Transcode(native, target, options);
  if (!out) {
    std::fprintf(stderr, "%s as %s: %s\n", stem.c_str(), suffix, out.error().message.c_str());
    ++g_failures;
    return;
  }
  Write(dir, stem + "-" + suffix + ".dcm", *out);
}

void WriteStoredForm(const fs::path& dir, const std::string& stem, const cf::Bytes& received,
                     cf::codec::PixelCodec pixel_codec, const char* suffix) {
  cf::codec::StoredFormOptions options;
  options.pixel_codec = pixel_codec;
  options.max_ratio = 2.0;  // keep the form even where tiny objects do not shrink
  auto encoded = cf::codec::EncodeStoredForm(received, options);
  if (!encoded.stored) {
    std::fprintf(stderr, "%s stored form: %s\n", stem.c_str(), encoded.reason.c_str());
    ++g_failures;
    return;
  }
  Write(dir, stem + "-stored-" + suffix + ".cfz", *encoded.stored);
}

cf::Bytes ImageObject(const char* sop_class, int n, const char* modality, const Image& im,
                      E_TransferSyntax xfer = EXS_LittleEndianExplicit, bool with_meta = true,
                      bool palette = false) {
  DcmFileFormat file;
  DcmDataset& ds = *file.getDataset();
  Identity(ds, sop_class, n, modality);
  if (palette) AddPaletteLuts(ds);
  AddPixels(ds, im, static_cast<unsigned>(n));
  return Save(file, xfer, with_meta);
}

DcmItem* ContentItem(DcmItem& parent, const DcmTagKey& sequence, const char* value_type,
                     const char* code, const char* meaning) {
  DcmItem* item = nullptr;
  Check(parent.findOrCreateSequenceItem(sequence, item, -2), "item");
  if (item == nullptr) return nullptr;
  Check(item->putAndInsertString(DCM_ValueType, value_type), "value type");
  if (code != nullptr) {
    DcmItem* name = nullptr;
    Check(item->findOrCreateSequenceItem(DCM_ConceptNameCodeSequence, name), "concept");
    if (name != nullptr) {
      Check(name->putAndInsertString(DCM_CodeValue, code), "code");
      Check(name->putAndInsertString(DCM_CodingSchemeDesignator, "DCM"), "scheme");
      Check(name->putAndInsertString(DCM_CodeMeaning, meaning), "meaning");
    }
  }
  return item;
}

cf::Bytes Report(int n) {
  DcmFileFormat file;
  DcmDataset& ds = *file.getDataset();
  Identity(ds, kBasicTextSrClass, n, "SR");
  ContentItem(ds, DCM_ConceptNameCodeSequence, "CONTAINER", nullptr, nullptr);
  Check(ds.putAndInsertString(DCM_ValueType, "CONTAINER"), "root");
  Check(ds.putAndInsertString(DCM_ContinuityOfContent, "SEPARATE"), "continuity");
  Check(ds.putAndInsertString(DCM_CompletionFlag, "COMPLETE"), "completion");
  Check(ds.putAndInsertString(DCM_VerificationFlag, "VERIFIED"), "verification");
  DcmItem* verifier = nullptr;
  Check(ds.findOrCreateSequenceItem(DCM_VerifyingObserverSequence, verifier), "verifier");
  if (verifier != nullptr) {
    Check(verifier->putAndInsertString(DCM_VerifyingObserverName, "\xC0\xEE^\xD2\xBD"), "vname");
    Check(verifier->putAndInsertString(DCM_VerificationDateTime, "20261202103000"), "vtime");
  }
  if (DcmItem* findings = ContentItem(ds, DCM_ContentSequence, "TEXT", "121071", "Finding")) {
    Check(findings->putAndInsertString(DCM_RelationshipType, "CONTAINS"), "rel");
    Check(findings->putAndInsertString(DCM_TextValue, "\xB7\xCE\xB2\xBF\xCE\xDE\xD2\xEC\xB3\xA3"),
          "text");
  }
  if (DcmItem* impression = ContentItem(ds, DCM_ContentSequence, "TEXT", "121073", "Impression")) {
    Check(impression->putAndInsertString(DCM_RelationshipType, "CONTAINS"), "rel");
    Check(impression->putAndInsertString(DCM_TextValue, "No acute findings."), "text");
  }
  return Save(file, EXS_LittleEndianExplicit);
}

cf::Bytes Pdf(int n) {
  DcmFileFormat file;
  DcmDataset& ds = *file.getDataset();
  Identity(ds, kPdfClass, n, "DOC");
  Check(ds.putAndInsertString(DCM_MIMETypeOfEncapsulatedDocument, "application/pdf"), "mime");
  Check(ds.putAndInsertString(DCM_DocumentTitle, "Report"), "title");
  Check(ds.putAndInsertString(DCM_NameOfPhysiciansReadingStudy, "Li^Yi"), "reader");
  Check(ds.putAndInsertString(DCM_ContentDate, "20261202"), "content date");
  Check(ds.putAndInsertString(DCM_ContentTime, "103000"), "content time");
  static const char kPdf[] =
      "%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count "
      "0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n";
  Check(ds.putAndInsertUint8Array(DCM_EncapsulatedDocument, reinterpret_cast<const Uint8*>(kPdf),
                                  sizeof(kPdf) - 1),
        "document");
  return Save(file, EXS_LittleEndianExplicit);
}

cf::Bytes KeyObjects(int n) {
  DcmFileFormat file;
  DcmDataset& ds = *file.getDataset();
  Identity(ds, kKosClass, n, "KO");
  Check(ds.putAndInsertString(DCM_ValueType, "CONTAINER"), "root");
  DcmItem* title = nullptr;
  Check(ds.findOrCreateSequenceItem(DCM_ConceptNameCodeSequence, title), "title");
  if (title != nullptr) {
    Check(title->putAndInsertString(DCM_CodeValue, "113000"), "code");
    Check(title->putAndInsertString(DCM_CodingSchemeDesignator, "DCM"), "scheme");
    Check(title->putAndInsertString(DCM_CodeMeaning, "Of Interest"), "meaning");
  }
  Check(ds.putAndInsertString(DCM_ContinuityOfContent, "SEPARATE"), "continuity");
  for (int i = 1; i <= 2; ++i) {
    DcmItem* image = ContentItem(ds, DCM_ContentSequence, "IMAGE", nullptr, nullptr);
    if (image == nullptr) continue;
    Check(image->putAndInsertString(DCM_RelationshipType, "CONTAINS"), "rel");
    DcmItem* ref = nullptr;
    Check(image->findOrCreateSequenceItem(DCM_ReferencedSOPSequence, ref), "ref");
    if (ref != nullptr) {
      Check(ref->putAndInsertString(DCM_ReferencedSOPClassUID, kCtClass), "ref class");
      Check(ref->putAndInsertString(DCM_ReferencedSOPInstanceUID, Uid(100 + i).c_str()), "ref sop");
    }
  }
  return Save(file, EXS_LittleEndianExplicit);
}

cf::Bytes Ecg(int n) {
  DcmFileFormat file;
  DcmDataset& ds = *file.getDataset();
  Identity(ds, kEcgClass, n, "ECG");
  DcmItem* wave = nullptr;
  Check(ds.findOrCreateSequenceItem(DCM_WaveformSequence, wave), "waveform");
  if (wave != nullptr) {
    Check(wave->putAndInsertUint16(DCM_NumberOfWaveformChannels, 2), "channels");
    Check(wave->putAndInsertUint32(DCM_NumberOfWaveformSamples, 8), "samples");
    Check(wave->putAndInsertString(DCM_SamplingFrequency, "500"), "frequency");
    Check(wave->putAndInsertUint16(DCM_WaveformBitsAllocated, 16), "bits");
    Check(wave->putAndInsertString(DCM_WaveformSampleInterpretation, "SS"), "interpretation");
    std::vector<Uint16> samples(16);
    for (size_t i = 0; i < samples.size(); ++i) samples[i] = static_cast<Uint16>(i * 100);
    Check(wave->putAndInsertUint16Array(DCM_WaveformData, samples.data(), samples.size()), "data");
  }
  DcmItem* statement = nullptr;
  Check(ds.findOrCreateSequenceItem(DCM_WaveformAnnotationSequence, statement), "annotation");
  if (statement != nullptr) {
    Check(statement->putAndInsertString(DCM_UnformattedTextValue, "Sinus rhythm"), "statement");
  }
  return Save(file, EXS_LittleEndianExplicit);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUTPUT_FOLDER\n", argv[0]);
    return 2;
  }
  const fs::path dir = argv[1];
  fs::create_directories(dir);
  using cf::codec::PixelCodec;
  namespace ts = cf::codec::ts;

  const cf::Bytes ct = ImageObject(kCtClass, 1, "CT", Image{});
  Write(dir, "ct16.dcm", ct);
  Image signed_ct;
  signed_ct.pixel_representation = 1;
  signed_ct.bits_stored = 16;
  Write(dir, "ct16-signed-implicit.dcm",
        ImageObject(kCtClass, 2, "CT", signed_ct, EXS_LittleEndianImplicit));
  const cf::Bytes big = ImageObject(kMrClass, 3, "MR", Image{}, EXS_BigEndianExplicit);
  Write(dir, "mr16-big-endian.dcm", big);
  Image mono1;
  mono1.rows = 7;
  mono1.columns = 7;
  mono1.bits_allocated = 8;
  mono1.bits_stored = 8;
  mono1.photometric = "MONOCHROME1";
  const cf::Bytes cr = ImageObject(kScClass, 4, "CR", mono1);
  Write(dir, "cr8-mono1-odd.dcm", cr);
  Image rgb;
  rgb.samples = 3;
  rgb.bits_allocated = 8;
  rgb.bits_stored = 8;
  rgb.frames = 2;
  rgb.photometric = "RGB";
  const cf::Bytes us = ImageObject(kUsMultiClass, 5, "US", rgb);
  Write(dir, "us-rgb-2frames.dcm", us);
  rgb.planar = 1;
  const cf::Bytes us_planar = ImageObject(kUsMultiClass, 6, "US", rgb);
  Write(dir, "us-rgb-planar.dcm", us_planar);
  Image ybr = rgb;
  ybr.planar = 0;
  ybr.frames = 1;
  ybr.samples = 3;
  ybr.photometric = "YBR_FULL";
  Write(dir, "us-ybr-full.dcm", ImageObject(kUsMultiClass, 7, "US", ybr));
  Image palette;
  palette.bits_allocated = 8;
  palette.bits_stored = 8;
  palette.photometric = "PALETTE COLOR";
  Write(dir, "sc-palette.dcm",
        ImageObject(kScClass, 8, "OT", palette, EXS_LittleEndianExplicit, true, true));
  Write(dir, "ct16-raw-dataset.dcm",
        ImageObject(kCtClass, 9, "CT", Image{}, EXS_LittleEndianImplicit, false));
  const cf::Bytes sr = Report(10);
  Write(dir, "sr-basic-text.dcm", sr);
  Write(dir, "pdf.dcm", Pdf(11));
  Write(dir, "kos.dcm", KeyObjects(12));
  Write(dir, "ecg.dcm", Ecg(13));

  for (const auto& [stem, native] : {std::pair<std::string, const cf::Bytes*>{"ct16", &ct},
                                     std::pair<std::string, const cf::Bytes*>{"us-rgb", &us}}) {
    WriteTranscoded(dir, stem, *native, ts::kJpegLsLossless, "jpegls");
    WriteTranscoded(dir, stem, *native, ts::kRle, "rle");
    WriteTranscoded(dir, stem, *native, ts::kJpegLosslessSv1, "jpeg-sv1");
    WriteTranscoded(dir, stem, *native, ts::kHtj2kLossless, "htj2k");
    WriteTranscoded(dir, stem, *native, ts::kDeflated, "deflated");
  }
  WriteTranscoded(dir, "cr8", cr, ts::kJpegBaseline, "jpeg-baseline", true);
  WriteTranscoded(dir, "us-rgb", us, ts::kJpegBaseline, "jpeg-baseline", true);

  WriteStoredForm(dir, "ct16", ct, PixelCodec::kHtj2k, "htj2k");
  WriteStoredForm(dir, "ct16", ct, PixelCodec::kJpegLs, "jpegls");
  WriteStoredForm(dir, "mr16-big-endian", big, PixelCodec::kHtj2k, "htj2k");
  WriteStoredForm(dir, "us-rgb-planar", us_planar, PixelCodec::kHtj2k, "htj2k");
  WriteStoredForm(dir, "cr8-mono1-odd", cr, PixelCodec::kJpegLs, "jpegls");
  WriteStoredForm(dir, "sr", sr, PixelCodec::kHtj2k, "zstd");

  if (g_failures > 0) {
    std::fprintf(stderr, "%d seeds could not be made\n", g_failures);
    return 1;
  }
  return 0;
}
