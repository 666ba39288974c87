// SPDX-License-Identifier: Apache-2.0
#include "http/static_files.hpp"

#include <array>
#include <fstream>
#include <utility>

#include "crypto/sha256.hpp"
#include "http/gzip.hpp"

namespace cf::http {

namespace {

namespace fs = std::filesystem;

struct TypeOf {
  std::string_view extension;
  std::string_view type;
  bool compressible;
};

constexpr std::array kTypes = {
    TypeOf{".html", "text/html; charset=utf-8", true},
    TypeOf{".js", "text/javascript; charset=utf-8", true},
    TypeOf{".mjs", "text/javascript; charset=utf-8", true},
    TypeOf{".css", "text/css; charset=utf-8", true},
    TypeOf{".json", "application/json", true},
    TypeOf{".map", "application/json", true},
    TypeOf{".webmanifest", "application/manifest+json", true},
    TypeOf{".wasm", "application/wasm", true},
    TypeOf{".svg", "image/svg+xml", true},
    TypeOf{".txt", "text/plain; charset=utf-8", true},
    TypeOf{".png", "image/png", false},
    TypeOf{".jpg", "image/jpeg", false},
    TypeOf{".jpeg", "image/jpeg", false},
    TypeOf{".ico", "image/x-icon", true},
    TypeOf{".woff2", "font/woff2", false},
    TypeOf{".woff", "font/woff", false},
    TypeOf{".ttf", "font/ttf", true},
};

const TypeOf* TypeFor(std::string_view name) {
  for (const TypeOf& t : kTypes) {
    if (name.ends_with(t.extension)) return &t;
  }
  return nullptr;
}

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

Result<Bytes> ReadWhole(const fs::path& path, uintmax_t size) {
  std::ifstream in(path, std::ios::binary);
  Bytes bytes(size);
  if (!in || !in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(size))) {
    return std::unexpected(Error{ErrorCode::kStorageUnavailable, "cannot read a web app file"});
  }
  return bytes;
}

}  // namespace

std::string_view ContentTypeOf(std::string_view name) {
  const TypeOf* t = TypeFor(name);
  return t ? t->type : "application/octet-stream";
}

bool IsSafeRelativeName(std::string_view relative) {
  if (relative.empty()) return false;
  size_t start = 0;
  while (start <= relative.size()) {
    const size_t slash = relative.find('/', start);
    const std::string_view part = relative.substr(
        start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (part.empty() || part.front() == '.') return false;
    for (char c : part) {
      if (!IsNameChar(c)) return false;
    }
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return true;
}

StaticFiles::StaticFiles(fs::path root) : root_(std::move(root)) {}

Result<std::shared_ptr<const StaticFile>> StaticFiles::Get(std::string_view relative) {
  if (!IsSafeRelativeName(relative)) {
    return std::unexpected(Error{ErrorCode::kInvalidArgument, "not a web app file name"});
  }
  if (root_.empty()) {
    return std::unexpected(Error{ErrorCode::kNotFound, "the web apps are not installed here"});
  }
  const fs::path path = root_ / fs::path(relative);
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (ec || !fs::is_regular_file(status)) {
    return std::unexpected(Error{ErrorCode::kNotFound, "no such web app file"});
  }
  const uintmax_t size = fs::file_size(path, ec);
  const fs::file_time_type mtime = fs::last_write_time(path, ec);
  if (ec)
    return std::unexpected(Error{ErrorCode::kStorageUnavailable, "cannot read a web app file"});
  {
    std::lock_guard lock(mutex_);
    auto it = cache_.find(relative);
    if (it != cache_.end() && it->second.size == size && it->second.mtime == mtime) {
      return it->second.file;
    }
  }
  auto bytes = ReadWhole(path, size);
  if (!bytes) return std::unexpected(bytes.error());
  auto file = std::make_shared<StaticFile>();
  const TypeOf* type = TypeFor(relative);
  file->content_type = type ? type->type : "application/octet-stream";
  file->etag = "\"" + crypto::ToHex(crypto::Sha256(*bytes)).substr(0, 32) + "\"";
  if (type && type->compressible && bytes->size() > 1024) {
    // Level 9 once per build: every later answer reuses it.
    auto gzipped = Gzip(*bytes, 9);
    if (gzipped && gzipped->size() < bytes->size()) file->gzipped = std::move(*gzipped);
  }
  file->bytes = std::move(*bytes);
  std::lock_guard lock(mutex_);
  cache_[std::string(relative)] = Entry{file, mtime, size};
  return file;
}

}  // namespace cf::http
