// SPDX-License-Identifier: Apache-2.0
// Deterministic randomness for the synthetic study generator (private to
// dicom_synth). Everything random is derived by hashing (seed, what, indices),
// never from a shared stream, so a file's content depends only on its own
// coordinates: files can be written in any order, by any number of threads,
// and still come out byte-identical. std::normal_distribution per pixel is too
// slow for 2,000 CT slices; a sum of four uniforms is Gaussian enough for noise.
#pragma once

#include <cstdint>
#include <initializer_list>

namespace cf::dicom::synth {

// The SplitMix64 finalizer: a good 64-bit mixing function.
constexpr uint64_t Mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// Hashes a list of numbers into one 64-bit value.
constexpr uint64_t HashOf(std::initializer_list<uint64_t> values) {
  uint64_t h = 0x51ed2701f3a5c7b9ull;
  for (uint64_t v : values) h = Mix64(h ^ Mix64(v));
  return h;
}

// A small fast generator (SplitMix64 stream).
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}

  uint64_t Next() {
    state_ += 0x9e3779b97f4a7c15ull;
    uint64_t z = state_;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }

  // Uniform in [0, 1).
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  double Uniform(double lo, double hi) { return lo + (hi - lo) * Uniform(); }
  // Uniform integer in [lo, hi].
  int Int(int lo, int hi) {
    return lo + static_cast<int>(Next() % static_cast<uint64_t>(hi - lo + 1));
  }

  // Approximately standard normal, in units of 1/4096 (sum of four 16-bit
  // uniforms, centred; the Irwin-Hall variance is 4/12 of 65536^2, so dividing
  // by 37837 gives sigma 1; we return the value times 4096 as an integer).
  int32_t Gauss4096() {
    const uint64_t r = Next();
    const int32_t sum = static_cast<int32_t>((r & 0xffff) + ((r >> 16) & 0xffff) +
                                             ((r >> 32) & 0xffff) + (r >> 48)) -
                        131070;
    return static_cast<int32_t>((static_cast<int64_t>(sum) * 4096) / 37837);
  }

 private:
  uint64_t state_;
};

}  // namespace cf::dicom::synth
