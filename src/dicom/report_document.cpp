// SPDX-License-Identifier: Apache-2.0
#include "dicom/report_document.hpp"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcsequen.h>

#include <array>
#include <charconv>
#include <cstdio>
#include <memory>

#include "dicom/dcmtk_read.hpp"
#include "dicom/text_decoder.hpp"

namespace cf::dicom {
namespace {

constexpr std::string_view kEncapsulatedPdf = "1.2.840.10008.5.1.4.1.1.104.1";
// Text-bearing SR storage classes (PS3.4 B.5): Basic Text, Enhanced,
// Comprehensive, Comprehensive 3D, Extensible, Procedure Log excluded.
constexpr std::array<std::string_view, 5> kSrClasses = {
    "1.2.840.10008.5.1.4.1.1.88.11", "1.2.840.10008.5.1.4.1.1.88.22",
    "1.2.840.10008.5.1.4.1.1.88.33", "1.2.840.10008.5.1.4.1.1.88.34",
    "1.2.840.10008.5.1.4.1.1.88.35"};

// ECG waveforms that carry their own interpretation (PS3.3 C.10.10,
// Waveform Annotation): 12-lead and General ECG.
constexpr std::array<std::string_view, 2> kEcgClasses = {"1.2.840.10008.5.1.4.1.1.9.1.1",
                                                         "1.2.840.10008.5.1.4.1.1.9.1.2"};

constexpr int kMaxDepth = 16;  // content trees nest a few levels; a loop would not end

std::string Get(DcmItem& item, const DcmTagKey& tag) { return ElementText(item, tag); }

class Reader {
 public:
  Reader(DcmDataset& ds, ReportDocument& out)
      : ds_(ds), out_(out), text_(Get(ds, DCM_SpecificCharacterSet), warnings_) {}

  void Read() {
    out_.study_uid = Get(ds_, DCM_StudyInstanceUID);
    out_.accession = Get(ds_, DCM_AccessionNumber);
    out_.complete = Get(ds_, DCM_CompletionFlag) == "COMPLETE";
    out_.verified = Get(ds_, DCM_VerificationFlag) == "VERIFIED";
    DcmSequenceOfItems* seq = nullptr;
    out_.has_predecessor = ds_.findAndGetSequence(DCM_PredecessorDocumentsSequence, seq).good() &&
                           seq != nullptr && seq->card() > 0;
    if (ds_.findAndGetSequence(DCM_VerifyingObserverSequence, seq).good() && seq != nullptr &&
        seq->card() > 0) {
      // The last verifier is the one whose signature stands.
      DcmItem* last = seq->getItem(seq->card() - 1);
      out_.verifier = Text(*last, DCM_VerifyingObserverName, "^=");
      out_.verified_at = Get(*last, DCM_VerificationDateTime);
      const std::string offset = Get(ds_, DCM_TimezoneOffsetFromUTC);
      if (!out_.verified_at.empty() && out_.verified_at.find_first_of("+-") == std::string::npos) {
        out_.verified_at += offset;
      }
    }
    out_.reader = Text(ds_, DCM_NameOfPhysiciansReadingStudy, "^=");
    const std::string date = Get(ds_, DCM_ContentDate);
    if (!date.empty()) {
      out_.content_datetime =
          date + Get(ds_, DCM_ContentTime) + Get(ds_, DCM_TimezoneOffsetFromUTC);
    }
    out_.title = ConceptName(ds_);
    if (out_.title.empty()) out_.title = Text(ds_, DCM_DocumentTitle, "");
    Walk(ds_, 0, nullptr);
  }

  // A waveform's report is its annotations: the statements of its
  // interpretation (free text) and its measurements (coded name, value,
  // units), plus how it was recorded.
  void ReadWaveform() {
    out_.title = "Electrocardiogram";
    std::string measurements, acquisition;
    auto add = [](std::string& to, const std::string& line) {
      if (line.empty()) return;
      if (!to.empty()) to += "\n";
      to += line;
    };
    DcmSequenceOfItems* seq = nullptr;
    if (ds_.findAndGetSequence(DCM_WaveformAnnotationSequence, seq).good() && seq != nullptr) {
      for (unsigned long i = 0; i < seq->card(); ++i) {
        DcmItem& a = *seq->getItem(i);
        const std::string statement = Text(a, DCM_UnformattedTextValue, "");
        if (!statement.empty()) {
          add(out_.conclusion, statement);
          continue;
        }
        const std::string value = Get(a, DCM_NumericValue);
        const std::string name = ConceptName(a);
        if (value.empty() || name.empty()) continue;
        DcmSequenceOfItems* units = nullptr;
        std::string unit;
        if (a.findAndGetSequence(DCM_MeasurementUnitsCodeSequence, units).good() &&
            units != nullptr && units->card() > 0) {
          unit = Get(*units->getItem(0), DCM_CodeValue);
        }
        add(measurements, name + ": " + value + (unit.empty() ? "" : " " + unit));
      }
    }
    if (ds_.findAndGetSequence(DCM_AcquisitionContextSequence, seq).good() && seq != nullptr) {
      for (unsigned long i = 0; i < seq->card(); ++i) {
        DcmItem& c = *seq->getItem(i);
        DcmSequenceOfItems* code = nullptr;
        if (c.findAndGetSequence(DCM_ConceptCodeSequence, code).good() && code != nullptr &&
            code->card() > 0) {
          add(acquisition, ConceptName(c) + ": " + Text(*code->getItem(0), DCM_CodeMeaning, ""));
        }
      }
    }
    if (ds_.findAndGetSequence(DCM_WaveformSequence, seq).good() && seq != nullptr) {
      for (unsigned long i = 0; i < seq->card(); ++i) {
        DcmItem& w = *seq->getItem(i);
        Uint16 channels = 0;
        Uint32 samples = 0;
        Float64 hz = 0;
        if (w.findAndGetUint16(DCM_NumberOfWaveformChannels, channels).bad() ||
            w.findAndGetUint32(DCM_NumberOfWaveformSamples, samples).bad() ||
            w.findAndGetFloat64(DCM_SamplingFrequency, hz).bad() || hz <= 0) {
          continue;
        }
        char line[96];
        std::snprintf(line, sizeof line, "Waveform %lu: %u channels, %.0f Hz, %.1f s", i + 1,
                      static_cast<unsigned>(channels), hz, samples / hz);
        add(acquisition, line);
      }
    }
    if (!measurements.empty()) out_.sections.push_back({"Measurements", measurements});
    if (!acquisition.empty()) out_.sections.push_back({"Acquisition", acquisition});
  }

 private:
  std::string Text(DcmItem& item, const DcmTagKey& tag, const char* delimiters) {
    return text_.Decode(Get(item, tag), delimiters);
  }

  std::string ConceptName(DcmItem& item) {
    DcmSequenceOfItems* names = nullptr;
    if (item.findAndGetSequence(DCM_ConceptNameCodeSequence, names).bad() || names == nullptr ||
        names->card() == 0) {
      return {};
    }
    return Text(*names->getItem(0), DCM_CodeMeaning, "");
  }

  static bool IsConclusion(const std::string& name) {
    for (const char* word :
         {"Conclusion", "conclusion", "Impression", "impression", "结论", "诊断意见", "印象"}) {
      if (name.find(word) != std::string::npos) return true;
    }
    return false;
  }

  // `section`: the heading text items add to; null at the root.
  void Walk(DcmItem& item, int depth, std::pair<std::string, std::string>* section) {
    if (depth > kMaxDepth) return;
    DcmSequenceOfItems* content = nullptr;
    if (item.findAndGetSequence(DCM_ContentSequence, content).bad() || content == nullptr) return;
    for (unsigned long i = 0; i < content->card(); ++i) {
      DcmItem& child = *content->getItem(i);
      const std::string type = Get(child, DCM_ValueType);
      const std::string name = ConceptName(child);
      std::string value;
      if (type == "TEXT") value = Text(child, DCM_TextValue, "");
      if (type == "CODE") {
        DcmSequenceOfItems* code = nullptr;
        if (child.findAndGetSequence(DCM_ConceptCodeSequence, code).good() && code != nullptr &&
            code->card() > 0) {
          value = Text(*code->getItem(0), DCM_CodeMeaning, "");
        }
      }
      if (type == "NUM") {
        DcmSequenceOfItems* measured = nullptr;
        if (child.findAndGetSequence(DCM_MeasuredValueSequence, measured).good() &&
            measured != nullptr && measured->card() > 0) {
          DcmItem& m = *measured->getItem(0);
          value = Get(m, DCM_NumericValue);
          DcmSequenceOfItems* units = nullptr;
          if (m.findAndGetSequence(DCM_MeasurementUnitsCodeSequence, units).good() &&
              units != nullptr && units->card() > 0) {
            value += " " + Get(*units->getItem(0), DCM_CodeValue);
          }
        }
      }
      if (type == "IMAGE") {
        DcmSequenceOfItems* refs = nullptr;
        if (child.findAndGetSequence(DCM_ReferencedSOPSequence, refs).good() && refs != nullptr &&
            refs->card() > 0) {
          const std::string uid = Get(*refs->getItem(0), DCM_ReferencedSOPInstanceUID);
          if (!uid.empty()) out_.key_images.push_back(uid);
        }
        continue;
      }
      if (type == "CONTAINER") {
        if (depth == 0 || section == nullptr) {
          out_.sections.push_back({name, {}});
          const size_t at = out_.sections.size() - 1;
          auto heading = out_.sections[at];
          Walk(child, depth + 1, &heading);
          out_.sections[at] = std::move(heading);
          if (IsConclusion(name) && out_.conclusion.empty()) {
            out_.conclusion = out_.sections[at].second;
          }
        } else {
          Walk(child, depth + 1, section);
        }
        continue;
      }
      if (value.empty()) continue;
      if (IsConclusion(name) && section == nullptr) {
        if (!out_.conclusion.empty()) out_.conclusion += "\n";
        out_.conclusion += value;
        continue;
      }
      const std::string line = name.empty() || type == "TEXT" ? value : name + ": " + value;
      if (section == nullptr) {
        out_.sections.push_back({name, line});
      } else {
        if (!section->second.empty()) section->second += "\n";
        section->second += line;
      }
    }
  }

  DcmDataset& ds_;
  ReportDocument& out_;
  std::vector<std::string> warnings_;
  TextDecoder text_;
};

}  // namespace

bool IsEcgWaveformClass(std::string_view sop_class_uid) {
  for (const auto uid : kEcgClasses) {
    if (uid == sop_class_uid) return true;
  }
  return false;
}

bool IsReportDocumentClass(std::string_view sop_class_uid) {
  if (sop_class_uid == kEncapsulatedPdf || IsEcgWaveformClass(sop_class_uid)) return true;
  for (const auto uid : kSrClasses) {
    if (uid == sop_class_uid) return true;
  }
  return false;
}

Result<ReportDocument> ReadReportDocument(ByteView bytes) {
  auto file = ReadWithDcmtk(bytes);
  if (!file) return std::unexpected(file.error());
  DcmDataset& ds = *(*file)->getDataset();
  const std::string sop_class = Get(ds, DCM_SOPClassUID);
  if (!IsReportDocumentClass(sop_class)) {
    return Fail(ErrorCode::kUnsupported,
                "not a structured report, an encapsulated PDF or an ECG waveform");
  }
  ReportDocument out;
  Reader reader(ds, out);
  reader.Read();
  if (IsEcgWaveformClass(sop_class)) {
    out.waveform = true;
    reader.ReadWaveform();
  }
  if (sop_class == kEncapsulatedPdf) {
    const Uint8* data = nullptr;
    unsigned long size = 0;
    if (ds.findAndGetUint8Array(DCM_EncapsulatedDocument, data, &size).good() && data != nullptr) {
      // An odd-length document is padded to even length with one byte.
      const unsigned long length = [&] {
        const std::string declared = Get(ds, DCM_EncapsulatedDocumentLength);
        unsigned long n = size;
        std::from_chars(declared.data(), declared.data() + declared.size(), n);
        return n <= size ? n : size;
      }();
      const auto* p = reinterpret_cast<const std::byte*>(data);
      out.pdf.assign(p, p + length);
    }
  }
  return out;
}

}  // namespace cf::dicom
