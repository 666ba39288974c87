// SPDX-License-Identifier: Apache-2.0
#include "archive/reencryptor.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "archive/archive.hpp"
#include "codec/stored_form.hpp"
#include "core/log.hpp"
#include "crypto/random.hpp"
#include "crypto/sha256.hpp"

namespace cf::archive {
namespace fs = std::filesystem;

Reencryptor::Reencryptor(catalog::Catalog& catalog, store::EncryptingBlobStore& blobs,
                         ReencryptOptions options)
    : catalog_(catalog), blobs_(blobs), options_(std::move(options)) {}

Reencryptor::~Reencryptor() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Result<std::string> Reencryptor::ActiveKeys() {
  auto keys = blobs_.keys().List();
  if (!keys) return std::unexpected(keys.error());
  std::string active;
  for (const auto& k : *keys) {
    if (k.active) active += k.tenant + ":" + std::to_string(k.id) + ",";
  }
  // A digest keeps the position file short however many tenants there are.
  return crypto::ToHex(crypto::Sha256(AsBytes(active))).substr(0, 16);
}

// "<pass> <after_pk> <done>": a few bytes, rewritten after each batch. Losing
// it (or reading garbage) only means walking again from the start.
Reencryptor::Position Reencryptor::Load() {
  if (position_) return *position_;
  Position p;
  if (options_.position_file.empty()) return p;
  std::ifstream in(options_.position_file);
  int done = 0;
  if (!(in >> p.pass >> p.after_pk >> done)) return {};
  p.done = done != 0;
  return p;
}

void Reencryptor::Save(const Position& p) {
  position_ = p;
  if (options_.position_file.empty()) return;
  const fs::path tmp = options_.position_file.string() + ".tmp-" + crypto::RandomHex(4);
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << p.pass << " " << p.after_pk << " " << (p.done ? 1 : 0) << "\n";
    if (!out.flush()) {
      log::Warn("keys.reencrypt_position_not_saved", {{"file", tmp.string()}});
      return;
    }
  }
  std::error_code ec;
  fs::rename(tmp, options_.position_file, ec);
  if (ec) {
    fs::remove(tmp, ec);
    log::Warn("keys.reencrypt_position_not_saved", {{"file", options_.position_file.string()}});
  }
}

Result<ReencryptReport> Reencryptor::RunOnce(int limit) {
  std::lock_guard serial(run_mutex_);
  ReencryptReport report;
  auto pass = ActiveKeys();
  if (!pass) return std::unexpected(pass.error());
  Position position = Load();
  if (position.pass != *pass) position = Position{*pass, 0, false};  // a rotation: start over
  if (position.done) {
    report.pass_done = true;
    return report;
  }
  auto batch = catalog_.ListBlobs(position.after_pk, limit);
  if (!batch) return std::unexpected(batch.error());
  if (batch->empty()) {
    position.done = true;
    Save(position);
    report.pass_done = true;
    return report;
  }
  struct Made {
    const catalog::Catalog::StoredBlob* old;
    std::string new_key;
  };
  std::vector<Made> made;
  for (const auto& b : *batch) {
    ++report.examined;
    const std::string_view tenant = store::TenantOfBlobKey(b.blob_key);
    auto active = blobs_.keys().Active(tenant);
    if (!active) return std::unexpected(active.error());
    auto sealed_with = blobs_.SealedKeyId(b.blob_key);
    if (!sealed_with) {
      // Not written yet (the materializer files it, under the active key)
      // or switched by the compactor meanwhile: nothing to do; else fsck's.
      if (sealed_with.error().code != ErrorCode::kNotFound) ++report.skipped;
      continue;
    }
    if (*sealed_with == (*active)->id) continue;
    auto checked = blobs_.GetChecked(b.blob_key);  // opened with whatever key and suite sealed it
    if (!checked) {
      if (checked.error().code != ErrorCode::kNotFound) {
        ++report.skipped;
        log::Warn("keys.reencrypt_skipped",
                  {{"blob", b.blob_key}, {"error", checked.error().message}});
      }
      continue;
    }
    const Bytes* bytes = &checked->bytes;
    // Reads of a sealed blob of received bytes trust its tag instead of
    // hashing it (archive.hpp, ReadBlob): a plaintext blob is sealed only
    // once its bytes are shown to be the received ones (a stored form is
    // rebuilt and hashed on every read anyway).
    if (!checked->authenticated && !codec::IsStoredForm(*bytes) &&
        crypto::ToHex(crypto::Sha256(*bytes)) != b.sha256_hex) {
      ++report.skipped;
      log::Warn("keys.reencrypt_skipped",
                {{"blob", b.blob_key}, {"error", "bytes do not match their SHA-256 (run fsck)"}});
      continue;
    }
    // A new blob, never an overwrite: the old one stays valid until the
    // catalog points at the new one durably.
    std::string new_key = NewBlobKey(tenant);
    if (auto put = blobs_.Put(new_key, *bytes); !put) return std::unexpected(put.error());
    made.push_back({&b, std::move(new_key)});
  }
  if (!made.empty()) {
    if (auto r = blobs_.Sync(); !r) {
      // Nothing refers to the new blobs yet; the store's later Syncs fail
      // too (BlobStore::Sync), which stops the journal's checkpoints.
      for (const auto& m : made) (void)blobs_.Remove(m.new_key);
      return std::unexpected(r.error());
    }
  }
  std::vector<std::string> replaced;
  for (const auto& m : made) {
    auto r = catalog_.UpdateBlob({m.old->blob_key, m.new_key, m.old->stored_size, m.old->form});
    if (!r) {
      // The compactor switched it first (and removes the old blob): ours goes.
      (void)blobs_.Remove(m.new_key);
      continue;
    }
    replaced.push_back(m.old->blob_key);
    ++report.reencrypted;
  }
  if (auto r = catalog_.Sync(); !r) return std::unexpected(r.error());
  for (const auto& key : replaced) (void)blobs_.Remove(key);
  position.after_pk = batch->back().pk;
  Save(position);
  return report;
}

void Reencryptor::Start(std::function<bool()> busy) {
  thread_ = std::thread([this, busy = std::move(busy)] { Loop(busy); });
}

void Reencryptor::Loop(const std::function<bool()>& busy) {
  // Old objects can wait: a modality's C-STORE and new objects come first.
  ::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), 19);
  ReencryptReport pass;
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    if (busy && busy()) {
      cv_.wait_for(lock, std::chrono::seconds(1), [&] { return stopping_; });
      continue;
    }
    lock.unlock();
    auto r = RunOnce(options_.batch);
    lock.lock();
    if (!r) {
      log::Warn("keys.reencrypt_failed", {{"error", r.error().message}});
      cv_.wait_for(lock, options_.recheck * 6, [&] { return stopping_; });
      continue;
    }
    pass.examined += r->examined;
    pass.reencrypted += r->reencrypted;
    pass.skipped += r->skipped;
    if (!r->pass_done) continue;
    if (pass.examined > 0) {
      log::Info("keys.reencrypt_pass_done", {{"examined", pass.examined},
                                             {"reencrypted", pass.reencrypted},
                                             {"skipped", pass.skipped}});
      pass = {};
    }
    cv_.wait_for(lock, options_.recheck, [&] { return stopping_; });
  }
}

}  // namespace cf::archive
