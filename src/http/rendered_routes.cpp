// SPDX-License-Identifier: Apache-2.0
// Rendered resources and thumbnails. A handler checks the query (400) and
// the Accept header (406) before anything is read, then makes one
// RunBlocking hop that finds the instance, and unless the cache has the
// image, reads and renders it (codec::RenderImage: DCMTK, after our own
// decoders for JPEG 2000, HTJ2K and JPEG-LS). Only version 1 of each SOP
// Instance UID is rendered, as everywhere a version is not named.
#include "http/rendered_routes.hpp"

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "codec/render.hpp"
#include "http/accept.hpp"
#include "http/blocking.hpp"
#include "http/bounded_cache.hpp"
#include "http/problem.hpp"
#include "http/request_info.hpp"
#include "http/response.hpp"

namespace cf::http {
namespace beast_http = boost::beast::http;
using boost::asio::awaitable;

namespace {

constexpr std::string_view kJpeg = "image/jpeg";
constexpr std::string_view kPng = "image/png";
// Rendered images show patient data: never in a shared cache.
constexpr std::string_view kPrivate = "private, no-cache";
constexpr int kDefaultQuality = 90;
// A thumbnail fits in this square unless the query names a viewport; it is
// never larger than the image itself.
constexpr uint32_t kThumbnailSide = 128;

enum class Level { kStudy, kSeries, kInstance, kFrame };
enum class Kind { kRendered, kThumbnail };

struct RenderedContext {
  RenderedContext(const ApiContext& context, const RenderedOptions& options)
      : api(context), images(options.cache_bytes) {}

  const ApiContext& api;
  BoundedCache<Bytes> images;  // by SHA-256 of the stored object and render options
};

struct Target {
  Level level = Level::kStudy;
  std::string study;
  std::string series;
  std::string instance;
};

// An image we cannot make (no pixels, a video codec) is a 406: the client
// may still retrieve the object itself. Pixels of a stored object that do
// not decode are our failure, not the client's.
Response RenderFailure(const Error& error) {
  if (error.code == ErrorCode::kUnsupported) return NotAcceptable(error.message);
  if (error.code == ErrorCode::kInvalidDicom) {
    return ErrorResponse(
        {ErrorCode::kInternal, "the stored object's pixels cannot be rendered: " + error.message});
  }
  return ErrorResponse(error);
}

std::unexpected<Error> BadParameter(std::string_view name, std::string_view what) {
  return Fail(ErrorCode::kInvalidArgument,
              "query parameter '" + std::string(name) + "' " + std::string(what));
}

std::vector<std::string_view> SplitCommas(std::string_view text) {
  std::vector<std::string_view> parts;
  for (;;) {
    const size_t comma = text.find(',');
    parts.push_back(text.substr(0, comma));
    if (comma == std::string_view::npos) return parts;
    text.remove_prefix(comma + 1);
  }
}

template <class Number>
std::optional<Number> ParseNumber(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);  // from_chars refuses it
  Number value{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  if constexpr (std::is_floating_point_v<Number>) {
    if (!std::isfinite(value)) return std::nullopt;
  }
  return value;
}

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// window=center,width[,function] (PS3.18 8.3.5.1); the function defaults
// to linear, as PS3.3 C.11.2.1.2 does when VOI LUT Function is absent.
Result<codec::RenderWindow> ParseWindow(std::string_view text) {
  constexpr std::string_view kForm =
      "must be center,width[,function] with function linear, linear-exact or sigmoid";
  const auto parts = SplitCommas(text);
  if (parts.size() < 2 || parts.size() > 3) return BadParameter("window", kForm);
  const auto center = ParseNumber<double>(parts[0]);
  const auto width = ParseNumber<double>(parts[1]);
  if (!center || !width) return BadParameter("window", kForm);
  codec::RenderWindow window{*center, *width, codec::VoiFunction::kLinear};
  if (parts.size() == 3) {
    const std::string function = Lower(parts[2]);
    if (function == "linear-exact") {
      window.function = codec::VoiFunction::kLinearExact;
    } else if (function == "sigmoid") {
      window.function = codec::VoiFunction::kSigmoid;
    } else if (function != "linear") {
      return BadParameter("window", kForm);
    }
  }
  if (window.function == codec::VoiFunction::kLinearExact ? !(window.width > 0)
                                                          : window.width < 1) {
    return BadParameter("window",
                        "needs a width of at least 1 (above 0 for linear-exact), PS3.3 C.11.2.1");
  }
  return window;
}

// viewport=vw,vh[,sx,sy,sw,sh] (PS3.18 8.3.5.1): the box to fit the
// image into, and optionally the source region to show.
Result<void> ParseViewport(std::string_view text, codec::RenderOptions& options) {
  const auto parts = SplitCommas(text);
  if (parts.size() != 2 && parts.size() != 6) {
    return BadParameter("viewport", "must be vw,vh or vw,vh,sx,sy,sw,sh (whole pixels)");
  }
  std::vector<int64_t> values;
  for (const std::string_view part : parts) {
    const auto value = ParseNumber<int64_t>(part);
    if (!value)
      return BadParameter("viewport", "must be vw,vh or vw,vh,sx,sy,sw,sh (whole pixels)");
    values.push_back(*value);
  }
  const auto max_side = static_cast<int64_t>(codec::kMaxRenderSide);
  if (values[0] < 1 || values[1] < 1 || values[0] > max_side || values[1] > max_side) {
    return BadParameter("viewport", "needs vw and vh of 1.." + std::to_string(max_side));
  }
  options.viewport_width = static_cast<uint32_t>(values[0]);
  options.viewport_height = static_cast<uint32_t>(values[1]);
  if (values.size() == 6) {
    if (values[4] < 0 || values[5] < 0) {
      return BadParameter("viewport", "with a negative sw or sh (flipping) is not supported");
    }
    constexpr int64_t kMaxOffset = UINT32_MAX;
    if (values[2] < 0 || values[3] < 0 || values[4] == 0 || values[5] == 0 ||
        values[2] > kMaxOffset || values[3] > kMaxOffset || values[4] > kMaxOffset ||
        values[5] > kMaxOffset) {
      return BadParameter("viewport", "needs sx, sy >= 0 and sw, sh > 0");
    }
    options.region =
        codec::RenderRegion{static_cast<uint32_t>(values[2]), static_cast<uint32_t>(values[3]),
                            static_cast<uint32_t>(values[4]), static_cast<uint32_t>(values[5])};
  }
  return {};
}

// The render options a request's query asks for. `annotation` is accepted
// and ignored: PS3.18 leaves what annotations look like to the server, and
// we burn in none, since our viewers show patient and technique data as
// text beside the image. Unknown parameters are ignored, as in the rest of
// the API (and as PS3.18 8.3.5.1 allows).
Result<codec::RenderOptions> ParseOptions(const QueryParams& query, Kind kind) {
  codec::RenderOptions options;
  if (kind == Kind::kThumbnail) {
    options.viewport_width = kThumbnailSide;
    options.viewport_height = kThumbnailSide;
    options.enlarge = false;
  }
  auto quality = GetInt(query, "quality", kDefaultQuality, 1, 100);
  if (!quality) return std::unexpected(quality.error());
  options.quality = static_cast<int>(*quality);
  if (const auto window = query.Get("window")) {
    auto parsed = ParseWindow(*window);
    if (!parsed) return std::unexpected(parsed.error());
    options.window = *parsed;
  }
  if (const auto viewport = query.Get("viewport")) {
    if (auto ok = ParseViewport(*viewport, options); !ok) return std::unexpected(ok.error());
    options.enlarge = true;  // an explicit viewport is filled, also for a thumbnail
  }
  return options;
}

// The one frame number of a rendered frames resource.
Result<uint32_t> ParseFrame(std::string_view text) {
  const auto frame = ParseNumber<uint32_t>(text);
  if (frame && *frame >= 1) return *frame;
  if (text.find(',') != std::string_view::npos) {
    return Fail(ErrorCode::kInvalidArgument,
                "rendered frames are served one frame at a time: ask for .../frames/N/rendered");
  }
  return Fail(ErrorCode::kInvalidArgument, "the frame number must be a whole number from 1");
}

// The best acceptable image type, the `accept` query parameter winning over
// the header (PS3.18 8.3.3.1). JPEG is the default (PS3.18 8.7.4).
Result<codec::RenderFormat> ChooseFormat(const Request& req) {
  auto ranges = AcceptedRanges(req);
  if (!ranges) return std::unexpected(ranges.error());
  for (const MediaRange& range : *ranges) {
    if (range.type == kPng) return codec::RenderFormat::kPng;
    if (range.type == kJpeg || range.type == "image/*" || range.type == "*/*") {
      return codec::RenderFormat::kJpeg;
    }
  }
  return Fail(ErrorCode::kUnsupported, "rendered images are available as image/jpeg or image/png");
}

std::vector<catalog::InstanceRecord> Images(std::vector<catalog::InstanceRecord> records) {
  std::erase_if(records, [](const catalog::InstanceRecord& record) {
    return record.version != 1 || !record.rows || *record.rows <= 0;
  });
  return records;
}

// The middle one (the catalog lists them by Instance Number): for a CT
// series a slice through the middle of the body rather than its first.
catalog::InstanceRecord Middle(std::vector<catalog::InstanceRecord>& images) {
  return std::move(images[images.size() / 2]);
}

Result<catalog::InstanceRecord> Resolve(archive::Archive& archive, const catalog::Scope& scope,
                                        const Target& target) {
  if (target.level == Level::kInstance || target.level == Level::kFrame) {
    auto record = archive.GetInstanceVersion(scope, target.instance, 1);
    if (!record) return std::unexpected(record.error());
    if (record->study_instance_uid != target.study ||
        record->series_instance_uid != target.series) {
      return Fail(ErrorCode::kNotFound, "unknown instance in this study and series");
    }
    if (!record->rows) {
      return Fail(ErrorCode::kUnsupported, "the instance is not an image (SOP Class " +
                                               record->sop_class_uid +
                                               "): it cannot be rendered as an image");
    }
    return record;
  }
  if (target.level == Level::kSeries) {
    auto instances = archive.ListInstances(scope, target.series);
    if (!instances) return std::unexpected(instances.error());
    if (instances->empty() || instances->front().study_instance_uid != target.study) {
      return Fail(ErrorCode::kNotFound, "unknown series in this study");
    }
    auto images = Images(std::move(*instances));
    if (images.empty()) {
      return Fail(ErrorCode::kUnsupported, "the series has no images to render");
    }
    return Middle(images);
  }
  auto study = archive.GetStudy(scope, target.study);
  if (!study) return std::unexpected(study.error());
  const catalog::Scope own = catalog::Scope::Of(study->tenant);
  auto series = archive.ListSeries(own, target.study);
  if (!series) return std::unexpected(series.error());
  for (const auto& one : *series) {  // by Series Number
    auto instances = archive.ListInstances(own, one.series_instance_uid);
    if (!instances) return std::unexpected(instances.error());
    auto images = Images(std::move(*instances));
    if (!images.empty()) return Middle(images);
  }
  return Fail(ErrorCode::kUnsupported, "the study has no images to render");
}

std::string CacheKey(const catalog::InstanceRecord& record, const codec::RenderOptions& o) {
  std::string key = record.sha256_hex;
  const auto add = [&key](const auto& value) {
    key += '|';
    if constexpr (std::is_arithmetic_v<std::decay_t<decltype(value)>>) {
      key += std::to_string(value);
    } else {
      key += value;
    }
  };
  add(o.frame);
  add(o.format == codec::RenderFormat::kJpeg ? "jpeg" : "png");
  add(o.quality);
  if (o.window) {
    add(o.window->center);
    add(o.window->width);
    add(static_cast<int>(o.window->function));
  } else {
    add("-");
  }
  if (o.region) {
    add(o.region->x);
    add(o.region->y);
    add(o.region->width);
    add(o.region->height);
  } else {
    add("-");
  }
  add(o.viewport_width);
  add(o.viewport_height);
  add(o.enlarge ? 1 : 0);
  return key;
}

Result<std::shared_ptr<const Bytes>> Render(RenderedContext& ctx, const catalog::Scope& scope,
                                            const Target& target,
                                            const codec::RenderOptions& options) {
  auto record = Resolve(ctx.api.archive, scope, target);
  if (!record) return std::unexpected(record.error());
  // The stored object never changes under its SHA-256 (version 1 is kept
  // as received), so the image needs no validity token.
  const std::string key = CacheKey(*record, options);
  if (auto hit = ctx.images.Find(key, {})) return hit;
  auto bytes = ctx.api.archive.ReadBlob(*record);
  if (!bytes) return std::unexpected(bytes.error());
  auto image = codec::RenderImage(*bytes, options);
  if (!image) return std::unexpected(image.error());
  auto value = std::make_shared<const Bytes>(std::move(*image));
  ctx.images.Put(key, {}, value, value->size());
  return value;
}

template <Level level, Kind kind>
awaitable<Response> Rendered(RenderedContext& ctx, const Request& req) {
  auto options = ParseOptions(req.query, kind);
  if (!options) co_return ErrorResponse(options.error());
  if constexpr (level == Level::kFrame) {
    const auto frame = ParseFrame(req.Param("frames"));
    if (!frame) co_return ErrorResponse(frame.error());
    options->frame = *frame;
  }
  const auto format = ChooseFormat(req);
  if (!format) {
    if (format.error().code == ErrorCode::kUnsupported)
      co_return NotAcceptable(format.error().message);
    co_return ErrorResponse(format.error());
  }
  options->format = *format;
  const Target target{level, std::string(req.Param("study")), std::string(req.Param("series")),
                      std::string(req.Param("instance"))};
  auto image = co_await RunBlocking(ctx.api.blocking,
                                    [&] { return Render(ctx, req.scope, target, *options); });
  if (!image) co_return RenderFailure(image.error());
  // The cache keeps its copy; the answer gets its own.
  Response response = BytesResponse(**image, *format == codec::RenderFormat::kJpeg ? kJpeg : kPng);
  response.SetHeader("Cache-Control", std::string(kPrivate));
  response.SetHeader("Vary", "Accept");
  co_return response;
}

}  // namespace

void AddRenderedRoutes(Router& router, const ApiContext& context, const RenderedOptions& options) {
  auto ctx = std::make_shared<RenderedContext>(context, options);
  using Fn = awaitable<Response> (*)(RenderedContext&, const Request&);
  const auto add = [&](const std::string& pattern, Fn fn) {
    router.Add(beast_http::verb::get, pattern,
               {access::Permission::kReadImages, audit::Action::kView},
               [ctx, fn](const Request& req) { return fn(*ctx, req); });
  };
  const std::string study = "/dicom-web/studies/{study}";
  const std::string series = study + "/series/{series}";
  const std::string instance = series + "/instances/{instance}";
  const std::string frames = instance + "/frames/{frames}";
  add(study + "/rendered", &Rendered<Level::kStudy, Kind::kRendered>);
  add(series + "/rendered", &Rendered<Level::kSeries, Kind::kRendered>);
  add(instance + "/rendered", &Rendered<Level::kInstance, Kind::kRendered>);
  add(frames + "/rendered", &Rendered<Level::kFrame, Kind::kRendered>);
  add(study + "/thumbnail", &Rendered<Level::kStudy, Kind::kThumbnail>);
  add(series + "/thumbnail", &Rendered<Level::kSeries, Kind::kThumbnail>);
  add(instance + "/thumbnail", &Rendered<Level::kInstance, Kind::kThumbnail>);
  add(frames + "/thumbnail", &Rendered<Level::kFrame, Kind::kThumbnail>);
}

}  // namespace cf::http
