// SPDX-License-Identifier: Apache-2.0
#include "store/filesystem_blob_store.hpp"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/uio.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>

#include "core/direct_write.hpp"
#include "core/filesystem_flush.hpp"
#include "core/log.hpp"

namespace cf::store {
namespace fs = std::filesystem;

namespace {

Error ErrnoError(const std::string& what, int err) {
  const ErrorCode code = (err == ENOSPC || err == EDQUOT || err == EROFS || err == EIO)
                             ? ErrorCode::kStorageUnavailable
                         : err == ENOENT ? ErrorCode::kNotFound
                         : err == EEXIST ? ErrorCode::kConflict
                                         : ErrorCode::kStorageUnavailable;
  return Error{code, what + ": " + std::strerror(err)};
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int Release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

// Group commit of folder fsyncs: a caller whose rename happened before an
// fsync started can rely on that fsync, so concurrent writers into one folder
// pay for one fsync between them.
//
// A failure sticks, for every folder: Linux reports a writeback error once
// and leaves what it could not write clean, so the fsync of a waiter that
// took over after a failed one (on a fresh descriptor, which sees no error
// from before its open) would succeed without the entries the failed one
// lost. Which renames those were is not known; no later Put is acknowledged.
class FolderSyncer {
 public:
  void SetHook(std::function<int(int fd)> hook) { hook_ = std::move(hook); }

  Result<void> Sync(const fs::path& dir) {
    std::unique_lock lock(mutex_);
    Entry& e = entries_[dir.native()];
    const uint64_t ticket = ++e.requested;
    while (e.completed < ticket) {
      if (failed_) {
        return Fail(ErrorCode::kStorageUnavailable,
                    "an earlier folder fsync of the blob store failed: what was written since "
                    "may be lost");
      }
      if (e.running) {
        cv_.wait(lock);
        continue;
      }
      e.running = true;
      const uint64_t target = e.requested;
      lock.unlock();
      auto r = FsyncPath(dir);
      lock.lock();
      e.running = false;
      cv_.notify_all();
      if (!r) {
        failed_ = true;
        return r;
      }
      e.completed = target;
    }
    return {};
  }

 private:
  Result<void> FsyncPath(const fs::path& dir) const {
    Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (fd.get() < 0) return std::unexpected(ErrnoError("open folder " + dir.string(), errno));
    const int err = hook_ ? hook_(fd.get()) : (::fsync(fd.get()) == 0 ? 0 : errno);
    if (err != 0) return std::unexpected(ErrnoError("fsync folder " + dir.string(), err));
    return {};
  }

  struct Entry {
    uint64_t requested = 0;
    uint64_t completed = 0;
    bool running = false;
  };
  std::function<int(int fd)> hook_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::unordered_map<std::string, Entry> entries_;
  bool failed_ = false;  // guarded by mutex_
};

constexpr std::string_view kTempPrefix = "put-";

}  // namespace

struct FilesystemBlobStore::Impl {
  FilesystemOptions options;
  fs::path blobs;
  fs::path tmp;
  std::atomic<uint64_t> counter{0};
  FolderSyncer syncer;
  std::mutex mkdir_mutex;
  // Open from the start: Put starts each blob's writeback at once, well
  // before the next Sync, whose flush must still report its errors.
  std::unique_ptr<FilesystemFlush> flush;

  fs::path PathOf(std::string_view key) const { return blobs / fs::path(std::string(key)); }

  // Creates the folders of `dir` below `blobs` and makes each new entry durable.
  Result<void> EnsureFolder(const fs::path& dir) {
    std::error_code ec;
    if (fs::is_directory(dir, ec)) return {};
    std::lock_guard lock(mkdir_mutex);
    return EnsureFolderLocked(dir);
  }

  Result<void> EnsureFolderLocked(const fs::path& dir) {
    std::error_code ec;
    if (dir == blobs || fs::is_directory(dir, ec)) return {};
    auto parent = EnsureFolderLocked(dir.parent_path());
    if (!parent) return parent;
    return MakeOne(dir);
  }

  Result<void> MakeOne(const fs::path& dir) {
    if (::mkdir(dir.c_str(), 0750) != 0 && errno != EEXIST) {
      return std::unexpected(ErrnoError("create folder", errno));
    }
    // Through the syncer: after a failed fsync, a retried mkdir finds the
    // folder there and would not sync its entry again.
    if (options.fsync) return syncer.Sync(dir.parent_path());
    return {};
  }
};

FilesystemBlobStore::FilesystemBlobStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
FilesystemBlobStore::~FilesystemBlobStore() = default;

Result<std::unique_ptr<FilesystemBlobStore>> FilesystemBlobStore::Open(FilesystemOptions options) {
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  impl->blobs = impl->options.root / "blobs";
  impl->tmp = impl->options.root / "tmp";
  for (const auto& dir : {impl->options.root, impl->blobs, impl->tmp}) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec || !fs::is_directory(dir)) {
      return Fail(ErrorCode::kStorageUnavailable,
                  "cannot create storage folder " + dir.string() + ": " + ec.message());
    }
  }
  auto flush = FilesystemFlush::Open(impl->blobs, "blob store");
  if (!flush) return std::unexpected(flush.error());
  impl->flush = std::move(*flush);
  return std::unique_ptr<FilesystemBlobStore>(new FilesystemBlobStore(std::move(impl)));
}

Result<void> FilesystemBlobStore::Put(std::string_view key, ByteView data, WriteHint hint) {
  if (!IsValidBlobKey(key)) return Fail(ErrorCode::kInvalidArgument, "invalid blob key");
  Impl& s = *impl_;
  const fs::path final_path = s.PathOf(key);
  const fs::path tmp_path = s.tmp / (std::string(kTempPrefix) + std::to_string(::getpid()) + "-" +
                                     std::to_string(s.counter.fetch_add(1)));
  bool direct = false;
  constexpr int kFlags = O_WRONLY | O_CREAT | O_EXCL;
  Fd fd(hint == WriteHint::kReadSoon ? ::open(tmp_path.c_str(), kFlags | O_CLOEXEC, 0640)
                                     : OpenMaybeDirect(tmp_path, kFlags, 0640, &direct));
  if (fd.get() < 0) return std::unexpected(ErrnoError("create temporary blob", errno));
  auto discard = [&](const Error& e) -> Result<void> {
    ::unlink(tmp_path.c_str());
    return std::unexpected(e);
  };
  auto written = PwriteExact(fd.get(), direct, data, 0);
  if (!written)
    return discard(Error{written.error().code, "write blob: " + written.error().message});
  if (s.options.fsync && ::fdatasync(fd.get()) != 0)
    return discard(ErrnoError("fsync blob", errno));
  if (!s.options.fsync && !direct) {
    // Written back now, without waiting, rather than all at once by the
    // next Sync (syncfs): a second's worth of blobs flushed in one burst
    // stalled the fdatasyncs that acknowledge new objects behind it. The
    // pages stay cached for their first reader. Advice only: an error here
    // is Sync's to report.
    (void)::sync_file_range(fd.get(), 0, 0, SYNC_FILE_RANGE_WRITE);
  }
  if (::close(fd.Release()) != 0) return discard(ErrnoError("close blob", errno));

  const fs::path dir = final_path.parent_path();
  if (auto r = s.EnsureFolder(dir); !r) return discard(r.error());
  // RENAME_NOREPLACE: blobs are never overwritten, even by a racing writer.
  if (::renameat2(AT_FDCWD, tmp_path.c_str(), AT_FDCWD, final_path.c_str(), RENAME_NOREPLACE) !=
      0) {
    const int err = errno;
    return discard(err == EEXIST ? Error{ErrorCode::kConflict, "blob exists"}
                                 : ErrnoError("rename blob into place", err));
  }
  if (s.options.fsync) {
    auto r = s.syncer.Sync(dir);
    if (!r) return r;
  }
  return {};
}

void FilesystemBlobStore::SetFolderFsyncHook(std::function<int(int fd)> hook) {
  impl_->syncer.SetHook(std::move(hook));
}

Result<Bytes> FilesystemBlobStore::Get(std::string_view key) {
  return GetSplit(key, {}, {});  // no header to split off
}

Result<Bytes> FilesystemBlobStore::GetSplit(std::string_view key, std::span<std::byte> head,
                                            Bytes buffer) {
  if (!IsValidBlobKey(key)) return Fail(ErrorCode::kInvalidArgument, "invalid blob key");
  Fd fd(::open(impl_->PathOf(key).c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return std::unexpected(ErrnoError("open blob", errno));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return std::unexpected(ErrnoError("stat blob", errno));
  const size_t size = static_cast<size_t>(st.st_size);
  if (size < head.size()) return Fail(ErrorCode::kInvalidArgument, "blob shorter than its header");
  // Resized, not cleared: only bytes beyond its old size are zeroed.
  Bytes out = std::move(buffer);
  out.resize(size - head.size());
  // One preadv for both (a short read continues where it stopped).
  size_t done = 0;
  while (done < size) {
    iovec iov[2];
    int n_iov = 0;
    if (done < head.size()) {
      iov[n_iov++] = {head.data() + done, head.size() - done};
      iov[n_iov++] = {out.data(), out.size()};
    } else {
      const size_t at = done - head.size();
      iov[n_iov++] = {out.data() + at, out.size() - at};
    }
    const ssize_t n = ::preadv(fd.get(), iov, n_iov, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return std::unexpected(ErrnoError("read blob", n == 0 ? EIO : errno));
    done += static_cast<size_t>(n);
  }
  return out;
}

void FilesystemBlobStore::Prefetch(std::string_view key) {
  if (!IsValidBlobKey(key)) return;
  Fd fd(::open(impl_->PathOf(key).c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() >= 0) (void)::posix_fadvise(fd.get(), 0, 0, POSIX_FADV_WILLNEED);
}

Result<Bytes> FilesystemBlobStore::GetPrefix(std::string_view key, size_t length) {
  if (!IsValidBlobKey(key)) return Fail(ErrorCode::kInvalidArgument, "invalid blob key");
  Fd fd(::open(impl_->PathOf(key).c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return std::unexpected(ErrnoError("open blob", errno));
  Bytes out(length);
  size_t done = 0;
  while (done < out.size()) {
    const ssize_t n =
        ::pread(fd.get(), out.data() + done, out.size() - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::unexpected(ErrnoError("read blob", errno));
    if (n == 0) break;  // a shorter blob
    done += static_cast<size_t>(n);
  }
  out.resize(done);
  return out;
}

Result<uint64_t> FilesystemBlobStore::Size(std::string_view key) {
  if (!IsValidBlobKey(key)) return Fail(ErrorCode::kInvalidArgument, "invalid blob key");
  struct stat st {};
  if (::stat(impl_->PathOf(key).c_str(), &st) != 0)
    return std::unexpected(ErrnoError("stat blob", errno));
  return static_cast<uint64_t>(st.st_size);
}

Result<void> FilesystemBlobStore::Remove(std::string_view key) {
  if (!IsValidBlobKey(key)) return Fail(ErrorCode::kInvalidArgument, "invalid blob key");
  const fs::path p = impl_->PathOf(key);
  if (::unlink(p.c_str()) != 0) return std::unexpected(ErrnoError("remove blob", errno));
  if (impl_->options.fsync) return impl_->syncer.Sync(p.parent_path());
  return {};
}

Result<void> FilesystemBlobStore::ForEach(
    const std::function<bool(std::string_view key, uint64_t size)>& visit) {
  std::error_code ec;
  fs::recursive_directory_iterator it(impl_->blobs, fs::directory_options::skip_permission_denied,
                                      ec);
  if (ec) return Fail(ErrorCode::kStorageUnavailable, "cannot list blobs: " + ec.message());
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) return Fail(ErrorCode::kStorageUnavailable, "cannot list blobs: " + ec.message());
    if (!it->is_regular_file(ec)) continue;
    const std::string key = fs::relative(it->path(), impl_->blobs, ec).generic_string();
    if (!IsValidBlobKey(key)) continue;
    if (!visit(key, it->file_size(ec))) break;
  }
  return {};
}

Result<void> FilesystemBlobStore::Sync() { return impl_->flush->Flush(); }

Result<uint64_t> FilesystemBlobStore::AvailableBytes() {
  struct statvfs st {};
  if (::statvfs(impl_->blobs.c_str(), &st) != 0) {
    return std::unexpected(ErrnoError("statvfs", errno));
  }
  return static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
}

Result<int64_t> FilesystemBlobStore::RemoveStaleTemporaries() {
  int64_t removed = 0;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(impl_->tmp, ec)) {
    const std::string name = entry.path().filename().string();
    if (!name.starts_with(kTempPrefix)) continue;
    const std::string rest = name.substr(kTempPrefix.size());
    const pid_t pid = static_cast<pid_t>(std::atoi(rest.c_str()));
    const bool alive = pid > 0 && (::kill(pid, 0) == 0 || errno == EPERM);
    if (alive) continue;
    if (::unlink(entry.path().c_str()) == 0) ++removed;
  }
  if (ec)
    return Fail(ErrorCode::kStorageUnavailable, "cannot list temporary files: " + ec.message());
  return removed;
}

}  // namespace cf::store
