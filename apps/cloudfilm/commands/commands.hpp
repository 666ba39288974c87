// SPDX-License-Identifier: Apache-2.0
// The subcommands of the `cloudfilm` binary. Each Register function adds
// its subcommand and flags to the CLI and sets `run` to what executes it
// once the command line (and the config file) has been read.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>

#include "../config.hpp"

namespace cf::app {

using Runner = std::function<int(const Config&)>;

void RegisterServe(CLI::App& app, Runner& run);
void RegisterImport(CLI::App& app, Runner& run);
void RegisterFsck(CLI::App& app, Runner& run);
void RegisterSynth(CLI::App& app, Runner& run);
void RegisterConfig(CLI::App& app, Runner& run);
void RegisterStats(CLI::App& app, Runner& run);
void RegisterCompact(CLI::App& app, Runner& run);
void RegisterAccounts(CLI::App& app, Runner& run);  // and `tokens`
void RegisterSql(CLI::App& app, Runner& run);
void RegisterLedger(CLI::App& app, Runner& run);  // append, show, check, prove
void RegisterKeys(CLI::App& app, Runner& run);    // list, rotate, reencrypt, retire
void RegisterShare(CLI::App& app, Runner& run);   // create, list, revoke
void RegisterNotify(CLI::App& app, Runner& run);  // send, list
void RegisterFilm(CLI::App& app, Runner& run);    // package
void RegisterVerify(CLI::App& app, Runner& run);  // offline check of a film package

// Prints "cloudfilm: <message>" to stderr and returns the exit code of `error`.
int ReportError(const Error& error);

}  // namespace cf::app
