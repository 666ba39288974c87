// SPDX-License-Identifier: Apache-2.0
// An object's bytes without its Pixel Data value: what WADO-RS metadata
// needs of it (Pixel Data is only named there, by a BulkDataURI). Kept in
// the catalog at ingest, a study's metadata reads a few KiB per instance
// instead of every whole object from the blob store (and, sealed, the
// decryption of all of it).
#pragma once

#include <optional>

#include "core/bytes.hpp"

namespace cf::codec {

// Headers larger than this are not kept: metadata reads the object.
inline constexpr size_t kMaxHeaderBytes = 64 * 1024;

// `received` (a Part 10 file) with the top-level Pixel Data element's value
// left out: native pixel data (explicit or implicit VR little endian,
// explicit big endian) gets length 0, encapsulated pixel data keeps only an
// empty offset table. An object without pixel data is its own header. nullopt
// when the file cannot be walked (deflated, damaged) or the header is over
// kMaxHeaderBytes.
std::optional<Bytes> HeaderWithoutPixels(ByteView received);

}  // namespace cf::codec
