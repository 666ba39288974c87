// SPDX-License-Identifier: Apache-2.0
#include "ledger/tree_head.hpp"

#include "core/time_text.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <ctime>

namespace cf::ledger {
namespace {

void PutBe64(Bytes& out, uint64_t v) {
  for (int i = 7; i >= 0; --i) out.push_back(static_cast<std::byte>(v >> (8 * i)));
}

}  // namespace

std::string HexOf(ByteView bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  s.reserve(bytes.size() * 2);
  for (std::byte b : bytes) {
    s.push_back(kHex[static_cast<unsigned>(b) >> 4]);
    s.push_back(kHex[static_cast<unsigned>(b) & 15]);
  }
  return s;
}

std::optional<Bytes> BytesFromHex(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  Bytes out;
  out.reserve(hex.size() / 2);
  for (size_t i = 0; i < hex.size(); i += 2) {
    const int hi = nibble(hex[i]), lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<std::byte>(hi * 16 + lo));
  }
  return out;
}

Bytes TreeHeadSignatureInput(const TreeHead& head) {
  Bytes out;
  out.reserve(50);
  out.push_back(std::byte{0});  // version v1
  out.push_back(std::byte{1});  // signature_type tree_hash
  PutBe64(out, static_cast<uint64_t>(head.timestamp_ms));
  PutBe64(out, head.tree_size);
  for (uint8_t b : head.root_hash) out.push_back(static_cast<std::byte>(b));
  return out;
}

Result<SignedTreeHead> SignTreeHead(const TreeHead& head, const crypto::SigningKey& key) {
  auto sig = key.Sign(TreeHeadSignatureInput(head));
  if (!sig) return std::unexpected(sig.error());
  return SignedTreeHead{head, key.suite(), key.key_id(), std::move(*sig)};
}

Result<void> VerifyTreeHead(const SignedTreeHead& sth, const crypto::VerifyingKey& key) {
  if (sth.key_id != key.key_id()) {
    return Fail(ErrorCode::kConflict,
                "tree head is signed by key " + sth.key_id + ", not by " + key.key_id());
  }
  if (sth.suite != key.suite()) {
    return Fail(ErrorCode::kConflict,
                "tree head names suite " + std::string(crypto::SuiteName(sth.suite)) + " but key " +
                    key.key_id() + " is " + std::string(crypto::SuiteName(key.suite())));
  }
  return key.Verify(TreeHeadSignatureInput(sth.head), sth.signature);
}

std::string ToJson(const SignedTreeHead& sth) {
  nlohmann::ordered_json j;
  j["tree_size"] = sth.head.tree_size;
  j["timestamp"] = sth.head.timestamp_ms;
  j["time"] = Rfc3339Utc(sth.head.timestamp_ms);
  j["sha256_root_hash"] = crypto::ToHex(sth.head.root_hash);
  j["signature_suite"] = std::string(crypto::SuiteName(sth.suite));
  j["key_id"] = sth.key_id;
  j["signature"] = HexOf(sth.signature);
  return j.dump(2);
}

Result<SignedTreeHead> SignedTreeHeadFromJson(std::string_view text) {
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return Fail(ErrorCode::kInvalidArgument, "tree head: not a JSON object");
  auto bad = [](std::string_view field) {
    return Fail(ErrorCode::kInvalidArgument,
                "tree head: missing or malformed \"" + std::string(field) + "\"");
  };
  SignedTreeHead sth;
  if (!j.contains("tree_size") || !j["tree_size"].is_number_unsigned()) return bad("tree_size");
  sth.head.tree_size = j["tree_size"].get<uint64_t>();
  if (!j.contains("timestamp") || !j["timestamp"].is_number_integer()) return bad("timestamp");
  sth.head.timestamp_ms = j["timestamp"].get<int64_t>();
  const auto string_field = [&](const char* name) -> std::optional<std::string> {
    if (!j.contains(name) || !j[name].is_string()) return std::nullopt;
    return j[name].get<std::string>();
  };
  const auto root = string_field("sha256_root_hash");
  const auto digest = root ? crypto::Sha256FromHex(*root) : std::nullopt;
  if (!digest) return bad("sha256_root_hash");
  sth.head.root_hash = *digest;
  const auto suite_name = string_field("signature_suite");
  const auto suite = suite_name ? crypto::ParseSignatureSuite(*suite_name) : std::nullopt;
  if (!suite) return bad("signature_suite");
  sth.suite = *suite;
  const auto key_id = string_field("key_id");
  if (!key_id || key_id->size() != 64 || !BytesFromHex(*key_id)) return bad("key_id");
  sth.key_id = *key_id;
  const auto sig_hex = string_field("signature");
  auto sig = sig_hex ? BytesFromHex(*sig_hex) : std::nullopt;
  if (!sig || sig->empty()) return bad("signature");
  sth.signature = std::move(*sig);
  return sth;
}

}  // namespace cf::ledger
