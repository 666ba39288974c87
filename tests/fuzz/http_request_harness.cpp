// SPDX-License-Identifier: Apache-2.0
// One process-wide "world" (archive, accounts, audit trail, blocking pool,
// router with every route) is built on the first input, like a server that
// stays up; each input then gets its own io_context, as a connection gets
// its own strand. The limits are the server's defaults (ServerOptions), so
// that what the parser accepts here is what a client could send.
#include "fuzz/http_request_harness.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "access/access.hpp"
#include "audit/audit_log.hpp"
#include "core/log.hpp"
#include "crypto/password.hpp"
#include "http/accept.hpp"
#include "http/api_routes.hpp"
#include "http/byte_range.hpp"
#include "http/frame_accept.hpp"
#include "http/frame_list.hpp"
#include "http/multipart.hpp"
#include "http/query_params.hpp"
#include "http/router.hpp"
#include "http/routes.hpp"
#include "support/dicom_builder.hpp"
#include "support/temp_dir.hpp"
#include "support/test_archive.hpp"
#include "support/test_films.hpp"

namespace cf::fuzz {
namespace {

namespace asio = boost::asio;
namespace beast_http = boost::beast::http;

// As in http::ServerOptions; the body limit is lower because fuzz inputs
// are small and a larger one would only slow the parser down.
constexpr size_t kHeaderLimit = 16 * 1024;
constexpr uint64_t kBodyLimit = 1 << 20;
// A streamed answer (WADO-RS retrieve) is read to its end up to this much.
constexpr size_t kMaxStreamBytes = 64u << 20;
// The address every input comes from.
constexpr std::string_view kPeer = "192.0.2.7";

void Require(bool condition, const char* promise) {
  if (condition) return;
  std::fprintf(stderr, "http_request harness: broken promise: %s\n", promise);
  std::abort();
}

std::string_view Field(const http::RawRequest& request, beast_http::field name) {
  const auto value = request[name];
  return {value.data(), value.size()};
}

bool HasLineBreakOrNul(std::string_view text) {
  return text.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

struct World {
  World();
  ~World() { pool.join(); }

  cf::testing::TempDir dir;
  cf::testing::TestArchive archive;
  std::unique_ptr<audit::AuditLog> audit;
  std::unique_ptr<access::Access> access;
  cf::testing::TestFilms films;  // reports, films, the transparency log, signing keys
  asio::thread_pool pool{2};     // after access and audit: joined before they go
  std::optional<http::ApiContext> context;
  http::Router router;
};

World::World() {
  // Only bugs are worth a line: the router's catch-all logs at error level.
  log::SetLevel(log::Level::kError);
  Require(archive.Open(dir.Path() / "data").has_value(), "the archive opens");
  auto log = audit::OpenSqliteAuditLog(dir.Path() / "audit.sqlite", {});
  Require(log.has_value(), "the audit trail opens");
  audit = std::move(*log);
  access::AccessOptions options;
  options.bootstrap_token = kFuzzToken;
  // Generous budgets, so that the fuzzer keeps reaching the routes behind
  // them, and the cheapest Argon2id (libsodium's minimums).
  options.login_attempts_per_minute = 1'000'000;
  options.credential_failures_per_minute = 1'000'000;
  options.password_ops = crypto::TestPasswordCost().ops;
  options.password_mem_bytes = crypto::TestPasswordCost().mem_bytes;
  auto opened = access::Access::Open(dir.Path() / "access.sqlite", options, audit.get());
  Require(opened.has_value(), "the access database opens");
  access = std::move(*opened);

  // One image of a realistic size for rendering, one tiny.
  for (const auto& [sop, side] : {std::pair{kFuzzImage, 128}, std::pair{kFuzzSecondImage, 8}}) {
    const Bytes object = cf::testing::DicomBuilder()
                             .Patient("FUZZ-1", "Fuzz^Patient")
                             .Study(kFuzzStudy)
                             .Series(kFuzzSeries)
                             .Sop(sop)
                             .Pixels(side, side)
                             .Build();
    Require(archive.archive->Ingest(object, {"fuzz", "", "default"}).has_value(),
            "the seed objects store");
  }

  Require(films.Open(dir.Path() / "films", *archive.archive).has_value(), "the film parts open");

  context.emplace(http::ApiContext{*archive.archive, pool, access.get(), audit.get(),
                                   films.reports.get(), films.films.get(), films.issuer.get(),
                                   films.printer.get(), films.visits.get()});
  http::AddAllRoutes(router, *context);
  router.Secure(*access, audit.get(), pool);
}

World& TheWorld() {
  static World world;
  return world;
}

// The pure parsers, on the fields a client controls.
void ParseFields(const http::RawRequest& request) {
  if (auto ranges = http::ParseAccept(Field(request, beast_http::field::accept))) {
    for (const http::MediaRange& range : *ranges) {
      Require(range.quality > 0 && range.quality <= 1, "q-values lie in (0, 1]");
      (void)http::RequestedTransferSyntax(range);
    }
    (void)http::AcceptableDicom(*ranges);
    (void)http::AcceptsOctetStream(*ranges);
    (void)http::AcceptsDicomJson(*ranges);
    for (const char* ts : {"1.2.840.10008.1.2.1", "1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.5",
                           "1.2.840.10008.1.2.4.201"}) {
      for (const http::FrameEncoding& encoding : http::AcceptableFrameEncodings(*ranges, ts)) {
        Require(!encoding.media_type.empty(), "a frame encoding has a media type");
      }
    }
  }
  (void)http::AcceptsGzip(Field(request, beast_http::field::accept_encoding));

  const std::string_view range = Field(request, beast_http::field::range);
  for (const uint64_t size : {uint64_t{0}, uint64_t{1}, uint64_t{1000}, UINT64_MAX}) {
    const http::RangeRequest parsed = http::ParseByteRange(range, size);
    if (parsed.kind == http::RangeRequest::Kind::kPart) {
      Require(parsed.range.first <= parsed.range.last && parsed.range.last < size,
              "a partial range lies inside the value");
    }
  }

  const std::string_view target(request.target().data(), request.target().size());
  const http::TargetParts parts = http::SplitTarget(target);
  if (auto decoded = http::PercentDecode(parts.path, false)) {
    Require(decoded->find('\0') == std::string::npos, "a decoded path holds no NUL");
    // Any segment may be a frame list (".../frames/1,3,5").
    const std::string_view path = *decoded;
    for (size_t start = 0; start < path.size();) {
      const size_t slash = std::min(path.find('/', start), path.size());
      if (auto frames = http::ParseFrameList(path.substr(start, slash - start))) {
        std::vector<uint32_t> sorted = *frames;
        std::ranges::sort(sorted);
        Require(sorted.front() >= 1 && std::ranges::adjacent_find(sorted) == sorted.end(),
                "a frame list names each frame once, from 1");
      }
      start = slash + 1;
    }
  }
  if (auto query = http::QueryParams::Parse(parts.query)) {
    (void)http::GetPaging(*query);
    for (const auto& [name, value] : query->Items()) {
      (void)http::ParseDateRange(name, value);
      (void)http::IsValidDicomDate(value);
    }
  }

  // A multipart body, whatever the method: STOW-RS reads it this way.
  std::string boundary;
  if (auto media = http::ParseMediaType(Field(request, beast_http::field::content_type))) {
    Require(media->parameters.size() <= http::kMaxMediaTypeParameters, "parameters are bounded");
    if (const auto b = media->Parameter("boundary"); b && http::ValidateBoundary(*b)) {
      boundary = std::string(*b);
    }
  }
  if (boundary.empty()) return;
  http::MultipartReader reader(AsBytes(request.body()), boundary);
  for (int i = 0; i < 10'000; ++i) {
    auto part = reader.Next();
    if (!part || !*part) break;
    Require((*part)->index == reader.PartsRead(), "parts are numbered in order");
  }
}

// A frames answer has one part per frame asked for, each asked for once:
// an answer that repeats a frame as often as a short URL names it could be
// gigabytes (the finding behind frame_list.hpp).
void CheckFramesAnswer(std::string_view target, const http::Response& response) {
  // The route's shape, segment by segment as the router sees it (split,
  // then decoded): /dicom-web/studies/S/series/R/instances/I/frames/LIST.
  std::vector<std::string> segments;
  std::string_view path = http::SplitTarget(target).path;
  while (!path.empty()) {
    const size_t slash = std::min(path.find('/'), path.size());
    if (slash > 0) {
      auto decoded = http::PercentDecode(path.substr(0, slash), false);
      if (!decoded) return;
      segments.push_back(std::move(*decoded));
    }
    path.remove_prefix(std::min(slash + 1, path.size()));
  }
  if (segments.size() != 9 || segments[0] != "dicom-web" || segments[7] != "frames") return;
  const std::string_view list = segments[8];
  // Split here rather than by ParseFrameList: this checks that function.
  std::vector<std::string_view> items;
  for (size_t start = 0; start <= list.size();) {
    const size_t comma = std::min(list.find(',', start), list.size());
    items.push_back(list.substr(start, comma - start));
    start = comma + 1;
  }
  std::vector<std::string_view> distinct = items;
  std::ranges::sort(distinct);
  Require(std::ranges::adjacent_find(distinct) == distinct.end(),
          "a frames answer had a frame list without repeats");
  const auto media = http::ParseMediaType(response.content_type);
  Require(media.has_value(), "a frames answer is multipart");
  const auto boundary = media->Parameter("boundary");
  Require(boundary.has_value(), "a frames answer names its boundary");
  http::MultipartReader reader(response.body, *boundary);
  size_t parts = 0;
  for (;;) {
    auto part = reader.Next();
    Require(part.has_value(), "a frames answer is well-formed multipart");
    if (!*part) break;
    ++parts;
  }
  Require(parts == items.size(), "a frames answer has one part per frame asked for");
}

// What every answer must hold before it goes on the wire.
void CheckResponse(std::string_view target, const http::Response& response) {
  Require(response.status >= 100 && response.status <= 599, "a real status");
  Require(!HasLineBreakOrNul(response.content_type), "Content-Type is one line");
  for (const auto& [name, value] : response.headers) {
    Require(!name.empty() && !HasLineBreakOrNul(name), "header names are one line");
    Require(!HasLineBreakOrNul(value), "header values are one line (no injected headers)");
  }
  if (response.content_type == "application/problem+json") {
    const auto problem = nlohmann::json::parse(response.BodyText(), nullptr, false);
    Require(problem.is_object() && problem.contains("status"), "a problem is JSON");
    // The router's catch-all answers this: an exception escaped a handler.
    Require(!(response.status == 500 && problem.value("detail", "") == "internal error"),
            "no exception escapes a handler (see the http.unhandled line above)");
  }
  if (response.status == 200) CheckFramesAnswer(target, response);
  if (response.stream) {
    size_t total = 0;
    while (total < kMaxStreamBytes) {
      auto piece = response.stream->Next();
      if (!piece || piece->empty()) break;
      total += piece->size();
    }
  }
}

}  // namespace

unsigned RunHttpRequest(std::span<const uint8_t> input) {
  World& world = TheWorld();

  beast_http::request_parser<beast_http::string_body> parser;
  parser.header_limit(static_cast<uint32_t>(kHeaderLimit));
  parser.body_limit(kBodyLimit);
  parser.eager(true);
  boost::beast::error_code ec;
  const char* data = reinterpret_cast<const char*>(input.data());
  size_t left = input.size();
  while (left > 0 && !parser.is_done()) {
    const size_t used = parser.put(boost::asio::buffer(data, left), ec);
    if (ec == beast_http::error::need_more) {
      ec = {};
      break;
    }
    if (ec || used == 0) break;
    data += used;
    left -= used;
  }
  if (!ec && !parser.is_done()) parser.put_eof(ec);
  if (ec || !parser.is_done()) return 0;  // the server answers 400/413/431 or closes

  const http::RawRequest& request = parser.get();
  ParseFields(request);

  asio::io_context io;
  std::optional<http::Response> answer;
  std::exception_ptr failure;
  asio::co_spawn(io, world.router.Dispatch(request, kPeer),
                 [&](std::exception_ptr e, http::Response response) {
                   failure = e;
                   answer = std::move(response);
                 });
  io.run();
  Require(failure == nullptr, "Dispatch never throws");
  Require(answer.has_value(), "Dispatch answers");
  CheckResponse(std::string_view(request.target().data(), request.target().size()), *answer);
  return answer->status;
}

}  // namespace cf::fuzz
