// SPDX-License-Identifier: Apache-2.0
// DatasetToJson walks DCMTK's parsed dataset element by element and writes
// the PS3.18 F.2 objects as text as it goes, keys in the dataset's tag order.
#include "dicom/dataset_json.hpp"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcpixel.h>
#include <dcmtk/dcmdata/dcsequen.h>
#include <dcmtk/dcmdata/dcvrat.h>
#include <dcmtk/dcmdata/dcxfer.h>

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "core/json_text.hpp"
#include "dicom/dcmtk_read.hpp"
#include "dicom/text_decoder.hpp"

namespace cf::dicom {
namespace {

// Binary values are handed out in host order, which DCMTK converts to on
// load; DICOM JSON and bulk data want little endian.
static_assert(std::endian::native == std::endian::little, "bulk data assumes a little-endian host");

void AppendTagHex(std::string& out, const DcmTagKey& tag) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  const uint32_t value = (uint32_t{tag.getGroup()} << 16) | tag.getElement();
  for (int shift = 28; shift >= 0; shift -= 4) out += kHex[(value >> shift) & 0xF];
}

void AppendBase64(std::string& out, const uint8_t* data, size_t size) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  out.reserve(out.size() + (size + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < size; i += 3) {
    const uint32_t n = (uint32_t{data[i]} << 16) | (uint32_t{data[i + 1]} << 8) | data[i + 2];
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  if (i < size) {
    const bool two = i + 1 < size;
    const uint32_t n = (uint32_t{data[i]} << 16) | (two ? uint32_t{data[i + 1]} << 8 : 0);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += two ? kAlphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
}

template <class Integer>
void AppendInteger(std::string& out, Integer value) {
  char text[24];
  const auto end = std::to_chars(text, text + sizeof text, value).ptr;
  out.append(text, end);
}

// Finite values only (the callers write null for the others); the shortest
// text that reads back as the same double.
void AppendDouble(std::string& out, double value) {
  char text[32];
  const auto end = std::to_chars(text, text + sizeof text, value).ptr;
  out.append(text, end);
}

std::string_view TrimPadding(std::string_view s, bool leading) {
  const auto pad = [](char c) { return c == ' ' || c == '\0'; };
  while (!s.empty() && pad(s.back())) s.remove_suffix(1);
  while (leading && !s.empty() && pad(s.front())) s.remove_prefix(1);
  return s;
}

// Whole raw value bytes of a string element (all components, padding kept).
std::string_view RawString(DcmElement& element) {
  char* text = nullptr;
  Uint32 length = 0;
  if (element.getString(text, length).bad() || text == nullptr) return {};
  return {text, length};
}

// Character-set aware string VRs (PS3.5 6.1.2.3); the others are always in
// the default repertoire.
bool IsTextVr(DcmEVR vr) {
  return vr == EVR_SH || vr == EVR_LO || vr == EVR_ST || vr == EVR_LT || vr == EVR_UC ||
         vr == EVR_UT || vr == EVR_PN;
}

// Single-valued string VRs: a backslash is part of the text.
bool IsSingleValued(DcmEVR vr) {
  return vr == EVR_LT || vr == EVR_ST || vr == EVR_UT || vr == EVR_UR;
}

// Leading spaces are significant only in the free-text VRs.
bool TrimsLeading(DcmEVR vr) { return !(IsSingleValued(vr) || vr == EVR_UC); }

void AppendNumberOrString(std::string& out, std::string_view text, bool integer) {
  std::string_view s = text;
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (integer) {
    int64_t v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec == std::errc{} && end == s.data() + s.size()) return AppendInteger(out, v);
  }
  double d = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
  if (ec == std::errc{} && end == s.data() + s.size() && std::isfinite(d)) {
    return AppendDouble(out, d);
  }
  // Not a number: keep what was sent instead of dropping it.
  AppendJsonString(out, SanitizeUtf8(text));
}

void AppendPersonName(std::string& out, std::string_view value) {
  static constexpr const char* kGroups[] = {"Alphabetic", "Ideographic", "Phonetic"};
  out += '{';
  bool first = true;
  size_t start = 0;
  for (int g = 0; g < 3; ++g) {
    const size_t end = value.find('=', start);
    const std::string_view part =
        TrimPadding(value.substr(start, end == std::string_view::npos ? end : end - start), false);
    if (!part.empty()) {
      if (!first) out += ',';
      first = false;
      out += '"';
      out += kGroups[g];
      out += "\":";
      AppendJsonString(out, part);
    }
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  out += '}';
}

// Writes the model straight into one string: no tree of JSON values is
// built (a study's metadata is hundreds of objects of a hundred or more
// attributes each). Within an attribute, "Value", "BulkDataURI" or
// "InlineBinary" comes before "vr"; objects follow the dataset's tag order.
class Writer {
 public:
  Writer(const JsonOptions& options, std::string& out) : options_(options), out_(out) {}

  void Item(DcmItem& item, TextDecoder& inherited, int depth) {
    // An item may carry its own Specific Character Set (PS3.5 6.1.2.5.1).
    std::unique_ptr<TextDecoder> own;
    TextDecoder* text = &inherited;
    if (depth > 0) {
      OFString charset;
      if (item.findAndGetOFStringArray(DCM_SpecificCharacterSet, charset, OFFalse).good()) {
        own = std::make_unique<TextDecoder>(
            std::string(TrimPadding({charset.c_str(), charset.length()}, true)), warnings_);
        text = own.get();
      }
    }
    out_ += '{';
    bool first = true;
    // nextInContainer, not getElement(i): the latter walks the list from its
    // start every time.
    for (DcmObject* object = item.nextInContainer(nullptr); object != nullptr;
         object = item.nextInContainer(object)) {
      auto* element = dynamic_cast<DcmElement*>(object);
      if (element == nullptr) continue;
      const DcmTagKey tag = element->getTag();
      if (tag.getElement() == 0x0000) continue;  // group lengths are not part of the model
      if (depth == 0 && !options_.only_tags.empty() &&
          !std::binary_search(options_.only_tags.begin(), options_.only_tags.end(),
                              static_cast<uint32_t>(tag.getGroup()) << 16 | tag.getElement())) {
        continue;
      }
      if (!first) out_ += ',';
      first = false;
      out_ += '"';
      AppendTagHex(out_, tag);
      out_ += "\":{";
      Element(*element, *text, depth);
      out_ += '}';
    }
    out_ += '}';
  }

 private:
  // The members of one attribute's object: its value, if any, then "vr".
  void Element(DcmElement& element, TextDecoder& text, int depth) {
    const DcmVR vr_info(element.getVR());
    const DcmEVR vr = vr_info.getValidEVR();
    const DcmTagKey tag = element.getTag();
    if (vr == EVR_SQ) {
      auto& sequence = static_cast<DcmSequenceOfItems&>(element);
      if (sequence.card() > 0) {
        out_ += "\"Value\":[";
        bool first = true;
        for (DcmObject* object = sequence.nextInContainer(nullptr); object != nullptr;
             object = sequence.nextInContainer(object)) {
          auto* item = dynamic_cast<DcmItem*>(object);
          if (item == nullptr) continue;
          if (!first) out_ += ',';
          first = false;
          Item(*item, text, depth + 1);
        }
        out_ += "],";
      }
    } else if (tag == DCM_SpecificCharacterSet) {
      out_ += "\"Value\":[\"ISO_IR 192\"],";  // every string of the answer is UTF-8 now
    } else if (vr_info.isaString()) {
      Strings(element, vr, text);
    } else {
      Other(element, vr, depth);
    }
    out_ += "\"vr\":";
    AppendJsonString(out_, vr_info.getValidVRName());
  }

  void Other(DcmElement& element, DcmEVR vr, int depth) {
    switch (vr) {
      case EVR_AT:
        return Numbers(element, [](DcmElement& e, unsigned long i, std::string& out) {
          DcmTagKey value;
          if (static_cast<DcmAttributeTag&>(e).getTagVal(value, i).bad()) return false;
          out += '"';
          AppendTagHex(out, value);
          out += '"';
          return true;
        });
      case EVR_US:
        return Integers<Uint16>(element, &DcmElement::getUint16);
      case EVR_SS:
        return Integers<Sint16>(element, &DcmElement::getSint16);
      case EVR_UL:
        return Integers<Uint32>(element, &DcmElement::getUint32);
      case EVR_SL:
        return Integers<Sint32>(element, &DcmElement::getSint32);
      case EVR_UV:
        return Integers<Uint64>(element, &DcmElement::getUint64);
      case EVR_SV:
        return Integers<Sint64>(element, &DcmElement::getSint64);
      case EVR_FL:
        return Floats<Float32>(element, &DcmElement::getFloat32);
      case EVR_FD:
        return Floats<Float64>(element, &DcmElement::getFloat64);
      default:
        return Binary(element, depth);
    }
  }

  // `put` appends value i and says whether there was one (null otherwise).
  template <class Put>
  void Numbers(DcmElement& element, Put put) {
    const unsigned long count = element.getLength() == 0 ? 0 : element.getVM();
    if (count == 0) return;
    out_ += "\"Value\":[";
    for (unsigned long i = 0; i < count; ++i) {
      if (i > 0) out_ += ',';
      if (!put(element, i, out_)) out_ += "null";
    }
    out_ += "],";
  }

  template <class T>
  void Integers(DcmElement& element, OFCondition (DcmElement::*get)(T&, unsigned long)) {
    Numbers(element, [get](DcmElement& e, unsigned long i, std::string& out) {
      T v = 0;
      if ((e.*get)(v, i).bad()) return false;
      AppendInteger(out, v);
      return true;
    });
  }

  template <class T>
  void Floats(DcmElement& element, OFCondition (DcmElement::*get)(T&, unsigned long)) {
    Numbers(element, [get](DcmElement& e, unsigned long i, std::string& out) {
      T v = 0;
      if ((e.*get)(v, i).bad() || !std::isfinite(v)) return false;
      AppendDouble(out, static_cast<double>(v));
      return true;
    });
  }

  void Strings(DcmElement& element, DcmEVR vr, TextDecoder& text) {
    const std::string_view raw = RawString(element);
    if (TrimPadding(raw, true).empty()) return;
    // Decode the whole value first: in GB18030 or GBK a second byte may be
    // 0x5C, which only the converter tells apart from the '\' separator.
    const std::string decoded =
        IsTextVr(vr) ? text.Decode(raw, vr == EVR_PN ? "\\^=" : "\\") : SanitizeUtf8(raw);
    out_ += "\"Value\":[";
    std::string_view rest = decoded;
    for (bool first = true;; first = false) {
      const size_t cut = IsSingleValued(vr) ? std::string_view::npos : rest.find('\\');
      const std::string_view part = TrimPadding(rest.substr(0, cut), TrimsLeading(vr));
      if (!first) out_ += ',';
      if (part.empty()) {
        out_ += "null";
      } else if (vr == EVR_PN) {
        AppendPersonName(out_, part);
      } else if (vr == EVR_IS || vr == EVR_DS) {
        AppendNumberOrString(out_, part, vr == EVR_IS);
      } else {
        AppendJsonString(out_, part);
      }
      if (cut == std::string_view::npos) break;
      rest.remove_prefix(cut + 1);
    }
    out_ += "],";
  }

  void Binary(DcmElement& element, int depth) {
    const uint32_t length = element.getLength();
    const bool pixel_data = element.getTag() == DCM_PixelData;
    if (length == 0 && !pixel_data) return;
    if (depth == 0 && (pixel_data || length > options_.max_inline_binary)) {
      if (!options_.bulk_data_uri_prefix.empty()) {
        out_ += "\"BulkDataURI\":";
        std::string uri = options_.bulk_data_uri_prefix;
        AppendTagHex(uri, element.getTag());
        AppendJsonString(out_, uri);
        out_ += ',';
      }
      return;
    }
    const auto bytes = ValueBytes(element);
    if (!bytes) return;  // encapsulated pixel data inside a sequence: no portable inline form
    out_ += "\"InlineBinary\":\"";
    AppendBase64(out_, bytes->data(), bytes->size());
    out_ += "\",";
  }

 public:
  // The value of a binary element in host (little-endian) order; nullopt
  // when DCMTK holds it in another form (encapsulated pixel data).
  // The view lives as long as the element.
  static std::optional<std::span<const uint8_t>> ValueBytes(DcmElement& element) {
    const uint32_t length = element.getLength();
    const uint8_t* data = nullptr;
    Uint8* bytes = nullptr;
    Uint16* words = nullptr;
    Uint32* longs = nullptr;
    Uint64* very_longs = nullptr;
    Float32* floats = nullptr;
    Float64* doubles = nullptr;
    switch (DcmVR(element.getVR()).getValidEVR()) {
      case EVR_OF:
        if (element.getFloat32Array(floats).good()) data = reinterpret_cast<uint8_t*>(floats);
        break;
      case EVR_OD:
        if (element.getFloat64Array(doubles).good()) data = reinterpret_cast<uint8_t*>(doubles);
        break;
      case EVR_OL:
        if (element.getUint32Array(longs).good()) data = reinterpret_cast<uint8_t*>(longs);
        break;
      case EVR_OV:
        if (element.getUint64Array(very_longs).good()) {
          data = reinterpret_cast<uint8_t*>(very_longs);
        }
        break;
      default:
        // OB, UN, and pixel data held as OB or OW, hand out bytes; plain OW
        // elements only words.
        if (element.getUint8Array(bytes).good() && bytes != nullptr) {
          data = bytes;
        } else if (element.getUint16Array(words).good()) {
          data = reinterpret_cast<uint8_t*>(words);
        }
        break;
    }
    if (data == nullptr) {
      if (length == 0) return std::span<const uint8_t>{};
      return std::nullopt;
    }
    return std::span<const uint8_t>(data, length);
  }

 private:
  const JsonOptions& options_;
  std::string& out_;
  std::vector<std::string> warnings_;  // charset warnings: nothing to report them to here
};

}  // namespace

Result<std::string> DatasetToJson(ByteView part10, const JsonOptions& options) {
  // Elements come in tag order: past the last one asked for, nothing more
  // is written, so nothing more needs parsing.
  DcmTagKey stop = DCM_UndefinedTagKey;
  if (!options.only_tags.empty() && options.only_tags.back() != 0xFFFFFFFF) {
    const uint32_t next = options.only_tags.back() + 1;
    stop = DcmTagKey(static_cast<Uint16>(next >> 16), static_cast<Uint16>(next & 0xFFFF));
  }
  auto file = ReadWithDcmtk(part10, stop);
  if (!file) return std::unexpected(file.error());
  DcmDataset& dataset = *(*file)->getDataset();
  OFString charset;
  dataset.findAndGetOFStringArray(DCM_SpecificCharacterSet, charset, OFFalse);
  std::vector<std::string> warnings;
  TextDecoder text(std::string(TrimPadding({charset.c_str(), charset.length()}, true)), warnings);
  std::string out;
  out.reserve(8192);
  Writer writer(options, out);
  writer.Item(dataset, text, 0);
  return out;
}

Result<Bytes> ReadBulkData(ByteView part10, uint32_t tag) {
  auto file = ReadWithDcmtk(part10);
  if (!file) return std::unexpected(file.error());
  const DcmTagKey key(static_cast<Uint16>(tag >> 16), static_cast<Uint16>(tag & 0xFFFF));
  DcmElement* element = nullptr;
  if ((*file)->getDataset()->findAndGetElement(key, element, OFFalse).bad() || element == nullptr) {
    return Fail(ErrorCode::kNotFound, "no such attribute");
  }
  if (DcmVR(element->getVR()).getValidEVR() == EVR_SQ) {
    return Fail(ErrorCode::kUnsupported, "a sequence has no bulk data");
  }
  if (key == DCM_PixelData) {
    // Encapsulated pixel data has no single byte form to hand out.
    const DcmXfer xfer((*file)->getDataset()->getOriginalXfer());
    if (xfer.isEncapsulated()) {
      return Fail(ErrorCode::kUnsupported, "encapsulated pixel data must be decoded");
    }
  }
  if (DcmVR(element->getVR()).isaString()) {
    const std::string_view raw = RawString(*element);
    const ByteView view = AsBytes(raw);
    return Bytes(view.begin(), view.end());
  }
  const auto bytes = Writer::ValueBytes(*element);
  if (!bytes) return Fail(ErrorCode::kUnsupported, "this value has no byte form");
  const auto* first = reinterpret_cast<const std::byte*>(bytes->data());
  return Bytes(first, first + bytes->size());
}

}  // namespace cf::dicom
