// SPDX-License-Identifier: Apache-2.0
#include "film/zip_stream.hpp"

#include <archive.h>
#include <archive_entry.h>

#include <optional>

#include "crypto/sha256.hpp"

namespace cf::film {
namespace {

Error WriteError(struct archive* a, const std::string& what) {
  const char* text = archive_error_string(a);
  return {ErrorCode::kInternal,
          "cannot write the ZIP (" + what + "): " + (text != nullptr ? text : "unknown error")};
}

la_ssize_t Append(struct archive*, void* client, const void* data, size_t size) {
  auto* out = static_cast<Bytes*>(client);
  const auto* p = static_cast<const std::byte*>(data);
  out->insert(out->end(), p, p + size);
  return static_cast<la_ssize_t>(size);
}

}  // namespace

struct ZipStream::Impl {
  struct archive* a = nullptr;
  int64_t mtime_s = 0;
  bool closed = false;
  // The member being written.
  std::optional<crypto::Sha256Hasher> hasher;
  std::string name;
  uint64_t size = 0;
  uint64_t written = 0;
  ~Impl() {
    // An archive abandoned before Finish (a failed download) still writes
    // its trailer here, into out_, where nobody reads it. (Marking it
    // failed first, archive_write_fail, would leak libarchive's filter.)
    if (a != nullptr) archive_write_free(a);
  }
};

ZipStream::ZipStream() : impl_(std::make_unique<Impl>()) {}
// The archive goes first: freeing it may still call Append, which writes
// into out_, a member destroyed before impl_ otherwise (ASan saw it on an
// abandoned package).
ZipStream::~ZipStream() { impl_.reset(); }

Result<std::unique_ptr<ZipStream>> ZipStream::Create(int64_t mtime_s, Compression compression) {
  std::unique_ptr<ZipStream> zip(new ZipStream());
  Impl& impl = *zip->impl_;
  impl.a = archive_write_new();
  impl.mtime_s = mtime_s;
  if (impl.a == nullptr) return Fail(ErrorCode::kInternal, "libarchive: out of memory");
  const bool store = compression == Compression::kStore;
  if (archive_write_set_format_zip(impl.a) != ARCHIVE_OK ||
      (store ? archive_write_zip_set_compression_store(impl.a)
             : archive_write_zip_set_compression_deflate(impl.a)) != ARCHIVE_OK) {
    return std::unexpected(WriteError(impl.a, "format"));
  }
  // Deflate's fastest level: a package is written while someone waits for
  // it, and the slower levels save a few percent on CT pixels for several
  // times the CPU.
  if (!store) archive_write_set_options(impl.a, "zip:compression-level=1");
  // Unblocked: every byte goes to Append at once, no padding at the end.
  archive_write_set_bytes_per_block(impl.a, 0);
  if (archive_write_open(impl.a, &zip->out_, nullptr, Append, nullptr) != ARCHIVE_OK) {
    return std::unexpected(WriteError(impl.a, "open"));
  }
  return zip;
}

Result<void> ZipStream::Begin(const std::string& name, uint64_t size) {
  Impl& impl = *impl_;
  if (impl.closed || impl.hasher) return Fail(ErrorCode::kInternal, "ZIP member out of order");
  struct archive_entry* entry = archive_entry_new();
  archive_entry_set_pathname(entry, name.c_str());
  archive_entry_set_filetype(entry, AE_IFREG);
  archive_entry_set_perm(entry, 0644);
  archive_entry_set_size(entry, static_cast<la_int64_t>(size));
  archive_entry_set_mtime(entry, static_cast<time_t>(impl.mtime_s), 0);
  archive_entry_set_uid(entry, 0);
  archive_entry_set_gid(entry, 0);
  const int rc = archive_write_header(impl.a, entry);
  archive_entry_free(entry);
  if (rc != ARCHIVE_OK) return std::unexpected(WriteError(impl.a, name));
  impl.hasher.emplace();
  impl.name = name;
  impl.size = size;
  impl.written = 0;
  return {};
}

Result<void> ZipStream::Write(ByteView slice) {
  Impl& impl = *impl_;
  if (!impl.hasher) return Fail(ErrorCode::kInternal, "ZIP data outside a member");
  if (slice.empty()) return {};
  if (impl.written + slice.size() > impl.size) {
    return Fail(ErrorCode::kInternal, "ZIP member " + impl.name + " longer than announced");
  }
  impl.hasher->Update(slice);
  const la_ssize_t n = archive_write_data(impl.a, slice.data(), slice.size());
  if (n < 0 || static_cast<size_t>(n) != slice.size()) {
    return std::unexpected(WriteError(impl.a, impl.name));
  }
  impl.written += slice.size();
  return {};
}

Result<void> ZipStream::End() {
  Impl& impl = *impl_;
  if (!impl.hasher) return Fail(ErrorCode::kInternal, "ZIP member end without a member");
  if (impl.written != impl.size) {
    return Fail(ErrorCode::kInternal, "ZIP member " + impl.name + " shorter than announced");
  }
  // libarchive finishes a member (deflate tail, data descriptor) when the
  // next header or the close comes; the member's record is ours to keep now.
  if (archive_write_finish_entry(impl.a) != ARCHIVE_OK) {
    return std::unexpected(WriteError(impl.a, impl.name));
  }
  members_.push_back({impl.name, crypto::ToHex(impl.hasher->Finish()), impl.size});
  impl.hasher.reset();
  return {};
}

Result<void> ZipStream::AddBytes(const std::string& name, ByteView data) {
  if (auto r = Begin(name, data.size()); !r) return r;
  if (auto r = Write(data); !r) return r;
  return End();
}

Result<void> ZipStream::Close() {
  Impl& impl = *impl_;
  if (impl.closed) return {};
  if (impl.hasher) return Fail(ErrorCode::kInternal, "ZIP closed inside a member");
  impl.closed = true;
  if (archive_write_close(impl.a) != ARCHIVE_OK) {
    return std::unexpected(WriteError(impl.a, "central directory"));
  }
  return {};
}

Bytes ZipStream::Take() {
  Bytes piece;
  piece.swap(out_);
  return piece;
}

}  // namespace cf::film
