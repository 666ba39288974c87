// SPDX-License-Identifier: Apache-2.0
// Writes that bypass the page cache (O_DIRECT). Through the page cache,
// copying into freshly allocated cache pages was the largest single cost of
// C-STORE ingest (37% of server CPU, measured with perf on 512 KiB CT
// objects); the ingest journal, on the path a sender waits on, never goes
// through it, and blobs only when they are likely read soon
// (store::WriteHint).
// O_DIRECT needs aligned buffers, offsets and lengths, so the parts are
// gathered into an aligned buffer (a user-space copy is ten times cheaper)
// and the write is padded with zeros to the alignment.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <initializer_list>
#include <memory>
#include <span>

#include "core/bytes.hpp"
#include "core/error.hpp"

namespace cf {

inline constexpr uint64_t kDirectAlign = 4096;

constexpr uint64_t AlignUp(uint64_t n, uint64_t a = kDirectAlign) { return (n + a - 1) / a * a; }

// Opens `path` with `flags | O_DIRECT | O_CLOEXEC` and, where the filesystem
// refuses O_DIRECT (tmpfs, some network filesystems), without it. `*direct`
// tells which. Returns -1 with errno set on failure.
int OpenMaybeDirect(const std::filesystem::path& path, int flags, int mode, bool* direct);

// Writes the concatenation of `parts` at `offset` (a multiple of kDirectAlign
// when `direct`), zero-padded to AlignUp(total) when `direct`, exactly
// `total` bytes otherwise. Retries short writes. Returns the bytes written.
// The bounce buffer is per thread and kept between calls up to a limit, so
// steady ingest does not fault in fresh pages for every object.
Result<uint64_t> PwriteParts(int fd, bool direct, std::initializer_list<ByteView> parts,
                             uint64_t offset);

// Writes exactly `data` at `offset` (a multiple of kDirectAlign when
// `direct`): its whole blocks with O_DIRECT, the partial last block through
// the page cache (O_DIRECT is cleared on `fd` for it). For files that must
// end at the data's size: padding an O_DIRECT write and trimming it back
// with ftruncate made ext4 read the last block from disk to zero its tail,
// a synchronous read for every file written.
Result<uint64_t> PwriteExact(int fd, bool direct, ByteView data, uint64_t offset);

// Like PwriteParts, for bytes that are produced rather than copied: `fill`
// writes exactly `total` bytes into the (aligned, per-thread) buffer it is
// given, and those are written at `offset`, zero-padded as PwriteParts does.
// Saves a copy of the whole record, and the buffer it was made in, when the
// bytes come out of an encryption. An error of `fill` is returned as is.
Result<uint64_t> PwriteFilled(int fd, bool direct, uint64_t total, uint64_t offset,
                              const std::function<Result<void>(std::span<std::byte>)>& fill);

}  // namespace cf
