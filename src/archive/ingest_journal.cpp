// SPDX-License-Identifier: Apache-2.0
#include "archive/ingest_journal.hpp"

#include <fcntl.h>
#include <stdio.h>  // renameat2
#include <sys/file.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>

#include "core/direct_write.hpp"
#include "core/log.hpp"
#include "crypto/key_store.hpp"
#include "crypto/random.hpp"
#include "crypto/sha256.hpp"
#include "store/blob_store.hpp"
#include "store/encrypting_blob_store.hpp"

namespace cf::archive {
namespace fs = std::filesystem;

namespace {

// Version 1 packed records back to back; version 2 starts the first record
// at kDirectAlign and every record at a multiple of it, so that appends can
// bypass the page cache. Replay reads both.
constexpr char kSegmentMagicV1[8] = {'C', 'F', 'J', 'R', 'N', 'L', '0', '1'};
constexpr char kSegmentMagic[8] = {'C', 'F', 'J', 'R', 'N', 'L', '0', '2'};
// Version 3: version 2's layout with sealed records (encryption at rest),
// bound to their offset by their associated data; replayed, no longer
// written. Version 4: the same records sealed as the blobs they become.
constexpr char kSegmentMagicV3[8] = {'C', 'F', 'J', 'R', 'N', 'L', '0', '3'};
constexpr char kSegmentMagicV4[8] = {'C', 'F', 'J', 'R', 'N', 'L', '0', '4'};
// Versions 5 (sealed, as v4) and 6 (plaintext, as v2) follow the magic with
// the segment's salt, which every record's check covers: a segment file is
// reused once checkpointed (see Remove), and the records of its earlier use
// that lie past the new ones must not read as records of this one.
constexpr char kSegmentMagicV5[8] = {'C', 'F', 'J', 'R', 'N', 'L', '0', '5'};
constexpr char kSegmentMagicV6[8] = {'C', 'F', 'J', 'R', 'N', 'L', '0', '6'};
constexpr size_t kSaltBytes = 16;
using Salt = std::array<std::byte, kSaltBytes>;
// Checkpointed segments kept for reuse, per process (disk they hold).
constexpr size_t kMaxSpares = 2;
constexpr uint32_t kRecordMagic = 0x524a4643;        // "CFJR"
constexpr uint32_t kSealedRecordMagic = 0x454a4643;  // "CFJE"
constexpr size_t kHeaderBytes = 4 + 4 + 8 + 32;
// magic, key length, data length, key id, nonce, tag, header check
constexpr size_t kSealedHeaderBytes = 4 + 4 + 8 + 4 + 12 + 16 + 4;
constexpr size_t kSealedCheckAt = kSealedHeaderBytes - 4;
constexpr uint32_t kMaxKeyBytes = 4096;

Error IoError(const std::string& what, int err) {
  return Error{ErrorCode::kStorageUnavailable, "journal: " + what + ": " + std::strerror(err)};
}

// `salt` is null in v1 and v2 segments.
crypto::Sha256Digest RecordDigest(const Salt* salt, std::string_view key,
                                  const crypto::Sha256Digest& data_sha256) {
  crypto::Sha256Hasher h;
  if (salt != nullptr) h.Update(ByteView(salt->data(), salt->size()));
  h.Update(AsBytes(key));
  h.Update(ByteView(reinterpret_cast<const std::byte*>(data_sha256.data()), data_sha256.size()));
  return h.Finish();
}

// A v3 record's associated data: its offset in the segment and its key.
Bytes SealedRecordAadV3(uint64_t record_offset, std::string_view key) {
  static constexpr std::string_view kLabel{"cloudfilm-journal-v3", 21};  // with its NUL
  Bytes aad(kLabel.size() + 8 + key.size());
  std::memcpy(aad.data(), kLabel.data(), kLabel.size());
  StoreLe(aad.data() + kLabel.size(), record_offset, 8);
  std::memcpy(aad.data() + kLabel.size() + 8, key.data(), key.size());
  return aad;
}

// Which sealed record format a segment holds.
enum class Sealing { kNone, kV3, kV4, kV5 };

// A sealed record's associated data in segments of `sealing`.
Bytes SealedRecordAad(Sealing sealing, uint64_t record_offset, std::string_view key) {
  return sealing == Sealing::kV3 ? SealedRecordAadV3(record_offset, key)
                                 : store::EncryptingBlobStore::AssociatedData(key);
}

// Tells a complete sealed header from a torn one (the tag covers the data).
// From v4 on it covers the record's offset too: the tag no longer does,
// and a record found anywhere but where it was written is not replayed.
// From v5 on, the segment's salt: a record of the file's earlier use is
// not one of this segment's.
uint32_t SealedHeaderCheck(Sealing sealing, const std::byte* header, uint64_t record_offset,
                           std::string_view key, const Salt& salt) {
  crypto::Sha256Hasher h;
  h.Update(ByteView(header, kSealedCheckAt));
  if (sealing != Sealing::kV3) {
    std::byte offset[8];
    StoreLe(offset, record_offset, 8);
    h.Update(ByteView(offset, sizeof offset));
  }
  if (sealing == Sealing::kV5) h.Update(ByteView(salt.data(), salt.size()));
  h.Update(AsBytes(key));
  const auto d = h.Finish();
  return static_cast<uint32_t>(d[0]) | static_cast<uint32_t>(d[1]) << 8 |
         static_cast<uint32_t>(d[2]) << 16 | static_cast<uint32_t>(d[3]) << 24;
}

bool PreadAll(int fd, std::byte* out, size_t n, uint64_t off) {
  size_t done = 0;
  while (done < n) {
    const ssize_t r = ::pread(fd, out + done, n - done, static_cast<off_t>(off + done));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    done += static_cast<size_t>(r);
  }
  return true;
}

// A sealed record's header and key at `off`; nullopt where the records of
// a segment end (no magic, a length past the file, a torn header).
struct SealedRecordHead {
  std::byte header[kSealedHeaderBytes];
  std::string key;
  uint64_t data_len = 0;
  uint32_t key_id = 0;
  uint64_t Size() const { return kSealedHeaderBytes + key.size() + data_len; }
};
std::optional<SealedRecordHead> ReadSealedRecordHead(Sealing sealing, const Salt& salt, int fd,
                                                     uint64_t off, uint64_t file_size) {
  SealedRecordHead r;
  if (off + kSealedHeaderBytes > file_size || !PreadAll(fd, r.header, kSealedHeaderBytes, off) ||
      LoadLe(r.header, 4) != kSealedRecordMagic) {
    return std::nullopt;
  }
  const uint64_t key_len = LoadLe(r.header + 4, 4);
  r.data_len = LoadLe(r.header + 8, 8);
  if (key_len > kMaxKeyBytes || off + kSealedHeaderBytes + key_len + r.data_len > file_size) {
    return std::nullopt;
  }
  r.key.resize(key_len);
  if (!PreadAll(fd, reinterpret_cast<std::byte*>(r.key.data()), key_len,
                off + kSealedHeaderBytes) ||
      SealedHeaderCheck(sealing, r.header, off, r.key, salt) !=
          LoadLe(r.header + kSealedCheckAt, 4)) {
    return std::nullopt;
  }
  r.key_id = static_cast<uint32_t>(LoadLe(r.header + 16, 4));
  return r;
}

// The sealing of a segment that starts with `magic`.
Sealing SealingOf(const char (&magic)[8]) {
  if (std::memcmp(magic, kSegmentMagicV3, sizeof magic) == 0) return Sealing::kV3;
  if (std::memcmp(magic, kSegmentMagicV4, sizeof magic) == 0) return Sealing::kV4;
  if (std::memcmp(magic, kSegmentMagicV5, sizeof magic) == 0) return Sealing::kV5;
  return Sealing::kNone;
}

// What a segment file starts with: its version and, from v5 on, its salt.
struct SegmentHead {
  char magic[8] = {};
  Salt salt{};  // zeros before v5
};
std::optional<SegmentHead> ReadSegmentHead(int fd, uint64_t file_size) {
  SegmentHead head;
  if (file_size < sizeof head.magic ||
      !PreadAll(fd, reinterpret_cast<std::byte*>(head.magic), sizeof head.magic, 0)) {
    return std::nullopt;
  }
  const bool salted = std::memcmp(head.magic, kSegmentMagicV5, sizeof head.magic) == 0 ||
                      std::memcmp(head.magic, kSegmentMagicV6, sizeof head.magic) == 0;
  if (salted && (file_size < sizeof head.magic + kSaltBytes ||
                 !PreadAll(fd, head.salt.data(), kSaltBytes, sizeof head.magic))) {
    return std::nullopt;
  }
  return head;
}

// Segments are named seg-<pid>-<n>.log; checkpointed ones kept for reuse
// spare-<pid>-<n>.log, which replay ignores.
bool IsSegmentName(const std::string& name) {
  return name.starts_with("seg-") && name.ends_with(".log");
}
bool IsSpareName(const std::string& name) {
  return name.starts_with("spare-") && name.ends_with(".log");
}

// Never over an existing file: a segment of a process that had this pid
// may still wait for its replay.
bool RenameNew(const fs::path& from, const fs::path& to) {
  return ::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0;
}

void SyncDirectory(const fs::path& dir) {
  const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    ::fsync(dir_fd);
    ::close(dir_fd);
  }
}

}  // namespace

struct IngestJournal::Segment {
  int fd = -1;
  int read_fd = -1;  // without O_DIRECT, which would need aligned reads
  fs::path path;
  uint64_t capacity = 0;
  uint64_t next = 0;
  int writers = 0;
  // The offset of the first record whose write failed: the records after
  // it are not reached by a replay, so they must not be acknowledged. 0
  // once a sync of the segment failed: no record not acknowledged by then
  // may be, though a later fdatasync of the file succeed (Linux reports a
  // writeback error once, and the pages it could not write are clean).
  uint64_t failed_at = UINT64_MAX;
  bool direct = false;
  Salt salt{};
  ~Segment() {
    if (read_fd >= 0) ::close(read_fd);
    if (fd >= 0) ::close(fd);  // also releases the flock
  }
};

IngestJournal::IngestJournal(Options options) : options_(std::move(options)) {}

IngestJournal::~IngestJournal() {
  // Spares hold nothing to replay; the segments stay for the next start.
  for (const auto& spare : spares_) ::unlink(spare->path.c_str());
}

Result<std::unique_ptr<IngestJournal>> IngestJournal::Open(Options options) {
  std::error_code ec;
  fs::create_directories(options.dir, ec);
  if (ec)
    return Fail(ErrorCode::kStorageUnavailable, "cannot create journal folder: " + ec.message());
  // The spares of processes that are gone (a live one holds their flock).
  for (const auto& e : fs::directory_iterator(options.dir, ec)) {
    if (!IsSpareName(e.path().filename().string())) continue;
    const int fd = ::open(e.path().c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    if (::flock(fd, LOCK_EX | LOCK_NB) == 0) ::unlink(e.path().c_str());
    ::close(fd);
  }
  return std::unique_ptr<IngestJournal>(new IngestJournal(std::move(options)));
}

Result<void> IngestJournal::StartSegmentLocked(uint64_t min_bytes) {
  const uint64_t needed = min_bytes + kDirectAlign;
  const fs::path path = options_.dir / ("seg-" + std::to_string(::getpid()) + "-" +
                                        std::to_string(++sequence_) + ".log");
  // A fresh salt, so that what the file held before is not read as records
  // of this segment (SealedHeaderCheck, RecordDigest).
  Salt salt;
  crypto::RandomBytes(salt);
  const char* magic = options_.keys != nullptr ? kSegmentMagicV5 : kSegmentMagicV6;
  const auto write_head = [&](const Segment& seg) {
    return PwriteParts(seg.fd, seg.direct,
                       {ByteView(reinterpret_cast<const std::byte*>(magic), 8),
                        ByteView(salt.data(), salt.size())},
                       0);
  };

  // A checkpointed segment first: its blocks are written already, so a
  // record's O_DIRECT write needs no extent conversion, which would cost
  // its fdatasync a second synchronous write (ext4 marks fallocated blocks
  // unwritten; measured 0.78 against 0.39 ms per 512 KiB record). Its new
  // head is durable before it is named a segment: a crash in between leaves
  // a spare, which holds nothing to replay.
  std::shared_ptr<Segment> seg;
  while (!spares_.empty() && !seg) {
    std::shared_ptr<Segment> spare = std::move(spares_.back());
    spares_.pop_back();
    if (spare->capacity < needed) {
      ::unlink(spare->path.c_str());
      continue;
    }
    spare->salt = salt;
    auto head = write_head(*spare);
    if (head && ::fdatasync(spare->fd) == 0 && RenameNew(spare->path, path)) {
      spare->path = path;
      seg = std::move(spare);
    } else {
      ::unlink(spare->path.c_str());
    }
  }
  if (!seg) {
    seg = std::make_shared<Segment>();
    seg->path = path;
    seg->salt = salt;
    seg->fd = OpenMaybeDirect(seg->path, O_RDWR | O_CREAT | O_EXCL, 0640, &seg->direct);
    if (seg->fd < 0) return std::unexpected(IoError("create segment", errno));
    if (::flock(seg->fd, LOCK_EX | LOCK_NB) != 0)
      return std::unexpected(IoError("lock segment", errno));
    seg->read_fd = ::open(seg->path.c_str(), O_RDONLY | O_CLOEXEC);
    if (seg->read_fd < 0) return std::unexpected(IoError("open segment", errno));
    // Preallocated space makes each later fdatasync cheap: no block
    // allocation or size change has to reach the filesystem journal per
    // record. On a nearly full disk, fall back to just the room this record
    // needs, so that what still fits is still accepted.
    seg->capacity = std::max(options_.segment_bytes, needed);
    int alloc_err = ::posix_fallocate(seg->fd, 0, static_cast<off_t>(seg->capacity));
    if (alloc_err == ENOSPC && seg->capacity > needed) {
      seg->capacity = needed;
      alloc_err = ::posix_fallocate(seg->fd, 0, static_cast<off_t>(seg->capacity));
    }
    if (alloc_err != 0) {
      ::unlink(seg->path.c_str());
      return std::unexpected(IoError("preallocate segment", alloc_err));
    }
    auto head = write_head(*seg);
    if (!head || ::fsync(seg->fd) != 0) {
      const int err = head ? errno : EIO;
      ::unlink(seg->path.c_str());
      return std::unexpected(IoError("start segment", err));
    }
  }
  SyncDirectory(options_.dir);
  seg->next = kDirectAlign;
  seg->failed_at = UINT64_MAX;  // a spare's from its earlier use
  active_ = std::move(seg);
  return {};
}

int IngestJournal::SyncSegment(int fd) const {
  if (sync_hook_) return sync_hook_(fd);
  return ::fdatasync(fd) == 0 ? 0 : errno;
}

void IngestJournal::SealLocked(std::unique_lock<std::mutex>& lock) {
  if (!active_) return;
  rotating_ = true;
  std::shared_ptr<Segment> old = active_;
  cv_.wait(lock, [&] { return old->writers == 0; });
  // Every record reserved so far is in `old` or an earlier segment and
  // written: one fdatasync here covers them, whatever the group-sync
  // leader does.
  const uint64_t covered = written_;
  if (const int err = SyncSegment(old->fd); err != 0) {
    // The records waiting for this sync see the failure when they wake.
    old->failed_at = 0;
    log::Error("journal.sync_failed",
               {{"segment", old->path.filename().string()}, {"error", std::strerror(err)}});
  }
  synced_ = std::max(synced_, covered);
  sealed_.push_back(std::move(old));
  active_.reset();
  rotating_ = false;
  cv_.notify_all();
}

Result<IngestJournal::RecordRef> IngestJournal::Append(std::string_view key, ByteView data,
                                                       const std::array<uint8_t, 32>& data_sha256) {
  auto appended = Append(key, data, data_sha256, /*blob_buffer=*/std::nullopt);
  if (!appended) return std::unexpected(appended.error());
  return std::move(appended->ref);
}

Result<IngestJournal::Appended> IngestJournal::Append(std::string_view key, ByteView data,
                                                      const std::array<uint8_t, 32>& data_sha256,
                                                      std::optional<Bytes> blob_buffer) {
  if (key.size() > kMaxKeyBytes) return Fail(ErrorCode::kInvalidArgument, "journal: key too long");
  std::shared_ptr<const crypto::DataKey> data_key;
  if (options_.keys != nullptr) {
    auto k = options_.keys->Active(store::TenantOfBlobKey(key));
    if (!k) return std::unexpected(k.error());
    data_key = std::move(*k);
  }
  const size_t header_bytes = data_key ? kSealedHeaderBytes : kHeaderBytes;
  const uint64_t size = AlignUp(header_bytes + key.size() + data.size());
  std::unique_lock lock(mutex_);
  cv_.wait(lock, [&] { return !rotating_; });
  if (!active_ || active_->next + size > active_->capacity || active_->failed_at != UINT64_MAX) {
    SealLocked(lock);
    if (auto r = StartSegmentLocked(size); !r) return std::unexpected(r.error());
  }
  std::shared_ptr<Segment> seg = active_;
  const uint64_t offset = seg->next;
  const uint64_t number = ++reserved_;
  seg->next += size;
  ++seg->writers;
  dirty_ = true;
  lock.unlock();
  if (before_write_) before_write_(key);

  std::byte header[kSealedHeaderBytes];
  StoreLe(header, data_key ? kSealedRecordMagic : kRecordMagic, 4);
  StoreLe(header + 4, key.size(), 4);
  StoreLe(header + 8, data.size(), 8);
  crypto::AeadNonce nonce{};
  crypto::AeadTag tag{};
  const bool keep_blob = blob_buffer.has_value();
  Bytes sealed_blob = std::move(blob_buffer).value_or(Bytes{});
  sealed_blob.clear();
  Result<uint64_t> written = 0;
  // A buffered segment skips the padding: its preallocated space reads as
  // zeros already.
  if (data_key) {
    // Sealed straight into the write buffer: no ciphertext copy to make,
    // but the one of the sealed blob kept for the materializer.
    written = PwriteFilled(
        seg->fd, seg->direct, kSealedHeaderBytes + key.size() + data.size(), offset,
        [&](std::span<std::byte> record) -> Result<void> {
          std::span<std::byte> ciphertext = record.subspan(kSealedHeaderBytes + key.size());
          auto sealed = data_key->aead->Seal(SealedRecordAad(Sealing::kV5, offset, key), data,
                                             ciphertext, nonce, tag);
          if (!sealed) return sealed;
          StoreLe(header + 16, data_key->id, 4);
          std::memcpy(header + 20, nonce.data(), nonce.size());
          std::memcpy(header + 32, tag.data(), tag.size());
          StoreLe(header + kSealedCheckAt,
                  SealedHeaderCheck(Sealing::kV5, header, offset, key, seg->salt), 4);
          std::memcpy(record.data(), header, kSealedHeaderBytes);
          if (!key.empty()) std::memcpy(record.data() + kSealedHeaderBytes, key.data(), key.size());
          if (keep_blob) {
            // Reserved, not sized: nothing to zero before it is filled.
            // Rounded up, so that the buffer can be reused for the next
            // object of about the same size (Materializer::TakeCopyBuffer).
            const auto blob_header = store::EncryptingBlobStore::Header(data_key->id, nonce);
            constexpr size_t kRound = 64 * 1024;
            const size_t needed = store::kSealedBlobOverhead + data.size();
            if (sealed_blob.capacity() < needed) {
              sealed_blob.reserve((needed + kRound - 1) / kRound * kRound);
            }
            sealed_blob.insert(sealed_blob.end(), blob_header.begin(), blob_header.end());
            sealed_blob.insert(sealed_blob.end(), ciphertext.begin(), ciphertext.end());
            sealed_blob.insert(sealed_blob.end(), tag.begin(), tag.end());
          }
          return {};
        });
  } else {
    const auto digest = RecordDigest(&seg->salt, key, data_sha256);
    std::memcpy(header + 16, digest.data(), digest.size());
    written = PwriteParts(seg->fd, seg->direct,
                          {ByteView(header, kHeaderBytes), AsBytes(key), data}, offset);
  }

  lock.lock();
  --seg->writers;
  written_ahead_.insert(number);
  while (!written_ahead_.empty() && *written_ahead_.begin() == written_ + 1) {
    written_ahead_.erase(written_ahead_.begin());
    ++written_;
  }
  if (!written) seg->failed_at = std::min(seg->failed_at, offset);
  cv_.notify_all();
  if (!written) {
    return Fail(ErrorCode::kStorageUnavailable, "journal: append: " + written.error().message);
  }
  // Group commit: a sync that starts once this record and every one before
  // it are written covers it.
  while (synced_ < number) {
    if (syncing_ || written_ < number) {
      cv_.wait(lock);
      continue;
    }
    // If our segment was sealed meanwhile, SealLocked synced it and advanced
    // synced_ past our number; otherwise it is still the active one.
    syncing_ = true;
    const uint64_t target = written_;
    std::shared_ptr<Segment> current = active_ ? active_ : seg;
    lock.unlock();
    const int err = SyncSegment(current->fd);
    lock.lock();
    syncing_ = false;
    cv_.notify_all();
    if (err != 0) {
      // Every record of the segment still waiting fails too, whoever syncs
      // next; the next append starts a new segment.
      current->failed_at = 0;
      log::Error("journal.sync_failed",
                 {{"segment", current->path.filename().string()}, {"error", std::strerror(err)}});
      return std::unexpected(IoError("fdatasync", err));
    }
    synced_ = std::max(synced_, target);
  }
  if (seg->failed_at < offset) {
    return Fail(ErrorCode::kStorageUnavailable,
                seg->failed_at == 0
                    ? "journal: append: a sync of the segment failed"
                    : "journal: append: an earlier record of the segment could not be written");
  }
  Appended appended;
  RecordRef& ref = appended.ref;
  ref.segment = std::move(seg);
  ref.data_offset = offset + header_bytes + key.size();
  ref.size = data.size();
  if (data_key) {
    ref.data_key = std::move(data_key);
    ref.record_offset = offset;
    ref.key = std::string(key);
    ref.nonce = nonce;
    ref.tag = tag;
    appended.sealed_blob = std::move(sealed_blob);
  } else {
    ref.data_sha256 = data_sha256;
  }
  return appended;
}

Result<Bytes> IngestJournal::Read(const RecordRef& ref) {
  if (!ref.segment) return Fail(ErrorCode::kInternal, "journal: empty record reference");
  Bytes out(ref.size);
  if (!PreadAll(ref.segment->read_fd, out.data(), out.size(), ref.data_offset)) {
    return std::unexpected(IoError("read", errno == 0 ? EIO : errno));
  }
  if (ref.data_key) {
    auto opened = ref.data_key->aead->Open(
        SealedRecordAad(Sealing::kV5, ref.record_offset, ref.key), ref.nonce, out, ref.tag, out);
    if (!opened) return Fail(ErrorCode::kInternal, "journal: " + opened.error().message);
  } else if (crypto::Sha256(out) != ref.data_sha256) {
    // What is filed from here may be sealed into a blob, whose reads trust
    // its tag: the bytes must be the received ones before that.
    return Fail(ErrorCode::kInternal, "journal: a record's data does not match its digest");
  }
  return out;
}

Result<Bytes> IngestJournal::ReadSealedBlob(const RecordRef& ref) {
  if (!ref.segment || !ref.data_key) {
    return Fail(ErrorCode::kInvalidArgument, "journal: not a sealed record");
  }
  const auto header = store::EncryptingBlobStore::Header(ref.data_key->id, ref.nonce);
  Bytes out(store::kSealedBlobOverhead + ref.size);
  std::memcpy(out.data(), header.data(), header.size());
  if (!PreadAll(ref.segment->read_fd, out.data() + header.size(), ref.size, ref.data_offset)) {
    return std::unexpected(IoError("read", errno == 0 ? EIO : errno));
  }
  std::memcpy(out.data() + header.size() + ref.size, ref.tag.data(), ref.tag.size());
  return out;
}

Result<Bytes> IngestJournal::OpenSealedBlob(const RecordRef& ref, ByteView sealed_blob) {
  if (!ref.data_key || sealed_blob.size() != store::kSealedBlobOverhead + ref.size) {
    return Fail(ErrorCode::kInvalidArgument, "journal: not the sealed blob of this record");
  }
  // A v4 record's associated data is its blob's: the blob store opens it.
  auto opened = store::EncryptingBlobStore::OpenSealed(*ref.data_key, ref.key, sealed_blob);
  if (!opened) return Fail(opened.error().code, "journal: " + opened.error().message);
  return opened;
}

std::vector<fs::path> IngestJournal::Seal() {
  std::unique_lock lock(mutex_);
  cv_.wait(lock, [&] { return !rotating_; });
  SealLocked(lock);
  dirty_ = false;
  std::vector<fs::path> out;
  for (const auto& s : sealed_) out.push_back(s->path);
  return out;
}

void IngestJournal::Remove(const std::vector<fs::path>& segments) {
  std::lock_guard lock(mutex_);
  for (const auto& p : segments) {
    auto it =
        std::find_if(sealed_.begin(), sealed_.end(), [&](const auto& s) { return s->path == p; });
    std::shared_ptr<Segment> seg;
    if (it != sealed_.end()) {
      seg = std::move(*it);
      sealed_.erase(it);
    }
    // Kept for reuse when nothing reads it any more (a RecordRef holds its
    // segment) and it is a whole one; its flock stays, so that a starting
    // process does not take it for a dead one's.
    if (seg && seg.use_count() == 1 && spares_.size() < kMaxSpares &&
        seg->capacity >= options_.segment_bytes) {
      const fs::path spare = options_.dir / ("spare-" + std::to_string(::getpid()) + "-" +
                                             std::to_string(++sequence_) + ".log");
      if (RenameNew(p, spare)) {
        seg->path = spare;
        spares_.push_back(std::move(seg));
        continue;
      }
    }
    ::unlink(p.c_str());
  }
}

bool IngestJournal::Dirty() const {
  std::lock_guard lock(mutex_);
  return dirty_;
}

Result<std::vector<fs::path>> IngestJournal::ReplayOrphans(
    const fs::path& dir, const std::function<Result<void>(std::string_view, ByteView)>& visit,
    crypto::KeyStore* keys) {
  std::vector<fs::path> segments;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (IsSegmentName(name)) segments.push_back(e.path());
  }
  // Replay in creation order per process; across processes order does not matter.
  std::sort(segments.begin(), segments.end());
  std::vector<fs::path> replayed;
  for (const auto& path : segments) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {  // its writer is alive
      ::close(fd);
      continue;
    }
    const uint64_t file_size = static_cast<uint64_t>(fs::file_size(path, ec));
    int64_t records = 0;
    // An unreadable head reads as zeros, which name no version.
    const SegmentHead segment = ReadSegmentHead(fd, file_size).value_or(SegmentHead{});
    const char(&magic)[8] = segment.magic;
    const Salt& salt = segment.salt;
    const bool v1 = std::memcmp(magic, kSegmentMagicV1, sizeof magic) == 0;
    const bool v6 = std::memcmp(magic, kSegmentMagicV6, sizeof magic) == 0;
    const Sealing sealing = SealingOf(magic);
    const bool sealed = sealing != Sealing::kNone;
    const bool valid = v1 || v6 || sealed || std::memcmp(magic, kSegmentMagic, sizeof magic) == 0;
    const uint64_t align = v1 ? 1 : kDirectAlign;
    uint64_t off = v1 ? sizeof magic : kDirectAlign;
    if (sealed && keys == nullptr) {
      ::close(fd);
      return Fail(ErrorCode::kInternal, "journal segment " + path.filename().string() +
                                            " is encrypted: its data keys are needed to replay it");
    }
    while (sealed) {
      auto head = ReadSealedRecordHead(sealing, salt, fd, off, file_size);
      if (!head) break;
      const std::string& key = head->key;
      Bytes data(head->data_len);
      if (!PreadAll(fd, data.data(), data.size(), off + kSealedHeaderBytes + key.size())) break;
      auto data_key = keys->Find(head->key_id);
      if (!data_key) {
        ::close(fd);
        return Fail(ErrorCode::kInternal, "cannot replay journal segment " +
                                              path.filename().string() + ": " +
                                              data_key.error().message);
      }
      crypto::AeadNonce nonce;
      crypto::AeadTag tag;
      std::memcpy(nonce.data(), head->header + 20, nonce.size());
      std::memcpy(tag.data(), head->header + 32, tag.size());
      if (!(*data_key)->aead->Open(SealedRecordAad(sealing, off, key), nonce, data, tag, data)) {
        log::Warn("journal.torn_record", {{"segment", path.filename().string()}, {"offset", off}});
        break;  // torn tail: the header was written, the data was not
      }
      if (auto r = visit(key, data); !r) {
        ::close(fd);
        return std::unexpected(r.error());
      }
      ++records;
      off += AlignUp(head->Size());
    }
    while (valid && !sealed && off + kHeaderBytes <= file_size) {
      std::byte header[kHeaderBytes];
      if (!PreadAll(fd, header, kHeaderBytes, off) || LoadLe(header, 4) != kRecordMagic) break;
      const uint64_t key_len = LoadLe(header + 4, 4);
      const uint64_t data_len = LoadLe(header + 8, 8);
      if (key_len > kMaxKeyBytes || off + kHeaderBytes + key_len + data_len > file_size) break;
      Bytes buf(key_len + data_len);
      if (!PreadAll(fd, buf.data(), buf.size(), off + kHeaderBytes)) break;
      const std::string_view key(reinterpret_cast<const char*>(buf.data()), key_len);
      const ByteView data(buf.data() + key_len, data_len);
      if (std::memcmp(RecordDigest(v6 ? &salt : nullptr, key, crypto::Sha256(data)).data(),
                      header + 16, 32) != 0) {
        break;  // torn tail
      }
      if (auto r = visit(key, data); !r) {
        ::close(fd);
        return std::unexpected(r.error());
      }
      ++records;
      off += AlignUp(kHeaderBytes + key_len + data_len, align);
    }
    ::close(fd);
    log::Info("journal.replayed", {{"segment", path.filename().string()}, {"records", records}});
    replayed.push_back(path);
  }
  return replayed;
}

Result<std::set<uint32_t>> IngestJournal::DataKeysInUse(const fs::path& dir) {
  std::set<uint32_t> ids;
  std::error_code ec;
  if (!fs::exists(dir, ec)) return ids;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (!IsSegmentName(name)) continue;
    const int fd = ::open(e.path().c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT) continue;  // checkpointed meanwhile
      return std::unexpected(IoError("open " + name, errno));
    }
    const uint64_t file_size = static_cast<uint64_t>(fs::file_size(e.path(), ec));
    const SegmentHead segment = ReadSegmentHead(fd, file_size).value_or(SegmentHead{});
    const Sealing sealing = SealingOf(segment.magic);
    uint64_t off = kDirectAlign;
    while (sealing != Sealing::kNone) {
      auto head = ReadSealedRecordHead(sealing, segment.salt, fd, off, file_size);
      if (!head) break;
      ids.insert(head->key_id);
      off += AlignUp(head->Size());
    }
    ::close(fd);
  }
  return ids;
}

}  // namespace cf::archive
