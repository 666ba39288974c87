// SPDX-License-Identifier: Apache-2.0
// TCP transport with immediate ACKs and no Nagle delay, plain or TLS (see
// transport.hpp).
#include "dimse/transport.hpp"

#include <arpa/inet.h>
#include <dcmtk/dcmnet/dcmtrans.h>
#include <dcmtk/dcmtls/tlslayer.h>
#include <dcmtk/dcmtls/tlstrans.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <string>

#include "core/log.hpp"
#include "dimse/listen_socket.hpp"

namespace cf::dimse {
namespace {

void QuickAck(DcmNativeSocketType socket) {
  const int on = 1;
  ::setsockopt(static_cast<int>(socket), IPPROTO_TCP, TCP_QUICKACK, &on, sizeof(on));
}

// SO_RCVTIMEO and SO_SNDTIMEO; zero = none.
void SetSocketTimeouts(DcmNativeSocketType socket, std::chrono::seconds timeout) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count());
  ::setsockopt(static_cast<int>(socket), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  ::setsockopt(static_cast<int>(socket), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

std::string PeerAddress(DcmNativeSocketType socket) {
  sockaddr_in address{};
  socklen_t size = sizeof(address);
  char text[INET_ADDRSTRLEN] = {};
  if (::getpeername(static_cast<int>(socket), reinterpret_cast<sockaddr*>(&address), &size) != 0 ||
      address.sin_family != AF_INET ||
      ::inet_ntop(AF_INET, &address.sin_addr, text, sizeof(text)) == nullptr) {
    return {};
  }
  return text;
}

// DCMTK's TLS connection with quick ACKs and a bounded handshake. DCMTK's
// SSL_accept blocks on the socket while our accept loop holds its mutex, so
// a client that stops half way through the handshake would stall every
// DICOM listener of the process: the socket gets receive and send timeouts
// for the handshake only.
class TlsConnection : public DcmTLSConnection {
 public:
  TlsConnection(DcmNativeSocketType socket, SSL* ssl, std::chrono::seconds handshake_timeout)
      : DcmTLSConnection(socket, ssl), ssl_(ssl), handshake_timeout_(handshake_timeout) {
    SetNoDelay(static_cast<int>(socket));
    QuickAck(socket);
  }

  OFCondition serverSideHandshake() override {
    SetSocketTimeouts(getSocket(), handshake_timeout_);
    const OFCondition cond = DcmTLSConnection::serverSideHandshake();
    SetSocketTimeouts(getSocket(), std::chrono::seconds(0));
    if (cond.bad()) {
      log::Warn("dimse.tls.handshake_failed",
                {{"peer", PeerAddress(getSocket())}, {"error", cond.text()}});
      // DCMTK now deletes this connection, whose destructor would close the
      // socket, and our accept loop closes it too (it still owns it when
      // ASC_receiveAssociation fails without an association): closing twice
      // could close a descriptor another thread has just been given.
      setSocket(DCMNET_INVALID_SOCKET);
      return cond;
    }
    // Whether the client showed a (verified) certificate; never its subject
    // or contents here (the certificate identity is a tenant matter).
    log::Info("dimse.tls.handshake", {{"peer", PeerAddress(getSocket())},
                                      {"protocol", SSL_get_version(ssl_)},
                                      {"cipher", SSL_get_cipher_name(ssl_)},
                                      {"client_certificate", getPeerCertificateLength() > 0}});
    return cond;
  }

  ssize_t read(void* buf, size_t nbyte) override {
    const ssize_t n = DcmTLSConnection::read(buf, nbyte);
    QuickAck(getSocket());
    return n;
  }

 private:
  SSL* ssl_;  // owned by DcmTLSConnection
  std::chrono::seconds handshake_timeout_;
};

class TlsTransportLayer : public DcmTLSTransportLayer {
 public:
  explicit TlsTransportLayer(std::chrono::seconds handshake_timeout)
      : DcmTLSTransportLayer(NET_ACCEPTOR, nullptr, OFTrue),
        handshake_timeout_(handshake_timeout) {}

  // Every connection is TLS, whatever DCMTK asks for: the accept loop is
  // shared with plain listeners and asks for plain connections.
  DcmTransportConnection* createConnection(DcmNativeSocketType socket,
                                           OFBool /*use_secure_layer*/) override {
    SSL_CTX* context = getNativeHandle();
    if (context == nullptr) return nullptr;
    SSL* ssl = SSL_new(context);
    if (ssl == nullptr) return nullptr;
    SSL_set_fd(ssl, static_cast<int>(socket));
    return new TlsConnection(socket, ssl, handshake_timeout_);
  }

 private:
  std::chrono::seconds handshake_timeout_;
};

class QuickAckConnection : public DcmTCPConnection {
 public:
  explicit QuickAckConnection(DcmNativeSocketType socket) : DcmTCPConnection(socket) {
    SetNoDelay(static_cast<int>(socket));
    QuickAck(socket);
  }

  ssize_t read(void* buf, size_t nbyte) override {
    const ssize_t n = DcmTCPConnection::read(buf, nbyte);
    QuickAck(getSocket());
    return n;
  }
};

}  // namespace

DcmTransportConnection* ScpTransportLayer::createConnection(DcmNativeSocketType socket,
                                                            OFBool use_secure_layer) {
  if (use_secure_layer) return nullptr;
  return new QuickAckConnection(socket);
}

Result<std::unique_ptr<DcmTransportLayer>> MakeTlsTransportLayer(
    const ScpTlsOptions& tls, std::chrono::seconds handshake_timeout) {
  auto layer = std::make_unique<TlsTransportLayer>(handshake_timeout);
  auto bad = [](std::string what, const std::filesystem::path& file, const OFCondition& cond) {
    return Fail(ErrorCode::kInvalidArgument,
                "DICOM TLS: cannot use " + what + " " + file.string() + ": " + cond.text());
  };
  if (!*layer) {
    return Fail(ErrorCode::kInternal, "DICOM TLS: cannot create the OpenSSL context");
  }
  // BCP 195 non-downgrading: TLS 1.2 minimum, ECDHE + AEAD suites only.
  if (OFCondition cond = layer->setTLSProfile(TSP_Profile_BCP195_ND); cond.bad()) {
    return Fail(ErrorCode::kInternal, std::string("DICOM TLS profile: ") + cond.text());
  }
  if (OFCondition cond = layer->activateCipherSuites(); cond.bad()) {
    return Fail(ErrorCode::kInternal, std::string("DICOM TLS cipher suites: ") + cond.text());
  }
  if (OFCondition cond = layer->setPrivateKeyFile(tls.private_key.c_str(), DCF_Filetype_PEM);
      cond.bad()) {
    return bad("private key", tls.private_key, cond);
  }
  if (OFCondition cond = layer->setCertificateFile(tls.certificate.c_str(), DCF_Filetype_PEM);
      cond.bad()) {
    return bad("certificate", tls.certificate, cond);
  }
  if (!layer->checkPrivateKeyMatchesCertificate()) {
    return Fail(ErrorCode::kInvalidArgument, "DICOM TLS: private key " + tls.private_key.string() +
                                                 " does not match certificate " +
                                                 tls.certificate.string());
  }
  if (!tls.ca_certificates.empty()) {
    if (OFCondition cond =
            layer->addTrustedCertificateFile(tls.ca_certificates.c_str(), DCF_Filetype_PEM);
        cond.bad()) {
      return bad("CA certificates", tls.ca_certificates, cond);
    }
    layer->setCertificateVerification(tls.require_client_certificate ? DCV_requireCertificate
                                                                     : DCV_checkCertificate);
  } else if (tls.require_client_certificate) {
    return Fail(ErrorCode::kInvalidArgument,
                "DICOM TLS: requiring client certificates needs a CA bundle to verify them");
  } else {
    layer->setCertificateVerification(DCV_ignoreCertificate);
  }
  // Renegotiation is never useful to a DICOM server and a known DoS vector.
  SSL_CTX_set_options(layer->getNativeHandle(), SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION |
                                                    SSL_OP_CIPHER_SERVER_PREFERENCE);
  return std::unique_ptr<DcmTransportLayer>(std::move(layer));
}

}  // namespace cf::dimse
