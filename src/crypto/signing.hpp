// SPDX-License-Identifier: Apache-2.0
// Digital signatures (OpenSSL EVP) for what the platform vouches for: film
// manifests (a tenant's key) and the transparency log's tree heads (the
// platform's log key). Two suites:
//
//   ed25519  Ed25519 (RFC 8032, pure, no pre-hash): the default.
//   sm2      SM2 with SM3 (GB/T 32918.2, GM/T 0009-2012) and the standard
//            distinguishing ID "1234567812345678", for the Chinese national
//            suite; DER-encoded (r, s) signatures.
//
// Public keys travel as PEM SubjectPublicKeyInfo, the form every verifier
// (openssl, gmssl, Java, browsers) reads. A key id is the lowercase hex
// SHA-256 of the DER SubjectPublicKeyInfo: it names a key without trusting
// any file name, and two suites can never share one.
//
// Private keys are exported only as PKCS#8 DER in wiped buffers, for
// signing_key_store.hpp to wrap under the master key. Nothing here logs or
// prints a private key.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/bytes.hpp"
#include "core/error.hpp"
#include "crypto/aead.hpp"

// OpenSSL's key type, declared here so that no OpenSSL header is needed.
struct evp_pkey_st;

namespace cf::crypto {

namespace detail {
struct EvpKey;  // an EVP_PKEY, kept out of this header
}

enum class SignatureSuite { kEd25519, kSm2Sm3 };

// "ed25519", "sm2".
std::string_view SuiteName(SignatureSuite suite);
std::optional<SignatureSuite> ParseSignatureSuite(std::string_view name);

// The distinguishing ID of SM2 signatures (GM/T 0009-2012's default).
inline constexpr std::string_view kSm2DefaultId = "1234567812345678";

// A public key. Immutable and thread-safe; cheap to copy.
class VerifyingKey {
 public:
  // kInvalidArgument for text that is not a PEM public key of a supported
  // suite (an RSA or P-256 key, a certificate, garbage).
  static Result<VerifyingKey> FromPem(std::string_view pem);
  static Result<VerifyingKey> FromDer(ByteView spki_der);
  // The 32 raw bytes of RFC 8032, for test vectors and interop.
  static Result<VerifyingKey> FromEd25519Raw(ByteView raw);

  SignatureSuite suite() const { return suite_; }
  const std::string& key_id() const { return key_id_; }
  std::string ToPem() const;
  const Bytes& ToDer() const { return spki_der_; }

  // Ok when `signature` is this key's signature of `message`; kConflict
  // ("signature does not verify") otherwise, whatever the reason
  // (another key or message, a damaged or malformed signature).
  Result<void> Verify(ByteView message, ByteView signature) const;

 private:
  VerifyingKey(std::shared_ptr<const detail::EvpKey> pkey, SignatureSuite suite, Bytes spki_der);
  std::shared_ptr<const detail::EvpKey> pkey_;
  SignatureSuite suite_ = SignatureSuite::kEd25519;
  Bytes spki_der_;
  std::string key_id_;
  friend class SigningKey;
};

// A private key. Thread-safe (each call uses its own EVP context); the
// key material is freed (and wiped by OpenSSL) with the last copy.
class SigningKey {
 public:
  static Result<SigningKey> Generate(SignatureSuite suite);
  // From PKCS#8 DER (what ExportPkcs8 wrote). kInvalidArgument when it is
  // not a private key of a supported suite.
  static Result<SigningKey> FromPkcs8(ByteView der);
  // The 32-byte RFC 8032 seed, for test vectors.
  static Result<SigningKey> FromEd25519Seed(ByteView seed);

  SignatureSuite suite() const { return public_key_.suite(); }
  const VerifyingKey& public_key() const { return public_key_; }
  const std::string& key_id() const { return public_key_.key_id(); }

  // Ed25519 signatures are deterministic (64 bytes); SM2 ones are
  // randomized DER (about 70-72 bytes).
  Result<Bytes> Sign(ByteView message) const;

  // PKCS#8 DER of the private key, for wrapping. Handle with care: it is
  // the key.
  Result<SecretBytes> ExportPkcs8() const;

 private:
  SigningKey(std::shared_ptr<const detail::EvpKey> pkey, VerifyingKey public_key);
  // Takes ownership of `pkey`, a private key.
  static Result<SigningKey> FromPrivate(evp_pkey_st* pkey);
  std::shared_ptr<const detail::EvpKey> pkey_;
  VerifyingKey public_key_;
};

}  // namespace cf::crypto
