// SPDX-License-Identifier: Apache-2.0
// A fresh folder under $TMPDIR for one test, removed at the end.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>

namespace cf::testing {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "cf-test-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) std::abort();
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& Path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// The shared public test data beside the checkout, or empty when absent.
inline std::filesystem::path SharedTestData() {
  if (const char* env = std::getenv("CF_TESTDATA")) return env;
  std::filesystem::path p = std::filesystem::path(CF_SOURCE_DIR) / ".." / "shared" / "testdata";
  return std::filesystem::exists(p / "MANIFEST.tsv") ? p : std::filesystem::path{};
}

}  // namespace cf::testing
