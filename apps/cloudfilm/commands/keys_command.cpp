// SPDX-License-Identifier: Apache-2.0
// `cloudfilm keys list|rotate|reencrypt|retire`: the life cycle of the keys
// of encryption at rest (docs/security.md, "Keys"). Nothing here ever prints
// key material: ids, tenants, suites and dates only.
//
//   rotate --tenant T | --all-tenants   a new active data key (safe while a
//                                       server runs: it switches at once)
//   rotate --master --new-master-key-file F
//                                       re-wraps every wrapped key under a
//                                       new master key (resumable)
//   reencrypt                           old blobs under the active keys now
//   retire --key-id N                   deletes a key that nothing uses
#include <fmt/format.h>

#include <ctime>
#include <iostream>
#include <memory>
#include <set>
#include <string>

#include "../runtime.hpp"
#include "archive/key_usage.hpp"
#include "archive/reencryptor.hpp"
#include "commands.hpp"
#include "core/tenant.hpp"
#include "core/time_text.hpp"

namespace cf::app {
namespace {

std::string Time(uint64_t ms) { return FormatUtc(static_cast<int64_t>(ms), "%Y-%m-%dT%H:%M:%SZ"); }

std::filesystem::path PositionFile(const Config& config) {
  return config.KeysPath() / "reencrypt.position";
}

int List(const Config& config, bool count_blobs) {
  std::map<uint32_t, int64_t> blobs;
  std::unique_ptr<crypto::KeyStore> own;
  crypto::KeyStore* keys = nullptr;
  std::optional<Runtime> rt;
  if (count_blobs) {
    auto opened = OpenRuntime(config);
    if (!opened) return ReportError(opened.error());
    rt.emplace(std::move(*opened));
    if (rt->sealed == nullptr) {
      return ReportError(
          Error{ErrorCode::kInvalidArgument, "no keys in " + config.KeysPath().string()});
    }
    auto usage = archive::SurveyKeyUsage(*rt->sealed, config.data / "journal");
    if (!usage) return ReportError(usage.error());
    blobs = usage->blobs;
    keys = rt->keys.get();
  } else {
    auto opened = OpenKeyStore(config);
    if (!opened) return ReportError(opened.error());
    own = std::move(*opened);
    keys = own.get();
  }
  auto list = keys->List();
  if (!list) return ReportError(list.error());
  std::cout << fmt::format("{:<16} {:>10}  {:<8} {:<20} {:<6}{}\n", "TENANT", "KEY ID", "SUITE",
                           "CREATED", "ACTIVE", count_blobs ? "  BLOBS" : "");
  for (const auto& k : *list) {
    std::cout << fmt::format("{:<16} {:>10}  {:<8} {:<20} {:<6}", k.tenant, k.id,
                             crypto::SuiteName(k.suite), Time(k.created_ms),
                             k.active ? "yes" : "no");
    if (count_blobs) {
      const auto it = blobs.find(k.id);
      std::cout << fmt::format("  {}", it == blobs.end() ? 0 : it->second);
    }
    std::cout << "\n";
  }
  if (count_blobs && blobs.contains(0)) {
    std::cout << "(not sealed: " << blobs[0] << " blob(s) written before encryption was on)\n";
  }
  const crypto::WrappedKeyFile databases = DatabasesKeyFile(config);
  std::cout << "databases key: "
            << (std::filesystem::exists(databases.file) ? databases.file.string() : "none yet")
            << "\nmaster key from " << MasterKeySource(config) << "\n";
  return 0;
}

int RotateDataKeys(const Config& config, const std::string& tenant, bool all) {
  auto keys = OpenKeyStore(config);
  if (!keys) return ReportError(keys.error());
  std::set<std::string> tenants;
  std::set<std::string> known = {std::string(kDefaultTenant)};
  for (const auto& t : config.tenants) known.insert(t.code);
  auto list = (*keys)->List();
  if (!list) return ReportError(list.error());
  for (const auto& k : *list) known.insert(k.tenant);
  if (all) {
    tenants = known;
  } else if (known.contains(tenant)) {
    tenants.insert(tenant);
  } else {
    return ReportError(Error{ErrorCode::kInvalidArgument,
                             "unknown tenant '" + tenant + "': not in [tenants] and no keys"});
  }
  for (const auto& t : tenants) {
    auto key = (*keys)->Rotate(t);
    if (!key) return ReportError(key.error());
    std::cout << fmt::format("{}: new active key {} ({})\n", t, (*key)->id,
                             crypto::SuiteName((*key)->suite));
  }
  std::cout << "New objects are sealed with the new keys now (a running server switches at "
               "its next write). Old objects stay readable; `cloudfilm keys reencrypt` (or the "
               "server, in the background) moves them to the new keys, after which the old "
               "keys can be retired.\n";
  return 0;
}

int RotateMaster(const Config& config, const std::string& new_key_file) {
  auto from = OpenMasterKey(config);
  if (!from) return ReportError(from.error());
  auto to = crypto::OpenLocalKeyProvider({"CLOUDFILM_NEW_MASTER_KEY", new_key_file, {}});
  if (!to) {
    return ReportError(
        Error{to.error().code, "the new master key: " + to.error().message +
                                   " (--new-master-key-file F or CLOUDFILM_NEW_MASTER_KEY)"});
  }
  auto report =
      crypto::RewrapKeyFolder(config.KeysPath(), **from, **to, {DatabasesKeyFile(config)});
  if (!report) return ReportError(report.error());
  std::cout << "re-wrapped " << report->rewrapped << " key(s) under the new master key ("
            << report->already << " already were)\n";
  if (report->rewrapped == 0 && report->already > 0) {
    std::cout << "(nothing changed: is the new master key the current one?)\n";
  }
  std::cout << "Now point security.master_key_file at the new key (or set "
               "CLOUDFILM_MASTER_KEY to it) and restart the server and every process using "
               "this data folder; until then a running server keeps the keys it holds but "
               "cannot create new ones. Keep the old master key until backups made before "
               "today have expired: their key files are still wrapped under it.\n";
  if (config.master_key_file.empty() && std::getenv("CLOUDFILM_MASTER_KEY") == nullptr) {
    std::cout << "The old master key was " << (config.KeysPath() / "master.key").string()
              << ": move it off the data disk; it no longer opens anything here.\n";
  }
  return 0;
}

int Reencrypt(const Config& config, bool from_start) {
  if (!config.encryption) {
    return ReportError(Error{ErrorCode::kInvalidArgument,
                             "security.encryption is off: there is nothing to re-encrypt to"});
  }
  auto rt = OpenRuntime(config);
  if (!rt) return ReportError(rt.error());
  if (from_start) std::filesystem::remove(PositionFile(config));
  archive::Reencryptor reencryptor(*rt->catalog, *rt->sealed, {PositionFile(config)});
  archive::ReencryptReport total;
  for (;;) {
    auto r = reencryptor.RunOnce(64);
    if (!r) return ReportError(r.error());
    total.examined += r->examined;
    total.reencrypted += r->reencrypted;
    total.skipped += r->skipped;
    if (r->pass_done) break;
  }
  std::cout << "examined: " << total.examined << "\n"
            << "re-encrypted: " << total.reencrypted << "\n"
            << "skipped (unreadable; run fsck): " << total.skipped << "\n";
  return total.skipped == 0 ? 0 : 1;
}

int Retire(const Config& config, uint32_t id) {
  auto rt = OpenRuntime(config);
  if (!rt) return ReportError(rt.error());
  if (rt->sealed == nullptr) {
    return ReportError(
        Error{ErrorCode::kInvalidArgument, "no keys in " + config.KeysPath().string()});
  }
  if (auto r = archive::RetireDataKey(*rt->sealed, config.data / "journal", id); !r) {
    return ReportError(r.error());
  }
  std::cout << "data key " << id << " retired (its wrapped file is deleted)\n";
  return 0;
}

}  // namespace

void RegisterKeys(CLI::App& app, Runner& run) {
  CLI::App* keys = app.add_subcommand("keys", "manage the keys of encryption at rest");
  keys->require_subcommand(1);

  CLI::App* list = keys->add_subcommand("list", "data keys per tenant (never their material)");
  auto count_blobs = std::make_shared<bool>(false);
  list->add_flag("--blobs", *count_blobs,
                 "count the blobs each key seals (reads every blob's header)");
  list->callback([&run, count_blobs] {
    run = [count_blobs](const Config& c) { return List(c, *count_blobs); };
  });

  CLI::App* rotate = keys->add_subcommand("rotate", "new data keys, or a new master key");
  auto tenant = std::make_shared<std::string>();
  auto all = std::make_shared<bool>(false);
  auto master = std::make_shared<bool>(false);
  auto new_master = std::make_shared<std::string>();
  auto* tenant_opt = rotate->add_option("--tenant", *tenant, "the tenant whose data key rotates");
  auto* all_opt = rotate->add_flag("--all-tenants", *all, "rotate every tenant's data key");
  auto* master_opt =
      rotate->add_flag("--master", *master, "re-wrap every key under a new master key");
  rotate->add_option("--new-master-key-file", *new_master,
                     "with --master: file holding the new master key (64 hex characters); or "
                     "set CLOUDFILM_NEW_MASTER_KEY");
  tenant_opt->excludes(all_opt)->excludes(master_opt);
  all_opt->excludes(master_opt);
  rotate->callback([&run, tenant, all, master, new_master] {
    run = [tenant, all, master, new_master](const Config& c) {
      if (*master) return RotateMaster(c, *new_master);
      if (tenant->empty() && !*all) {
        return ReportError(
            Error{ErrorCode::kInvalidArgument, "name --tenant CODE, --all-tenants or --master"});
      }
      return RotateDataKeys(c, *tenant, *all);
    };
  });

  CLI::App* reencrypt =
      keys->add_subcommand("reencrypt", "rewrite old blobs under their tenant's active key now");
  auto from_start = std::make_shared<bool>(false);
  reencrypt->add_flag("--from-start", *from_start,
                      "walk every blob again rather than resume where the last run stopped");
  reencrypt->callback([&run, from_start] {
    run = [from_start](const Config& c) { return Reencrypt(c, *from_start); };
  });

  CLI::App* retire = keys->add_subcommand("retire", "delete a data key that nothing uses");
  auto id = std::make_shared<uint32_t>(0);
  retire->add_option("--key-id", *id, "the key id (see `cloudfilm keys list`)")->required();
  retire->callback([&run, id] { run = [id](const Config& c) { return Retire(c, *id); }; });
}

}  // namespace cf::app
