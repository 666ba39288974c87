// SPDX-License-Identifier: Apache-2.0
// String formatting for the generator (private to dicom_synth). g++ 12 has
// no <format>, and printf's %f follows the process locale (a decimal comma
// would corrupt DS values), so numbers with fractions go through to_chars.
#pragma once

#include <string>

namespace cf::dicom::synth {

// printf into a std::string; use it for integers and strings only.
std::string Sprintf(const char* format, ...) __attribute__((format(printf, 1, 2)));

// Locale-independent fixed-point and shortest-general renderings of `value`.
std::string FormatFixed(double value, int decimals);
std::string FormatGeneral(double value, int precision);

}  // namespace cf::dicom::synth
