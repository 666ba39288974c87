// SPDX-License-Identifier: Apache-2.0
// `cloudfilm config show`: the settings in effect after the config file and
// flags, so that an operator sees what a server would run with.
#include <iostream>

#include "commands.hpp"

namespace cf::app {

int ReportError(const Error& error) {
  std::cerr << "cloudfilm: " << error.message << "\n";
  return ToExitCode(error.code);
}

void RegisterConfig(CLI::App& app, Runner& run) {
  CLI::App* config = app.add_subcommand("config", "inspect the configuration");
  config->require_subcommand(1);
  CLI::App* show = config->add_subcommand("show", "print the effective settings as TOML");
  show->callback([&run] {
    run = [](const Config& c) {
      std::cout << ToToml(c);
      return 0;
    };
  });
}

}  // namespace cf::app
