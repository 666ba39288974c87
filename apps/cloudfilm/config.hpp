// SPDX-License-Identifier: Apache-2.0
// The settings of a cloudfilm process. Read only here, in the composition
// root: defaults, then the TOML file, then command-line flags. Libraries get
// plain option structs built from this.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace cf::app {

struct Config {
  std::filesystem::path data = "cloudfilm-data";
  std::string log_level = "info";

  std::string http_bind = "127.0.0.1";
  uint16_t http_port = 8080;
  int http_threads = 2;
  int blocking_threads = 4;
  uint64_t max_upload_bytes = 4ull << 30;  // one STOW-RS request, spooled to DATA/tmp/http
  std::string http_cors_allow_origin;      // empty: no CORS headers

  std::string dicom_bind = "127.0.0.1";
  uint16_t dicom_port = 11112;
  std::string aet = "CLOUDFILM";
  std::vector<std::string> allowed_callers;  // empty: any calling AE title
  uint32_t max_pdu = 131072;
  int max_associations = 16;

  bool fsync = true;
  uint64_t max_object_size = 2ull << 30;
  // "htj2k": native images stored with reversible HTJ2K pixels, other
  // uncompressed objects with zstd, always rebuilt to the exact received
  // bytes (docs/storage-format.md). "jpeg-ls": the same with lossless
  // JPEG-LS pixels (about 10% smaller, 2-4x slower). "off": as received.
  std::string compression = "htj2k";

  std::filesystem::path CatalogPath() const { return data / "catalog.sqlite"; }
};

// Overlays the settings of a TOML file on `config`. Unknown keys are errors,
// so that a typo does not silently leave a default in effect.
Result<void> LoadConfigFile(const std::filesystem::path& path, Config& config);

// Checks ranges and combinations after every source was applied.
Result<void> Validate(const Config& config);

// The effective settings as TOML (what `cloudfilm config show` prints).
std::string ToToml(const Config& config);

}  // namespace cf::app
