// SPDX-License-Identifier: Apache-2.0
// `cloudfilm ledger ...`: the transparency log for operators and tests.
//
//   append FILE...        appends each file's bytes as one entry (one
//                         transaction), signs a tree head, prints both
//   show [--public-key]   the latest signed tree head as JSON (or the log's
//                         public key, PEM, to publish)
//   check [--tree-head F] recomputes everything (ledger/ledger_check.hpp);
//                         exit 0 when clean, 1 with the problems on stdout
//   prove --index N | --from OLD  [--size S]
//                         an inclusion or consistency proof as JSON
//   timestamp [--out F]   has the latest tree head time-stamped by the
//                         configured RFC 3161 TSA now (or shows its stamp),
//                         as JSON with the imprint; F gets the DER token
//
// The film part appends its own entries; `append` is for operators'
// notes and for tests. Nothing here prints a private key.
#include <nlohmann/json.hpp>

#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "../runtime.hpp"
#include "commands.hpp"
#include "core/file_io.hpp"
#include "core/time_text.hpp"
#include "ledger/ledger_check.hpp"

namespace cf::app {
namespace {

constexpr uint64_t kMaxEntryFile = 64ull << 20;

struct LedgerArgs {
  std::vector<std::string> files;
  std::vector<std::string> tree_heads;
  bool public_key = false;
  std::optional<uint64_t> index;
  std::optional<uint64_t> from;
  std::optional<uint64_t> size;
  std::string out;
};

std::vector<std::string> HexList(const std::vector<ledger::Hash>& hashes) {
  std::vector<std::string> out;
  for (const auto& h : hashes) out.push_back(crypto::ToHex(h));
  return out;
}

int RunAppend(const Config& config, const LedgerArgs& args) {
  std::vector<Bytes> entries;
  for (const auto& f : args.files) {
    auto bytes = ReadFile(f, kMaxEntryFile);
    if (!bytes) return ReportError({bytes.error().code, f + ": " + bytes.error().message});
    entries.push_back(std::move(*bytes));
  }
  auto log = OpenLedger(config, /*sign=*/true);
  if (!log) return ReportError(log.error());
  const std::vector<ByteView> views(entries.begin(), entries.end());
  auto first = (*log)->Append(views);
  if (!first) return ReportError(first.error());
  auto sth = (*log)->TreeHead();
  if (!sth) return ReportError(sth.error());
  for (size_t i = 0; i < args.files.size(); ++i) {
    std::cerr << "entry " << *first + i << ": " << args.files[i] << "\n";
  }
  std::cout << ledger::ToJson(*sth) << "\n";
  return 0;
}

int RunShow(const Config& config, const LedgerArgs& args) {
  auto log = OpenLedger(config, /*sign=*/false);
  if (!log) return ReportError(log.error());
  auto sth = (*log)->LatestTreeHead();
  if (!sth) return ReportError(sth.error());
  if (!*sth) return ReportError({ErrorCode::kNotFound, "the log has no signed tree head yet"});
  if (args.public_key) {
    auto key = LedgerPublicKey(config, (*sth)->key_id);
    if (!key) return ReportError(key.error());
    std::cout << key->ToPem();
    return 0;
  }
  std::cout << ledger::ToJson(**sth) << "\n";
  if (auto size = (*log)->Size(); size && *size != (*sth)->head.tree_size) {
    std::cerr << "note: the log holds " << *size << " entries; the latest tree head covers "
              << (*sth)->head.tree_size << "\n";
  }
  return 0;
}

int RunCheck(const Config& config, const LedgerArgs& args) {
  std::vector<ledger::SignedTreeHead> external;
  for (const auto& f : args.tree_heads) {
    auto text = ReadFile(f, 1 << 20);
    if (!text) return ReportError({text.error().code, f + ": " + text.error().message});
    auto sth = ledger::SignedTreeHeadFromJson(AsChars(*text));
    if (!sth) return ReportError({sth.error().code, f + ": " + sth.error().message});
    external.push_back(std::move(*sth));
  }
  auto log = OpenLedger(config, /*sign=*/false);
  if (!log) return ReportError(log.error());
  auto report = ledger::CheckLog(
      **log, [&](std::string_view id) { return LedgerPublicKey(config, id); }, external,
      config.ledger_tsa_ca_file);
  if (!report) return ReportError(report.error());
  for (const auto& p : report->problems) std::cout << "problem: " << p << "\n";
  std::cout << "entries checked: " << report->entries << "\n"
            << "tree heads checked: " << report->tree_heads << "\n"
            << "time-stamps checked: " << report->timestamps
            << (config.ledger_tsa_ca_file.empty() && report->timestamps > 0
                    ? " (imprints only: no ledger.tsa_ca_file to check signatures)"
                    : "")
            << "\n";
  if (!external.empty()) std::cout << "given tree heads checked: " << external.size() << "\n";
  std::cout << (report->Clean() ? "clean" : "NOT clean") << "\n";
  return report->Clean() ? 0 : 1;
}

int RunProve(const Config& config, const LedgerArgs& args) {
  if (args.index.has_value() == args.from.has_value()) {
    return ReportError({ErrorCode::kInvalidArgument, "give either --index or --from"});
  }
  auto log = OpenLedger(config, /*sign=*/false);
  if (!log) return ReportError(log.error());
  uint64_t size = 0;
  if (args.size) {
    size = *args.size;
  } else {
    auto sth = (*log)->LatestTreeHead();
    if (!sth) return ReportError(sth.error());
    if (!*sth) return ReportError({ErrorCode::kNotFound, "no signed tree head: give --size"});
    size = (*sth)->head.tree_size;
  }
  nlohmann::ordered_json j;
  if (args.index) {
    auto entry = (*log)->Entry(*args.index);
    if (!entry) return ReportError(entry.error());
    auto proof = (*log)->InclusionProof(*args.index, size);
    if (!proof) return ReportError(proof.error());
    j["leaf_index"] = *args.index;
    j["tree_size"] = size;
    j["leaf_hash"] = crypto::ToHex(ledger::LeafHash(*entry));
    j["inclusion_path"] = HexList(*proof);
  } else {
    auto proof = (*log)->ConsistencyProof(*args.from, size);
    if (!proof) return ReportError(proof.error());
    j["first_tree_size"] = *args.from;
    j["second_tree_size"] = size;
    j["consistency_path"] = HexList(*proof);
  }
  std::cout << j.dump(2) << "\n";
  return 0;
}

int RunTimestamp(const Config& config, const LedgerArgs& args) {
  if (config.ledger_tsa_url.empty()) {
    return ReportError(
        {ErrorCode::kInvalidArgument, "no TSA: set ledger.tsa_url and ledger.tsa_ca_file"});
  }
  auto log = OpenLedger(config, /*sign=*/true);
  if (!log) return ReportError(log.error());
  ledger::Timestamper stamper(**log, TimestamperOptionsOf(config));
  if (auto r = stamper.StampLatest(); !r) return ReportError(r.error());
  auto latest = (*log)->LatestStampedHead();
  if (!latest) return ReportError(latest.error());
  if (!*latest) return ReportError({ErrorCode::kNotFound, "the log is empty: nothing to stamp"});
  const auto& [head, stamp] = **latest;
  if (!args.out.empty()) {
    if (auto r = WriteFile(args.out, stamp.token); !r) return ReportError(r.error());
  }
  nlohmann::ordered_json j;
  j["tree_size"] = head.head.tree_size;
  j["imprint_sha256"] = crypto::ToHex(ledger::TimestampImprint(head.head));
  j["gen_time"] = Rfc3339Utc(stamp.gen_time_ms);
  j["tsa"] = stamp.tsa;
  j["token_bytes"] = stamp.token.size();
  std::cout << j.dump(2) << "\n";
  return 0;
}

}  // namespace

void RegisterLedger(CLI::App& app, Runner& run) {
  auto args = std::make_shared<LedgerArgs>();
  CLI::App* ledger = app.add_subcommand(
      "ledger", "the transparency log of issued films: append, show, check, prove, timestamp");
  ledger->require_subcommand(1);

  CLI::App* append = ledger->add_subcommand(
      "append", "append each FILE as one entry and sign a tree head (operators, tests)");
  append->add_option("files", args->files, "files whose bytes are the entries")
      ->required()
      ->check(CLI::ExistingFile);
  append->callback(
      [&run, args] { run = [args](const Config& config) { return RunAppend(config, *args); }; });

  CLI::App* show = ledger->add_subcommand("show", "print the latest signed tree head (JSON)");
  show->add_flag("--public-key", args->public_key,
                 "print the log's public key (PEM) instead, to publish");
  show->callback(
      [&run, args] { run = [args](const Config& config) { return RunShow(config, *args); }; });

  CLI::App* check = ledger->add_subcommand(
      "check",
      "recompute every entry, node and tree head; exit 1 naming what was rewritten or removed");
  check
      ->add_option("--tree-head", args->tree_heads,
                   "also check a signed tree head kept elsewhere (JSON file; repeatable)")
      ->check(CLI::ExistingFile);
  check->callback(
      [&run, args] { run = [args](const Config& config) { return RunCheck(config, *args); }; });

  CLI::App* prove = ledger->add_subcommand(
      "prove", "print an inclusion (--index) or consistency (--from) proof (JSON)");
  prove->add_option("--index", args->index, "the entry to prove included");
  prove->add_option("--from", args->from, "the older tree size to prove consistent");
  prove->add_option("--size", args->size, "the tree size (default: the latest tree head's)");
  prove->callback(
      [&run, args] { run = [args](const Config& config) { return RunProve(config, *args); }; });

  CLI::App* stamp = ledger->add_subcommand(
      "timestamp", "have the latest tree head time-stamped by the configured TSA now (JSON)");
  stamp->add_option("--out", args->out, "write the DER TimeStampToken to this file");
  stamp->callback(
      [&run, args] { run = [args](const Config& config) { return RunTimestamp(config, *args); }; });
}

}  // namespace cf::app
