// SPDX-License-Identifier: Apache-2.0
// What the admin console shows of the configuration: the hospitals, their
// AE titles, this node's DICOM listeners and the C-MOVE destinations. It is
// read-only on purpose: the configuration file is the one place these are
// changed (and reviewed), and a restart applies them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace cf::http {

struct SiteSummary {
  struct Tenant {
    std::string code;
    std::string name;
    std::string region;
    std::vector<std::string> ae_titles;
    int service_tier_years = 15;
    std::string crypto_suite;
    std::string share_factor;
  };
  struct Destination {
    std::string ae_title;
    std::string host;
    uint16_t port = 0;
  };
  std::vector<Tenant> tenants = {};
  std::string ae_title = {};
  uint16_t dicom_port = 0;
  std::optional<uint16_t> dicom_tls_port = {};
  // Where a calling AE title that no hospital lists belongs, or "refuse".
  std::string unknown_callers = {};
  std::vector<Destination> destinations = {};
};

}  // namespace cf::http
