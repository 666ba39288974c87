// SPDX-License-Identifier: Apache-2.0
// Receiving a large request body (a STOW-RS upload) into a spool file, or
// into memory within a budget (spool_file.hpp). The server reads the header as for any request, and
// when the request is an upload, hands the connection here for the body.
// Internal to cf::http.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>

#include "http/message.hpp"
#include "http/spool_file.hpp"

namespace cf::http {

struct UploadOptions {
  std::filesystem::path spool_dir;
  uint64_t max_bytes = 0;
  // Bodies of a declared length are kept in memory while this has room
  // (spool_file.hpp); null: always a spool file.
  std::shared_ptr<UploadMemory> memory;
  // Each chunk of kUploadChunkBytes must arrive within this time.
  std::chrono::seconds read_timeout{30};
};

// The body is read and written in chunks of this size. With read_timeout
// per chunk, a client must keep up an average of 256 KiB per read_timeout
// (about 9 KB/s with the default 30 s): a trickling client (slow loris) is
// cut off, a large upload over any real link is not.
inline constexpr size_t kUploadChunkBytes = 256 * 1024;
// A resident body asks the socket for up to this much per read: what has
// arrived comes in one call, straight into the body's memory.
inline constexpr size_t kResidentReadBytes = 4 << 20;

struct Upload {
  RawRequest head;                  // the request's header; its body is empty
  std::optional<SpoolFile> body;    // the whole body, when it arrived
  std::optional<Response> refusal;  // otherwise, when set: answer it, then close
  // Neither body nor refusal: the client went away or was too slow; close.
};

// Reads the body of the request whose header `parser` has just parsed
// (async_read_header) into a new spool file, and fills `upload`. Refuses
// with 413 a declared Content-Length over `max_bytes` before reading any of
// it (so that a client that sent "Expect: 100-continue" never sends it) and
// a chunked body as soon as it passes the limit; answers "100 Continue"
// when the client asks. Spool writes run on `blocking`. Consumes `parser`.
// (`upload` is an out-parameter because g++ 12 destroys an uninitialized
// temporary when a coroutine returns this type by value.)
// `Stream` is beast::tcp_stream (HTTP) or beast::ssl_stream over it (HTTPS);
// both are instantiated in upload.cpp.
template <class Stream>
boost::asio::awaitable<void> ReceiveUpload(
    Stream& stream, boost::beast::flat_buffer& buffer,
    boost::beast::http::request_parser<boost::beast::http::string_body>& parser,
    const UploadOptions& options, boost::asio::thread_pool& blocking, Upload& upload);

extern template boost::asio::awaitable<void> ReceiveUpload(
    boost::beast::tcp_stream&, boost::beast::flat_buffer&,
    boost::beast::http::request_parser<boost::beast::http::string_body>&, const UploadOptions&,
    boost::asio::thread_pool&, Upload&);
extern template boost::asio::awaitable<void> ReceiveUpload(
    boost::beast::ssl_stream<boost::beast::tcp_stream>&, boost::beast::flat_buffer&,
    boost::beast::http::request_parser<boost::beast::http::string_body>&, const UploadOptions&,
    boost::asio::thread_pool&, Upload&);

}  // namespace cf::http
