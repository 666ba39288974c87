// SPDX-License-Identifier: Apache-2.0
// The encrypting SQLite VFS (format and threat model in encrypted_vfs.hpp).
//
// Shape: a shim in the style of SQLite's ext/misc/cksumvfs.c. Our
// sqlite3_file (EncryptedFile) is followed in the same allocation by the
// underlying VFS's file; every method delegates to it, and only xRead and
// xWrite transform bytes. The VFS-level methods (xDelete, xAccess, ...)
// delegate unchanged: names are not encrypted, and not changed either.
// (Renaming the -wal and -journal would hide them from a plain sqlite3 after
// a crash, see the warning in the header, but code that opens the WAL by
// name, such as SqliteCatalog::Sync, would then silently miss it.)
#include "catalog/encrypted_vfs.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <vector>

namespace cf::catalog {
namespace {

using Key = std::array<unsigned char, kEncryptedVfsKeyBytes>;

constexpr std::string_view kDerivationPrefix = "cloudfilm sqlite v1";
constexpr std::string_view kNamePrefix = "cfenc-";
constexpr size_t kMaxLabelSize = 64;
constexpr size_t kAesBlock = 16;
// The first 16 bytes of every SQLite database file, with its NUL.
constexpr std::array<unsigned char, kAesBlock> kSqliteMagic = {
    'S', 'Q', 'L', 'i', 't', 'e', ' ', 'f', 'o', 'r', 'm', 'a', 't', ' ', '3', '\0'};
// A write buffer that grew beyond this (SQLite writes a page or less at a
// time) is given back after use.
constexpr size_t kMaxKeptScratch = 1 << 20;

// Part of the on-disk format: the enumerator values are the kind numbers in
// the counter block, kKindNames the strings in the key derivation.
enum class Kind : uint8_t { kMainDb = 1, kMainJournal, kWal, kSuperJournal, kOther };
constexpr size_t kKindCount = 5;
constexpr std::array<std::string_view, kKindCount> kKindNames = {"main-db", "main-journal", "wal",
                                                                 "super-journal", "other"};

Kind KindOf(int flags) {
  if ((flags & SQLITE_OPEN_MAIN_DB) != 0) return Kind::kMainDb;
  if ((flags & SQLITE_OPEN_MAIN_JOURNAL) != 0) return Kind::kMainJournal;
  if ((flags & SQLITE_OPEN_WAL) != 0) return Kind::kWal;
  if ((flags & SQLITE_OPEN_SUPER_JOURNAL) != 0) return Kind::kSuperJournal;
  // TEMP_DB, TRANSIENT_DB (ephemeral tables), TEMP_JOURNAL (sorter spills),
  // SUBJOURNAL: always opened without a name, so they get a random key; a
  // named one (no such case in SQLite 3.40) would get the "other" key.
  return Kind::kOther;
}

void StoreBigEndian64(unsigned char* out, uint64_t value) {
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<unsigned char>(value & 0xff);
    value >>= 8;
  }
}

bool DeriveKindKey(std::span<const std::byte, kEncryptedVfsKeyBytes> key, std::string_view label,
                   Kind kind, Key& out) {
  std::string info(kDerivationPrefix);
  info.push_back('\0');
  info.append(label);
  info.push_back('\0');
  info.append(kKindNames[static_cast<size_t>(kind) - 1]);
  unsigned int size = 0;
  const unsigned char* mac =
      HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(info.data()), info.size(), out.data(), &size);
  return mac != nullptr && size == out.size();
}

// AES-256-CTR keyed for one open file. One cipher context per file, reused
// under a mutex: SQLite does not call one sqlite3_file from two threads at
// once, so the mutex is never contended; it is there so that this stays
// correct if that ever changes. (Measured: re-keying a fresh context per call
// costs about the same for 4 KiB pages, 2x for 24-byte WAL frame headers.)
class FileCipher {
 public:
  static std::unique_ptr<FileCipher> Create(const EVP_CIPHER* cipher, const Key& key, Kind kind) {
    EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
    if (ctx == nullptr) return nullptr;
    if (EVP_EncryptInit_ex2(ctx, cipher, key.data(), nullptr, nullptr) != 1) {
      EVP_CIPHER_CTX_free(ctx);
      return nullptr;
    }
    auto* cipher_object = new (std::nothrow) FileCipher(ctx, kind);
    if (cipher_object == nullptr) EVP_CIPHER_CTX_free(ctx);
    return std::unique_ptr<FileCipher>(cipher_object);
  }
  ~FileCipher() { EVP_CIPHER_CTX_free(ctx_); }  // Also wipes the key schedule.
  FileCipher(const FileCipher&) = delete;
  FileCipher& operator=(const FileCipher&) = delete;

  // Decrypts `size` bytes found at file offset `offset`, in place.
  bool Decrypt(unsigned char* data, int size, uint64_t offset) {
    std::lock_guard lock(mutex_);
    return Apply(data, data, size, offset);
  }

  // Encrypts `size` bytes of `data`, to be written at `offset`, and writes
  // them to `file` (SQLite's buffer is const and stays plaintext).
  int EncryptAndWrite(sqlite3_file* file, const void* data, int size, uint64_t offset) {
    std::lock_guard lock(mutex_);
    try {
      scratch_.resize(static_cast<size_t>(size));
    } catch (const std::bad_alloc&) {
      return SQLITE_IOERR_NOMEM;
    }
    if (!Apply(static_cast<const unsigned char*>(data), scratch_.data(), size, offset)) {
      return SQLITE_IOERR_WRITE;
    }
    const int rc =
        file->pMethods->xWrite(file, scratch_.data(), size, static_cast<sqlite3_int64>(offset));
    if (scratch_.capacity() > kMaxKeptScratch) std::vector<unsigned char>().swap(scratch_);
    return rc;
  }

 private:
  FileCipher(EVP_CIPHER_CTX* ctx, Kind kind) : ctx_(ctx), kind_(static_cast<uint64_t>(kind)) {}

  // out = in XOR keystream[offset, offset + size); in == out is allowed.
  // REQUIRES: mutex_ held.
  bool Apply(const unsigned char* in, unsigned char* out, int size, uint64_t offset) {
    if (size <= 0) return true;
    std::array<unsigned char, kAesBlock> counter{};
    StoreBigEndian64(counter.data(), kind_);
    StoreBigEndian64(counter.data() + 8, offset / kAesBlock);
    // Setting only the IV keeps the key schedule and restarts the stream at
    // the start of that counter block.
    if (EVP_EncryptInit_ex2(ctx_, nullptr, nullptr, counter.data(), nullptr) != 1) return false;
    int written = 0;
    if (const auto skip = static_cast<int>(offset % kAesBlock); skip != 0) {
      std::array<unsigned char, kAesBlock> discard{};
      if (EVP_EncryptUpdate(ctx_, discard.data(), &written, discard.data(), skip) != 1) {
        return false;
      }
    }
    return EVP_EncryptUpdate(ctx_, out, &written, in, size) == 1 && written == size;
  }

  EVP_CIPHER_CTX* ctx_;
  uint64_t kind_;
  std::mutex mutex_;
  std::vector<unsigned char> scratch_;  // guarded by mutex_
};

// One registered VFS. Allocated once per label and never freed: SQLite keeps
// pointers to registered VFSes (and their names) for the life of the process.
struct EncryptedVfs {
  ~EncryptedVfs() { OPENSSL_cleanse(keys.data(), sizeof(Key) * keys.size()); }
  sqlite3_vfs vfs{};
  std::string name;
  sqlite3_vfs* base = nullptr;
  EVP_CIPHER* cipher = nullptr;
  std::array<Key, kKindCount> keys{};  // by Kind - 1
};

// Our file object. SQLite allocates vfs.szOsFile bytes: this struct, then
// (at kBaseFileOffset) the underlying VFS's file.
struct EncryptedFile {
  sqlite3_file base;  // first: SQLite sees an EncryptedFile as an sqlite3_file
  sqlite3_file* real;
  FileCipher* cipher;  // owned; deleted in xClose
  const EncryptedVfs* vfs;
};
constexpr size_t kBaseFileOffset = (sizeof(EncryptedFile) + alignof(std::max_align_t) - 1) /
                                   alignof(std::max_align_t) * alignof(std::max_align_t);

EncryptedFile& Self(sqlite3_file* file) { return *reinterpret_cast<EncryptedFile*>(file); }
sqlite3_file* Real(sqlite3_file* file) { return Self(file).real; }
EncryptedVfs& Self(sqlite3_vfs* vfs) { return *static_cast<EncryptedVfs*>(vfs->pAppData); }
sqlite3_vfs* Base(sqlite3_vfs* vfs) { return Self(vfs).base; }

// --- sqlite3_io_methods ---------------------------------------------------

int FileClose(sqlite3_file* file) {
  EncryptedFile& f = Self(file);
  const int rc = f.real->pMethods->xClose(f.real);
  delete f.cipher;
  f.cipher = nullptr;
  return rc;
}

// A hole (a range inside the file that was never written) would read back
// as keystream, not zeros: SQLite never reads a range it did not write, except
// past the end of the file, handled below.
int FileRead(sqlite3_file* file, void* buffer, int size, sqlite3_int64 offset) {
  EncryptedFile& f = Self(file);
  auto* bytes = static_cast<unsigned char*>(buffer);
  const int rc = f.real->pMethods->xRead(f.real, buffer, size, offset);
  if (rc == SQLITE_OK) {
    return f.cipher->Decrypt(bytes, size, static_cast<uint64_t>(offset)) ? SQLITE_OK
                                                                         : SQLITE_IOERR_READ;
  }
  if (rc != SQLITE_IOERR_SHORT_READ) return rc;
  // A read past the end: the underlying VFS filled the missing tail with
  // zeros, which must reach SQLite as plaintext zeros, not be "decrypted".
  // The file size tells how much was real: SQLite's locks keep the range it
  // reads from changing under it, so the size cannot move in between.
  sqlite3_int64 file_size = 0;
  if (f.real->pMethods->xFileSize(f.real, &file_size) != SQLITE_OK) return SQLITE_IOERR_READ;
  const auto got = static_cast<int>(std::clamp<sqlite3_int64>(file_size - offset, 0, size));
  if (!f.cipher->Decrypt(bytes, got, static_cast<uint64_t>(offset))) return SQLITE_IOERR_READ;
  std::memset(bytes + got, 0, static_cast<size_t>(size - got));
  return SQLITE_IOERR_SHORT_READ;
}

int FileWrite(sqlite3_file* file, const void* buffer, int size, sqlite3_int64 offset) {
  EncryptedFile& f = Self(file);
  if (size < 0 || offset < 0) return SQLITE_IOERR_WRITE;
  return f.cipher->EncryptAndWrite(f.real, buffer, size, static_cast<uint64_t>(offset));
}

int FileTruncate(sqlite3_file* file, sqlite3_int64 size) {
  return Real(file)->pMethods->xTruncate(Real(file), size);
}
int FileSync(sqlite3_file* file, int flags) {
  return Real(file)->pMethods->xSync(Real(file), flags);
}
int FileSize(sqlite3_file* file, sqlite3_int64* size) {
  return Real(file)->pMethods->xFileSize(Real(file), size);
}
int FileLock(sqlite3_file* file, int level) {
  return Real(file)->pMethods->xLock(Real(file), level);
}
int FileUnlock(sqlite3_file* file, int level) {
  return Real(file)->pMethods->xUnlock(Real(file), level);
}
int FileCheckReservedLock(sqlite3_file* file, int* out) {
  return Real(file)->pMethods->xCheckReservedLock(Real(file), out);
}

int FileControl(sqlite3_file* file, int op, void* arg) {
  sqlite3_file* real = Real(file);
  switch (op) {
    case SQLITE_FCNTL_MMAP_SIZE:
      // Never map an encrypted file: report mmap as off and keep the
      // underlying file from mapping (the pager does not ask: our methods are
      // version 2, without xFetch; this catches direct file controls and
      // makes `PRAGMA mmap_size` answer 0).
      *static_cast<sqlite3_int64*>(arg) = 0;
      return SQLITE_OK;
    case SQLITE_FCNTL_VFSNAME: {
      const int rc = real->pMethods->xFileControl(real, op, arg);
      if (rc == SQLITE_OK) {
        auto** out = static_cast<char**>(arg);
        *out = sqlite3_mprintf("%s/%z", Self(file).vfs->name.c_str(), *out);
      }
      return rc;
    }
    default:
      return real->pMethods->xFileControl(real, op, arg);
  }
}

int FileSectorSize(sqlite3_file* file) { return Real(file)->pMethods->xSectorSize(Real(file)); }
int FileDeviceCharacteristics(sqlite3_file* file) {
  // Unchanged: encryption is byte for byte, so writing a range changes no
  // byte outside it (POWERSAFE_OVERWRITE) and atomic writes stay atomic.
  return Real(file)->pMethods->xDeviceCharacteristics(Real(file));
}

// The wal-index (-shm) is passed through in clear. It holds no row data: a
// copy of the WAL header (page size, salts, checkpoint counter, checksum of
// the last frame), the database size in pages, read marks, locks, and hash
// tables mapping page numbers to WAL frame numbers. It is rebuilt from the
// (encrypted) WAL when missing and deleted when the last connection closes.
int FileShmMap(sqlite3_file* file, int page, int page_size, int extend, void volatile** out) {
  return Real(file)->pMethods->xShmMap(Real(file), page, page_size, extend, out);
}
int FileShmLock(sqlite3_file* file, int offset, int n, int flags) {
  return Real(file)->pMethods->xShmLock(Real(file), offset, n, flags);
}
void FileShmBarrier(sqlite3_file* file) { Real(file)->pMethods->xShmBarrier(Real(file)); }
int FileShmUnmap(sqlite3_file* file, int delete_flag) {
  return Real(file)->pMethods->xShmUnmap(Real(file), delete_flag);
}

// Version 2: no xFetch/xUnfetch, so SQLite never memory-maps an encrypted
// file (the pager and the sorter use mmap only with version 3 methods).
constexpr sqlite3_io_methods kMethodsV2 = {
    .iVersion = 2,
    .xClose = FileClose,
    .xRead = FileRead,
    .xWrite = FileWrite,
    .xTruncate = FileTruncate,
    .xSync = FileSync,
    .xFileSize = FileSize,
    .xLock = FileLock,
    .xUnlock = FileUnlock,
    .xCheckReservedLock = FileCheckReservedLock,
    .xFileControl = FileControl,
    .xSectorSize = FileSectorSize,
    .xDeviceCharacteristics = FileDeviceCharacteristics,
    .xShmMap = FileShmMap,
    .xShmLock = FileShmLock,
    .xShmBarrier = FileShmBarrier,
    .xShmUnmap = FileShmUnmap,
    .xFetch = nullptr,
    .xUnfetch = nullptr,
};
// For an underlying file without shared memory (then without WAL).
constexpr sqlite3_io_methods WithoutSharedMemory(sqlite3_io_methods methods) {
  methods.iVersion = 1;
  methods.xShmMap = nullptr;
  methods.xShmLock = nullptr;
  methods.xShmBarrier = nullptr;
  methods.xShmUnmap = nullptr;
  return methods;
}
constexpr sqlite3_io_methods kMethodsV1 = WithoutSharedMemory(kMethodsV2);

// SQLITE_OK when the database in `file` is empty or starts with SQLite's
// magic string under this key; SQLITE_NOTADB otherwise.
int CheckKey(sqlite3_file* file, FileCipher& cipher) {
  sqlite3_int64 size = 0;
  if (const int rc = file->pMethods->xFileSize(file, &size); rc != SQLITE_OK) return rc;
  if (size < static_cast<sqlite3_int64>(kAesBlock)) return SQLITE_OK;
  // These 16 bytes never change once written (same plaintext, same
  // position), so reading them without a lock is safe.
  std::array<unsigned char, kAesBlock> head{};
  if (const int rc = file->pMethods->xRead(file, head.data(), kAesBlock, 0); rc != SQLITE_OK) {
    return rc;
  }
  if (!cipher.Decrypt(head.data(), kAesBlock, 0)) return SQLITE_IOERR_READ;
  return CRYPTO_memcmp(head.data(), kSqliteMagic.data(), kAesBlock) == 0 ? SQLITE_OK
                                                                         : SQLITE_NOTADB;
}

// --- sqlite3_vfs ----------------------------------------------------------

int VfsOpen(sqlite3_vfs* vfs, sqlite3_filename name, sqlite3_file* file, int flags,
            int* out_flags) {
  EncryptedVfs& self = Self(vfs);
  EncryptedFile& f = Self(file);
  f.base.pMethods = nullptr;  // tells SQLite not to call xClose on failure
  f.real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(file) + kBaseFileOffset);
  f.real->pMethods = nullptr;
  f.cipher = nullptr;
  f.vfs = &self;

  const Kind kind = KindOf(flags);
  // A file without a name or deleted on close is never opened again: a
  // random key makes its keystream unique (several can be open at once).
  const bool ephemeral = name == nullptr || (flags & SQLITE_OPEN_DELETEONCLOSE) != 0;
  std::unique_ptr<FileCipher> cipher;
  if (ephemeral) {
    Key key{};
    if (RAND_bytes(key.data(), static_cast<int>(key.size())) != 1) return SQLITE_CANTOPEN;
    cipher = FileCipher::Create(self.cipher, key, kind);
    OPENSSL_cleanse(key.data(), key.size());
  } else {
    cipher = FileCipher::Create(self.cipher, self.keys[static_cast<size_t>(kind) - 1], kind);
  }
  if (cipher == nullptr) return SQLITE_NOMEM;

  int rc = self.base->xOpen(self.base, name, f.real, flags, out_flags);
  if (rc == SQLITE_OK && kind == Kind::kMainDb && !ephemeral) rc = CheckKey(f.real, *cipher);
  if (rc != SQLITE_OK) {
    if (f.real->pMethods != nullptr) f.real->pMethods->xClose(f.real);
    return rc;
  }
  f.cipher = cipher.release();
  f.base.pMethods = f.real->pMethods->iVersion >= 2 ? &kMethodsV2 : &kMethodsV1;
  return SQLITE_OK;
}

int VfsDelete(sqlite3_vfs* vfs, const char* name, int sync_dir) {
  return Base(vfs)->xDelete(Base(vfs), name, sync_dir);
}
int VfsAccess(sqlite3_vfs* vfs, const char* name, int flags, int* out) {
  return Base(vfs)->xAccess(Base(vfs), name, flags, out);
}
int VfsFullPathname(sqlite3_vfs* vfs, const char* name, int size, char* out) {
  return Base(vfs)->xFullPathname(Base(vfs), name, size, out);
}
void* VfsDlOpen(sqlite3_vfs* vfs, const char* name) { return Base(vfs)->xDlOpen(Base(vfs), name); }
void VfsDlError(sqlite3_vfs* vfs, int size, char* out) {
  Base(vfs)->xDlError(Base(vfs), size, out);
}
void (*VfsDlSym(sqlite3_vfs* vfs, void* handle, const char* symbol))(void) {
  return Base(vfs)->xDlSym(Base(vfs), handle, symbol);
}
void VfsDlClose(sqlite3_vfs* vfs, void* handle) { Base(vfs)->xDlClose(Base(vfs), handle); }
int VfsRandomness(sqlite3_vfs* vfs, int size, char* out) {
  return Base(vfs)->xRandomness(Base(vfs), size, out);
}
int VfsSleep(sqlite3_vfs* vfs, int microseconds) {
  return Base(vfs)->xSleep(Base(vfs), microseconds);
}
int VfsCurrentTime(sqlite3_vfs* vfs, double* out) {
  return Base(vfs)->xCurrentTime(Base(vfs), out);
}
int VfsGetLastError(sqlite3_vfs* vfs, int size, char* out) {
  return Base(vfs)->xGetLastError(Base(vfs), size, out);
}
int VfsCurrentTimeInt64(sqlite3_vfs* vfs, sqlite3_int64* out) {
  return Base(vfs)->xCurrentTimeInt64(Base(vfs), out);
}
int VfsSetSystemCall(sqlite3_vfs* vfs, const char* name, sqlite3_syscall_ptr call) {
  return Base(vfs)->xSetSystemCall(Base(vfs), name, call);
}
sqlite3_syscall_ptr VfsGetSystemCall(sqlite3_vfs* vfs, const char* name) {
  return Base(vfs)->xGetSystemCall(Base(vfs), name);
}
const char* VfsNextSystemCall(sqlite3_vfs* vfs, const char* name) {
  return Base(vfs)->xNextSystemCall(Base(vfs), name);
}

bool ValidLabel(std::string_view label) {
  return !label.empty() && label.size() <= kMaxLabelSize &&
         std::all_of(label.begin(), label.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '-';
         });
}

struct Registry {
  std::mutex mutex;
  std::map<std::string, EncryptedVfs*, std::less<>> by_label;  // guarded by mutex
};

Registry& GetRegistry() {
  static auto* registry = new Registry;  // never destroyed, like the VFSes
  return *registry;
}

struct WipeOnExit {
  std::array<Key, kKindCount>& keys;
  ~WipeOnExit() { OPENSSL_cleanse(keys.data(), sizeof(Key) * keys.size()); }
};

}  // namespace

Result<std::string> RegisterEncryptedVfs(std::span<const std::byte, kEncryptedVfsKeyBytes> key,
                                         std::string_view label) {
  if (!ValidLabel(label)) {
    return Fail(ErrorCode::kInvalidArgument,
                "encrypted SQLite VFS: a label is 1 to 64 characters of [A-Za-z0-9._-]");
  }
  std::array<Key, kKindCount> keys{};
  const WipeOnExit wipe{keys};
  for (size_t i = 0; i < kKindCount; ++i) {
    if (!DeriveKindKey(key, label, static_cast<Kind>(i + 1), keys[i])) {
      return Fail(ErrorCode::kInternal, "encrypted SQLite VFS: key derivation failed");
    }
  }
  std::string name = std::string(kNamePrefix) + std::string(label);

  Registry& registry = GetRegistry();
  std::lock_guard lock(registry.mutex);
  if (auto it = registry.by_label.find(label); it != registry.by_label.end()) {
    if (CRYPTO_memcmp(it->second->keys.data(), keys.data(), sizeof(Key) * kKindCount) != 0) {
      return Fail(ErrorCode::kConflict,
                  "encrypted SQLite VFS " + name + " is already registered with another key");
    }
    return name;
  }
  if (sqlite3_vfs_find(name.c_str()) != nullptr) {
    return Fail(ErrorCode::kConflict, "an SQLite VFS named " + name + " already exists");
  }
  sqlite3_vfs* base = sqlite3_vfs_find(nullptr);
  if (base == nullptr) return Fail(ErrorCode::kInternal, "SQLite has no default VFS");
  EVP_CIPHER* cipher = EVP_CIPHER_fetch(nullptr, "AES-256-CTR", nullptr);
  if (cipher == nullptr) return Fail(ErrorCode::kInternal, "OpenSSL has no AES-256-CTR");

  auto owned = std::make_unique<EncryptedVfs>();
  EncryptedVfs& v = *owned;
  v.name = name;
  v.base = base;
  v.cipher = cipher;
  v.keys = keys;
  sqlite3_vfs& s = v.vfs;
  s.iVersion = std::min(base->iVersion, 3);
  s.szOsFile = static_cast<int>(kBaseFileOffset) + base->szOsFile;
  s.mxPathname = base->mxPathname;
  s.zName = v.name.c_str();
  s.pAppData = &v;
  s.xOpen = VfsOpen;
  s.xDelete = VfsDelete;
  s.xAccess = VfsAccess;
  s.xFullPathname = VfsFullPathname;
  s.xDlOpen = VfsDlOpen;
  s.xDlError = VfsDlError;
  s.xDlSym = VfsDlSym;
  s.xDlClose = VfsDlClose;
  s.xRandomness = VfsRandomness;
  s.xSleep = VfsSleep;
  s.xCurrentTime = VfsCurrentTime;
  s.xGetLastError = VfsGetLastError;
  if (s.iVersion >= 2) s.xCurrentTimeInt64 = VfsCurrentTimeInt64;
  if (s.iVersion >= 3) {
    s.xSetSystemCall = VfsSetSystemCall;
    s.xGetSystemCall = VfsGetSystemCall;
    s.xNextSystemCall = VfsNextSystemCall;
  }
  if (const int rc = sqlite3_vfs_register(&s, /*makeDflt=*/0); rc != SQLITE_OK) {
    EVP_CIPHER_free(cipher);
    return Fail(ErrorCode::kInternal,
                std::string("cannot register SQLite VFS: ") + sqlite3_errstr(rc));
  }
  registry.by_label.emplace(std::string(label), owned.release());
  return name;
}

}  // namespace cf::catalog
