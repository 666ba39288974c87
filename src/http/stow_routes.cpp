// SPDX-License-Identifier: Apache-2.0
// A STOW-RS request is checked whole before anything is stored: the
// Content-Type, then every part's framing, headers and media type (one
// pass over the body, no allocation per part). A request that fails these
// checks stores nothing and gets a problem (400, 413, 415). Then a second
// pass hands the parts to Archive::Ingest, several at a time in parallel;
// each part succeeds or fails on its own, as C-STOREs do, and the answer
// lists them all in request order.
//
// Failure Reason values (PS3.18 I.2.2) are the C-STORE statuses the DIMSE
// side sends for the same error (cf::ToDimseStatus): A700 out of resources
// (storage full, object over the size limit), A900 hierarchy conflict or
// an object of another study than the path names, C000 not DICOM, 0110
// internal failure. A new version under a known SOP Instance UID is stored
// with Warning Reason B000, as in dimse/store_status.hpp.
#include "http/stow_routes.hpp"

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/log.hpp"
#include "dicom/instance.hpp"
#include "http/blocking.hpp"
#include "http/multipart.hpp"
#include "http/problem.hpp"
#include "http/response.hpp"
#include "http/spool_file.hpp"

namespace cf::http {
namespace beast_http = boost::beast::http;
using boost::asio::awaitable;

namespace {

constexpr std::string_view kStudiesPath = "/dicom-web/studies";
constexpr uint16_t kWarningNewVersion = 0xB000;
constexpr std::string_view kDicomJson = "application/dicom+json";

// Client-supplied text echoed in a problem: short and printable.
std::string Quote(std::string_view text) {
  constexpr size_t kMax = 64;
  std::string out = "'";
  for (const char c : text.substr(0, kMax)) {
    out.push_back(c >= 0x20 && c < 0x7F ? c : '?');
  }
  if (text.size() > kMax) out.append("...");
  out.push_back('\'');
  return out;
}

std::unexpected<Error> Unsupported(std::string message) {
  return Fail(ErrorCode::kUnsupported, std::move(message));
}

// The boundary of an acceptable STOW-RS request, or the error to answer.
Result<std::string> StowBoundary(const RawRequest& header) {
  const auto raw_value = header[beast_http::field::content_type];
  const std::string_view value(raw_value.data(), raw_value.size());
  if (value.empty()) {
    return Fail(ErrorCode::kInvalidArgument,
                "request has no Content-Type; STOW-RS takes multipart/related; "
                "type=\"application/dicom\"");
  }
  auto media = ParseMediaType(value);
  if (!media) return Fail(ErrorCode::kInvalidArgument, "Content-Type: " + media.error().message);
  if (media->type != "multipart/related") {
    return Fail(ErrorCode::kInvalidArgument,
                "Content-Type " + Quote(media->type) +
                    " is not multipart/related; STOW-RS takes multipart/related; "
                    "type=\"application/dicom\"");
  }
  if (const auto type = media->Parameter("type");
      type && !IsMediaType(*type, "application/dicom")) {
    if (IsMediaType(*type, "application/dicom+json") ||
        IsMediaType(*type, "application/dicom+xml")) {
      return Unsupported(
          "multipart/related type " + Quote(*type) +
          " (metadata and bulk data) is not supported; send application/dicom parts");
    }
    return Unsupported("multipart/related type " + Quote(*type) +
                       " is not supported; send application/dicom parts");
  }
  const auto boundary = media->Parameter("boundary");
  if (!boundary) return Fail(ErrorCode::kInvalidArgument, "Content-Type has no boundary parameter");
  if (auto valid = ValidateBoundary(*boundary); !valid) return std::unexpected(valid.error());
  return std::string(*boundary);
}

Result<void> CheckPart(const MultipartPart& part) {
  const std::string prefix = "part " + std::to_string(part.index) + ": ";
  const std::string_view encoding = part.content_transfer_encoding;
  if (!encoding.empty() && !boost::beast::iequals(encoding, "binary") &&
      !boost::beast::iequals(encoding, "8bit") && !boost::beast::iequals(encoding, "7bit")) {
    return Unsupported(prefix + "Content-Transfer-Encoding " + Quote(encoding) +
                       " is not supported; send the bytes as they are (binary)");
  }
  // A part without Content-Type is taken as the request's type parameter.
  if (part.content_type.empty() || IsMediaType(part.content_type, "application/dicom")) return {};
  if (IsMediaType(part.content_type, "application/dicom+json") ||
      IsMediaType(part.content_type, "application/dicom+xml")) {
    return Unsupported(prefix + "media type " + Quote(part.content_type) +
                       " (metadata and bulk data) is not supported; send application/dicom parts");
  }
  return Unsupported(prefix + "media type " + Quote(part.content_type) +
                     " is not supported; parts must be application/dicom");
}

// How far ahead of the first part still being stored the workers may read.
constexpr size_t kStowWindow = 32;

// Threads that ingest the parts of one STOW-RS request: four per core when
// it is the only request storing, two per core when others are; at least 4
// and at most 8 either way (so on 4 cores or more, always 8).
size_t StowWorkers(bool alone) {
  const size_t per_core = alone ? 4 : 2;
  return std::clamp<size_t>(per_core * std::thread::hardware_concurrency(), 4, 8);
}

// Marks a request as storing parts for as long as it lives.
class Storing {
 public:
  Storing() : alone_(storing_.fetch_add(1) == 0) {}
  ~Storing() { storing_.fetch_sub(1); }
  Storing(const Storing&) = delete;
  Storing& operator=(const Storing&) = delete;
  // No other request was storing when this one started.
  bool Alone() const { return alone_; }

 private:
  static inline std::atomic<size_t> storing_{0};
  const bool alone_;
};

// Releases the mapped pages of the body up to the end of each part read.

class Releaser {
 public:
  Releaser(MappedBody& mapped, ByteView body) : mapped_(mapped), body_(body) {}
  void After(const MultipartPart& part) {
    released_ = mapped_.Release(
        released_, static_cast<size_t>(part.body.data() + part.body.size() - body_.data()));
  }

 private:
  MappedBody& mapped_;
  ByteView body_;
  size_t released_ = 0;
};

// The first pass: the whole body is well formed and every part acceptable.
Result<int> CheckParts(ByteView body, std::string_view boundary, MappedBody& mapped,
                       BodyPager* pager) {
  MultipartReader reader(body, boundary, pager);
  Releaser releaser(mapped, body);
  for (;;) {
    auto part = reader.Next();
    if (!part) return std::unexpected(part.error());
    if (!*part) return reader.PartsRead();
    if (reader.PartsRead() > kMaxStowParts) {
      return Fail(ErrorCode::kTooLarge, "request has more than " + std::to_string(kMaxStowParts) +
                                            " parts; send them in several requests");
    }
    if (auto ok = CheckPart(**part); !ok) return std::unexpected(ok.error());
    // After the check: a spooled body's released pages (the part's headers
    // among them) are unreadable.
    releaser.After(**part);
  }
}

struct PartOutcome {
  std::string sop_class_uid;  // empty when the part could not be read
  std::string sop_instance_uid;
  std::string study_instance_uid;
  std::string series_instance_uid;
  uint16_t failure = 0;  // Failure Reason; 0 = stored
  uint16_t warning = 0;  // Warning Reason of a stored part; 0 = none
};

struct StowOutcome {
  std::vector<PartOutcome> parts;
  uint64_t bytes = 0;
};

PartOutcome StorePart(archive::Archive& archive, ByteView bytes,
                      const archive::IngestSource& source, std::string_view study) {
  PartOutcome out;
  auto receipt = archive.Ingest(bytes, source, study);
  if (receipt) {
    out.sop_class_uid = std::move(receipt->sop_class_uid);
    out.sop_instance_uid = std::move(receipt->sop_instance_uid);
    out.study_instance_uid = std::move(receipt->study_instance_uid);
    out.series_instance_uid = std::move(receipt->series_instance_uid);
    if (receipt->outcome == catalog::IndexOutcome::kNewVersion) out.warning = kWarningNewVersion;
    return out;
  }
  const ErrorCode code = receipt.error().code;
  out.failure = ToDimseStatus(code);
  // Refused for what it says rather than its form: the failure names it.
  // Only this path parses a second time.
  if (code != ErrorCode::kInvalidDicom && code != ErrorCode::kTooLarge) {
    dicom::ParseOptions options;
    options.max_object_size = archive.Options().max_object_size;
    options.accept_raw_dataset = archive.Options().accept_raw_dataset;
    if (auto parsed = dicom::ParseInstance(bytes, options)) {
      out.sop_class_uid = std::move(parsed->sop_class_uid);
      out.sop_instance_uid = std::move(parsed->sop_instance_uid);
    }
  }
  return out;
}

// Runs on the blocking pool: maps the spooled body, checks it, stores it.
// A spooled body is encrypted: `mapped` decrypts it as the readers go.
Result<StowOutcome> StoreBody(archive::Archive& archive, const Request& req,
                              std::string_view boundary, const archive::IngestSource& source,
                              std::string_view study) {
  MappedBody mapped;
  BodyPager* pager = nullptr;
  ByteView body = AsBytes(req.raw.body());
  if (req.body_file != nullptr) {
    auto mapping = req.body_file->Map();
    if (!mapping) {
      log::Error("http.spool_map_failed", {{"error", mapping.error().message}});
      return Fail(ErrorCode::kStorageUnavailable, "cannot read the buffered upload");
    }
    mapped = std::move(*mapping);
    body = mapped.Bytes();
    pager = &mapped;
  }
  auto count = CheckParts(body, boundary, mapped, pager);
  if (!count) return std::unexpected(count.error());
  mapped.Rewind();  // the second pass decrypts again from the start

  StowOutcome outcome;
  outcome.bytes = body.size();
  outcome.parts.resize(static_cast<size_t>(*count));
  // Parts are ingested by several threads, as C-STOREs on several
  // associations are: their journal writes share fdatasyncs (group commit)
  // and their parsing, hashing and sealing share the cores, so more
  // workers than cores keep the cores busy while some wait for a sync.
  // Each worker takes the next part as soon as it is done with one (no
  // batch waits for its slowest part); the body's pages are released
  // behind the first part still being stored, and the reader stays at most
  // kStowWindow parts ahead of it, so that memory stays flat.
  // An upload alone gets twice the workers (more of its parts wait for a
  // sync at once: bench/stow_cpu.sh, one client, 6 pairs alternated,
  // median 371 -> 426 inst/s with 8 instead of 4 on 2 cores); concurrent
  // ones keep 4 on 2 cores (2 each lost to 4 each in 3 pairs of 3 with 4
  // clients, 476-527 against 529-579 inst/s).
  const Storing storing;
  const size_t workers = StowWorkers(storing.Alone());
  MultipartReader reader(body, boundary, pager);
  std::vector<ByteView> bodies;  // of the parts taken so far
  bodies.reserve(outcome.parts.size());
  std::vector<bool> done(outcome.parts.size(), false);
  size_t first_open = 0;  // every part before it is stored
  size_t released = 0;
  std::optional<Error> failure;
  std::mutex mutex;
  std::condition_variable cv;
  auto work = [&] {
    std::unique_lock lock(mutex);
    for (;;) {
      cv.wait(lock, [&] { return bodies.size() < first_open + kStowWindow || failure; });
      if (failure || bodies.size() == outcome.parts.size()) return;
      auto part = reader.Next();
      // The same bytes passed CheckParts, so this cannot fail; be safe anyway.
      if (!part) {
        failure = part.error();
        cv.notify_all();
        return;
      }
      if (!*part) return;
      const size_t i = bodies.size();
      bodies.push_back((**part).body);
      lock.unlock();
      PartOutcome stored = StorePart(archive, bodies[i], source, study);
      lock.lock();
      outcome.parts[i] = std::move(stored);
      done[i] = true;
      if (first_open == i) {
        while (first_open < done.size() && done[first_open]) ++first_open;
        const ByteView last = bodies[first_open - 1];
        released =
            mapped.Release(released, static_cast<size_t>(last.data() + last.size() - body.data()));
        cv.notify_all();
      }
    }
  };
  {
    std::vector<std::jthread> helpers;
    for (size_t w = 1; w < std::min(workers, outcome.parts.size()); ++w) helpers.emplace_back(work);
    work();
  }
  if (failure) return std::unexpected(*failure);
  return outcome;
}

// "http://host:port" from the Host header, when it looks like one;
// otherwise empty, and the Retrieve URLs are absolute paths.
std::string BaseUrl(const RawRequest& raw) {
  const auto host = raw[beast_http::field::host];
  const bool valid = !host.empty() && host.size() <= 255 && std::ranges::all_of(host, [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '-' || c == ':' ||
           c == '[' || c == ']' || c == '_';
  });
  if (!valid) return {};
  // "https" behind a TLS-terminating proxy, and on our own HTTPS listener
  // (which sets the header itself; see server.cpp).
  const bool https = raw["X-Forwarded-Proto"] == "https";
  return (https ? "https://" : "http://") + std::string(host.data(), host.size());
}

nlohmann::json Attribute(std::string_view vr, nlohmann::json value) {
  return {{"vr", vr}, {"Value", nlohmann::json::array({std::move(value)})}};
}

nlohmann::json Reference(const PartOutcome& part) {
  nlohmann::json item = nlohmann::json::object();
  if (!part.sop_class_uid.empty()) item["00081150"] = Attribute("UI", part.sop_class_uid);
  if (!part.sop_instance_uid.empty()) item["00081155"] = Attribute("UI", part.sop_instance_uid);
  return item;
}

struct Answer {
  nlohmann::json body;
  unsigned status = 200;
  int stored = 0;
  int warned = 0;
  int failed = 0;
};

Answer BuildAnswer(const StowOutcome& outcome, const std::string& base,
                   const std::string& path_study) {
  Answer answer;
  nlohmann::json referenced = nlohmann::json::array();
  nlohmann::json failed = nlohmann::json::array();
  std::string study = path_study;
  bool one_study = true;
  for (const PartOutcome& part : outcome.parts) {
    if (part.failure != 0) {
      nlohmann::json item = Reference(part);
      item["00081197"] = Attribute("US", part.failure);
      failed.push_back(std::move(item));
      ++answer.failed;
      continue;
    }
    nlohmann::json item = Reference(part);
    item["00081190"] = Attribute(
        "UR", base + std::string(kStudiesPath) + "/" + part.study_instance_uid + "/series/" +
                  part.series_instance_uid + "/instances/" + part.sop_instance_uid);
    if (part.warning != 0) {
      item["00081196"] = Attribute("US", part.warning);
      ++answer.warned;
    }
    referenced.push_back(std::move(item));
    ++answer.stored;
    if (study.empty()) study = part.study_instance_uid;
    one_study = one_study && study == part.study_instance_uid;
  }
  // Retrieve URL (Type 2): the study, when the stored objects have one.
  answer.body["00081190"] = one_study && !study.empty()
                                ? Attribute("UR", base + std::string(kStudiesPath) + "/" + study)
                                : nlohmann::json{{"vr", "UR"}};
  if (!failed.empty()) answer.body["00081198"] = {{"vr", "SQ"}, {"Value", std::move(failed)}};
  if (!referenced.empty()) {
    answer.body["00081199"] = {{"vr", "SQ"}, {"Value", std::move(referenced)}};
  }
  if (answer.stored == 0) {
    answer.status = 409;
  } else if (answer.failed > 0 || answer.warned > 0) {
    answer.status = 202;
  }
  return answer;
}

awaitable<Response> Store(const ApiContext& ctx, const Request& req) {
  auto boundary = StowBoundary(req.raw);
  if (!boundary) co_return ErrorResponse(boundary.error());
  const std::string path_study(req.Param("study"));
  if (req.route != kStudiesPath && !dicom::IsValidUid(path_study)) {
    co_return ErrorResponse(
        {ErrorCode::kInvalidArgument, "the study in the path is not a valid DICOM UID"});
  }
  const archive::IngestSource source{"http", std::string(req.peer), req.tenant};
  auto outcome = co_await RunBlocking(
      ctx.blocking, [&] { return StoreBody(ctx.archive, req, *boundary, source, path_study); });
  if (!outcome) co_return ErrorResponse(outcome.error());

  Answer answer = BuildAnswer(*outcome, BaseUrl(req.raw), path_study);
  log::Info("http.stow", {{"peer", req.peer},
                          {"parts", outcome->parts.size()},
                          {"stored", answer.stored},
                          {"warnings", answer.warned},
                          {"failed", answer.failed},
                          {"bytes", outcome->bytes},
                          {"status", answer.status}});
  Response response = JsonResponse(answer.body, answer.status);
  response.content_type = kDicomJson;
  co_return response;
}

// The path of a request target, without the query.
std::string_view TargetPath(const RawRequest& header) {
  const auto target = header.target();
  return SplitTarget({target.data(), target.size()}).path;
}

}  // namespace

void AddStowRoutes(Router& router, const ApiContext& context) {
  const auto store = [&context](const Request& req) { return Store(context, req); };
  const RoutePolicy policy{access::Permission::kStoreImages, audit::Action::kStore};
  router.Add(beast_http::verb::post, kStudiesPath, policy, store);
  router.Add(beast_http::verb::post, "/dicom-web/studies/{study}", policy, store);
}

bool IsStowRequest(const RawRequest& header) {
  if (header.method() != beast_http::verb::post) return false;
  // The router's view of the path: empty segments do not count.
  std::string_view path = TargetPath(header);
  std::vector<std::string_view> segments;
  while (!path.empty() && segments.size() < 4) {
    const size_t slash = path.find('/');
    const std::string_view segment = path.substr(0, slash);
    if (!segment.empty()) segments.push_back(segment);
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return (segments.size() == 2 || segments.size() == 3) && segments[0] == "dicom-web" &&
         segments[1] == "studies";
}

std::optional<Response> CheckStowHeader(const RawRequest& header) {
  if (auto boundary = StowBoundary(header); !boundary) return ErrorResponse(boundary.error());
  return std::nullopt;
}

}  // namespace cf::http
