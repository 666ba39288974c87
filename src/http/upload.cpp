// SPDX-License-Identifier: Apache-2.0
// The body parser takes over from the header parser (Beast's body-type
// conversion) with a buffer_body over fixed chunks. A resident body
// (UploadMemory had room for its Content-Length) is read straight into its
// memory. Otherwise memory per upload is two chunks whatever the body's
// size: each chunk is written on the blocking pool, while the next one is
// read, so that a disk under write-back pressure does not stall the I/O
// threads that serve every other connection.
#include "http/upload.hpp"

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include <cstring>
#include <string>
#include <vector>

#include "core/log.hpp"
#include "http/blocking.hpp"
#include "http/problem.hpp"

namespace cf::http {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace beast_http = boost::beast::http;
using boost::system::error_code;

using namespace boost::asio::experimental::awaitable_operators;

namespace {

auto Redirect(error_code& ec) { return asio::redirect_error(asio::use_awaitable, ec); }

Response TooLarge(uint64_t max_bytes) {
  return ErrorResponse({ErrorCode::kTooLarge, "upload exceeds " + std::to_string(max_bytes) +
                                                  " bytes (max_upload_bytes)"});
}

bool WantsContinue(const RawRequest& head) {
  const auto expect = head[beast_http::field::expect];
  return beast::iequals(expect, "100-continue");
}

}  // namespace

template <class Stream>
asio::awaitable<void> ReceiveUpload(Stream& stream, beast::flat_buffer& buffer,
                                    beast_http::request_parser<beast_http::string_body>& parser,
                                    const UploadOptions& options, asio::thread_pool& blocking,
                                    Upload& upload) {
  upload.body.reset();
  upload.refusal.reset();
  upload.head = RawRequest(parser.get().base());
  const auto declared = parser.content_length();
  if (declared && *declared > options.max_bytes) {
    upload.refusal = TooLarge(options.max_bytes);
    co_return;
  }
  // (No class-type locals inside the branches: g++ 12 coroutines.)
  std::optional<SpoolFile> resident;
  if (declared) resident = SpoolFile::Resident(*declared, options.memory);
  Result<SpoolFile> file = Fail(ErrorCode::kInternal, "no spool file");
  if (resident) {
    file = std::move(*resident);
  } else {
    file = co_await RunBlocking(blocking, [&] { return SpoolFile::Create(options.spool_dir); });
  }
  if (!file) {
    log::Error("http.spool_failed", {{"error", file.error().message}});
    upload.refusal = ErrorResponse({ErrorCode::kStorageUnavailable, "cannot buffer the upload"});
    co_return;
  }

  error_code ec;
  if (WantsContinue(upload.head)) {
    beast_http::response<beast_http::empty_body> proceed{beast_http::status::continue_,
                                                         upload.head.version()};
    beast::get_lowest_layer(stream).expires_after(options.read_timeout);
    co_await beast_http::async_write(stream, proceed, Redirect(ec));
    if (ec) co_return;
  }

  beast_http::request_parser<beast_http::buffer_body> body_parser{std::move(parser)};
  // No body octet has been parsed yet, so the limit may still be set.
  body_parser.body_limit(options.max_bytes);
  // Two chunks: the next one is read from the client while the last one is
  // encrypted and written on the blocking pool, so that receiving a large
  // upload takes the longer of the two, not their sum. (A resident body
  // needs neither: no 512 KiB to zero per request.)
  std::vector<char> chunks[2];
  if (!file->IsResident()) {
    chunks[0].resize(kUploadChunkBytes);
    chunks[1].resize(kUploadChunkBytes);
  }
  int current = 0;
  ByteView unwritten;  // of the other chunk
  Result<void> written;
  // A resident body has a Content-Length and so no framing to parse: the
  // bytes the header read took beyond the header first, then the socket's
  // straight into the body's memory. Beast's body reads go through the
  // connection buffer 64 KiB at a time and copy out of it, which made the
  // I/O thread the slower side of a one-client STOW-RS (perf: a fifth of it
  // in that copy). Each kUploadChunkBytes must still arrive within
  // read_timeout, as for a file.
  uint64_t deadline_covers = 0;  // the deadline last set runs until this many bytes
  if (file->IsResident()) {
    const size_t early = std::min(buffer.size(), file->Unfilled().size());
    std::memcpy(file->Unfilled().data(), buffer.data().data(), early);
    buffer.consume(early);
    file->Filled(early);
  }
  while (file->IsResident() && !file->Unfilled().empty()) {
    if (file->Size() >= deadline_covers) {
      beast::get_lowest_layer(stream).expires_after(options.read_timeout);
      deadline_covers = file->Size() + kUploadChunkBytes;
    }
    const std::span<std::byte> room = file->Unfilled();
    const size_t got = co_await stream.async_read_some(
        asio::buffer(room.data(), std::min(room.size(), kResidentReadBytes)), Redirect(ec));
    file->Filled(got);
    if (ec) break;  // gone, reset or too slow before Content-Length bytes came
  }
  while (!file->IsResident() && !body_parser.is_done()) {
    std::vector<char>& chunk = chunks[current];
    body_parser.get().body().data = chunk.data();
    body_parser.get().body().size = chunk.size();
    beast::get_lowest_layer(stream).expires_after(options.read_timeout);
    // (Nothing to write for the first chunk: Append of nothing is a no-op.)
    (void)co_await (beast_http::async_read(stream, buffer, body_parser, Redirect(ec)) &&
                    RunBlocking(blocking, [&] { return written = file->Append(unwritten); }));
    unwritten = {};
    if (!written) break;
    if (ec == beast_http::error::need_buffer) ec = {};  // the chunk is full
    if (ec) break;
    const size_t received = chunk.size() - body_parser.get().body().size;
    if (received == 0) continue;
    unwritten = ByteView{reinterpret_cast<const std::byte*>(chunk.data()), received};
    current ^= 1;
  }
  if (written && !ec && !unwritten.empty()) {
    written = co_await RunBlocking(blocking, [&] { return file->Append(unwritten); });
  }
  if (!written) {
    log::Error("http.spool_write_failed", {{"error", written.error().message}});
    upload.refusal = ErrorResponse({ErrorCode::kStorageUnavailable, "cannot buffer the upload"});
    co_return;
  }
  if (ec) {
    if (ec == beast_http::error::body_limit) {
      upload.refusal = TooLarge(options.max_bytes);
    } else if (ec.category() ==
                   beast_http::make_error_code(beast_http::error::bad_chunk).category() &&
               ec != beast_http::error::end_of_stream && ec != beast_http::error::partial_message) {
      upload.refusal = ErrorResponse({ErrorCode::kInvalidArgument, "malformed HTTP request body"});
    } else {
      // Gone, reset, or too slow: nothing to answer.
      log::Info("http.upload_abandoned",
                {{"received_bytes", file->Size()},
                 {"reason", ec == beast::error::timeout ? std::string("timeout") : ec.message()}});
    }
    co_return;
  }
  upload.body = std::move(*file);
  co_return;
}

template asio::awaitable<void> ReceiveUpload(beast::tcp_stream&, beast::flat_buffer&,
                                             beast_http::request_parser<beast_http::string_body>&,
                                             const UploadOptions&, asio::thread_pool&, Upload&);
template asio::awaitable<void> ReceiveUpload(beast::ssl_stream<beast::tcp_stream>&,
                                             beast::flat_buffer&,
                                             beast_http::request_parser<beast_http::string_body>&,
                                             const UploadOptions&, asio::thread_pool&, Upload&);

}  // namespace cf::http
