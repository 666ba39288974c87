// SPDX-License-Identifier: Apache-2.0
// Saves a BuiltInstance as a Part 10 file with DCMTK. This is the only
// translation unit of dicom_synth that sees DCMTK: the rest builds plain
// values, so the generator could move to another toolkit by rewriting this.
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcitem.h>
#include <dcmtk/dcmdata/dcsequen.h>
#include <dcmtk/dcmdata/dcvrat.h>
#include <dcmtk/dcmdata/dcvrsl.h>

#include <memory>
#include <system_error>

#include "dicom/synth/instance.hpp"

namespace cf::dicom::synth {
namespace {

DcmTag TagOf(const Element& e) {
  return DcmTag(DcmTagKey(static_cast<Uint16>(e.tag >> 16), static_cast<Uint16>(e.tag & 0xffff)),
                DcmVR(e.vr));
}

template <class T, class Put>
OFCondition PutArray(const Element& e, Put&& put) {
  std::vector<T> values;
  values.reserve(e.ints.size());
  for (int64_t v : e.ints) values.push_back(static_cast<T>(v));
  return put(values.data(), static_cast<unsigned long>(values.size()));
}

OFCondition InsertAll(DcmItem& item, const Elements& elements);

OFCondition Insert(DcmItem& item, const Element& e) {
  const DcmTag tag = TagOf(e);
  const std::string_view vr(e.vr, 2);
  if (vr == "SQ") {
    auto seq = std::make_unique<DcmSequenceOfItems>(tag);
    for (const Elements& child : e.items) {
      auto sub = std::make_unique<DcmItem>();
      OFCondition status = InsertAll(*sub, child);
      if (status.bad()) return status;
      status = seq->insert(sub.get());
      if (status.bad()) return status;
      sub.release();  // owned by the sequence now
    }
    const OFCondition status = item.insert(seq.get(), true);
    if (status.good()) seq.release();
    return status;
  }
  if (vr == "US") {
    return PutArray<Uint16>(e, [&](const Uint16* v, unsigned long n) {
      return item.putAndInsertUint16Array(tag, v, n);
    });
  }
  if (vr == "SS") {
    return PutArray<Sint16>(e, [&](const Sint16* v, unsigned long n) {
      return item.putAndInsertSint16Array(tag, v, n);
    });
  }
  if (vr == "UL") {
    return PutArray<Uint32>(e, [&](const Uint32* v, unsigned long n) {
      return item.putAndInsertUint32Array(tag, v, n);
    });
  }
  if (vr == "SL") {
    auto sl = std::make_unique<DcmSignedLong>(tag);
    std::vector<Sint32> values(e.ints.begin(), e.ints.end());
    OFCondition status =
        sl->putSint32Array(values.data(), static_cast<unsigned long>(values.size()));
    if (status.good()) status = item.insert(sl.get(), true);
    if (status.good()) sl.release();
    return status;
  }
  if (vr == "AT") {
    auto at = std::make_unique<DcmAttributeTag>(tag);
    for (size_t i = 0; i < e.ints.size(); ++i) {
      const auto v = static_cast<uint32_t>(e.ints[i]);
      const OFCondition status =
          at->putTagVal(DcmTagKey(static_cast<Uint16>(v >> 16), static_cast<Uint16>(v & 0xffff)),
                        static_cast<unsigned long>(i));
      if (status.bad()) return status;
    }
    const OFCondition status = item.insert(at.get(), true);
    if (status.good()) at.release();
    return status;
  }
  if (vr == "FD") {
    return item.putAndInsertFloat64Array(tag, e.floats.data(),
                                         static_cast<unsigned long>(e.floats.size()));
  }
  return item.putAndInsertString(tag, e.text.data(), static_cast<Uint32>(e.text.size()));
}

OFCondition InsertAll(DcmItem& item, const Elements& elements) {
  for (const Element& e : elements) {
    const OFCondition status = Insert(item, e);
    if (status.bad()) return status;
  }
  return EC_Normal;
}

}  // namespace

Result<uint64_t> WritePart10(const BuiltInstance& instance, bool implicit_vr,
                             const std::filesystem::path& path) {
  DcmFileFormat file;
  DcmDataset* dataset = file.getDataset();
  OFCondition status = InsertAll(*dataset, instance.elements);
  if (status.good()) {
    if (!instance.pixels.words.empty()) {
      status = dataset->putAndInsertUint16Array(
          DCM_PixelData, instance.pixels.words.data(),
          static_cast<unsigned long>(instance.pixels.words.size()));
    } else {
      status =
          dataset->putAndInsertUint8Array(DCM_PixelData, instance.pixels.bytes.data(),
                                          static_cast<unsigned long>(instance.pixels.bytes.size()));
    }
  }
  if (status.bad()) {
    return Fail(ErrorCode::kInternal,
                std::string("building a synthetic dataset: ") + status.text());
  }
  const E_TransferSyntax xfer = implicit_vr ? EXS_LittleEndianImplicit : EXS_LittleEndianExplicit;
  status = file.saveFile(OFFilename(path.c_str()), xfer, EET_ExplicitLength, EGL_withoutGL,
                         EPD_withoutPadding, 0, 0, EWM_createNewMeta);
  if (status.bad()) {
    return Fail(ErrorCode::kStorageUnavailable,
                "cannot write " + path.filename().string() + ": " + status.text());
  }
  std::error_code ec;
  const uint64_t size = std::filesystem::file_size(path, ec);
  if (ec)
    return Fail(ErrorCode::kStorageUnavailable, "cannot stat a written file: " + ec.message());
  return size;
}

}  // namespace cf::dicom::synth
