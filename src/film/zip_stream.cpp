// SPDX-License-Identifier: Apache-2.0
#include "film/zip_writer.hpp"

#include <archive.h>
#include <archive_entry.h>

#include <fstream>

#include "crypto/sha256.hpp"

namespace cf::film {
namespace {

Error WriteError(struct archive* a, const std::string& what) {
  const char* text = archive_error_string(a);
  return {ErrorCode::kStorageUnavailable,
          "cannot write the ZIP (" + what + "): " + (text != nullptr ? text : "unknown error")};
}

}  // namespace

struct ZipWriter::Impl {
  struct archive* a = nullptr;
  int64_t mtime_s = 0;
  bool closed = false;
  ~Impl() {
    if (a != nullptr) archive_write_free(a);
  }

  Result<void> Header(const std::string& name, uint64_t size) {
    struct archive_entry* entry = archive_entry_new();
    archive_entry_set_pathname(entry, name.c_str());
    archive_entry_set_filetype(entry, AE_IFREG);
    archive_entry_set_perm(entry, 0644);
    archive_entry_set_size(entry, static_cast<la_int64_t>(size));
    archive_entry_set_mtime(entry, static_cast<time_t>(mtime_s), 0);
    archive_entry_set_uid(entry, 0);
    archive_entry_set_gid(entry, 0);
    const int rc = archive_write_header(a, entry);
    archive_entry_free(entry);
    if (rc != ARCHIVE_OK) return std::unexpected(WriteError(a, name));
    return {};
  }

  Result<void> Data(const std::string& name, ByteView data) {
    if (data.empty()) return {};
    const la_ssize_t n = archive_write_data(a, data.data(), data.size());
    if (n < 0 || static_cast<size_t>(n) != data.size()) {
      return std::unexpected(WriteError(a, name));
    }
    return {};
  }
};

ZipWriter::ZipWriter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ZipWriter::~ZipWriter() = default;

Result<std::unique_ptr<ZipWriter>> ZipWriter::Create(const std::filesystem::path& path,
                                                     int64_t mtime_s) {
  auto impl = std::make_unique<Impl>();
  impl->a = archive_write_new();
  impl->mtime_s = mtime_s;
  if (impl->a == nullptr) return Fail(ErrorCode::kInternal, "libarchive: out of memory");
  if (archive_write_set_format_zip(impl->a) != ARCHIVE_OK ||
      archive_write_zip_set_compression_deflate(impl->a) != ARCHIVE_OK) {
    return std::unexpected(WriteError(impl->a, "format"));
  }
  // Deflate's fastest level: a package is written while someone waits for
  // it, and the slower levels save a few percent on CT pixels for several
  // times the CPU.
  archive_write_set_options(impl->a, "zip:compression-level=1");
  if (archive_write_open_filename(impl->a, path.c_str()) != ARCHIVE_OK) {
    return std::unexpected(WriteError(impl->a, path.filename().string()));
  }
  return std::unique_ptr<ZipWriter>(new ZipWriter(std::move(impl)));
}

Result<void> ZipWriter::AddBytes(const std::string& name, ByteView data) {
  if (auto r = impl_->Header(name, data.size()); !r) return r;
  if (auto r = impl_->Data(name, data); !r) return r;
  members_.push_back({name, crypto::ToHex(crypto::Sha256(data)), data.size()});
  return {};
}

Result<void> ZipWriter::AddFile(const std::string& name, const std::filesystem::path& file) {
  std::error_code ec;
  const uint64_t size = std::filesystem::file_size(file, ec);
  if (ec) return Fail(ErrorCode::kStorageUnavailable, "cannot read " + name + ": " + ec.message());
  std::ifstream in(file, std::ios::binary);
  if (!in) return Fail(ErrorCode::kStorageUnavailable, "cannot open " + name);
  if (auto r = impl_->Header(name, size); !r) return r;
  crypto::Sha256Hasher hasher;
  std::vector<char> buf(1 << 16);
  uint64_t copied = 0;
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    const auto n = static_cast<size_t>(in.gcount());
    if (n == 0) break;
    const ByteView piece(reinterpret_cast<const std::byte*>(buf.data()), n);
    hasher.Update(piece);
    if (auto r = impl_->Data(name, piece); !r) return r;
    copied += n;
  }
  if (in.bad() || copied != size) {
    return Fail(ErrorCode::kStorageUnavailable, "cannot read " + name + " while zipping it");
  }
  members_.push_back({name, crypto::ToHex(hasher.Finish()), size});
  return {};
}

Result<void> ZipWriter::Close() {
  if (impl_->closed) return {};
  impl_->closed = true;
  if (archive_write_close(impl_->a) != ARCHIVE_OK) {
    return std::unexpected(WriteError(impl_->a, "central directory"));
  }
  return {};
}

}  // namespace cf::film
