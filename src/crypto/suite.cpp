// SPDX-License-Identifier: Apache-2.0
#include "crypto/suite.hpp"

#include "crypto/aead.hpp"
#include "crypto/sm_aead.hpp"

namespace cf::crypto {

std::string_view SuiteName(CryptoSuite suite) {
  switch (suite) {
    case CryptoSuite::kDefault:
      return "default";
    case CryptoSuite::kSm:
      return "sm";
  }
  return "?";
}

std::optional<CryptoSuite> ParseSuite(std::string_view name) {
  if (name == "default") return CryptoSuite::kDefault;
  if (name == "sm") return CryptoSuite::kSm;
  return std::nullopt;
}

Result<std::unique_ptr<Aead>> MakeAead(CryptoSuite suite, ByteView key) {
  switch (suite) {
    case CryptoSuite::kDefault: {
      auto aead = Aes256Gcm::FromKey(key);
      if (!aead) return std::unexpected(aead.error());
      return std::make_unique<Aes256Gcm>(std::move(*aead));
    }
    case CryptoSuite::kSm: {
      auto aead = Sm4CtrHmacSm3::FromKey(key);
      if (!aead) return std::unexpected(aead.error());
      return std::make_unique<Sm4CtrHmacSm3>(std::move(*aead));
    }
  }
  return Fail(ErrorCode::kInvalidArgument, "unknown crypto suite");
}

}  // namespace cf::crypto
