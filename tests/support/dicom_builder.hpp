// SPDX-License-Identifier: Apache-2.0
// Builds small, valid DICOM Part 10 objects in memory for tests, so that
// tests on a fresh clone need no fixture files.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/bytes.hpp"

namespace cf::testing {

class DicomBuilder {
 public:
  DicomBuilder();
  DicomBuilder& Set(std::string keyword_or_tag,
                    std::string value);  // e.g. "PatientID" or "0010,0020"
  DicomBuilder& Study(std::string uid);
  DicomBuilder& Series(std::string uid);
  DicomBuilder& Sop(std::string uid);
  DicomBuilder& Patient(std::string id, std::string name = "Test^Patient");
  DicomBuilder& Pixels(int rows, int columns, uint16_t seed = 0);  // 16-bit MONOCHROME2
  DicomBuilder& WithoutFileMeta();
  DicomBuilder& ImplicitVr();

  Bytes Build() const;

 private:
  std::vector<std::pair<std::string, std::string>> values_;
  int rows_ = 0;
  int columns_ = 0;
  uint16_t seed_ = 0;
  bool file_meta_ = true;
  bool implicit_ = false;
};

}  // namespace cf::testing
