// SPDX-License-Identifier: Apache-2.0
// A blocking HTTP/1.1 client on one real connection, for the tests that
// start a Server: whole requests through Beast (Send), or raw bytes
// (WriteRaw) for a header alone, a body in pieces, or a slow client. Every
// wait has a deadline, so that a misbehaving server fails a test instead of
// hanging it.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <nlohmann/json.hpp>

#include <array>
#include <chrono>
#include <string>
#include <string_view>

namespace cf::http::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace beast_http = boost::beast::http;
using namespace std::chrono_literals;

// The bootstrap token of the servers the tests start (test_security.hpp);
// Send presents it unless the request names its own Authorization.
inline constexpr std::string_view kTestToken = "unit-test-bootstrap-token-0123456789";

struct Reply {
  unsigned status = 0;  // 0 = no answer (see `error`)
  std::string error;
  beast_http::fields headers;
  std::string body;

  std::string Header(beast_http::field name) const {
    const auto value = headers[name];
    return {value.data(), value.size()};
  }
  // Discarded (not thrown) when the body is not JSON: the test's own
  // assertions on it then fail.
  nlohmann::json Json() const { return nlohmann::json::parse(body, nullptr, false); }
};

class Client {
 public:
  explicit Client(uint16_t port) {
    boost::system::error_code ec;
    stream_.expires_after(5s);
    stream_.async_connect(asio::ip::tcp::endpoint{asio::ip::make_address("127.0.0.1"), port},
                          [&](boost::system::error_code e) { ec = e; });
    Run();
    connected_ = !ec;
  }

  bool Connected() const { return connected_; }

  Reply Send(beast_http::verb method, const std::string& target, beast_http::fields extra = {},
             unsigned version = 11) {
    beast_http::request<beast_http::empty_body> request{method, target, version};
    for (const auto& field : extra) request.set(field.name_string(), field.value());
    if (request.find(beast_http::field::authorization) == request.end()) {
      request.set(beast_http::field::authorization, "Bearer " + std::string(kTestToken));
    }
    request.set(beast_http::field::host, "127.0.0.1");
    boost::system::error_code ec;
    stream_.expires_after(5s);
    beast_http::async_write(stream_, request, [&](boost::system::error_code e, size_t) { ec = e; });
    Run();
    if (ec) return {0, "write: " + ec.message(), {}, {}};
    return Read(method == beast_http::verb::head);
  }

  bool WriteRaw(std::string_view bytes) {
    boost::system::error_code ec;
    stream_.expires_after(5s);
    asio::async_write(stream_, asio::buffer(bytes.data(), bytes.size()),
                      [&](boost::system::error_code e, size_t) { ec = e; });
    Run();
    return !ec;
  }

  Reply Read(bool head = false) {
    beast_http::response_parser<beast_http::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    parser.skip(head);
    boost::system::error_code ec;
    stream_.expires_after(5s);
    beast_http::async_read(stream_, buffer_, parser,
                           [&](boost::system::error_code e, size_t) { ec = e; });
    Run();
    if (ec) return {0, "read: " + ec.message(), {}, {}};
    auto message = parser.release();
    Reply reply;
    reply.status = message.result_int();
    reply.headers = message.base();
    reply.body = std::move(message.body());
    return reply;
  }

  // True when the server closes the connection within `limit`.
  bool ClosedWithin(std::chrono::milliseconds limit) {
    std::array<char, 1024> scratch;
    boost::system::error_code ec;
    stream_.expires_after(limit);
    for (;;) {
      stream_.async_read_some(asio::buffer(scratch),
                              [&](boost::system::error_code e, size_t) { ec = e; });
      Run();
      if (ec) break;
    }
    return ec != beast::error::timeout;
  }

 private:
  void Run() {
    io_.restart();
    io_.run();
  }

  asio::io_context io_;
  beast::tcp_stream stream_{io_};
  beast::flat_buffer buffer_;
  bool connected_ = false;
};

}  // namespace cf::http::testing
