// SPDX-License-Identifier: Apache-2.0
// Master-key rotation (RewrapKeyFolder, key_store.hpp). Data never moves:
// only the wrapped copies of the data keys and of the databases key are
// rewritten under the new master key. Each file is replaced atomically, so
// at any moment every file is wholly under the old or wholly under the new
// master key, and a second run with both keys finishes what a first one
// started.
#include <algorithm>

#include "core/file_io.hpp"
#include "core/log.hpp"
#include "crypto/key_file.hpp"
#include "crypto/key_store.hpp"
#include "crypto/signing_key_store.hpp"

namespace cf::crypto {
namespace fs = std::filesystem;

namespace {

enum class Outcome { kRewrapped, kAlready };

// Re-wraps one wrapped key; the file keeps `prefix` (its header) before it.
Result<Outcome> RewrapOne(const fs::path& file, ByteView prefix, ByteView wrapped,
                          const std::string& context, CryptoSuite suite, KeyProvider& from,
                          KeyProvider& to) {
  if (to.Unwrap(wrapped, context, suite)) return Outcome::kAlready;
  auto key = from.Unwrap(wrapped, context, suite);
  if (!key) {
    return Fail(ErrorCode::kInternal, "cannot unwrap " + file.filename().string() +
                                          " with the current or the new master key");
  }
  auto rewrapped = to.Wrap(key->view(), context, suite);
  if (!rewrapped) return std::unexpected(rewrapped.error());
  // Checked before it replaces the only copy.
  if (!to.Unwrap(*rewrapped, context, suite)) {
    return Fail(ErrorCode::kInternal, "re-wrapped key does not unwrap: " + file.string());
  }
  Bytes contents(prefix.begin(), prefix.end());
  contents.insert(contents.end(), rewrapped->begin(), rewrapped->end());
  if (auto r = keyfile::Replace(file, contents); !r) return std::unexpected(r.error());
  return Outcome::kRewrapped;
}

}  // namespace

Result<RewrapReport> RewrapKeyFolder(const fs::path& dir, KeyProvider& from, KeyProvider& to,
                                     const std::vector<WrappedKeyFile>& others, int64_t limit) {
  keyfile::DirLock lock(dir);
  if (!lock.ok()) return Fail(ErrorCode::kStorageUnavailable, "cannot lock " + dir.string());
  RewrapReport report;
  std::vector<fs::path> files;
  std::vector<fs::path> signing_files;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    std::string tenant;
    uint32_t id = 0;
    if (keyfile::ParseFileName(name, &tenant, &id)) {
      files.push_back(e.path());
    } else if (name.starts_with(".tmp-")) {
      // What an interrupted write left; we hold the lock every writer takes.
      fs::remove(e.path(), ec);
    } else {
      signing_files.push_back(e.path());  // if it is one: ReadWrappedSigningKey tells
    }
  }
  if (ec) return Fail(ErrorCode::kStorageUnavailable, "cannot list " + dir.string());
  std::sort(files.begin(), files.end());
  std::sort(signing_files.begin(), signing_files.end());
  auto count = [&](Outcome o) {
    (o == Outcome::kRewrapped ? report.rewrapped : report.already) += 1;
    return limit >= 0 && report.rewrapped >= limit;
  };
  for (const fs::path& file : files) {
    auto contents = keyfile::Read(file);
    if (!contents) return std::unexpected(contents.error());
    const keyfile::Header& h = contents->header;
    const Bytes prefix = keyfile::Encode(h, {});
    auto r = RewrapOne(file, prefix, contents->wrapped, keyfile::WrapContext(h), h.suite, from, to);
    if (!r) return std::unexpected(r.error());
    if (count(*r)) return report;
  }
  // The hospitals' and the log's signing keys (signing_key_store.hpp).
  for (const fs::path& file : signing_files) {
    auto key = ReadWrappedSigningKey(file);
    if (!key) return std::unexpected(key.error());
    if (!*key) continue;
    auto r = RewrapOne(file, (*key)->prefix, (*key)->wrapped, (*key)->context,
                       CryptoSuite::kDefault, from, to);
    if (!r) return std::unexpected(r.error());
    if (count(*r)) return report;
  }
  for (const WrappedKeyFile& other : others) {
    if (!fs::exists(other.file)) continue;
    auto wrapped = ReadFile(other.file, 4096);
    if (!wrapped) return std::unexpected(wrapped.error());
    auto r = RewrapOne(other.file, {}, *wrapped, other.context, CryptoSuite::kDefault, from, to);
    if (!r) return std::unexpected(r.error());
    if (count(*r)) return report;
  }
  log::Info("keys.master_key_rotated",
            {{"rewrapped", report.rewrapped}, {"already", report.already}});
  return report;
}

}  // namespace cf::crypto
