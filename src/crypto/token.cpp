// SPDX-License-Identifier: Apache-2.0
#include "crypto/token.hpp"

#include <openssl/crypto.h>

#include <array>
#include <stdexcept>

#include "crypto/aead.hpp"
#include "crypto/random.hpp"

namespace cf::crypto {
namespace {

constexpr size_t kTokenIdBytes = kTokenIdChars / 2;
constexpr size_t kTokenSecretBytes = 32;
static_assert((kTokenSecretBytes * 8 + 5) / 6 == kTokenSecretChars);

constexpr char kBase64Url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int Base64UrlValue(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

bool IsLowerAlpha(char c) { return c >= 'a' && c <= 'z'; }
bool IsLowerHex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

bool ValidPrefix(std::string_view prefix) {
  if (prefix.size() < 2 || prefix.size() > 8) return false;
  for (char c : prefix) {
    if (!IsLowerAlpha(c)) return false;
  }
  return true;
}

}  // namespace

IssuedToken IssueToken(std::string_view prefix) {
  if (!ValidPrefix(prefix)) throw std::invalid_argument("token prefix must match [a-z]{2,8}");
  std::array<std::byte, kTokenSecretBytes> secret_bytes;
  RandomBytes(secret_bytes);
  std::string secret = Base64UrlEncode(secret_bytes);
  Wipe(secret_bytes);

  IssuedToken token;
  token.id = RandomHex(kTokenIdBytes);
  token.secret_hash = HashTokenSecret(secret);
  token.text.reserve(prefix.size() + 2 + kTokenIdChars + kTokenSecretChars);
  token.text.append(prefix).append("_").append(token.id).append("_").append(secret);
  Wipe(std::as_writable_bytes(std::span(secret)));
  return token;
}

std::optional<ParsedToken> ParseToken(std::string_view text) {
  const size_t sep = text.find('_');
  if (sep == std::string_view::npos) return std::nullopt;
  const std::string_view prefix = text.substr(0, sep);
  if (!ValidPrefix(prefix)) return std::nullopt;
  std::string_view rest = text.substr(sep + 1);
  if (rest.size() != kTokenIdChars + 1 + kTokenSecretChars) return std::nullopt;
  const std::string_view id = rest.substr(0, kTokenIdChars);
  for (char c : id) {
    if (!IsLowerHex(c)) return std::nullopt;
  }
  if (rest[kTokenIdChars] != '_') return std::nullopt;
  const std::string_view secret = rest.substr(kTokenIdChars + 1);
  // Decoding checks the alphabet and that the unused low bits are zero.
  auto decoded = Base64UrlDecode(secret);
  if (!decoded || decoded->size() != kTokenSecretBytes) return std::nullopt;
  Wipe(*decoded);
  return ParsedToken{std::string(prefix), std::string(id), std::string(secret)};
}

Sha256Digest HashTokenSecret(std::string_view secret) { return Sha256(AsBytes(secret)); }

bool ConstantTimeEquals(std::span<const uint8_t> a, std::span<const uint8_t> b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string Base64UrlEncode(ByteView data) {
  std::string out;
  out.reserve((data.size() * 4 + 2) / 3);
  size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    const uint32_t v = std::to_integer<uint32_t>(data[i]) << 16 |
                       std::to_integer<uint32_t>(data[i + 1]) << 8 |
                       std::to_integer<uint32_t>(data[i + 2]);
    out.push_back(kBase64Url[v >> 18 & 63]);
    out.push_back(kBase64Url[v >> 12 & 63]);
    out.push_back(kBase64Url[v >> 6 & 63]);
    out.push_back(kBase64Url[v & 63]);
  }
  const size_t left = data.size() - i;
  if (left == 1) {
    const uint32_t v = std::to_integer<uint32_t>(data[i]) << 16;
    out.push_back(kBase64Url[v >> 18 & 63]);
    out.push_back(kBase64Url[v >> 12 & 63]);
  } else if (left == 2) {
    const uint32_t v =
        std::to_integer<uint32_t>(data[i]) << 16 | std::to_integer<uint32_t>(data[i + 1]) << 8;
    out.push_back(kBase64Url[v >> 18 & 63]);
    out.push_back(kBase64Url[v >> 12 & 63]);
    out.push_back(kBase64Url[v >> 6 & 63]);
  }
  return out;
}

std::optional<Bytes> Base64UrlDecode(std::string_view text) {
  // A final group of one character would carry only 6 of 8 bits.
  if (text.size() % 4 == 1) return std::nullopt;
  Bytes out;
  out.reserve(text.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    const int v = Base64UrlValue(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 6 | static_cast<uint32_t>(v)) & 0xFFFFFF;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<std::byte>(acc >> bits & 0xFF));
    }
  }
  // Leftover bits (2 or 4) are padding of the last byte and must be zero.
  if ((acc & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

}  // namespace cf::crypto
