// SPDX-License-Identifier: Apache-2.0
// WADO-RS and WADO-URI handlers. Each validates the path, query and Accept
// header first (400, 406), then makes one RunBlocking hop for its catalog
// lookups, then answers. A retrieve streams: the answer carries a
// BodySource that reads (and converts) one object per part on the blocking
// pool as the answer is written. Only version 1 of each SOP
// Instance UID is served, as everywhere a version is not named.
#include "http/wado_routes.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <deque>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "codec/frame_access.hpp"
#include "codec/render.hpp"
#include "codec/transcode.hpp"
#include "core/log.hpp"
#include "dicom/dataset_json.hpp"
#include "http/accept.hpp"
#include "http/blocking.hpp"
#include "http/bounded_cache.hpp"
#include "http/byte_range.hpp"
#include "http/frame_accept.hpp"
#include "http/frame_list.hpp"
#include "http/gzip.hpp"
#include "http/multipart_writer.hpp"
#include "http/problem.hpp"
#include "http/request_info.hpp"
#include "http/response.hpp"

namespace cf::http {
namespace beast_http = boost::beast::http;
using boost::asio::awaitable;

namespace {

constexpr std::string_view kDicom = "application/dicom";
constexpr std::string_view kDicomJson = "application/dicom+json";
constexpr std::string_view kOctetStream = "application/octet-stream";
constexpr uint32_t kPixelDataTag = 0x7FE00010;
// Answers hold patient data: never in a shared cache.
constexpr std::string_view kPrivate = "private, no-cache";

// How many parts of a retrieve are read ahead of the one being sent, and
// how many received bytes they may hold at most.
size_t ReadAheadThreads() { return std::max(2u, std::thread::hardware_concurrency()); }
constexpr uint64_t kReadAheadBytes = 64ull << 20;
// How many parts ahead of the one being sent the kernel is asked to read
// blobs from disk (posix_fadvise, no thread, no memory of ours).
constexpr size_t kPrefetchParts = 16;

struct WadoContext : std::enable_shared_from_this<WadoContext> {
  WadoContext(const ApiContext& context, const WadoOptions& options)
      : api(context),
        metadata(options.metadata_cache_bytes),
        frames(options.frame_cache_bytes),
        // Compressed frames are a fraction of the size of decoded ones.
        compressed_frames(options.frame_cache_bytes / 2),
        read_ahead(ReadAheadThreads()) {}

  const ApiContext& api;
  BoundedCache<Bytes> metadata;  // series JSON (comma-joined objects) and gzip bodies
  BoundedCache<codec::NativePixels> frames;
  // Every frame of an instance as received, or as HTJ2K from its stored
  // form, by source and SHA-256: a viewer asks for one frame after another.
  BoundedCache<std::vector<Bytes>> compressed_frames;
  // Reads (and decodes) the next parts of a retrieve while one is sent. Its
  // own threads, not the blocking pool's: a part waiting on a read that
  // waits for a blocking thread could deadlock the pool.
  boost::asio::thread_pool read_ahead;
};

enum class Level { kStudy, kSeries, kInstance };

struct Target {
  Level level = Level::kStudy;
  std::string study;
  std::string series;                             // kSeries and kInstance
  std::string instance;                           // kInstance
  catalog::Scope scope = catalog::Scope::Of("");  // the request's; sees nothing until set
};

Target TargetOf(const Request& req, Level level) {
  return {level, std::string(req.Param("study")), std::string(req.Param("series")),
          std::string(req.Param("instance")), req.scope};
}

// A conversion the client asked for that turned out impossible is a 406;
// anything else keeps its own status.
Response ReadFailure(const Error& error) {
  if (error.code == ErrorCode::kUnsupported) return NotAcceptable(error.message);
  return ErrorResponse(error);
}

Bytes ToBytes(std::string_view text) {
  const ByteView view = AsBytes(text);
  return Bytes(view.begin(), view.end());
}

void Append(Bytes& out, std::string_view text) {
  const ByteView view = AsBytes(text);
  out.insert(out.end(), view.begin(), view.end());
}

// Version 1 of every instance the target names, in series then instance
// order. A series or instance that exists elsewhere than under the path's
// study (and series) is not found here.
Result<std::vector<catalog::InstanceRecord>> ResolveInstances(archive::Archive& archive,
                                                              const Target& target) {
  std::vector<catalog::InstanceRecord> out;
  catalog::Scope scope = target.scope;
  if (target.level == Level::kInstance) {
    auto record = archive.GetInstanceVersion(scope, target.instance, 1);
    if (!record) return std::unexpected(record.error());
    if (record->study_instance_uid != target.study ||
        record->series_instance_uid != target.series) {
      return Fail(ErrorCode::kNotFound, "unknown instance in this study and series");
    }
    out.push_back(std::move(*record));
    return out;
  }
  std::vector<std::string> series_uids;
  if (target.level == Level::kStudy) {
    auto study = archive.GetStudy(scope, target.study);
    if (!study) return std::unexpected(study.error());
    scope = catalog::Scope::Of(study->tenant);  // one hospital's series from here on
    auto series = archive.ListSeries(scope, target.study);
    if (!series) return std::unexpected(series.error());
    for (const auto& one : *series) series_uids.push_back(one.series_instance_uid);
  } else {
    series_uids.push_back(target.series);
  }
  for (const auto& uid : series_uids) {
    auto instances = archive.ListInstances(scope, uid);
    if (!instances) return std::unexpected(instances.error());
    for (auto& record : *instances) {
      if (record.version == 1) out.push_back(std::move(record));
    }
  }
  if (target.level == Level::kSeries &&
      (out.empty() || out.front().study_instance_uid != target.study)) {
    return Fail(ErrorCode::kNotFound, "unknown series in this study");
  }
  return out;
}

// Whether an object stored in `stored` can be sent in `target` without new
// loss. Video and JPIP objects have no decoder here: they go as stored.
bool CanConvert(std::string_view stored, std::string_view target) {
  if (stored == target) return true;
  if (!codec::CanProduce(target, false)) return false;
  static constexpr std::string_view kUndecodable[] = {
      "1.2.840.10008.1.2.4.94",  "1.2.840.10008.1.2.4.95",  "1.2.840.10008.1.2.4.100",
      "1.2.840.10008.1.2.4.101", "1.2.840.10008.1.2.4.102", "1.2.840.10008.1.2.4.103",
      "1.2.840.10008.1.2.4.104", "1.2.840.10008.1.2.4.105", "1.2.840.10008.1.2.4.106",
      "1.2.840.10008.1.2.4.107", "1.2.840.10008.1.2.4.108"};
  return std::ranges::find(kUndecodable, stored) == std::end(kUndecodable);
}

// The first acceptable representation we can produce for `record`;
// single-part ones only when the resource is one instance.
std::optional<DicomChoice> ChooseFor(const catalog::InstanceRecord& record,
                                     const std::vector<DicomChoice>& choices, bool allow_single) {
  for (const DicomChoice& choice : choices) {
    if (!choice.multipart && !allow_single) continue;
    const std::string ts =
        choice.transfer_syntax == "*" ? record.transfer_syntax_uid : choice.transfer_syntax;
    if (CanConvert(record.transfer_syntax_uid, ts)) return DicomChoice{ts, choice.multipart};
  }
  return std::nullopt;
}

struct PlannedPart {
  catalog::InstanceRecord record;
  std::string transfer_syntax;
  // Other accepted syntaxes, in the client's order, for when this one turns
  // out impossible for this object (HTJ2K of a colour image: the catalog
  // does not say which images are colour).
  std::vector<std::string> fallbacks;
};

// The accepted syntaxes after `chosen` that the object could be converted to.
std::vector<std::string> FallbacksFor(const catalog::InstanceRecord& record,
                                      const std::vector<DicomChoice>& choices,
                                      const std::string& chosen) {
  std::vector<std::string> out;
  bool after = false;
  for (const DicomChoice& choice : choices) {
    const std::string ts =
        choice.transfer_syntax == "*" ? record.transfer_syntax_uid : choice.transfer_syntax;
    if (after && choice.multipart && ts != chosen && CanConvert(record.transfer_syntax_uid, ts)) {
      out.push_back(ts);
    }
    if (ts == chosen) after = true;
  }
  return out;
}

// `buffer`: storage of an earlier part to read into (as stored only).
Result<Bytes> ReadAs(archive::Archive& archive, PlannedPart& part, Bytes buffer = {}) {
  for (;;) {
    auto bytes = part.transfer_syntax == part.record.transfer_syntax_uid
                     ? archive.ReadBlob(part.record, std::move(buffer))
                     : archive.ReadBlobAs(part.record, part.transfer_syntax);
    if (bytes || bytes.error().code != ErrorCode::kUnsupported || part.fallbacks.empty()) {
      return bytes;
    }
    part.transfer_syntax = part.fallbacks.front();
    part.fallbacks.erase(part.fallbacks.begin());
  }
}

// The parts of a retrieve, read and converted ahead of the one being sent
// on the read-ahead threads (decoding a stored form is CPU work that the
// cores share), and sent in order.
class DicomParts final : public BodySource {
 public:
  DicomParts(std::shared_ptr<WadoContext> ctx, std::vector<PlannedPart> parts,
             MultipartWriter writer)
      : ctx_(std::move(ctx)), parts_(std::move(parts)), writer_(std::move(writer)) {}

  // Each piece is one part: its header and its bytes (and, after the last
  // part, the closing delimiter), sent as one chunk with one gather write.
  Result<std::vector<Bytes>> NextBuffers() override {
    std::vector<Bytes> out;
    if (next_ == parts_.size()) {
      if (!closed_) {
        closed_ = true;
        out.push_back(ToBytes(writer_.Close()));  // no parts at all
      }
      return out;
    }
    StartReads();
    auto read = inflight_.front().get();
    inflight_.pop_front();
    inflight_bytes_ -= parts_[next_++].record.size;
    StartReads();  // the next reads run while this part is sent
    if (!read) return std::unexpected(read.error());
    out.reserve(3);
    out.push_back(ToBytes(writer_.PartHeader(
        std::string(kDicom) + "; transfer-syntax=" + read->transfer_syntax, read->bytes.size())));
    out.push_back(std::move(read->bytes));
    if (next_ == parts_.size()) {
      closed_ = true;
      out.push_back(ToBytes(writer_.Close()));
    }
    return out;
  }

  Result<Bytes> Next() override {
    auto buffers = NextBuffers();
    if (!buffers) return std::unexpected(buffers.error());
    Bytes out;
    for (const Bytes& b : *buffers) out.insert(out.end(), b.begin(), b.end());
    return out;
  }

  // The object buffers of parts sent are read into again.
  void Recycle(std::vector<Bytes> piece) override {
    std::lock_guard lock(spare_->mutex);
    for (Bytes& b : piece) {
      if (b.capacity() >= (64u << 10) && spare_->buffers.size() < ReadAheadThreads() + 2) {
        spare_->buffers.push_back(std::move(b));
      }
    }
  }

  // The next part is read (or there is nothing left to read): no wait.
  bool Ready() const override {
    if (next_ == parts_.size()) return true;
    return !inflight_.empty() &&
           inflight_.front().wait_for(std::chrono::seconds(0)) == std::future_status::ready;
  }

 private:
  // Futures of a packaged_task do not block when dropped: a client that
  // goes away leaves the reads in flight to finish and be discarded.
  void StartReads() {
    // The kernel reads the next blobs from disk ahead of the reads: a cold
    // retrieve keeps more disk reads in flight than there are threads.
    while (prefetched_ < parts_.size() && prefetched_ < next_ + kPrefetchParts) {
      ctx_->api.archive.Prefetch(parts_[prefetched_++].record);
    }
    const size_t max_parts = ReadAheadThreads() + 1;
    while (started_ < parts_.size() &&
           (inflight_.empty() ||
            (inflight_.size() < max_parts &&
             inflight_bytes_ + parts_[started_].record.size <= kReadAheadBytes))) {
      auto task = std::make_shared<std::packaged_task<Result<ReadPart>()>>(
          [ctx = ctx_, spare = spare_, part = parts_[started_]]() mutable -> Result<ReadPart> {
            Bytes buffer;
            {
              std::lock_guard lock(spare->mutex);
              if (!spare->buffers.empty()) {
                buffer = std::move(spare->buffers.back());
                spare->buffers.pop_back();
              }
            }
            // May fall back to another syntax.
            auto bytes = ReadAs(ctx->api.archive, part, std::move(buffer));
            if (!bytes) return std::unexpected(bytes.error());
            return ReadPart{std::move(part.transfer_syntax), std::move(*bytes)};
          });
      inflight_.push_back(task->get_future());
      boost::asio::post(ctx_->read_ahead, [task] { (*task)(); });
      inflight_bytes_ += parts_[started_].record.size;
      ++started_;
    }
  }

  std::shared_ptr<WadoContext> ctx_;
  std::vector<PlannedPart> parts_;
  MultipartWriter writer_;
  // Buffers of parts already sent, for the next reads (shared with reads
  // still in flight when the client goes away).
  struct Spare {
    std::mutex mutex;
    std::vector<Bytes> buffers;
  };
  std::shared_ptr<Spare> spare_ = std::make_shared<Spare>();
  size_t next_ = 0;        // the next part to send
  size_t started_ = 0;     // the next part to start reading
  size_t prefetched_ = 0;  // the next part whose blob to prefetch
  struct ReadPart {
    std::string transfer_syntax;  // what it was read as (a fallback, maybe)
    Bytes bytes;
  };
  std::deque<std::future<Result<ReadPart>>> inflight_;
  uint64_t inflight_bytes_ = 0;
  bool closed_ = false;
};

template <Level level>
awaitable<Response> Retrieve(WadoContext& ctx, const Request& req) {
  const auto ranges = AcceptedRanges(req);
  if (!ranges) co_return ErrorResponse(ranges.error());
  const auto choices = AcceptableDicom(*ranges);
  if (choices.empty()) {
    co_return NotAcceptable(
        "this resource is available as multipart/related; type=\"application/dicom\"");
  }
  const Target target = TargetOf(req, level);
  auto records = co_await RunBlocking(ctx.api.blocking,
                                      [&] { return ResolveInstances(ctx.api.archive, target); });
  if (!records) co_return ErrorResponse(records.error());

  std::vector<PlannedPart> parts;
  bool multipart = true;
  for (auto& record : *records) {
    auto choice = ChooseFor(record, choices, level == Level::kInstance);
    if (!choice) {
      co_return NotAcceptable(
          "none of the accepted transfer syntaxes can be produced losslessly for an instance "
          "stored as " +
          record.transfer_syntax_uid);
    }
    multipart = choice->multipart;
    auto fallbacks = FallbacksFor(record, choices, choice->transfer_syntax);
    parts.push_back({std::move(record), std::move(choice->transfer_syntax), std::move(fallbacks)});
  }

  if (!multipart) {  // one instance, asked for as plain application/dicom
    auto bytes =
        co_await RunBlocking(ctx.api.blocking, [&] { return ReadAs(ctx.api.archive, parts[0]); });
    if (!bytes) co_return ReadFailure(bytes.error());
    Response response = BytesResponse(
        std::move(*bytes), std::string(kDicom) + "; transfer-syntax=" + parts[0].transfer_syntax);
    response.SetHeader("Cache-Control", std::string(kPrivate));
    co_return response;
  }
  MultipartWriter writer;
  Response response;
  response.content_type = writer.ContentType(kDicom);
  response.SetHeader("Cache-Control", std::string(kPrivate));
  response.stream =
      std::make_shared<DicomParts>(ctx.shared_from_this(), std::move(parts), std::move(writer));
  co_return response;
}

// ---- Metadata ----

std::string BulkDataPrefix(const std::string& root, const catalog::InstanceRecord& record) {
  return root + "/studies/" + record.study_instance_uid + "/series/" + record.series_instance_uid +
         "/instances/" + record.sop_instance_uid + "/bulkdata/";
}

// `bytes`: what Archive::ReadMetadataBytes gave for `record`.
Result<std::string> InstanceJson(const Result<Bytes>& bytes, const catalog::InstanceRecord& record,
                                 const std::string& root) {
  if (!bytes) return std::unexpected(bytes.error());
  // Pixel Data is only named (BulkDataURI) in metadata: no frame is decoded.
  auto json = dicom::DatasetToJson(*bytes, {.bulk_data_uri_prefix = BulkDataPrefix(root, record)});
  if (!json) {
    // It parsed when it was received: failing now is ours, not the client's.
    return Fail(ErrorCode::kInternal,
                "a stored object cannot be read as DICOM JSON: " + json.error().message);
  }
  return json;
}

// The JSON objects of a series' instances, comma-joined (no brackets), from
// the cache when the study has not changed since they were built.
// Keys name the tenant: two hospitals may hold different series under one UID.
Result<std::shared_ptr<const Bytes>> SeriesJson(WadoContext& ctx, const std::string& tenant,
                                                const std::string& series_uid,
                                                const std::string& root, const std::string& token) {
  const std::string key = "json|" + tenant + "|" + series_uid + "|" + root;
  if (auto hit = ctx.metadata.Find(key, token)) return hit;
  auto instances = ctx.api.archive.ListInstances(catalog::Scope::Of(tenant), series_uid);
  if (!instances) return std::unexpected(instances.error());
  std::erase_if(*instances, [](const catalog::InstanceRecord& r) { return r.version != 1; });
  // The kept headers are read a batch at a time (one catalog query each),
  // and each is made JSON on its own: the read-ahead threads share that
  // work, in order of the results, while the next batch is read here.
  constexpr size_t kBatch = 256;
  std::vector<std::future<Result<std::string>>> jsons;
  jsons.reserve(instances->size());
  const std::span<const catalog::InstanceRecord> all(*instances);
  for (size_t first = 0; first < all.size(); first += kBatch) {
    const auto batch = all.subspan(first, std::min(kBatch, all.size() - first));
    auto headers = ctx.api.archive.ReadMetadataBytes(batch);
    for (size_t i = 0; i < batch.size(); ++i) {
      auto task = std::make_shared<std::packaged_task<Result<std::string>()>>(
          [bytes = std::move(headers[i]), &record = batch[i], &root] {
            return InstanceJson(bytes, record, root);
          });
      jsons.push_back(task->get_future());
      boost::asio::post(ctx.read_ahead, [task] { (*task)(); });
    }
  }
  Bytes out;
  std::optional<Error> failed;
  for (auto& pending : jsons) {
    auto json = pending.get();  // every task is waited for: they borrow `instances`
    if (!json) {
      if (!failed) failed = json.error();
      continue;
    }
    if (!out.empty()) out.push_back(std::byte{','});
    Append(out, *json);
  }
  if (failed) return std::unexpected(*failed);
  auto value = std::make_shared<const Bytes>(std::move(out));
  ctx.metadata.Put(key, token, value, value->size());
  return value;
}

struct MetadataBody {
  std::shared_ptr<const Bytes> bytes;
  bool gzipped = false;
};

Result<MetadataBody> Finish(WadoContext& ctx, Bytes body, bool gzip, const std::string& key,
                            const std::string& token) {
  if (!gzip) return MetadataBody{std::make_shared<const Bytes>(std::move(body)), false};
  auto packed = Gzip(body);
  if (!packed) return std::unexpected(packed.error());
  auto value = std::make_shared<const Bytes>(std::move(*packed));
  if (!key.empty()) ctx.metadata.Put(key, token, value, value->size());
  return MetadataBody{std::move(value), true};
}

Result<MetadataBody> LoadMetadata(WadoContext& ctx, const Target& target, const std::string& root,
                                  bool gzip) {
  archive::Archive& archive = ctx.api.archive;
  if (target.level == Level::kInstance) {
    auto records = ResolveInstances(archive, target);
    if (!records) return std::unexpected(records.error());
    auto json = InstanceJson(archive.ReadMetadataBytes(records->front()), records->front(), root);
    if (!json) return std::unexpected(json.error());
    Bytes body = ToBytes("[");
    Append(body, *json);
    Append(body, "]");
    return Finish(ctx, std::move(body), gzip, {}, {});
  }
  // The study's instance count and last update name the cached state:
  // a new instance changes them, and with them every key below.
  auto study = archive.GetStudy(target.scope, target.study);
  if (!study) return std::unexpected(study.error());
  const std::string token =
      std::to_string(study->num_instances) + "/" + std::to_string(study->updated_at_ms);
  const std::string scope =
      (target.level == Level::kStudy ? "study|" + target.study : "series|" + target.series) + "|" +
      study->tenant + "|" + root;
  if (gzip) {
    if (auto hit = ctx.metadata.Find("gzip|" + scope, token)) return MetadataBody{hit, true};
  }
  auto series = archive.ListSeries(catalog::Scope::Of(study->tenant), target.study);
  if (!series) return std::unexpected(series.error());
  Bytes body = ToBytes("[");
  bool found = false;
  for (const auto& one : *series) {
    if (target.level == Level::kSeries && one.series_instance_uid != target.series) continue;
    found = true;
    auto part = SeriesJson(ctx, study->tenant, one.series_instance_uid, root, token);
    if (!part) return std::unexpected(part.error());
    if ((*part)->empty()) continue;
    if (body.size() > 1) body.push_back(std::byte{','});
    body.insert(body.end(), (*part)->begin(), (*part)->end());
  }
  if (!found) return Fail(ErrorCode::kNotFound, "unknown series in this study");
  Append(body, "]");
  return Finish(ctx, std::move(body), gzip, "gzip|" + scope, token);
}

template <Level level>
awaitable<Response> Metadata(WadoContext& ctx, const Request& req) {
  const auto ranges = AcceptedRanges(req);
  if (!ranges) co_return ErrorResponse(ranges.error());
  if (!AcceptsDicomJson(*ranges)) {
    co_return NotAcceptable("metadata is available as application/dicom+json only");
  }
  const Target target = TargetOf(req, level);
  const std::string root = ServiceRoot(req);
  const bool gzip = AcceptsGzip(HeaderValues(req, beast_http::field::accept_encoding));
  auto body =
      co_await RunBlocking(ctx.api.blocking, [&] { return LoadMetadata(ctx, target, root, gzip); });
  if (!body) co_return ErrorResponse(body.error());
  // The cache keeps its copy; the answer gets its own (the socket write
  // takes ownership of the body).
  Response response = BytesResponse(*body->bytes, kDicomJson);
  if (body->gzipped) response.SetHeader("Content-Encoding", "gzip");
  response.SetHeader("Vary", "Accept-Encoding");
  response.SetHeader("Cache-Control", std::string(kPrivate));
  co_return response;
}

// ---- Frames and bulk data ----

// The decoded pixels of `record`, from the cache when it was decoded lately
// (a viewer asks for one frame after another).
Result<std::shared_ptr<const codec::NativePixels>> PixelsOf(WadoContext& ctx,
                                                            const catalog::InstanceRecord& record) {
  if (!record.rows) return Fail(ErrorCode::kNotFound, "the instance has no pixel data");
  // The SHA-256 of the received bytes names the pixels exactly.
  if (auto hit = ctx.frames.Find(record.sha256_hex, {})) return hit;
  auto bytes = ctx.api.archive.ReadBlob(record);
  if (!bytes) return std::unexpected(bytes.error());
  auto pixels = codec::DecodePixels(*bytes);
  if (!pixels) {
    if (pixels.error().code == ErrorCode::kUnsupported) return std::unexpected(pixels.error());
    return Fail(ErrorCode::kInternal,
                "the stored object's pixels cannot be decoded: " + pixels.error().message);
  }
  if (pixels->frames == 0 || pixels->data.size() % pixels->frames != 0) {
    return Fail(ErrorCode::kUnsupported, "frames that are not whole bytes cannot be sent");
  }
  auto value = std::make_shared<const codec::NativePixels>(std::move(*pixels));
  ctx.frames.Put(record.sha256_hex, {}, value, value->data.size());
  return value;
}

Result<std::shared_ptr<const codec::NativePixels>> LoadPixels(WadoContext& ctx,
                                                              const Target& target) {
  auto records = ResolveInstances(ctx.api.archive, target);
  if (!records) return std::unexpected(records.error());
  return PixelsOf(ctx, records->front());
}

// Every frame of `record` compressed, without decoding: as received, or as
// HTJ2K from its stored form. kUnsupported when the instance cannot give
// them (frames that cannot be told apart, no eligible stored form yet).
Result<std::shared_ptr<const std::vector<Bytes>>> CompressedFramesOf(
    WadoContext& ctx, const catalog::InstanceRecord& record, FrameSource source) {
  const std::string key =
      (source == FrameSource::kAsReceived ? "received|" : "htj2k|") + record.sha256_hex;
  if (auto hit = ctx.compressed_frames.Find(key, {})) return hit;
  Result<std::vector<Bytes>> frames = Fail(ErrorCode::kUnsupported, "no compressed frames");
  if (source == FrameSource::kAsReceived) {
    auto bytes = ctx.api.archive.ReadBlob(record);  // SHA-256 checked
    if (!bytes) return std::unexpected(bytes.error());
    frames = codec::EncapsulatedFrames(
        *bytes, static_cast<uint32_t>(std::max(1, record.number_of_frames.value_or(1))));
  } else {
    auto blob = ctx.api.archive.ReadStored(record);
    if (!blob) return std::unexpected(blob.error());
    if (!codec::IsStoredForm(*blob)) {
      // Received recently (kept as received for a while), or no stored
      // form fitted: HTJ2K is offered once the compactor made one.
      return Fail(ErrorCode::kUnsupported, "the instance is not (yet) held as HTJ2K");
    }
    frames = codec::StoredFormHtj2kFrames(*blob);
  }
  if (!frames) {
    if (frames.error().code == ErrorCode::kUnsupported) return std::unexpected(frames.error());
    log::Warn("retrieve.frames_unreadable",
              {{"blob", record.blob_key}, {"error", frames.error().message}});
    return Fail(ErrorCode::kInternal,
                "the stored object's frames cannot be read: " + frames.error().message);
  }
  size_t bytes = 0;
  for (const Bytes& frame : *frames) bytes += frame.size();
  auto value = std::make_shared<const std::vector<Bytes>>(std::move(*frames));
  ctx.compressed_frames.Put(key, {}, value, bytes);
  return value;
}

// The frames of an instance in the encoding chosen for the request.
struct LoadedFrames {
  FrameEncoding encoding;
  std::shared_ptr<const codec::NativePixels> native;     // FrameSource::kNative
  std::shared_ptr<const std::vector<Bytes>> compressed;  // otherwise
  uint32_t Count() const {
    return native ? native->frames : static_cast<uint32_t>(compressed->size());
  }
};

// What the frames of `record` are available as, for a 406.
std::string AvailableFrameEncodings(WadoContext& ctx, const catalog::InstanceRecord& record,
                                    bool native) {
  std::vector<std::string> forms;
  if (native) {
    forms.push_back(
        "type=\"application/octet-stream\" in explicit VR little endian (native pixels)");
  }
  const std::string& ts = record.transfer_syntax_uid;
  if (!CompressedFrameMediaType(ts).empty() &&
      CompressedFramesOf(ctx, record, FrameSource::kAsReceived)) {
    forms.push_back("as received, type=\"application/octet-stream\" with transfer-syntax=" + ts +
                    " or *, or type=\"" + std::string(CompressedFrameMediaType(ts)) + "\"");
  }
  if ((ts == codec::ts::kExplicitLittle || ts == codec::ts::kImplicitLittle) &&
      CompressedFramesOf(ctx, record, FrameSource::kStoredFormHtj2k)) {
    forms.push_back(
        "as HTJ2K, type=\"image/jphc\", or type=\"application/octet-stream\" with "
        "transfer-syntax=" +
        std::string(codec::kHtj2kLosslessSyntax));
  }
  if (forms.empty()) return "the frames of this instance cannot be sent";
  std::string out = "frames of this instance are available as multipart/related; ";
  for (size_t i = 0; i < forms.size(); ++i) out += (i == 0 ? "" : "; or ") + forms[i];
  return out;
}

// The frames of the target instance in the first encoding of `ranges` it
// can give (PS3.18 8.7.5: the Accept's order of preference).
Result<LoadedFrames> LoadFrames(WadoContext& ctx, const Target& target,
                                const std::vector<MediaRange>& ranges) {
  auto records = ResolveInstances(ctx.api.archive, target);
  if (!records) return std::unexpected(records.error());
  const catalog::InstanceRecord& record = records->front();
  if (!record.rows) return Fail(ErrorCode::kNotFound, "the instance has no pixel data");
  std::string last_reason;
  bool native = true;  // until decoding was tried and failed
  for (FrameEncoding& encoding : AcceptableFrameEncodings(ranges, record.transfer_syntax_uid)) {
    if (encoding.source == FrameSource::kNative) {
      auto pixels = PixelsOf(ctx, record);
      if (pixels) return LoadedFrames{std::move(encoding), std::move(*pixels), nullptr};
      if (pixels.error().code != ErrorCode::kUnsupported) return std::unexpected(pixels.error());
      last_reason = pixels.error().message;
      native = false;
      continue;
    }
    auto frames = CompressedFramesOf(ctx, record, encoding.source);
    if (frames) return LoadedFrames{std::move(encoding), nullptr, std::move(*frames)};
    if (frames.error().code != ErrorCode::kUnsupported) return std::unexpected(frames.error());
    last_reason = frames.error().message;  // not for this instance: try the next one
  }
  std::string message = AvailableFrameEncodings(ctx, record, native);
  if (!last_reason.empty()) message = last_reason + "; " + message;
  return Fail(ErrorCode::kUnsupported, message);
}

std::string OctetPartType() {
  return std::string(kOctetStream) + "; transfer-syntax=" + std::string(codec::ts::kExplicitLittle);
}

awaitable<Response> Frames(WadoContext& ctx, const Request& req) {
  const auto frames = ParseFrameList(req.Param("frames"));
  if (!frames) co_return ErrorResponse(frames.error());
  const auto ranges = AcceptedRanges(req);
  if (!ranges) co_return ErrorResponse(ranges.error());
  const bool multipart = std::ranges::any_of(*ranges, [](const MediaRange& range) {
    return range.type == "multipart/related" || range.type == "multipart/*" || range.type == "*/*";
  });
  if (!multipart) {
    co_return NotAcceptable(
        "frames are available as multipart/related; type=\"application/octet-stream\" in "
        "explicit VR little endian (native pixels), or compressed (transfer-syntax=*, or an "
        "image type of PS3.18 Table 8.7.3-5)");
  }
  const Target target = TargetOf(req, Level::kInstance);
  auto loaded =
      co_await RunBlocking(ctx.api.blocking, [&] { return LoadFrames(ctx, target, *ranges); });
  if (!loaded) co_return ReadFailure(loaded.error());
  const uint32_t count = loaded->Count();
  for (const uint32_t frame : *frames) {
    if (frame > count) {
      co_return ErrorResponse({ErrorCode::kNotFound, "frame " + std::to_string(frame) +
                                                         " is out of range: the instance has " +
                                                         std::to_string(count) + " frame(s)"});
    }
  }
  const std::string part_type = loaded->encoding.PartContentType();
  MultipartWriter writer;
  Bytes body;
  if (loaded->native) {
    const codec::NativePixels& native = *loaded->native;
    const size_t frame_bytes = native.data.size() / native.frames;
    body.reserve(frames->size() * (frame_bytes + 200));
    for (const uint32_t frame : *frames) {
      Append(body, writer.PartHeader(part_type, frame_bytes));
      const auto first = native.data.begin() + static_cast<ptrdiff_t>((frame - 1) * frame_bytes);
      body.insert(body.end(), first, first + static_cast<ptrdiff_t>(frame_bytes));
    }
  } else {
    for (const uint32_t frame : *frames) {
      const Bytes& bytes = (*loaded->compressed)[frame - 1];
      Append(body, writer.PartHeader(part_type, bytes.size()));
      body.insert(body.end(), bytes.begin(), bytes.end());
    }
  }
  Append(body, writer.Close());
  Response response =
      BytesResponse(std::move(body), writer.ContentType(loaded->encoding.media_type));
  response.SetHeader("Cache-Control", std::string(kPrivate));
  co_return response;
}

Result<uint32_t> ParseTag(std::string_view text) {
  uint32_t tag = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), tag, 16);
  if (text.size() != 8 || ec != std::errc{} || end != text.data() + text.size()) {
    return Fail(ErrorCode::kInvalidArgument, "a bulk data tag is 8 hexadecimal digits");
  }
  return tag;
}

Result<Bytes> LoadBulkData(WadoContext& ctx, const Target& target, uint32_t tag) {
  if (tag == kPixelDataTag) {
    // Native pixels whatever the stored transfer syntax, as for frames.
    auto pixels = LoadPixels(ctx, target);
    if (!pixels) return std::unexpected(pixels.error());
    return (*pixels)->data;
  }
  auto records = ResolveInstances(ctx.api.archive, target);
  if (!records) return std::unexpected(records.error());
  auto bytes = ctx.api.archive.ReadBlob(records->front());
  if (!bytes) return std::unexpected(bytes.error());
  return dicom::ReadBulkData(*bytes, tag);
}

awaitable<Response> BulkData(WadoContext& ctx, const Request& req) {
  const auto tag = ParseTag(req.Param("tag"));
  if (!tag) co_return ErrorResponse(tag.error());
  const auto ranges = AcceptedRanges(req);
  if (!ranges) co_return ErrorResponse(ranges.error());
  // Single part (plain application/octet-stream) for clients that ask for
  // it only: OHIF's "singlepart: bulkdata" setting does.
  const bool multipart = AcceptsOctetStream(*ranges);
  const bool single = std::ranges::any_of(*ranges, [](const MediaRange& r) {
    return r.type == kOctetStream || r.type == "application/*";
  });
  if (!multipart && !single) {
    co_return NotAcceptable(
        "bulk data is available as multipart/related; type=\"application/octet-stream\" or "
        "as application/octet-stream");
  }
  const Target target = TargetOf(req, Level::kInstance);
  auto bytes =
      co_await RunBlocking(ctx.api.blocking, [&] { return LoadBulkData(ctx, target, *tag); });
  if (!bytes) co_return ReadFailure(bytes.error());
  // A Range (PS3.18 8.3.5.1: bulk data may be fetched in pieces, e.g. the
  // first frames of a large multi-frame object) selects the part's bytes.
  const uint64_t size = bytes->size();
  const RangeRequest range = ParseByteRange(HeaderValues(req, beast_http::field::range), size);
  if (range.kind == RangeRequest::Kind::kUnsatisfiable) {
    Response response = ProblemResponse(
        416, ProblemType(ErrorCode::kInvalidArgument), "Range not satisfiable",
        "the requested range lies outside the value's " + std::to_string(size) + " bytes");
    response.SetHeader("Content-Range", "bytes */" + std::to_string(size));
    co_return response;
  }
  ByteRange part{0, size == 0 ? 0 : size - 1};
  if (range.kind == RangeRequest::Kind::kPart) part = range.range;
  const size_t length = size == 0 ? 0 : static_cast<size_t>(part.Length());
  const std::string content_range = "bytes " + std::to_string(part.first) + "-" +
                                    std::to_string(part.last) + "/" + std::to_string(size);
  if (!multipart) {
    const auto first = bytes->begin() + static_cast<ptrdiff_t>(part.first);
    Response response =
        BytesResponse(Bytes(first, first + static_cast<ptrdiff_t>(length)), kOctetStream,
                      range.kind == RangeRequest::Kind::kPart ? 206 : 200);
    if (range.kind == RangeRequest::Kind::kPart) response.SetHeader("Content-Range", content_range);
    response.SetHeader("Accept-Ranges", "bytes");
    response.SetHeader("Cache-Control", std::string(kPrivate));
    co_return response;
  }
  MultipartWriter writer;
  Bytes body = ToBytes(writer.PartHeader(OctetPartType(), length));
  if (range.kind == RangeRequest::Kind::kPart) {
    // The part's header announces the range as multipart/byteranges does.
    body.resize(body.size() - 2);  // before the blank line that ends the header
    Append(body, "Content-Range: " + content_range + "\r\n\r\n");
  }
  const auto first = bytes->begin() + static_cast<ptrdiff_t>(part.first);
  body.insert(body.end(), first, first + static_cast<ptrdiff_t>(length));
  Append(body, writer.Close());
  Response response = BytesResponse(std::move(body), writer.ContentType(kOctetStream));
  if (range.kind == RangeRequest::Kind::kPart) {
    response.status = 206;
    response.SetHeader("Content-Range", content_range);
  }
  response.SetHeader("Accept-Ranges", "bytes");
  response.SetHeader("Cache-Control", std::string(kPrivate));
  co_return response;
}

// ---- WADO-URI ----

Result<std::string> Required(const QueryParams& query, std::string_view name) {
  const auto value = query.Get(name);
  if (!value) {
    return Fail(ErrorCode::kInvalidArgument,
                "query parameter '" + std::string(name) + "' is required");
  }
  return std::string(*value);
}

// WADO-URI's rendering parameters (PS3.18 9.1.2.4 - 9.1.2.5): rows and
// columns (the largest output size, never enlarged), windowCenter with
// windowWidth, frameNumber and imageQuality. region and presentationUID
// are refused rather than silently ignored: the image would not be the
// one asked for.
Result<codec::RenderOptions> WadoUriRenderOptions(const QueryParams& q,
                                                  codec::RenderFormat format) {
  codec::RenderOptions options;
  options.format = format;
  auto rows = GetInt(q, "rows", 0, 1, codec::kMaxRenderSide);
  if (!rows) return std::unexpected(rows.error());
  auto columns = GetInt(q, "columns", 0, 1, codec::kMaxRenderSide);
  if (!columns) return std::unexpected(columns.error());
  if (*rows > 0 || *columns > 0) {
    // One of them alone bounds that side only.
    options.viewport_width = static_cast<uint32_t>(*columns > 0 ? *columns : codec::kMaxRenderSide);
    options.viewport_height = static_cast<uint32_t>(*rows > 0 ? *rows : codec::kMaxRenderSide);
    options.enlarge = false;
  }
  auto frame = GetInt(q, "frameNumber", 1, 1, std::numeric_limits<uint32_t>::max());
  if (!frame) return std::unexpected(frame.error());
  options.frame = static_cast<uint32_t>(*frame);
  auto quality = GetInt(q, "imageQuality", 90, 1, 100);
  if (!quality) return std::unexpected(quality.error());
  options.quality = static_cast<int>(*quality);
  const auto center = q.Get("windowCenter");
  const auto width = q.Get("windowWidth");
  if (center.has_value() != width.has_value()) {
    return Fail(ErrorCode::kInvalidArgument,
                "query parameters 'windowCenter' and 'windowWidth' come together");
  }
  if (center) {
    double c = 0, w = 0;
    const auto [ce, cec] = std::from_chars(center->data(), center->data() + center->size(), c);
    const auto [we, wec] = std::from_chars(width->data(), width->data() + width->size(), w);
    if (cec != std::errc{} || ce != center->data() + center->size() || wec != std::errc{} ||
        we != width->data() + width->size() || !(w >= 1)) {
      return Fail(ErrorCode::kInvalidArgument,
                  "query parameters 'windowCenter' and 'windowWidth' must be numbers, the width "
                  "at least 1");
    }
    options.window = codec::RenderWindow{c, w, codec::VoiFunction::kLinear};
  }
  if (q.Get("region")) {
    return Fail(ErrorCode::kInvalidArgument, "query parameter 'region' is not supported");
  }
  if (q.Get("presentationUID")) {
    return Fail(ErrorCode::kInvalidArgument,
                "query parameter 'presentationUID' is not supported (no presentation states)");
  }
  return options;
}

awaitable<Response> WadoUri(WadoContext& ctx, const Request& req) {
  const auto request_type = req.query.Get("requestType");
  if (request_type != "WADO") {
    co_return ErrorResponse(
        {ErrorCode::kInvalidArgument, "query parameter 'requestType' must be WADO"});
  }
  Target target{Level::kInstance, {}, {}, {}, req.scope};
  for (auto [name, field] :
       {std::pair{"studyUID", &target.study}, std::pair{"seriesUID", &target.series},
        std::pair{"objectUID", &target.instance}}) {
    auto value = Required(req.query, name);
    if (!value) co_return ErrorResponse(value.error());
    *field = std::move(*value);
  }
  if (req.query.Get("anonymize") == "yes") {
    co_return NotAcceptable("anonymize=yes is not supported");
  }
  // Without contentType an image is asked for as image/jpeg (PS3.18 9.1.2).
  const std::string content_type(req.query.Get("contentType").value_or("image/jpeg"));
  const auto ranges = ParseAccept(content_type);
  if (!ranges) co_return ErrorResponse(ranges.error());
  const bool dicom = std::ranges::any_of(*ranges, [](const MediaRange& range) {
    return range.type == kDicom || range.type == "application/*" || range.type == "*/*";
  });
  if (!dicom) {
    std::optional<codec::RenderFormat> format;
    for (const MediaRange& range : *ranges) {
      if (range.type == "image/jpeg" || range.type == "image/*")
        format = codec::RenderFormat::kJpeg;
      if (range.type == "image/png") format = codec::RenderFormat::kPng;
      if (format) break;
    }
    if (!format) {
      co_return NotAcceptable("contentType must be application/dicom, image/jpeg or image/png");
    }
    auto options = WadoUriRenderOptions(req.query, *format);
    if (!options) co_return ErrorResponse(options.error());
    auto image = co_await RunBlocking(ctx.api.blocking, [&]() -> Result<Bytes> {
      auto records = ResolveInstances(ctx.api.archive, target);
      if (!records) return std::unexpected(records.error());
      auto bytes = ctx.api.archive.ReadBlob(records->front());
      if (!bytes) return std::unexpected(bytes.error());
      return codec::RenderImage(*bytes, *options);
    });
    if (!image) co_return ReadFailure(image.error());
    Response response = BytesResponse(
        std::move(*image), *format == codec::RenderFormat::kPng ? "image/png" : "image/jpeg");
    response.SetHeader("Cache-Control", std::string(kPrivate));
    co_return response;
  }
  // WADO-URI's default for application/dicom: Explicit VR Little Endian.
  const std::string wanted(req.query.Get("transferSyntax").value_or(codec::ts::kExplicitLittle));

  auto records = co_await RunBlocking(ctx.api.blocking,
                                      [&] { return ResolveInstances(ctx.api.archive, target); });
  if (!records) co_return ErrorResponse(records.error());
  PlannedPart part{std::move(records->front()), wanted, {}};
  if (wanted == "*") part.transfer_syntax = part.record.transfer_syntax_uid;
  if (!CanConvert(part.record.transfer_syntax_uid, part.transfer_syntax)) {
    co_return NotAcceptable("transfer syntax " + part.transfer_syntax +
                            " cannot be produced losslessly for this object");
  }
  auto bytes =
      co_await RunBlocking(ctx.api.blocking, [&] { return ReadAs(ctx.api.archive, part); });
  if (!bytes) co_return ReadFailure(bytes.error());
  Response response = BytesResponse(std::move(*bytes), kDicom);
  response.SetHeader("Cache-Control", std::string(kPrivate));
  co_return response;
}

}  // namespace

void AddWadoRoutes(Router& router, const ApiContext& context, const WadoOptions& options) {
  // Shared by the handlers (std::function copies them); lives as long as
  // the routes.
  auto ctx = std::make_shared<WadoContext>(context, options);
  using Fn = awaitable<Response> (*)(WadoContext&, const Request&);
  // Whole objects leaving are downloads; metadata and pixels for a viewer
  // are views.
  const auto add = [&](const std::string& pattern, Fn fn,
                       audit::Action action = audit::Action::kView) {
    router.Add(beast_http::verb::get, pattern, {access::Permission::kReadImages, action},
               [ctx, fn](const Request& req) { return fn(*ctx, req); });
  };
  const std::string study = "/dicom-web/studies/{study}";
  const std::string series = study + "/series/{series}";
  const std::string instance = series + "/instances/{instance}";
  add(study, &Retrieve<Level::kStudy>, audit::Action::kDownload);
  add(series, &Retrieve<Level::kSeries>, audit::Action::kDownload);
  add(instance, &Retrieve<Level::kInstance>, audit::Action::kDownload);
  add(study + "/metadata", &Metadata<Level::kStudy>);
  add(series + "/metadata", &Metadata<Level::kSeries>);
  add(instance + "/metadata", &Metadata<Level::kInstance>);
  add(instance + "/frames/{frames}", &Frames);
  add(instance + "/bulkdata/{tag}", &BulkData);
  add("/wado", &WadoUri, audit::Action::kDownload);
}

}  // namespace cf::http
