// SPDX-License-Identifier: Apache-2.0
// The files of the built web apps (http.web_root, the Vite output of web/),
// read once and kept in memory with their gzip form: a phone on 4G gets
// the compressed bundle without the server compressing it per request.
// Internal to cf::http.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "core/bytes.hpp"
#include "core/error.hpp"

namespace cf::http {

struct StaticFile {
  Bytes bytes;
  Bytes gzipped;  // empty when gzip would not help (images, tiny files)
  std::string content_type;
  std::string etag;  // strong, from the content: the same file gets the same tag
};

// Thread-safe. A file changed on disk (a new build) is read again.
class StaticFiles {
 public:
  // An empty root serves nothing: every Get is kNotFound.
  explicit StaticFiles(std::filesystem::path root);

  // The file at `relative` ("patient.html", "assets/index-x1y2.js"): plain
  // names separated by '/', none empty, starting with '.' or holding
  // anything but letters, digits, '.', '_' and '-'. kInvalidArgument for
  // any other name, kNotFound when there is no such regular file.
  Result<std::shared_ptr<const StaticFile>> Get(std::string_view relative);

  bool HasRoot() const { return !root_.empty(); }

 private:
  struct Entry {
    std::shared_ptr<const StaticFile> file;
    std::filesystem::file_time_type mtime;
    uintmax_t size = 0;
  };
  std::filesystem::path root_;
  std::mutex mutex_;
  std::map<std::string, Entry, std::less<>> cache_;
};

// The media type of a file name by its extension; application/octet-stream
// for any other.
std::string_view ContentTypeOf(std::string_view name);

// Whether a relative name is one StaticFiles accepts.
bool IsSafeRelativeName(std::string_view relative);

}  // namespace cf::http
