// SPDX-License-Identifier: Apache-2.0
#include "core/direct_write.hpp"

#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace cf {
namespace {

// Larger buffers are freed after use so that one huge object does not pin
// its size in every worker thread.
constexpr uint64_t kKeepBytes = 64ull << 20;

struct FreeDeleter {
  void operator()(std::byte* p) const { std::free(p); }
};

struct BounceBuffer {
  std::unique_ptr<std::byte, FreeDeleter> data;
  uint64_t capacity = 0;

  std::byte* Reserve(uint64_t n) {
    if (n > capacity) {
      data.reset(static_cast<std::byte*>(std::aligned_alloc(kDirectAlign, AlignUp(n))));
      capacity = data ? AlignUp(n) : 0;
    }
    return data.get();
  }
  void Trim() {
    if (capacity > kKeepBytes) {
      data.reset();
      capacity = 0;
    }
  }
};

thread_local BounceBuffer t_bounce;

Error WriteError(int err) {
  return Error{ErrorCode::kStorageUnavailable, std::string("write: ") + std::strerror(err)};
}

// Writes the first `total` bytes of the bounce buffer `buf`, zero-padded to
// `padded`, at `offset`; retries short writes.
Result<uint64_t> WriteBounce(int fd, std::byte* buf, uint64_t total, uint64_t padded,
                             uint64_t offset) {
  std::memset(buf + total, 0, padded - total);
  uint64_t done = 0;
  Result<uint64_t> result = padded;
  while (done < padded) {
    const ssize_t w = ::pwrite(fd, buf + done, padded - done, static_cast<off_t>(offset + done));
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      result = std::unexpected(WriteError(w < 0 ? errno : EIO));
      break;
    }
    done += static_cast<uint64_t>(w);
  }
  t_bounce.Trim();
  return result;
}

}  // namespace

int OpenMaybeDirect(const std::filesystem::path& path, int flags, int mode, bool* direct) {
  int fd = ::open(path.c_str(), flags | O_DIRECT | O_CLOEXEC, mode);
  *direct = fd >= 0;
  if (fd < 0 && errno == EINVAL) {
    // O_CREAT may have created the file before O_DIRECT was refused.
    fd = ::open(path.c_str(), (flags & ~O_EXCL) | O_CLOEXEC, mode);
  }
  return fd;
}

Result<uint64_t> PwriteParts(int fd, bool direct, std::initializer_list<ByteView> parts,
                             uint64_t offset) {
  uint64_t total = 0;
  for (const ByteView& p : parts) total += p.size();
  if (!direct) {
    std::vector<iovec> iov;
    for (const ByteView& p : parts) {
      if (!p.empty()) iov.push_back({const_cast<std::byte*>(p.data()), p.size()});
    }
    uint64_t done = 0;
    size_t first = 0;
    while (done < total) {
      const ssize_t w = ::pwritev(fd, iov.data() + first, static_cast<int>(iov.size() - first),
                                  static_cast<off_t>(offset + done));
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) return std::unexpected(WriteError(w < 0 ? errno : EIO));
      done += static_cast<uint64_t>(w);
      // Resume a short write where it stopped.
      uint64_t advance = static_cast<uint64_t>(w);
      while (advance > 0 && first < iov.size()) {
        if (advance >= iov[first].iov_len) {
          advance -= iov[first].iov_len;
          ++first;
        } else {
          iov[first].iov_base = static_cast<char*>(iov[first].iov_base) + advance;
          iov[first].iov_len -= advance;
          advance = 0;
        }
      }
    }
    return total;
  }

  const uint64_t padded = AlignUp(total);
  std::byte* buf = t_bounce.Reserve(padded);
  if (buf == nullptr) return Fail(ErrorCode::kStorageUnavailable, "out of memory for a write");
  uint64_t at = 0;
  for (const ByteView& p : parts) {
    if (!p.empty()) std::memcpy(buf + at, p.data(), p.size());
    at += p.size();
  }
  return WriteBounce(fd, buf, total, padded, offset);
}

Result<uint64_t> PwriteExact(int fd, bool direct, ByteView data, uint64_t offset) {
  if (!direct) return PwriteParts(fd, false, {data}, offset);
  const uint64_t whole = data.size() / kDirectAlign * kDirectAlign;
  if (whole > 0) {
    auto w = PwriteParts(fd, true, {data.first(whole)}, offset);
    if (!w) return w;
  }
  if (whole == data.size()) return data.size();
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags & ~O_DIRECT) != 0) {
    return std::unexpected(WriteError(errno));
  }
  auto tail = PwriteParts(fd, false, {data.subspan(whole)}, offset + whole);
  if (!tail) return tail;
  return data.size();
}

Result<uint64_t> PwriteFilled(int fd, bool direct, uint64_t total, uint64_t offset,
                              const std::function<Result<void>(std::span<std::byte>)>& fill) {
  const uint64_t padded = direct ? AlignUp(total) : total;
  std::byte* buf = t_bounce.Reserve(std::max<uint64_t>(padded, 1));
  if (buf == nullptr) return Fail(ErrorCode::kStorageUnavailable, "out of memory for a write");
  if (auto r = fill(std::span<std::byte>(buf, total)); !r) {
    t_bounce.Trim();
    return std::unexpected(r.error());
  }
  return WriteBounce(fd, buf, total, padded, offset);
}

}  // namespace cf
