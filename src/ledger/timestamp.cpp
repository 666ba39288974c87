// SPDX-License-Identifier: Apache-2.0
#include "ledger/timestamp.hpp"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pkcs7.h>
#include <openssl/ts.h>
#include <openssl/x509.h>

#include <ctime>
#include <memory>

#include "crypto/openssl_error.hpp"
#include "crypto/sha256.hpp"

namespace cf::ledger {
namespace {

using crypto::OpensslReason;

template <auto Free>
struct Deleter {
  template <class T>
  void operator()(T* p) const {
    Free(p);
  }
};
using TsReq = std::unique_ptr<TS_REQ, Deleter<TS_REQ_free>>;
using TsResp = std::unique_ptr<TS_RESP, Deleter<TS_RESP_free>>;
using TsMsgImprint = std::unique_ptr<TS_MSG_IMPRINT, Deleter<TS_MSG_IMPRINT_free>>;
using TsVerifyCtx = std::unique_ptr<TS_VERIFY_CTX, Deleter<TS_VERIFY_CTX_free>>;
using Algor = std::unique_ptr<X509_ALGOR, Deleter<X509_ALGOR_free>>;
using Asn1Integer = std::unique_ptr<ASN1_INTEGER, Deleter<ASN1_INTEGER_free>>;
using Pkcs7 = std::unique_ptr<PKCS7, Deleter<PKCS7_free>>;
using Store = std::unique_ptr<X509_STORE, Deleter<X509_STORE_free>>;

Error Refused(std::string what) {
  return Error{ErrorCode::kConflict, "time-stamp: " + std::move(what)};
}

const unsigned char* U(const std::byte* p) { return reinterpret_cast<const unsigned char*>(p); }

Result<Store> LoadStore(const std::filesystem::path& ca_file) {
  if (ca_file.empty()) {
    return std::unexpected(
        Error{ErrorCode::kInvalidArgument, "time-stamp: no CA file to check the TSA against"});
  }
  Store store(X509_STORE_new());
  if (!store || X509_STORE_load_file(store.get(), ca_file.c_str()) != 1) {
    return std::unexpected(
        Error{ErrorCode::kInvalidArgument,
              "time-stamp: cannot load CA file " + ca_file.string() + ": " + OpensslReason()});
  }
  return store;
}

// A verification context owns what it is given (store, imprint).
Result<void> SetStore(TS_VERIFY_CTX* ctx, const std::filesystem::path& ca_file) {
  auto store = LoadStore(ca_file);
  if (!store) return std::unexpected(store.error());
  TS_VERIFY_CTX_set_store(ctx, store->release());
  return {};
}

int64_t GenTimeMs(const TS_TST_INFO* info) {
  std::tm tm{};
  if (ASN1_TIME_to_tm(TS_TST_INFO_get_time(info), &tm) != 1) return 0;
  return static_cast<int64_t>(timegm(&tm)) * 1000;
}

std::string SignerSubject(PKCS7* token) {
  STACK_OF(X509)* signers = PKCS7_get0_signers(token, nullptr, 0);
  std::string subject;
  if (signers != nullptr && sk_X509_num(signers) > 0) {
    char* line = X509_NAME_oneline(X509_get_subject_name(sk_X509_value(signers, 0)), nullptr, 0);
    if (line != nullptr) subject = line;
    OPENSSL_free(line);
  }
  sk_X509_free(signers);
  ERR_clear_error();
  return subject;
}

}  // namespace

Hash TimestampImprint(const TreeHead& head) { return crypto::Sha256(TreeHeadSignatureInput(head)); }

Result<Bytes> MakeTimestampQuery(const Hash& imprint, uint64_t nonce) {
  TsReq req(TS_REQ_new());
  TsMsgImprint msg(TS_MSG_IMPRINT_new());
  Algor algo(X509_ALGOR_new());
  Asn1Integer n(ASN1_INTEGER_new());
  if (!req || !msg || !algo || !n || TS_REQ_set_version(req.get(), 1) != 1 ||
      X509_ALGOR_set0(algo.get(), OBJ_nid2obj(NID_sha256), V_ASN1_NULL, nullptr) != 1 ||
      TS_MSG_IMPRINT_set_algo(msg.get(), algo.get()) != 1 ||
      TS_MSG_IMPRINT_set_msg(msg.get(), const_cast<unsigned char*>(imprint.data()),
                             static_cast<int>(imprint.size())) != 1 ||
      TS_REQ_set_msg_imprint(req.get(), msg.get()) != 1 ||
      ASN1_INTEGER_set_uint64(n.get(), nonce) != 1 || TS_REQ_set_nonce(req.get(), n.get()) != 1 ||
      TS_REQ_set_cert_req(req.get(), 1) != 1) {
    return std::unexpected(
        Error{ErrorCode::kInternal, "time-stamp: cannot build the query: " + OpensslReason()});
  }
  unsigned char* der = nullptr;
  const int len = i2d_TS_REQ(req.get(), &der);
  if (len <= 0) {
    return std::unexpected(
        Error{ErrorCode::kInternal, "time-stamp: cannot encode the query: " + OpensslReason()});
  }
  Bytes out(reinterpret_cast<std::byte*>(der), reinterpret_cast<std::byte*>(der) + len);
  OPENSSL_free(der);
  return out;
}

Result<TreeHeadTimestamp> AcceptTimestampResponse(ByteView query, ByteView response,
                                                  const std::filesystem::path& ca_file) {
  const unsigned char* q = U(query.data());
  TsReq req(d2i_TS_REQ(nullptr, &q, static_cast<long>(query.size())));
  if (!req) return std::unexpected(Error{ErrorCode::kInvalidArgument, "time-stamp: bad query"});
  const unsigned char* p = U(response.data());
  TsResp resp(d2i_TS_RESP(nullptr, &p, static_cast<long>(response.size())));
  if (!resp || p != U(response.data()) + response.size()) {
    ERR_clear_error();
    return std::unexpected(
        Error{ErrorCode::kInvalidArgument, "time-stamp: the TSA's answer is not a TimeStampResp"});
  }
  // The query's imprint, nonce and version; we add the signature and its
  // chain (and the key usage check that comes with it).
  TsVerifyCtx ctx(TS_REQ_to_TS_VERIFY_CTX(req.get(), nullptr));
  if (!ctx) return std::unexpected(Error{ErrorCode::kInternal, "time-stamp: " + OpensslReason()});
  TS_VERIFY_CTX_add_flags(ctx.get(), TS_VFY_SIGNATURE);
  if (auto r = SetStore(ctx.get(), ca_file); !r) return std::unexpected(r.error());
  if (TS_RESP_verify_response(ctx.get(), resp.get()) != 1) {
    return std::unexpected(Refused("the TSA's answer does not verify: " + OpensslReason()));
  }
  TreeHeadTimestamp out;
  PKCS7* token = TS_RESP_get_token(resp.get());
  unsigned char* der = nullptr;
  const int len = i2d_PKCS7(token, &der);
  if (len <= 0)
    return std::unexpected(Error{ErrorCode::kInternal, "time-stamp: " + OpensslReason()});
  out.token.assign(reinterpret_cast<std::byte*>(der), reinterpret_cast<std::byte*>(der) + len);
  OPENSSL_free(der);
  out.gen_time_ms = GenTimeMs(TS_RESP_get_tst_info(resp.get()));
  out.tsa = SignerSubject(token);
  return out;
}

Result<int64_t> VerifyTimestampToken(ByteView token, const Hash& imprint,
                                     const std::filesystem::path& ca_file) {
  const unsigned char* p = U(token.data());
  Pkcs7 pkcs7(d2i_PKCS7(nullptr, &p, static_cast<long>(token.size())));
  if (!pkcs7 || p != U(token.data()) + token.size()) {
    ERR_clear_error();
    return std::unexpected(Refused("the token is not a TimeStampToken"));
  }
  TsVerifyCtx ctx(TS_VERIFY_CTX_new());
  if (!ctx) return std::unexpected(Error{ErrorCode::kInternal, "time-stamp: " + OpensslReason()});
  TS_VERIFY_CTX_set_flags(
      ctx.get(), TS_VFY_VERSION | TS_VFY_IMPRINT | (ca_file.empty() ? 0 : TS_VFY_SIGNATURE));
  auto* copy = static_cast<unsigned char*>(OPENSSL_memdup(imprint.data(), imprint.size()));
  TS_VERIFY_CTX_set_imprint(ctx.get(), copy, static_cast<long>(imprint.size()));
  if (!ca_file.empty()) {
    if (auto r = SetStore(ctx.get(), ca_file); !r) return std::unexpected(r.error());
  }
  if (TS_RESP_verify_token(ctx.get(), pkcs7.get()) != 1) {
    return std::unexpected(Refused("the token does not verify: " + OpensslReason()));
  }
  TS_TST_INFO* info = PKCS7_to_TS_TST_INFO(pkcs7.get());
  const int64_t at = info != nullptr ? GenTimeMs(info) : 0;
  TS_TST_INFO_free(info);
  return at;
}

}  // namespace cf::ledger
