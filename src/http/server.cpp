// SPDX-License-Identifier: Apache-2.0
// Listener and sessions. One io_context runs on `io_threads` threads; the
// listener and every connection are coroutines, each on its own strand, so a
// session's state is touched by one thread at a time without locks. Every
// read has a deadline (tcp_stream timeouts close the socket), header and
// body sizes are capped by the parser, and anything that blocks goes through
// RunBlocking to the bounded blocking pool.
//
// HTTPS: the same session code, instantiated for beast::ssl_stream over the
// tcp_stream (ServeTls, then Serve<TlsStream>); the handshake runs under
// read_timeout like a request, and the plain-HTTP instantiation has no TLS
// code at all.
//
// Graceful stop: close the listener, cancel connections that sit idle between
// requests, let requests already being handled finish (bounded by
// shutdown_grace), then stop the io_context and join every thread. The
// mutex-guarded registry of connections exists only for that.
#include "http/server.hpp"

#include <openssl/ssl.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/chunk_encode.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/vector_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <future>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "core/log.hpp"
#include "http/api_routes.hpp"
#include "http/blocking.hpp"
#include "http/client_limits.hpp"
#include "http/fhir_outcome.hpp"
#include "http/problem.hpp"
#include "http/qido_routes.hpp"
#include "http/rendered_routes.hpp"
#include "http/response.hpp"
#include "http/router.hpp"
#include "http/routes.hpp"
#include "http/spool_file.hpp"
#include "http/static_files.hpp"
#include "http/stow_routes.hpp"
#include "http/upload.hpp"
#include "http/wado_routes.hpp"

namespace cf::http {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace beast_http = boost::beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

namespace {

template <class Stream>
constexpr bool kIsTls = std::is_same_v<Stream, TlsStream>;

// TLS 1.2 suites: ECDHE key exchange with AEAD ciphers only (forward secrecy,
// no CBC, no RSA key exchange). TLS 1.3 keeps OpenSSL's defaults, all AEAD.
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
constexpr const char* kHsts = "max-age=31536000";

// The server's TLS context; kInvalidArgument naming the file it cannot use.
Result<void> ConfigureTls(asio::ssl::context& context, const ServerOptions& options) {
  SSL_CTX* native = context.native_handle();
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  SSL_CTX_set_options(
      native, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  if (SSL_CTX_set_cipher_list(native, kTls12Ciphers) != 1) {
    return Fail(ErrorCode::kInternal, "HTTPS: OpenSSL knows none of the cipher suites");
  }
  error_code ec;
  context.use_certificate_chain_file(options.tls_certificate.string(), ec);
  if (ec) {
    return Fail(
        ErrorCode::kInvalidArgument,
        "HTTPS: cannot use certificate " + options.tls_certificate.string() + ": " + ec.message());
  }
  context.use_private_key_file(options.tls_private_key.string(), asio::ssl::context::pem, ec);
  if (ec) {
    return Fail(
        ErrorCode::kInvalidArgument,
        "HTTPS: cannot use private key " + options.tls_private_key.string() + ": " + ec.message());
  }
  if (SSL_CTX_check_private_key(native) != 1) {
    return Fail(ErrorCode::kInvalidArgument,
                "HTTPS: private key " + options.tls_private_key.string() +
                    " does not match certificate " + options.tls_certificate.string());
  }
  return {};
}

void OnSessionEnd(std::exception_ptr failure) {
  if (!failure) return;
  try {
    std::rethrow_exception(failure);
  } catch (const std::exception& e) {
    log::Error("http.session_failed", {{"what", e.what()}});
  } catch (...) {
    log::Error("http.session_failed", {{"what", "unknown exception"}});
  }
}

constexpr size_t kFirstReadBytes = 4096;
// Upload memory left unused this long goes back to the system, checked this
// often: a client's next upload follows its last within well under a
// second, and an idle server holds no upload memory.
constexpr std::chrono::seconds kUploadMemoryIdle{2};
constexpr std::chrono::seconds kUploadMemoryTrimEvery{1};
// Below this rate a client downloading an answer is considered gone.
constexpr uint64_t kMinSendBytesPerSecond = 64 * 1024;
// After an error answer, how long and how much we read and discard so that
// the client sees our answer rather than a reset.
constexpr std::chrono::milliseconds kDrainTime{1000};
// Shorter for a connection refused for a limit: such connections are not
// counted, so their cost must stay small however fast they come.
constexpr std::chrono::milliseconds kRefusalDrainTime{250};
constexpr size_t kDrainBytes = 1 << 20;

auto Redirect(error_code& ec) { return asio::redirect_error(asio::use_awaitable, ec); }

// What to answer when reading a request failed; nullopt = just close.
std::optional<Response> ProblemForReadError(const error_code& ec, const ServerOptions& options) {
  if (ec == beast_http::error::header_limit) {
    return ProblemResponse(
        431, "about:blank", "Request Header Fields Too Large",
        "request header exceeds " + std::to_string(options.max_header_bytes) + " bytes");
  }
  if (ec == beast_http::error::body_limit) {
    return ErrorResponse(
        {ErrorCode::kTooLarge,
         "request body exceeds " + std::to_string(options.max_body_bytes) + " bytes"});
  }
  if (ec == beast_http::error::end_of_stream || ec == beast_http::error::partial_message) {
    return std::nullopt;  // the client went away
  }
  if (ec.category() == beast_http::make_error_code(beast_http::error::bad_target).category()) {
    return ErrorResponse({ErrorCode::kInvalidArgument, "malformed HTTP request"});
  }
  return std::nullopt;  // timeout, reset, cancelled by Stop
}

// A FHIR endpoint answers an OperationOutcome even when the request is
// refused before it is routed (rate and size limits).
Response ForTarget(const RawRequest& request, Response response) {
  const auto target = request.target();
  if (!IsFhirTarget({target.data(), target.size()})) return response;
  return ToOperationOutcome(std::move(response));
}

// The answer to a CORS preflight (OPTIONS with Access-Control-Request-*):
// every method we route, and whatever request headers the browser names
// (Accept with DICOM parameters is not a "simple" header).
Response CorsPreflight(const RawRequest& request) {
  Response response;
  response.status = 204;
  response.SetHeader("Access-Control-Allow-Methods", "GET, HEAD, POST, OPTIONS");
  const auto wanted = request[beast_http::field::access_control_request_headers];
  if (!wanted.empty()) {
    response.SetHeader("Access-Control-Allow-Headers", std::string(wanted.data(), wanted.size()));
  }
  response.SetHeader("Access-Control-Max-Age", "600");
  return response;
}

// 429 with Retry-After, as for logins: what a client over one of its
// limits gets, naming which.
Response TooManyRequests(std::string what, std::chrono::seconds retry_after) {
  return ErrorResponse(RetryLater(std::move(what), retry_after.count()));
}

std::chrono::seconds SendDeadline(const ServerOptions& options, size_t body_size) {
  return options.read_timeout + std::chrono::seconds(body_size / kMinSendBytesPerSecond);
}

}  // namespace

struct Server::Impl {
  Impl(ServerOptions server_options, archive::Archive& server_archive,
       access::Access& server_access, audit::AuditLog* server_audit)
      : options(std::move(server_options)),
        archive(server_archive),
        access(server_access),
        audit(server_audit) {}

  struct Connection {
    asio::any_io_executor executor;
    beast::tcp_stream* stream = nullptr;
    bool idle = false;
  };

  // Holds one admitted connection's place in the client limits.
  class ConnectionSlot {
   public:
    ConnectionSlot(ClientLimits& limits, const asio::ip::address& address)
        : limits_(limits), address_(address) {}
    ~ConnectionSlot() { limits_.CloseConnection(address_); }
    ConnectionSlot(const ConnectionSlot&) = delete;
    ConnectionSlot& operator=(const ConnectionSlot&) = delete;

   private:
    ClientLimits& limits_;
    const asio::ip::address address_;
  };

  // Registers a connection for Stop() and unregisters it when the session ends.
  class Registration {
   public:
    Registration(Impl& impl, beast::tcp_stream& stream) : impl_(impl) {
      std::lock_guard lock(impl_.mutex);
      id_ = impl_.next_connection_id++;
      impl_.connections[id_] = {stream.get_executor(), &stream, false};
    }
    ~Registration() {
      std::lock_guard lock(impl_.mutex);
      impl_.connections.erase(id_);
    }
    Registration(const Registration&) = delete;
    Registration& operator=(const Registration&) = delete;

    // Marks the connection idle (waiting for a request) or busy. Returns
    // false when the server is stopping and an idle connection should close.
    bool SetIdle(bool idle) {
      std::lock_guard lock(impl_.mutex);
      impl_.connections[id_].idle = idle;
      return !(idle && impl_.stopping.load());
    }

   private:
    Impl& impl_;
    uint64_t id_ = 0;
  };

  // Counts a request from the end of its reading to the end of its answer.
  class InFlight {
   public:
    explicit InFlight(Impl& impl) : impl_(impl) {
      std::lock_guard lock(impl_.mutex);
      ++impl_.in_flight;
    }
    ~InFlight() {
      std::lock_guard lock(impl_.mutex);
      if (--impl_.in_flight == 0) impl_.drained.notify_all();
    }
    InFlight(const InFlight&) = delete;
    InFlight& operator=(const InFlight&) = delete;

   private:
    Impl& impl_;
  };

  // The session coroutines exist for Stream = beast::tcp_stream (HTTP) and
  // TlsStream (HTTPS).
  asio::awaitable<void> Accept();
  asio::awaitable<void> ServePlain(tcp::socket socket);
  asio::awaitable<void> ServeTls(tcp::socket socket);
  template <class Stream>
  asio::awaitable<void> Serve(Stream& stream);
  template <class Stream>
  asio::awaitable<void> Send(Stream& stream, unsigned version, bool head, bool keep_alive,
                             Response response, error_code& ec);
  template <class Stream>
  asio::awaitable<void> SendStream(Stream& stream, beast_http::response_header<> header, bool head,
                                   bool keep_alive, BodySource& source, error_code& ec);
  template <class Stream>
  asio::awaitable<void> Drain(Stream& stream, std::chrono::milliseconds time = kDrainTime);
  void CancelIfIdle(uint64_t id);
  // A warning for a refused client, at most once a second: an attack must
  // not turn into a flood of log lines.
  void LogLimited(std::string_view what, const std::string& peer);
  // Gives back the memory of upload bodies once uploads have stopped
  // (UploadMemory keeps it for the next body meanwhile).
  asio::awaitable<void> TrimUploadMemory();
  void RunIo();
  void Teardown();

  const ServerOptions options;
  archive::Archive& archive;
  access::Access& access;
  audit::AuditLog* audit;
  Router router;
  UploadOptions upload_options;  // spool folder: options.spool_dir or the system's temporary one

  std::mutex lifecycle_mutex;  // serializes Start and Stop
  enum class State { kNew, kRunning, kStopped } state = State::kNew;
  std::atomic<uint16_t> port{0};
  std::atomic<bool> stopping{false};
  std::unique_ptr<ClientLimits> limits;  // set by Start
  std::atomic<int64_t> last_limit_log_s{0};
  std::atomic<uint64_t> limited_since_log{0};

  std::mutex mutex;  // guards the members below
  std::condition_variable drained;
  int in_flight = 0;
  uint64_t next_connection_id = 0;
  std::map<uint64_t, Connection> connections;

  // Declared in construction order; Teardown() destroys them in reverse.
  std::optional<asio::ssl::context> tls;  // set: HTTPS only
  std::optional<asio::thread_pool> blocking;
  std::optional<StaticFiles> web;  // the web apps' files, when web_root is set
  std::optional<ApiContext> api;
  std::optional<asio::io_context> io;
  std::optional<tcp::acceptor> acceptor;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::vector<std::thread> threads;
};

asio::awaitable<void> Server::Impl::TrimUploadMemory() {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  while (!stopping.load()) {
    timer.expires_after(kUploadMemoryTrimEvery);
    error_code ec;
    co_await timer.async_wait(Redirect(ec));
    if (ec) co_return;
    upload_options.memory->TrimIdle(kUploadMemoryIdle);
  }
}

asio::awaitable<void> Server::Impl::Accept() {
  for (;;) {
    error_code ec;
    tcp::socket socket = co_await acceptor->async_accept(asio::make_strand(*io), Redirect(ec));
    if (ec) {
      if (stopping.load() || ec == asio::error::operation_aborted) co_return;
      // Typically out of file descriptors: back off rather than spin.
      log::Warn("http.accept_failed", {{"error", ec.message()}});
      asio::steady_timer pause(co_await asio::this_coro::executor, std::chrono::milliseconds(100));
      co_await pause.async_wait(Redirect(ec));
      continue;
    }
    socket.set_option(tcp::no_delay(true), ec);
    const auto executor = socket.get_executor();
    if (tls) {
      asio::co_spawn(executor, ServeTls(std::move(socket)), OnSessionEnd);
    } else {
      asio::co_spawn(executor, ServePlain(std::move(socket)), OnSessionEnd);
    }
  }
}

// Each entry point constructs its stream in place and hands it to the one
// Serve template, so that plain and TLS connections share every line of
// request handling.
asio::awaitable<void> Server::Impl::ServePlain(tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  co_await Serve(stream);
}

asio::awaitable<void> Server::Impl::ServeTls(tcp::socket socket) {
  TlsStream stream(std::move(socket), *tls);
  co_await Serve(stream);
}

template <class Stream>
asio::awaitable<void> Server::Impl::Serve(Stream& stream) {
  beast::tcp_stream& tcp_stream = beast::get_lowest_layer(stream);
  Registration registration(*this, tcp_stream);
  error_code peer_ec;
  const auto remote = tcp_stream.socket().remote_endpoint(peer_ec);
  const std::string peer = peer_ec ? std::string() : remote.address().to_string();
  beast::flat_buffer buffer;
  error_code ec;
  bool first = true;
  // Connection limits first: a client over them costs one short answer (on
  // HTTPS not even a handshake), and its connection closes.
  // (Function-scope locals only: see the g++ 12 note below.)
  const auto admission =
      peer_ec ? ClientLimits::Admission::kAdmitted : limits->OpenConnection(remote.address());
  std::optional<ConnectionSlot> slot;
  std::optional<Response> refusal;
  if (admission == ClientLimits::Admission::kAdmitted) {
    if (!peer_ec) slot.emplace(*limits, remote.address());
  } else if (admission == ClientLimits::Admission::kServerFull) {
    LogLimited("connections", peer);
    refusal = ErrorResponse({ErrorCode::kStorageUnavailable, "too many connections; retry later"});
    refusal->SetHeader("Retry-After", "1");
  } else {
    LogLimited("connections_per_client", peer);
    refusal = TooManyRequests("too many connections from this address", std::chrono::seconds(1));
  }
  if (refusal) {
    if constexpr (!kIsTls<Stream>) {
      co_await Send(stream, 11, false, false, std::move(*refusal), ec);
      if (!ec) co_await Drain(stream, kRefusalDrainTime);
    }
    co_return;
  }
  if constexpr (kIsTls<Stream>) {
    // Under the same deadline as a request; Stop() may cancel it.
    if (!registration.SetIdle(true)) co_return;
    tcp_stream.expires_after(options.read_timeout);
    co_await stream.async_handshake(asio::ssl::stream_base::server, Redirect(ec));
    registration.SetIdle(false);
    if (ec) {
      log::Debug("http.tls_handshake_failed", {{"peer", peer}, {"error", ec.message()}});
      co_return;
    }
  }
  for (;;) {
    // Wait for the first bytes of the next request under the idle deadline;
    // Stop() may cancel this wait.
    if (buffer.size() == 0) {
      if (!registration.SetIdle(true)) break;
      tcp_stream.expires_after(first ? options.read_timeout : options.idle_timeout);
      const size_t received =
          co_await stream.async_read_some(buffer.prepare(kFirstReadBytes), Redirect(ec));
      registration.SetIdle(false);
      if (ec) break;
      buffer.commit(received);
    }
    first = false;

    beast_http::request_parser<beast_http::string_body> parser;
    parser.header_limit(static_cast<uint32_t>(
        std::min<size_t>(options.max_header_bytes, std::numeric_limits<uint32_t>::max())));
    // Which body limit applies depends on the header (an upload's or the
    // usual one): it is set once the header is read.
    parser.body_limit(boost::none);
    tcp_stream.expires_after(options.read_timeout);
    co_await beast_http::async_read_header(stream, buffer, parser, Redirect(ec));
    // The request rate is checked on the header, before a byte of the body
    // is read or spooled; the connection then closes.
    const std::chrono::seconds retry_after =
        ec || peer_ec ? std::chrono::seconds(0) : limits->TakeRequest(remote.address());
    if (retry_after.count() > 0) {
      LogLimited("requests_per_client", peer);
      refusal = ForTarget(parser.get(),
                          TooManyRequests("too many requests from this address", retry_after));
      co_await Send(stream, 11, false, false, std::move(*refusal), ec);
      if (!ec) co_await Drain(stream);
      break;
    }
    // A STOW-RS upload goes to a spool file, never into memory; every other
    // body is read whole, under the same deadline as its header.
    // (No locals of class type in the branches below: g++ 12 miscompiles
    // some of them across co_await.)
    bool spooled = false;
    Upload upload;
    if (!ec && IsStowRequest(parser.get())) {
      spooled = true;
      // Credentials first: an anonymous or unauthorized client never gets
      // to fill the spool folder.
      upload.refusal = co_await router.Admit(parser.get(), peer);
      if (!upload.refusal) upload.refusal = CheckStowHeader(parser.get());
      if (!upload.refusal) {
        co_await ReceiveUpload(stream, buffer, parser, upload_options, *blocking, upload);
      }
      if (!upload.body) {
        if (upload.refusal) {
          co_await Send(stream, 11, false, false, std::move(*upload.refusal), ec);
          if (!ec) co_await Drain(stream);
        }
        break;
      }
    } else if (!ec) {
      if (parser.content_length().value_or(0) > options.max_body_bytes) {
        ec = beast_http::error::body_limit;
      } else {
        parser.body_limit(static_cast<uint64_t>(options.max_body_bytes));
        co_await beast_http::async_read(stream, buffer, parser, Redirect(ec));
      }
    }
    if (ec) {
      if (auto problem = ProblemForReadError(ec, options)) {
        *problem = ForTarget(parser.get(), std::move(*problem));
        co_await Send(stream, 11, false, false, std::move(*problem), ec);
        if (!ec) co_await Drain(stream);
      }
      break;
    }

    if constexpr (kIsTls<Stream>) {
      // This listener terminates TLS itself: absolute URLs it builds
      // (ServiceRoot, STOW-RS RetrieveURL) are https, whatever was sent.
      if (spooled) {
        upload.head.set("X-Forwarded-Proto", "https");
      } else {
        parser.get().set("X-Forwarded-Proto", "https");
      }
    }
    const RawRequest& request = spooled ? upload.head : parser.get();
    const SpoolFile* body_file = spooled ? &*upload.body : nullptr;
    const auto started = std::chrono::steady_clock::now();
    bool keep_alive = request.keep_alive();
    {
      InFlight counted(*this);
      // Not a conditional expression: g++ 12 miscompiles co_await inside ?:.
      Response response;
      if (stopping.load()) {
        response = ErrorResponse({ErrorCode::kStorageUnavailable, "server is stopping"});
      } else if (request.method() == beast_http::verb::options &&
                 !options.cors_allow_origin.empty()) {
        response = CorsPreflight(request);
      } else {
        response = co_await router.Dispatch(request, peer, body_file);
      }
      keep_alive = keep_alive && !stopping.load();
      // Without chunked encoding (HTTP/1.0) a streamed body ends with the connection.
      if (response.stream && request.version() < 11) keep_alive = false;
      const unsigned status = response.status;
      co_await Send(stream, request.version(), request.method() == beast_http::verb::head,
                    keep_alive, std::move(response), ec);
      if (log::Enabled(log::Level::kDebug)) {
        const auto elapsed = std::chrono::steady_clock::now() - started;
        const auto method = request.method_string();
        log::Debug(
            "http.request",
            {{"method", std::string_view(method.data(), method.size())},
             {"status", status},
             {"ms", std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count()}});
      }
    }
    if (ec || !keep_alive) break;
  }
  if constexpr (kIsTls<Stream>) {
    // close_notify, so that a body ended by the close is known complete;
    // a peer that does not answer gets kDrainTime.
    tcp_stream.expires_after(kDrainTime);
    co_await stream.async_shutdown(Redirect(ec));
  }
  tcp_stream.socket().shutdown(tcp::socket::shutdown_send, ec);
}

template <class Stream>
asio::awaitable<void> Server::Impl::Send(Stream& stream, unsigned version, bool head,
                                         bool keep_alive, Response response, error_code& ec) {
  beast_http::response<beast_http::vector_body<std::byte>> message{
      static_cast<beast_http::status>(response.status), version};
  if (!response.content_type.empty()) {
    if (IsSafeHeader("Content-Type", response.content_type)) {
      message.set(beast_http::field::content_type, response.content_type);
    } else {
      log::Error("http.header_dropped", {{"header", "Content-Type"}});
    }
  }
  // insert, not set: Set-Cookie may come more than once. A value with a
  // line break would let whoever chose it write headers of their own.
  for (const auto& [name, value] : response.headers) {
    if (IsSafeHeader(name, value)) {
      message.insert(name, value);
    } else {
      log::Error("http.header_dropped",
                 {{"header", IsSafeHeader(name, "") ? std::string_view(name) : "(invalid name)"}});
    }
  }
  message.set("X-Content-Type-Options", "nosniff");
  if constexpr (kIsTls<Stream>) message.set(beast_http::field::strict_transport_security, kHsts);
  if (!options.cors_allow_origin.empty()) {
    message.set(beast_http::field::access_control_allow_origin, options.cors_allow_origin);
    message.set(beast_http::field::access_control_expose_headers,
                "ETag, Content-Encoding, Content-Location, Location");
  }
  message.keep_alive(keep_alive);
  if (response.stream) {
    co_await SendStream(stream, std::move(message.base()), head, keep_alive, *response.stream, ec);
    co_return;
  }
  const size_t size = response.body.size();
  beast::get_lowest_layer(stream).expires_after(SendDeadline(options, size));
  if (head) {
    // Same header as GET, Content-Length included, no body.
    beast_http::response<beast_http::empty_body> header_only{std::move(message.base())};
    header_only.content_length(size);
    co_await beast_http::async_write(stream, header_only, Redirect(ec));
    co_return;
  }
  message.body() = std::move(response.body);
  message.prepare_payload();
  co_await beast_http::async_write(stream, message, Redirect(ec));
}

template <class Stream>
asio::awaitable<void> Server::Impl::SendStream(Stream& stream, beast_http::response_header<> header,
                                               bool head, bool keep_alive, BodySource& source,
                                               error_code& ec) {
  // The first piece is read before the header goes out, so that an object
  // that cannot be read at all still gets a proper error answer. A piece
  // that is ready is taken here; one that may block (a read) on the
  // blocking pool.
  // (Locals at function scope only: see the g++ 12 note in Serve.)
  Result<std::vector<Bytes>> piece{std::vector<Bytes>{}};
  if (source.Ready()) {
    piece = source.NextBuffers();
  } else {
    piece = co_await RunBlocking(*blocking, [&source] { return source.NextBuffers(); });
  }
  std::optional<Response> problem;
  if (!piece) problem = ErrorResponse(piece.error());
  if (problem) {
    co_await Send(stream, header.version(), head, keep_alive, std::move(*problem), ec);
    co_return;
  }
  const bool chunked = header.version() >= 11;
  beast_http::response<beast_http::empty_body> message{std::move(header)};
  if (chunked) message.chunked(true);
  beast_http::response_serializer<beast_http::empty_body> serializer{message};
  beast::get_lowest_layer(stream).expires_after(options.read_timeout);
  co_await beast_http::async_write_header(stream, serializer, Redirect(ec));
  uint64_t sent = 0;
  if (ec) {
    co_await RunBlocking(*blocking, [&source] {
      source.Cut("the client went away", 0);
      return 0;
    });
    co_return;
  }
  if (head) co_return;
  std::vector<asio::const_buffer> buffers;
  size_t size = 0;
  for (;;) {
    buffers.clear();
    size = 0;
    for (const Bytes& b : *piece) {
      if (b.empty()) continue;
      buffers.push_back(asio::buffer(b));
      size += b.size();
    }
    if (size == 0) break;
    // One chunk, one gather write: a part's header and bytes go together.
    beast::get_lowest_layer(stream).expires_after(SendDeadline(options, size));
    if (chunked) {
      co_await asio::async_write(stream, beast_http::make_chunk(buffers), Redirect(ec));
    } else {
      co_await asio::async_write(stream, buffers, Redirect(ec));
    }
    if (ec) {
      co_await RunBlocking(*blocking, [&source, sent] {
        source.Cut("the client went away", sent);
        return 0;
      });
      co_return;
    }
    sent += size;
    source.Recycle(std::move(*piece));
    if (source.Ready()) {
      piece = source.NextBuffers();
    } else {
      piece = co_await RunBlocking(*blocking, [&source] { return source.NextBuffers(); });
    }
    if (!piece) {
      // Too late for a status: cut the connection so the body is visibly incomplete.
      log::Warn("http.stream_failed", {{"error", piece.error().message}});
      co_await RunBlocking(*blocking, [&source, &piece, sent] {
        source.Cut(piece.error().message, sent);
        return 0;
      });
      ec = asio::error::connection_aborted;
      co_return;
    }
  }
  if (chunked) {
    beast::get_lowest_layer(stream).expires_after(options.read_timeout);
    co_await asio::async_write(stream, beast_http::make_chunk_last(), Redirect(ec));
    if (ec) {
      co_await RunBlocking(*blocking, [&source, sent] {
        source.Cut("the client went away", sent);
        return 0;
      });
    }
  }
}

template <class Stream>
asio::awaitable<void> Server::Impl::Drain(Stream& stream, std::chrono::milliseconds time) {
  error_code ec;
  beast::get_lowest_layer(stream).socket().shutdown(tcp::socket::shutdown_send, ec);
  beast::get_lowest_layer(stream).expires_after(time);
  std::array<char, 16 * 1024> discard;
  size_t total = 0;
  while (total < kDrainBytes) {
    total += co_await stream.async_read_some(asio::buffer(discard), Redirect(ec));
    if (ec) break;
  }
}

void Server::Impl::LogLimited(std::string_view what, const std::string& peer) {
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::steady_clock::now().time_since_epoch())
                          .count();
  ++limited_since_log;
  int64_t last = last_limit_log_s.load();
  if (now <= last || !last_limit_log_s.compare_exchange_strong(last, now)) return;
  // Refusals since the previous line, this one included. The client's
  // address is no patient data; it is what an operator would block.
  log::Warn("http.client_limited",
            {{"limit", what}, {"peer", peer}, {"refused", limited_since_log.exchange(0)}});
}

void Server::Impl::CancelIfIdle(uint64_t id) {
  // Runs on the connection's strand, so the stream cannot be in use.
  std::lock_guard lock(mutex);
  const auto it = connections.find(id);
  if (it == connections.end() || !it->second.idle) return;
  it->second.stream->cancel();
}

void Server::Impl::RunIo() {
  for (;;) {
    try {
      io->run();
      return;
    } catch (const std::exception& e) {
      log::Error("http.io_exception", {{"what", e.what()}});
    }
  }
}

void Server::Impl::Teardown() {
  work.reset();
  if (io) io->stop();
  for (auto& thread : threads) thread.join();
  threads.clear();
  if (blocking) blocking->join();
  // Destroying the io_context destroys the suspended session coroutines;
  // their guards touch `mutex` and `connections`, which are still alive.
  acceptor.reset();
  io.reset();
  api.reset();
  blocking.reset();
}

Server::Server(ServerOptions options, archive::Archive& archive, access::Access& access,
               audit::AuditLog* audit)
    : impl_(std::make_unique<Impl>(std::move(options), archive, access, audit)) {}

Server::~Server() { Stop(); }

Result<void> CheckClientNetworks(const std::vector<std::string>& networks) {
  ClientLimitOptions options;
  options.exempt = networks;
  auto limits = ClientLimits::Create(std::move(options));
  if (!limits) return std::unexpected(limits.error());
  return {};
}

uint16_t Server::Port() const { return impl_->port.load(); }

Result<void> Server::Start() {
  Impl& impl = *impl_;
  std::lock_guard lifecycle(impl.lifecycle_mutex);
  if (impl.state != Impl::State::kNew) return Fail(ErrorCode::kConflict, "server already started");
  const ServerOptions& options = impl.options;
  if (options.io_threads < 1 || options.blocking_threads < 1) {
    return Fail(ErrorCode::kInvalidArgument, "io_threads and blocking_threads must be >= 1");
  }
  if (options.max_header_bytes == 0 || options.read_timeout.count() <= 0 ||
      options.idle_timeout.count() <= 0) {
    return Fail(ErrorCode::kInvalidArgument, "header limit and timeouts must be positive");
  }
  if (options.max_upload_bytes == 0) {
    return Fail(ErrorCode::kInvalidArgument, "max_upload_bytes must be positive");
  }
  auto limits = ClientLimits::Create({options.max_connections, options.max_connections_per_client,
                                      options.requests_per_second, options.request_burst,
                                      options.limit_exempt});
  if (!limits) return std::unexpected(limits.error());
  impl.limits = std::move(*limits);
  std::error_code fs_ec;
  std::filesystem::path spool_dir =
      options.spool_dir.empty() ? std::filesystem::temp_directory_path(fs_ec) : options.spool_dir;
  if (!fs_ec) std::filesystem::create_directories(spool_dir, fs_ec);
  if (fs_ec) {
    return Fail(ErrorCode::kStorageUnavailable,
                "cannot create spool folder " + spool_dir.string() + ": " + fs_ec.message());
  }
  if (auto probe = SpoolFile::Create(spool_dir); !probe) return std::unexpected(probe.error());
  impl.upload_options.spool_dir = std::move(spool_dir);
  impl.upload_options.max_bytes = options.max_upload_bytes;
  impl.upload_options.read_timeout = options.read_timeout;
  if (options.upload_memory_bytes > 0) {
    impl.upload_options.memory = std::make_shared<UploadMemory>(options.upload_memory_bytes,
                                                                options.upload_memory_bytes / 4);
  }

  error_code ec;
  const auto address = asio::ip::make_address(options.bind, ec);
  if (ec) return Fail(ErrorCode::kInvalidArgument, "invalid bind address '" + options.bind + "'");

  if (options.tls_certificate.empty() != options.tls_private_key.empty()) {
    return Fail(ErrorCode::kInvalidArgument,
                "HTTPS needs both a certificate and a private key, or neither");
  }
  if (!options.tls_certificate.empty()) {
    impl.tls.emplace(asio::ssl::context::tls_server);
    if (auto configured = ConfigureTls(*impl.tls, options); !configured) {
      impl.tls.reset();
      return configured;
    }
  }

  impl.io.emplace(options.io_threads);
  impl.acceptor.emplace(asio::make_strand(*impl.io));
  const tcp::endpoint endpoint{address, options.port};
  const auto failed = [&](std::string_view step) {
    const ErrorCode code = ec == asio::error::address_in_use  ? ErrorCode::kConflict
                           : ec == asio::error::access_denied ? ErrorCode::kPermissionDenied
                                                              : ErrorCode::kInvalidArgument;
    std::string message = "cannot ";
    message.append(step);
    message.append(" " + options.bind + ":" + std::to_string(options.port) + ": " + ec.message());
    impl.Teardown();
    return Fail(code, std::move(message));
  };
  impl.acceptor->open(endpoint.protocol(), ec);
  if (ec) return failed("open");
  impl.acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  impl.acceptor->bind(endpoint, ec);
  if (ec) return failed("bind");
  impl.acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return failed("listen on");
  impl.port = impl.acceptor->local_endpoint(ec).port();

  impl.blocking.emplace(static_cast<size_t>(options.blocking_threads));
  impl.web.emplace(options.web_root);
  impl.api.emplace(
      ApiContext{impl.archive, *impl.blocking, &impl.access, impl.audit, impl.options.reports,
                 impl.options.films, impl.options.issuer, impl.options.printer, impl.options.visits,
                 impl.options.public_base_url, impl.options.outbox, impl.options.packager,
                 &*impl.web, &impl.options.site, impl.options.prints, impl.options.hospital_name,
                 impl.options.dicom_nodes, impl.options.dicom_echo});
  impl.router.Secure(impl.access, impl.audit, *impl.blocking);
  AddAllRoutes(impl.router, *impl.api);

  impl.work.emplace(impl.io->get_executor());
  asio::co_spawn(impl.acceptor->get_executor(), impl.Accept(), [](std::exception_ptr failure) {
    if (failure) log::Error("http.accept_loop_failed");
  });
  if (impl.upload_options.memory) {
    asio::co_spawn(impl.acceptor->get_executor(), impl.TrimUploadMemory(),
                   [](std::exception_ptr failure) {
                     if (failure) log::Error("http.upload_memory_trim_failed");
                   });
  }
  for (int i = 0; i < options.io_threads; ++i) impl.threads.emplace_back([&impl] { impl.RunIo(); });
  impl.state = Impl::State::kRunning;
  log::Info("http.listening",
            {{"address", options.bind}, {"port", impl.port.load()}, {"tls", impl.tls.has_value()}});
  return {};
}

void Server::Stop() {
  Impl& impl = *impl_;
  std::lock_guard lifecycle(impl.lifecycle_mutex);
  if (impl.state != Impl::State::kRunning) {
    impl.state = Impl::State::kStopped;
    return;
  }
  impl.state = Impl::State::kStopped;
  impl.stopping = true;

  // Stop accepting, on the listener's strand.
  std::promise<void> closed;
  asio::post(impl.acceptor->get_executor(), [&impl, &closed] {
    error_code ec;
    impl.acceptor->close(ec);
    closed.set_value();
  });
  closed.get_future().wait();

  {
    std::unique_lock lock(impl.mutex);
    for (const auto& [id, connection] : impl.connections) {
      if (connection.idle) {
        asio::post(connection.executor, [&impl, idle_id = id] { impl.CancelIfIdle(idle_id); });
      }
    }
    if (!impl.drained.wait_for(lock, impl.options.shutdown_grace,
                               [&impl] { return impl.in_flight == 0; })) {
      log::Warn("http.stop_abandoned_requests", {{"requests", impl.in_flight}});
    }
  }
  impl.Teardown();
  log::Info("http.stopped");
}

}  // namespace cf::http
