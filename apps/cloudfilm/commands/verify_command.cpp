// SPDX-License-Identifier: Apache-2.0
// `cloudfilm verify PACKAGE [--trust-key PEM ...] [--tsa-ca PEM] [--json]`: checks a film
// package offline (film/package_verify.hpp); needs no data folder and no
// network. Exit codes (docs/security.md, "Verification by anyone"):
//
//   0  every check passed: the package is what the hospital issued
//   1  verification failed: each failure is printed, naming the file and
//      the expected and actual hash, key or root
//   2  the package cannot be read at all (no such file, not a ZIP), or a
//      --trust-key file is not a public key
//
// (Command-line mistakes exit with CLI11's usage codes, as for every
// command.)
#include <nlohmann/json.hpp>

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "commands.hpp"
#include "core/file_io.hpp"
#include "core/time_text.hpp"
#include "film/package_verify.hpp"

namespace cf::app {
namespace {

constexpr int kVerified = 0;
constexpr int kFailed = 1;
constexpr int kUnreadable = 2;

struct VerifyArgs {
  std::string package;
  std::vector<std::string> trust_keys;
  std::string tsa_ca;
  bool json = false;
};

int Unreadable(const VerifyArgs& args, const std::string& message) {
  if (args.json) {
    std::cout << nlohmann::json{{"verified", false}, {"error", message}}.dump(2) << "\n";
  } else {
    std::cerr << "cloudfilm verify: " << message << "\n";
  }
  return kUnreadable;
}

int RunVerify(const VerifyArgs& args) {
  std::vector<crypto::VerifyingKey> trusted;
  for (const auto& f : args.trust_keys) {
    auto pem = ReadFile(f, 1 << 20);
    if (!pem) return Unreadable(args, f + ": " + pem.error().message);
    auto key = crypto::VerifyingKey::FromPem(AsChars(*pem));
    if (!key) return Unreadable(args, f + ": " + key.error().message);
    trusted.push_back(*key);
  }
  auto check = film::VerifyPackage(args.package, trusted, args.tsa_ca);
  if (!check) return Unreadable(args, check.error().message);
  const film::PackageCheck& c = *check;
  if (args.json) {
    nlohmann::json out = {
        {"verified", c.Ok()},
        {"failures", c.failures},
        {"notes", c.notes},
        {"film_id", c.film_id},
        {"hospital", c.hospital},
        {"issued_at", Rfc3339Utc(c.issued_at_ms)},
        {"issued_at_ms", c.issued_at_ms},
        {"supersedes", c.supersedes},
        {"signature_suite", c.signature_suite},
        {"signing_key_id", c.signing_key_id},
        {"signing_key_trusted", c.signing_key_trusted},
        {"log_key_id", c.log_key_id},
        {"log_key_trusted", c.log_key_trusted},
        {"objects", c.objects},
        {"report_versions", c.report_versions},
        {"ledger_index", c.ledger_index},
        {"tree_size", c.tree_size},
        {"timestamp",
         c.timestamp_ms != 0 ? nlohmann::json(Rfc3339Utc(c.timestamp_ms)) : nlohmann::json()},
        {"timestamp_ca_checked", c.timestamp_ca_checked}};
    std::cout << out.dump(2) << "\n";
    return c.Ok() ? kVerified : kFailed;
  }
  for (const auto& f : c.failures) std::cout << "FAILED: " << f << "\n";
  if (!c.Ok()) {
    for (const auto& n : c.notes) std::cout << "note: " << n << "\n";
    std::cout << "NOT VERIFIED: " << c.failures.size() << " check(s) failed\n";
    return kFailed;
  }
  std::cout << "film " << c.film_id << ": issued by " << c.hospital << " at "
            << Rfc3339Utc(c.issued_at_ms) << ", " << c.objects << " objects, " << c.report_versions
            << " report versions, unaltered\n"
            << (c.supersedes.empty() ? "" : "it replaces the earlier film " + c.supersedes + "\n")
            << "signed with " << c.signature_suite << " key " << c.signing_key_id
            << (c.signing_key_trusted ? " (trusted)" : " (self-asserted)") << "\n"
            << "recorded in the transparency log at index " << c.ledger_index << " of "
            << c.tree_size << " (tree head of " << Rfc3339Utc(c.tree_head_ms) << ", log key "
            << c.log_key_id << (c.log_key_trusted ? ", trusted" : ", self-asserted") << ")\n";
  if (c.timestamp_ms != 0) {
    std::cout << "time-stamped by an RFC 3161 authority at " << Rfc3339Utc(c.timestamp_ms)
              << (c.timestamp_ca_checked ? " (signature checked against --tsa-ca)"
                                         : " (imprint only)")
              << "\n";
  }
  for (const auto& n : c.notes) std::cout << "note: " << n << "\n";
  return kVerified;
}

}  // namespace

void RegisterVerify(CLI::App& app, Runner& run) {
  auto args = std::make_shared<VerifyArgs>();
  CLI::App* sub = app.add_subcommand(
      "verify", "check a film package offline: signatures, hashes, log proof (exit 0 = unaltered)");
  sub->add_option("package", args->package, "the film package (ZIP)")->required();
  sub->add_option("--trust-key", args->trust_keys,
                  "a public key (PEM) you trust: the hospital's (required to match) or the "
                  "log's (repeatable)")
      ->check(CLI::ExistingFile);
  sub->add_option("--tsa-ca", args->tsa_ca,
                  "the CA certificate (PEM) of the time-stamping authority, to check the "
                  "package's RFC 3161 stamp up to it")
      ->check(CLI::ExistingFile);
  sub->add_flag("--json", args->json, "print the result as JSON");
  sub->callback([&run, args] { run = [args](const Config&) { return RunVerify(*args); }; });
}

}  // namespace cf::app
