// SPDX-License-Identifier: Apache-2.0
// OpenSSL 3 EVP adapter of signing.hpp. OpenSSL types stay in this file.
//
// SM2: OpenSSL computes Z = SM3(ENTL || ID || curve || public key) and signs
// SM3(Z || message). The ID is set explicitly on every context rather than
// relying on the provider's default, which changed between OpenSSL
// releases (1.1.1 used an empty ID); GM/T 0009-2012's default is what other
// SM2 verifiers (gmssl, BouncyCastle) use when none is agreed.
#include "crypto/signing.hpp"

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "crypto/openssl_error.hpp"
#include "crypto/sha256.hpp"

namespace cf::crypto {

namespace detail {
struct EvpKey {
  explicit EvpKey(EVP_PKEY* p) : pkey(p) {}
  ~EvpKey() { EVP_PKEY_free(pkey); }
  EvpKey(const EvpKey&) = delete;
  EvpKey& operator=(const EvpKey&) = delete;
  EVP_PKEY* pkey;
};
}  // namespace detail

namespace {

using detail::EvpKey;

std::optional<SignatureSuite> SuiteOf(EVP_PKEY* pkey) {
  if (EVP_PKEY_is_a(pkey, "ED25519")) return SignatureSuite::kEd25519;
  if (EVP_PKEY_is_a(pkey, "SM2")) return SignatureSuite::kSm2Sm3;
  return std::nullopt;
}

struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxDeleter>;
struct BioDeleter {
  void operator()(BIO* b) const { BIO_free(b); }
};
using Bio = std::unique_ptr<BIO, BioDeleter>;

// A digest-sign or -verify context for `suite`: no pre-hash for Ed25519,
// SM3 with the distinguishing ID for SM2.
MdCtx StartContext(EVP_PKEY* pkey, SignatureSuite suite, bool sign) {
  MdCtx ctx(EVP_MD_CTX_new());
  if (!ctx) return nullptr;
  EVP_PKEY_CTX* pctx = nullptr;
  const char* md = suite == SignatureSuite::kSm2Sm3 ? "SM3" : nullptr;
  const int rc =
      sign ? EVP_DigestSignInit_ex(ctx.get(), &pctx, md, nullptr, nullptr, pkey, nullptr)
           : EVP_DigestVerifyInit_ex(ctx.get(), &pctx, md, nullptr, nullptr, pkey, nullptr);
  if (rc != 1) return nullptr;
  if (suite == SignatureSuite::kSm2Sm3 &&
      EVP_PKEY_CTX_set1_id(pctx, kSm2DefaultId.data(), kSm2DefaultId.size()) != 1) {
    return nullptr;
  }
  return ctx;
}

Result<Bytes> SpkiDer(EVP_PKEY* pkey) {
  unsigned char* der = nullptr;
  const int len = i2d_PUBKEY(pkey, &der);
  if (len <= 0) return Fail(ErrorCode::kInternal, "cannot encode public key: " + OpensslReason());
  Bytes out(reinterpret_cast<const std::byte*>(der), reinterpret_cast<const std::byte*>(der) + len);
  OPENSSL_free(der);
  return out;
}

Result<EVP_PKEY*> Keygen(const char* name) {
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, name, nullptr);
  EVP_PKEY* pkey = nullptr;
  const bool ok =
      ctx != nullptr && EVP_PKEY_keygen_init(ctx) == 1 && EVP_PKEY_generate(ctx, &pkey) == 1;
  EVP_PKEY_CTX_free(ctx);
  if (!ok) {
    return Fail(ErrorCode::kInternal,
                std::string("cannot generate ") + name + " key: " + OpensslReason());
  }
  return pkey;
}

}  // namespace

std::string_view SuiteName(SignatureSuite suite) {
  return suite == SignatureSuite::kSm2Sm3 ? "sm2" : "ed25519";
}

std::optional<SignatureSuite> ParseSignatureSuite(std::string_view name) {
  if (name == "ed25519") return SignatureSuite::kEd25519;
  if (name == "sm2") return SignatureSuite::kSm2Sm3;
  return std::nullopt;
}

// ---- VerifyingKey ----

VerifyingKey::VerifyingKey(std::shared_ptr<const EvpKey> pkey, SignatureSuite suite, Bytes spki_der)
    : pkey_(std::move(pkey)), suite_(suite), spki_der_(std::move(spki_der)) {
  key_id_ = ToHex(Sha256(spki_der_));
}

Result<VerifyingKey> VerifyingKey::FromDer(ByteView spki_der) {
  const auto* p = reinterpret_cast<const unsigned char*>(spki_der.data());
  EVP_PKEY* raw = d2i_PUBKEY(nullptr, &p, static_cast<long>(spki_der.size()));
  if (raw == nullptr) {
    ERR_clear_error();
    return Fail(ErrorCode::kInvalidArgument, "not a DER SubjectPublicKeyInfo");
  }
  auto key = std::make_shared<const EvpKey>(raw);
  const auto suite = SuiteOf(raw);
  if (!suite) {
    return Fail(ErrorCode::kInvalidArgument, "public key is neither Ed25519 nor SM2");
  }
  // Re-encoded rather than kept as given, so that the key id of a key is
  // one value even if it arrived with trailing bytes.
  auto der = SpkiDer(raw);
  if (!der) return std::unexpected(der.error());
  return VerifyingKey(std::move(key), *suite, std::move(*der));
}

Result<VerifyingKey> VerifyingKey::FromPem(std::string_view pem) {
  Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return Fail(ErrorCode::kInternal, "cannot allocate BIO");
  EVP_PKEY* raw = PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr);
  if (raw == nullptr) {
    ERR_clear_error();
    return Fail(ErrorCode::kInvalidArgument, "not a PEM public key (-----BEGIN PUBLIC KEY-----)");
  }
  auto der = SpkiDer(raw);
  EVP_PKEY_free(raw);
  if (!der) return std::unexpected(der.error());
  return FromDer(*der);
}

Result<VerifyingKey> VerifyingKey::FromEd25519Raw(ByteView raw) {
  if (raw.size() != 32) return Fail(ErrorCode::kInvalidArgument, "Ed25519 keys are 32 bytes");
  EVP_PKEY* pkey = EVP_PKEY_new_raw_public_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(raw.data()), raw.size());
  if (pkey == nullptr) {
    return Fail(ErrorCode::kInvalidArgument, "not an Ed25519 public key: " + OpensslReason());
  }
  auto key = std::make_shared<const EvpKey>(pkey);
  auto der = SpkiDer(pkey);
  if (!der) return std::unexpected(der.error());
  return VerifyingKey(std::move(key), SignatureSuite::kEd25519, std::move(*der));
}

std::string VerifyingKey::ToPem() const {
  Bio bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), pkey_->pkey) != 1) {
    ERR_clear_error();
    return {};
  }
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

Result<void> VerifyingKey::Verify(ByteView message, ByteView signature) const {
  MdCtx ctx = StartContext(pkey_->pkey, suite_, /*sign=*/false);
  if (!ctx) return Fail(ErrorCode::kInternal, "cannot start verification: " + OpensslReason());
  const int rc = EVP_DigestVerify(
      ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
      reinterpret_cast<const unsigned char*>(message.data()), message.size());
  ERR_clear_error();  // a malformed DER signature leaves decoder errors behind
  if (rc != 1) {
    return Fail(ErrorCode::kConflict,
                std::string(SuiteName(suite_)) + " signature does not verify with key " + key_id_);
  }
  return {};
}

// ---- SigningKey ----

SigningKey::SigningKey(std::shared_ptr<const EvpKey> pkey, VerifyingKey public_key)
    : pkey_(std::move(pkey)), public_key_(std::move(public_key)) {}

Result<SigningKey> SigningKey::FromPrivate(EVP_PKEY* raw) {
  auto key = std::make_shared<const EvpKey>(raw);
  if (!SuiteOf(raw)) {
    return Fail(ErrorCode::kInvalidArgument, "private key is neither Ed25519 nor SM2");
  }
  auto der = SpkiDer(raw);
  if (!der) return std::unexpected(der.error());
  auto pub = VerifyingKey::FromDer(*der);
  if (!pub) return std::unexpected(pub.error());
  return SigningKey(std::move(key), std::move(*pub));
}

Result<SigningKey> SigningKey::Generate(SignatureSuite suite) {
  auto raw = Keygen(suite == SignatureSuite::kSm2Sm3 ? "SM2" : "ED25519");
  if (!raw) return std::unexpected(raw.error());
  return FromPrivate(*raw);
}

Result<SigningKey> SigningKey::FromPkcs8(ByteView der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  PKCS8_PRIV_KEY_INFO* info = d2i_PKCS8_PRIV_KEY_INFO(nullptr, &p, static_cast<long>(der.size()));
  EVP_PKEY* raw = info != nullptr ? EVP_PKCS82PKEY(info) : nullptr;
  PKCS8_PRIV_KEY_INFO_free(info);
  if (raw == nullptr) {
    ERR_clear_error();
    return Fail(ErrorCode::kInvalidArgument, "not a PKCS#8 private key");
  }
  return FromPrivate(raw);
}

Result<SigningKey> SigningKey::FromEd25519Seed(ByteView seed) {
  if (seed.size() != 32) return Fail(ErrorCode::kInvalidArgument, "Ed25519 seeds are 32 bytes");
  EVP_PKEY* raw = EVP_PKEY_new_raw_private_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(seed.data()), seed.size());
  if (raw == nullptr) {
    return Fail(ErrorCode::kInvalidArgument, "not an Ed25519 seed: " + OpensslReason());
  }
  return FromPrivate(raw);
}

Result<Bytes> SigningKey::Sign(ByteView message) const {
  MdCtx ctx = StartContext(pkey_->pkey, suite(), /*sign=*/true);
  if (!ctx) return Fail(ErrorCode::kInternal, "cannot start signing: " + OpensslReason());
  const auto* msg = reinterpret_cast<const unsigned char*>(message.data());
  size_t len = 0;
  if (EVP_DigestSign(ctx.get(), nullptr, &len, msg, message.size()) != 1) {
    return Fail(ErrorCode::kInternal, "cannot sign: " + OpensslReason());
  }
  Bytes sig(len);
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, msg,
                     message.size()) != 1) {
    return Fail(ErrorCode::kInternal, "cannot sign: " + OpensslReason());
  }
  sig.resize(len);
  return sig;
}

Result<SecretBytes> SigningKey::ExportPkcs8() const {
  PKCS8_PRIV_KEY_INFO* info = EVP_PKEY2PKCS8(pkey_->pkey);
  unsigned char* der = nullptr;
  const int len = info != nullptr ? i2d_PKCS8_PRIV_KEY_INFO(info, &der) : 0;
  PKCS8_PRIV_KEY_INFO_free(info);
  if (len <= 0) return Fail(ErrorCode::kInternal, "cannot export private key: " + OpensslReason());
  SecretBytes out(ByteView(reinterpret_cast<const std::byte*>(der), static_cast<size_t>(len)));
  OPENSSL_clear_free(der, static_cast<size_t>(len));
  return out;
}

}  // namespace cf::crypto
