// SPDX-License-Identifier: Apache-2.0
#include "crypto/totp.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <stdexcept>

#include "crypto/random.hpp"

namespace cf::crypto {
namespace {

constexpr size_t kTotpSecretBytes = 20;
constexpr char kBase32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

int Base32Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a';
  if (c >= '2' && c <= '7') return c - '2' + 26;
  return -1;
}

// RFC 4226 section 5.3: HMAC-SHA1 of the big-endian counter, dynamic
// truncation to 31 bits, then the low `digits` decimal digits.
std::string Hotp(ByteView secret, uint64_t counter, int digits) {
  std::array<unsigned char, 8> message;
  for (int i = 7; i >= 0; --i) {
    message[static_cast<size_t>(i)] = static_cast<unsigned char>(counter & 0xFF);
    counter >>= 8;
  }
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac;
  unsigned int mac_len = 0;
  // An empty key needs a non-null pointer for HMAC().
  static const unsigned char kEmpty = 0;
  const void* key = secret.empty() ? &kEmpty : static_cast<const void*>(secret.data());
  if (HMAC(EVP_sha1(), key, static_cast<int>(secret.size()), message.data(), message.size(),
           mac.data(), &mac_len) == nullptr ||
      mac_len != 20) {
    throw std::runtime_error("HMAC-SHA1 failed");
  }
  const size_t offset = mac[19] & 0x0F;
  const uint32_t binary = (static_cast<uint32_t>(mac[offset]) & 0x7F) << 24 |
                          static_cast<uint32_t>(mac[offset + 1]) << 16 |
                          static_cast<uint32_t>(mac[offset + 2]) << 8 |
                          static_cast<uint32_t>(mac[offset + 3]);
  uint64_t modulus = 1;
  for (int i = 0; i < digits; ++i) modulus *= 10;
  uint64_t value = binary % modulus;
  std::string code(static_cast<size_t>(digits), '0');
  for (size_t i = code.size(); i > 0 && value > 0; --i) {
    code[i - 1] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  return code;
}

void AppendPercentEncoded(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
}

}  // namespace

Bytes NewTotpSecret() {
  Bytes secret(kTotpSecretBytes);
  RandomBytes(secret);
  return secret;
}

std::string Base32Encode(ByteView data) {
  std::string out;
  out.reserve((data.size() * 8 + 4) / 5);
  uint32_t acc = 0;
  int bits = 0;
  for (std::byte b : data) {
    acc = (acc << 8 | std::to_integer<uint32_t>(b)) & 0xFFF;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out.push_back(kBase32[acc >> bits & 31]);
    }
  }
  if (bits > 0) out.push_back(kBase32[acc << (5 - bits) & 31]);
  return out;
}

std::optional<Bytes> Base32Decode(std::string_view text) {
  Bytes out;
  out.reserve(text.size() * 5 / 8);
  uint32_t acc = 0;
  int bits = 0;
  size_t symbols = 0;
  bool padding = false;
  for (char c : text) {
    if (c == ' ') continue;
    if (c == '=') {
      padding = true;
      continue;
    }
    if (padding) return std::nullopt;  // data after padding
    const int v = Base32Value(c);
    if (v < 0) return std::nullopt;
    ++symbols;
    acc = (acc << 5 | static_cast<uint32_t>(v)) & 0xFFF;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<std::byte>(acc >> bits & 0xFF));
    }
  }
  // A final group of 1, 3 or 6 symbols cannot come from whole bytes.
  const size_t tail = symbols % 8;
  if (tail == 1 || tail == 3 || tail == 6) return std::nullopt;
  if ((acc & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

std::string TotpCode(ByteView secret, int64_t unix_seconds, int digits, int step) {
  if (unix_seconds < 0 || step <= 0 || digits < 1 || digits > 10) {
    throw std::invalid_argument("TotpCode: time must be >= 0, step > 0, digits in 1..10");
  }
  return Hotp(secret, static_cast<uint64_t>(unix_seconds / step), digits);
}

bool VerifyTotp(ByteView secret, std::string_view code, int64_t unix_seconds, int64_t* step_out) {
  if (code.size() != static_cast<size_t>(kTotpDigits) || unix_seconds < 0) return false;
  for (char c : code) {
    if (c < '0' || c > '9') return false;
  }
  const int64_t current = unix_seconds / kTotpStepSeconds;
  // Latest step first: should one code match two steps (one chance in a
  // million), recording the later step refuses its reuse in both.
  for (const int64_t step : {current + 1, current, current - 1}) {
    if (step < 0) continue;
    const std::string expected = Hotp(secret, static_cast<uint64_t>(step), kTotpDigits);
    if (CRYPTO_memcmp(expected.data(), code.data(), code.size()) == 0) {
      if (step_out != nullptr) *step_out = step;
      return true;
    }
  }
  return false;
}

std::string TotpUri(std::string_view issuer, std::string_view account, ByteView secret) {
  std::string uri = "otpauth://totp/";
  AppendPercentEncoded(uri, issuer);
  uri.push_back(':');
  AppendPercentEncoded(uri, account);
  uri += "?secret=";
  uri += Base32Encode(secret);
  uri += "&issuer=";
  AppendPercentEncoded(uri, issuer);
  uri += "&algorithm=SHA1&digits=" + std::to_string(kTotpDigits) +
         "&period=" + std::to_string(kTotpStepSeconds);
  return uri;
}

}  // namespace cf::crypto
