// SPDX-License-Identifier: Apache-2.0
// DatasetToJson walks DCMTK's parsed dataset element by element and builds
// the PS3.18 F.2 objects with nlohmann::json, whose std::map keeps the
// "GGGGEEEE" keys in tag order (uppercase hex sorts like the numbers).
#include "dicom/dataset_json.hpp"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcpixel.h>
#include <dcmtk/dcmdata/dcsequen.h>
#include <dcmtk/dcmdata/dcvrat.h>
#include <dcmtk/dcmdata/dcxfer.h>

#include <nlohmann/json.hpp>

#include <bit>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "dicom/dcmtk_read.hpp"
#include "dicom/text_decoder.hpp"

namespace cf::dicom {
namespace {

using nlohmann::json;

// Binary values are handed out in host order, which DCMTK converts to on
// load; DICOM JSON and bulk data want little endian.
static_assert(std::endian::native == std::endian::little, "bulk data assumes a little-endian host");

std::string TagHex(const DcmTagKey& tag) {
  char text[9];
  std::snprintf(text, sizeof text, "%04X%04X", tag.getGroup(), tag.getElement());
  return text;
}

std::string Base64(const uint8_t* data, size_t size) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((size + 2) / 3 * 4);
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
  return out;
}

std::string_view TrimPadding(std::string_view s, bool leading) {
  const auto pad = [](char c) { return c == ' ' || c == '\0'; };
  while (!s.empty() && pad(s.back())) s.remove_suffix(1);
  while (leading && !s.empty() && pad(s.front())) s.remove_prefix(1);
  return s;
}

std::vector<std::string_view> SplitValues(std::string_view s) {
  std::vector<std::string_view> values;
  for (;;) {
    const size_t cut = s.find('\\');
    values.push_back(s.substr(0, cut));
    if (cut == std::string_view::npos) break;
    s.remove_prefix(cut + 1);
  }
  return values;
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

json NumberOrString(std::string_view text, bool integer) {
  std::string_view s = text;
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (integer) {
    int64_t v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec == std::errc{} && end == s.data() + s.size()) return v;
  }
  double d = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
  if (ec == std::errc{} && end == s.data() + s.size() && std::isfinite(d)) return d;
  // Not a number: keep what was sent instead of dropping it.
  return SanitizeUtf8(text);
}

json PersonName(std::string_view value) {
  static constexpr const char* kGroups[] = {"Alphabetic", "Ideographic", "Phonetic"};
  json name = json::object();
  size_t start = 0;
  for (int g = 0; g < 3; ++g) {
    const size_t end = value.find('=', start);
    const std::string_view part =
        TrimPadding(value.substr(start, end == std::string_view::npos ? end : end - start), false);
    if (!part.empty()) name[kGroups[g]] = std::string(part);
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return name;
}

class Writer {
 public:
  explicit Writer(const JsonOptions& options) : options_(options) {}

  json Item(DcmItem& item, TextDecoder& inherited, int depth) {
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
    json out = json::object();
    // nextInContainer, not getElement(i): the latter walks the list from its
    // start every time.
    for (DcmObject* object = item.nextInContainer(nullptr); object != nullptr;
         object = item.nextInContainer(object)) {
      auto* element = dynamic_cast<DcmElement*>(object);
      if (element == nullptr) continue;
      const DcmTagKey tag = element->getTag();
      if (tag.getElement() == 0x0000) continue;  // group lengths are not part of the model
      out[TagHex(tag)] = Element(*element, *text, depth);
    }
    return out;
  }

 private:
  json Element(DcmElement& element, TextDecoder& text, int depth) {
    const DcmVR vr_info(element.getVR());
    const DcmEVR vr = vr_info.getValidEVR();
    const DcmTagKey tag = element.getTag();
    json attr = {{"vr", vr_info.getValidVRName()}};

    if (vr == EVR_SQ) {
      auto& sequence = static_cast<DcmSequenceOfItems&>(element);
      if (sequence.card() == 0) return attr;
      json items = json::array();
      for (DcmObject* object = sequence.nextInContainer(nullptr); object != nullptr;
           object = sequence.nextInContainer(object)) {
        if (auto* item = dynamic_cast<DcmItem*>(object))
          items.push_back(Item(*item, text, depth + 1));
      }
      attr["Value"] = std::move(items);
      return attr;
    }
    if (tag == DCM_SpecificCharacterSet) {
      // Every string of the answer is UTF-8 now.
      attr["Value"] = json::array({"ISO_IR 192"});
      return attr;
    }
    if (vr_info.isaString()) {
      Strings(element, vr, text, attr);
      return attr;
    }
    switch (vr) {
      case EVR_AT:
        return Numbers(element, attr, [](DcmElement& e, unsigned long i) -> json {
          DcmTagKey value;
          if (static_cast<DcmAttributeTag&>(e).getTagVal(value, i).bad()) return nullptr;
          return TagHex(value);
        });
      case EVR_US:
        return Numbers(element, attr, [](DcmElement& e, unsigned long i) -> json {
          Uint16 v = 0;
          return e.getUint16(v, i).good() ? json(v) : json(nullptr);
        });
      case EVR_SS:
        return Numbers(element, attr, [](DcmElement& e, unsigned long i) -> json {
          Sint16 v = 0;
          return e.getSint16(v, i).good() ? json(v) : json(nullptr);
        });
      case EVR_UL:
        return Numbers(element, attr, [](DcmElement& e, unsigned long i) -> json {
          Uint32 v = 0;
          return e.getUint32(v, i).good() ? json(v) : json(nullptr);
        });
      case EVR_SL:
        return Numbers(element, attr, [](DcmElement& e, unsigned long i) -> json {
          Sint32 v = 0;
          return e.getSint32(v, i).good() ? json(v) : json(nullptr);
        });
      case EVR_UV:
        return Numbers(element, attr, [](DcmElement& e, unsigned long i) -> json {
          Uint64 v = 0;
          return e.getUint64(v, i).good() ? json(v) : json(nullptr);
        });
      case EVR_SV:
        return Numbers(element, attr, [](DcmElement& e, unsigned long i) -> json {
          Sint64 v = 0;
          return e.getSint64(v, i).good() ? json(v) : json(nullptr);
        });
      case EVR_FL:
        return Numbers(element, attr, [](DcmElement& e, unsigned long i) -> json {
          Float32 v = 0;
          return e.getFloat32(v, i).good() && std::isfinite(v) ? json(v) : json(nullptr);
        });
      case EVR_FD:
        return Numbers(element, attr, [](DcmElement& e, unsigned long i) -> json {
          Float64 v = 0;
          return e.getFloat64(v, i).good() && std::isfinite(v) ? json(v) : json(nullptr);
        });
      default:
        Binary(element, depth, attr);
        return attr;
    }
  }

  template <class Get>
  json Numbers(DcmElement& element, json& attr, Get get) {
    const unsigned long count = element.getLength() == 0 ? 0 : element.getVM();
    if (count == 0) return attr;
    json values = json::array();
    for (unsigned long i = 0; i < count; ++i) values.push_back(get(element, i));
    attr["Value"] = std::move(values);
    return attr;
  }

  void Strings(DcmElement& element, DcmEVR vr, TextDecoder& text, json& attr) {
    const std::string_view raw = RawString(element);
    if (TrimPadding(raw, true).empty()) return;
    // Decode the whole value first: in GB18030 or GBK a second byte may be
    // 0x5C, which only the converter tells apart from the '\' separator.
    const std::string decoded =
        IsTextVr(vr) ? text.Decode(raw, vr == EVR_PN ? "\\^=" : "\\") : SanitizeUtf8(raw);
    std::vector<std::string_view> parts;
    if (IsSingleValued(vr)) {
      parts.push_back(decoded);
    } else {
      parts = SplitValues(decoded);
    }
    json values = json::array();
    for (std::string_view part : parts) {
      part = TrimPadding(part, TrimsLeading(vr));
      if (part.empty()) {
        values.push_back(nullptr);
      } else if (vr == EVR_PN) {
        values.push_back(PersonName(part));
      } else if (vr == EVR_IS || vr == EVR_DS) {
        values.push_back(NumberOrString(part, vr == EVR_IS));
      } else {
        values.push_back(std::string(part));
      }
    }
    attr["Value"] = std::move(values);
  }

  void Binary(DcmElement& element, int depth, json& attr) {
    const uint32_t length = element.getLength();
    const bool pixel_data = element.getTag() == DCM_PixelData;
    if (length == 0 && !pixel_data) return;
    if (depth == 0 && (pixel_data || length > options_.max_inline_binary)) {
      if (!options_.bulk_data_uri_prefix.empty()) {
        attr["BulkDataURI"] = options_.bulk_data_uri_prefix + TagHex(element.getTag());
      }
      return;
    }
    const auto bytes = ValueBytes(element);
    if (!bytes) return;  // encapsulated pixel data inside a sequence: no portable inline form
    attr["InlineBinary"] = Base64(bytes->data(), bytes->size());
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
  std::vector<std::string> warnings_;  // charset warnings: nothing to report them to here
};

}  // namespace

Result<std::string> DatasetToJson(ByteView part10, const JsonOptions& options) {
  auto file = ReadWithDcmtk(part10);
  if (!file) return std::unexpected(file.error());
  DcmDataset& dataset = *(*file)->getDataset();
  OFString charset;
  dataset.findAndGetOFStringArray(DCM_SpecificCharacterSet, charset, OFFalse);
  std::vector<std::string> warnings;
  TextDecoder text(std::string(TrimPadding({charset.c_str(), charset.length()}, true)), warnings);
  Writer writer(options);
  const json object = writer.Item(dataset, text, 0);
  return object.dump(-1, ' ', false, json::error_handler_t::replace);
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
