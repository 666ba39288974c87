// SPDX-License-Identifier: Apache-2.0
#include "fuzz/package_verify_harness.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <utility>

#include "crypto/sha256.hpp"
#include "crypto/signing.hpp"
#include "film/package_layout.hpp"
#include "film/package_verify.hpp"
#include "fuzz/require.hpp"

namespace cf::fuzz {
namespace {

namespace fs = std::filesystem;

// (name, SHA-256) of every member, sorted by name: what a package holds.
using MemberHashes = std::vector<std::pair<std::string, std::string>>;

struct Seeds {
  std::vector<crypto::VerifyingKey> trusted;
  std::map<std::string, MemberHashes> by_manifest;  // manifest.json's SHA-256 -> members
};

std::string Sha256Hex(std::string_view bytes) {
  return crypto::ToHex(crypto::Sha256(AsBytes(bytes)));
}

// The seeds' keys (each package's signing key and log key) and members.
const Seeds& LoadSeeds() {
  static const Seeds seeds = [] {
    Seeds out;
    const fs::path folder = fs::path(CF_SOURCE_DIR) / "tests/fuzz/corpus/package_verify";
    for (const auto& entry : fs::directory_iterator(folder)) {
      std::ifstream in(entry.path(), std::ios::binary);
      const std::string bytes((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
      const auto members =
          DecodePackageMembers({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()});
      MemberHashes hashes;
      std::string manifest_sha256;
      for (const auto& m : members) {
        hashes.emplace_back(m.name, Sha256Hex(m.content));
        if (m.name == film::kManifestMember) manifest_sha256 = hashes.back().second;
        if (m.name == film::kSigningKeyMember || m.name == film::kLogKeyMember) {
          auto key = crypto::VerifyingKey::FromPem(m.content);
          Require(key.has_value());
          out.trusted.push_back(*key);
        }
      }
      std::ranges::sort(hashes);
      Require(!manifest_sha256.empty());
      out.by_manifest.emplace(manifest_sha256, std::move(hashes));
    }
    // Without trusted keys a self-signed forgery verifies, as it should.
    Require(!out.trusted.empty());
    return out;
  }();
  return seeds;
}

// The members as unzip sees them (the central directory), regular files
// only, sorted by name; duplicates stay.
MemberHashes ReadBack(const fs::path& path) {
  MemberHashes out;
  struct archive* a = archive_read_new();
  archive_read_support_format_zip_seekable(a);
  if (archive_read_open_filename(a, path.c_str(), 1 << 16) == ARCHIVE_OK) {
    struct archive_entry* entry = nullptr;
    char buf[1 << 14];
    while (archive_read_next_header(a, &entry) == ARCHIVE_OK) {
      std::string content;
      for (la_ssize_t n; (n = archive_read_data(a, buf, sizeof buf)) > 0;) {
        content.append(buf, static_cast<size_t>(n));
      }
      if (archive_entry_filetype(entry) == AE_IFDIR) continue;
      const char* name = archive_entry_pathname(entry);
      out.emplace_back(name != nullptr ? name : "", Sha256Hex(content));
    }
  }
  archive_read_free(a);
  std::ranges::sort(out);
  return out;
}

}  // namespace

std::vector<PackageMember> DecodePackageMembers(std::span<const uint8_t> input) {
  std::vector<PackageMember> out;
  size_t at = 0;
  while (at < input.size()) {
    const size_t name_size = input[at++];
    if (input.size() - at < name_size + 3) break;
    PackageMember m;
    m.name.assign(reinterpret_cast<const char*>(input.data() + at), name_size);
    at += name_size;
    const size_t size = input[at] | (size_t{input[at + 1]} << 8) | (size_t{input[at + 2]} << 16);
    at += 3;
    if (input.size() - at < size) break;
    m.content.assign(reinterpret_cast<const char*>(input.data() + at), size);
    at += size;
    out.push_back(std::move(m));
  }
  return out;
}

std::string EncodePackageMembers(const std::vector<PackageMember>& members) {
  std::string out;
  for (const auto& m : members) {
    Require(m.name.size() <= 255 && m.content.size() < (size_t{1} << 24));
    out += static_cast<char>(m.name.size());
    out += m.name;
    for (int shift : {0, 8, 16}) out += static_cast<char>((m.content.size() >> shift) & 0xff);
    out += m.content;
  }
  return out;
}

bool WriteStoredZip(const fs::path& path, const std::vector<PackageMember>& members) {
  struct archive* a = archive_write_new();
  archive_write_set_format_zip(a);
  archive_write_zip_set_compression_store(a);
  if (archive_write_open_filename(a, path.c_str()) != ARCHIVE_OK) {
    archive_write_free(a);
    return false;
  }
  for (const auto& m : members) {
    struct archive_entry* entry = archive_entry_new();
    archive_entry_set_pathname(entry, m.name.c_str());
    archive_entry_set_filetype(entry, AE_IFREG);
    archive_entry_set_perm(entry, 0644);
    archive_entry_set_size(entry, static_cast<la_int64_t>(m.content.size()));
    if (archive_write_header(a, entry) == ARCHIVE_OK && !m.content.empty()) {
      archive_write_data(a, m.content.data(), m.content.size());
    }
    archive_entry_free(entry);
  }
  const bool ok = archive_write_close(a) == ARCHIVE_OK;
  archive_write_free(a);
  return ok;
}

std::string RunPackageVerify(std::span<const uint8_t> input) {
  const Seeds& seeds = LoadSeeds();
  static const fs::path zip =
      fs::temp_directory_path() / ("cf-package-verify-fuzz-" + std::to_string(getpid()) + ".zip");
  if (!WriteStoredZip(zip, DecodePackageMembers(input))) return "unwritable";
  auto check = film::VerifyPackage(zip, seeds.trusted);
  if (!check) return "unreadable: " + check.error().message;
  if (!check->Ok()) {
    Require(!check->failures.front().empty());
    return "failed: " + check->failures.front();
  }
  // Verified: it must be a seed, whole.
  Require(check->signing_key_trusted);
  const MemberHashes members = ReadBack(zip);
  const auto manifest =
      std::ranges::find_if(members, [](const auto& m) { return m.first == film::kManifestMember; });
  Require(manifest != members.end());
  const auto seed = seeds.by_manifest.find(manifest->second);
  Require(seed != seeds.by_manifest.end());
  Require(members == seed->second);
  return "verified: " + std::to_string(check->objects) + " objects";
}

}  // namespace cf::fuzz
