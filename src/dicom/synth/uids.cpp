// SPDX-License-Identifier: Apache-2.0
// UUID-derived UIDs; see uids.hpp.
#include "dicom/synth/uids.hpp"

#include <algorithm>
#include <vector>

#include "dicom/synth/rng.hpp"

namespace cf::dicom::synth {
namespace {

__extension__ typedef unsigned __int128 Uint128;

uint64_t HashPath(uint64_t fingerprint, uint64_t lane, std::initializer_list<uint64_t> path) {
  uint64_t h = HashOf({fingerprint, lane});
  for (uint64_t v : path) h = Mix64(h ^ Mix64(v));
  return h;
}

}  // namespace

std::string MakeUid(uint64_t fingerprint, std::initializer_list<uint64_t> path) {
  uint64_t hi = HashPath(fingerprint, 0x55494448, path);
  uint64_t lo = HashPath(fingerprint, 0x55494c4f, path);
  hi = (hi & ~0xf000ull) | 0x8000ull;                     // version 8 (custom)
  lo = (lo & ~(0xc0ull << 56)) | (0x80ull << 56);         // RFC 4122 variant
  Uint128 value = (static_cast<Uint128>(hi) << 64) | lo;  // never 0: the version bit is set
  std::string digits;
  while (value != 0) {
    digits.push_back(static_cast<char>('0' + static_cast<int>(value % 10)));
    value /= 10;
  }
  std::reverse(digits.begin(), digits.end());
  return "2.25." + digits;
}

}  // namespace cf::dicom::synth
