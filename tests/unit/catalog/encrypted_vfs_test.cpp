// SPDX-License-Identifier: Apache-2.0
// The encrypting SQLite VFS: nothing identifying reaches any file in clear
// (database, -wal, -shm, journals, temporary files), SQLite keeps working in
// every journal mode through spills, crashes, checkpoints, VACUUM and
// concurrent connections, and the wrong key opens nothing and harms nothing.
#include "catalog/encrypted_vfs.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "support/temp_dir.hpp"

namespace cf::catalog {
namespace {

namespace fs = std::filesystem;
using Key = std::array<std::byte, kEncryptedVfsKeyBytes>;
using Clock = std::chrono::steady_clock;

Key MakeKey(unsigned seed) {
  Key key{};
  for (size_t i = 0; i < key.size(); ++i) {
    key[i] = static_cast<std::byte>((seed * 31 + i * 7) & 0xff);
  }
  return key;
}

const Key kKey = MakeKey(1);
const Key kOtherKey = MakeKey(2);

// What must never reach a file in clear: a name in two scripts, a patient ID
// prefix, and SQLite's own header (which would mean a plaintext file).
const std::vector<std::string> kSecrets = {"Wang^Xiaoming", "王小明", "PID-778899",
                                           "SQLite format 3"};

// Registers (once per label) and returns the VFS name.
std::string Vfs(std::string_view label, const Key& key = kKey) {
  auto name = RegisterEncryptedVfs(key, label);
  if (!name) ADD_FAILURE() << name.error().message;
  return name ? *name : std::string("missing");
}

// A label no earlier test (nor an earlier --gtest_repeat round) registered,
// for tests whose child processes register it themselves.
std::string FreshLabel(std::string_view prefix) {
  static int counter = 0;
  return std::string(prefix) + "-" + std::to_string(::getpid()) + "-" + std::to_string(++counter);
}

constexpr const char* kSchema =
    "CREATE TABLE IF NOT EXISTS visits(batch INTEGER NOT NULL, seq INTEGER NOT NULL,"
    " name TEXT NOT NULL, pid TEXT NOT NULL, note TEXT NOT NULL, PRIMARY KEY(batch, seq));"
    "CREATE INDEX IF NOT EXISTS visits_pid ON visits(pid);";

// Of every row: how many, and a digest of their contents.
constexpr const char* kFingerprint =
    "SELECT count(*) || ':' || total(seq) || ':' || total(length(note)) || ':' ||"
    " ifnull(min(pid), '') || ':' || ifnull(max(note), '') FROM visits";

// An SQLite connection for tests; `vfs` empty means SQLite's default VFS.
class Db {
 public:
  Db(const fs::path& path, const std::string& vfs,
     int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) {
    open_rc_ = sqlite3_open_v2(path.c_str(), &db_, flags | SQLITE_OPEN_NOMUTEX,
                               vfs.empty() ? nullptr : vfs.c_str());
    if (db_ != nullptr) {
      sqlite3_extended_result_codes(db_, 1);
      sqlite3_busy_timeout(db_, 10000);
    }
  }
  ~Db() { sqlite3_close_v2(db_); }
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  int open_rc() const { return open_rc_; }
  sqlite3* get() const { return db_; }
  std::string Error() const { return db_ != nullptr ? sqlite3_errmsg(db_) : "no connection"; }
  int Exec(const std::string& sql) {
    return sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr);
  }
  // The first column of the first row, "<no row>", or "<error ...>".
  std::string Text(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
      return "<error " + Error() + ">";
    }
    const int rc = sqlite3_step(stmt);
    std::string out = rc == SQLITE_ROW    ? ColumnText(stmt)
                      : rc == SQLITE_DONE ? "<no row>"
                                          : "<error " + Error() + ">";
    sqlite3_finalize(stmt);
    return out;
  }

 private:
  static std::string ColumnText(sqlite3_stmt* stmt) {
    const auto* text = sqlite3_column_text(stmt, 0);
    return text == nullptr ? "<null>" : reinterpret_cast<const char*>(text);
  }
  sqlite3* db_ = nullptr;
  int open_rc_ = SQLITE_ERROR;
};

std::string Note(int batch, int seq) {
  // Pseudo-random, so that ORDER BY note has work to do.
  uint64_t x = (static_cast<uint64_t>(batch) << 32) ^ static_cast<uint64_t>(seq);
  std::string note;
  while (note.size() < 96) {
    x += 0x9e3779b97f4a7c15ULL;
    uint64_t z = x;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    char hex[17];
    std::snprintf(hex, sizeof(hex), "%016llx", static_cast<unsigned long long>(z ^ (z >> 31)));
    note += hex;
  }
  return note;
}

// Inserts rows [first, first + count) of `batch` into visits; SQLite's rc.
int InsertRows(sqlite3* db, int batch, int first, int count) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(
      db, "INSERT INTO visits(batch, seq, name, pid, note) VALUES(?, ?, ?, ?, ?)", -1, &stmt,
      nullptr);
  for (int seq = first; rc == SQLITE_OK && seq < first + count; ++seq) {
    const std::string pid = "PID-778899-" + std::to_string(batch) + "-" + std::to_string(seq);
    const std::string note = Note(batch, seq);
    sqlite3_bind_int(stmt, 1, batch);
    sqlite3_bind_int(stmt, 2, seq);
    sqlite3_bind_text(stmt, 3, seq % 2 == 0 ? "Wang^Xiaoming" : "王小明", -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 4, pid.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(stmt, 5, note.c_str(), -1, SQLITE_TRANSIENT);
    rc = sqlite3_step(stmt) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(db);
    sqlite3_reset(stmt);
  }
  sqlite3_finalize(stmt);
  return rc;
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Every file of `dir` by name, with its bytes.
std::map<std::string, std::string> Snapshot(const fs::path& dir) {
  std::map<std::string, std::string> files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.is_regular_file()) files[entry.path().filename()] = ReadFile(entry.path());
  }
  return files;
}

std::vector<std::string> SecretsIn(const std::string& name, const std::string& bytes) {
  std::vector<std::string> found;
  for (const auto& secret : kSecrets) {
    if (bytes.find(secret) != std::string::npos) found.push_back(name + ": " + secret);
  }
  return found;
}

// "<file>: <secret>" for each secret found in a file of `dir`.
std::vector<std::string> SecretsIn(const fs::path& dir) {
  std::vector<std::string> found;
  for (const auto& [name, bytes] : Snapshot(dir)) {
    for (auto& hit : SecretsIn(name, bytes)) found.push_back(std::move(hit));
  }
  return found;
}

std::string FileNames(const fs::path& dir) {
  std::string names;
  for (const auto& [name, bytes] : Snapshot(dir)) names += name + " ";
  return names;
}

// SQLite's temporary files that this process has open. They are deleted
// when created, but /proc/self/fd still reaches their contents.
std::vector<std::string> OpenTempFiles() {
  std::vector<std::string> contents;
  for (const auto& entry : fs::directory_iterator("/proc/self/fd")) {
    std::error_code ec;
    const fs::path target = fs::read_symlink(entry.path(), ec);
    if (!ec && target.string().find("etilqs_") != std::string::npos) {
      contents.push_back(ReadFile(entry.path()));
    }
  }
  return contents;
}

TEST(EncryptedVfsTest, RegistrationIsOnePerLabelAndKey) {
  auto name = RegisterEncryptedVfs(kKey, "registration");
  ASSERT_TRUE(name) << name.error().message;
  EXPECT_EQ(*name, "cfenc-registration");
  sqlite3_vfs* vfs = sqlite3_vfs_find(name->c_str());
  ASSERT_NE(vfs, nullptr);
  EXPECT_NE(vfs, sqlite3_vfs_find(nullptr)) << "must not become the default VFS";

  auto again = RegisterEncryptedVfs(kKey, "registration");
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, *name);
  EXPECT_EQ(sqlite3_vfs_find(again->c_str()), vfs);

  auto other = RegisterEncryptedVfs(kOtherKey, "registration");
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().code, ErrorCode::kConflict);

  const std::vector<std::string> bad_labels = {"", "a/b", "with space", "ünïcode",
                                               std::string(65, 'x')};
  for (const std::string& bad : bad_labels) {
    auto r = RegisterEncryptedVfs(kKey, bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument) << bad;
  }
  EXPECT_TRUE(RegisterEncryptedVfs(kKey, std::string(64, 'x')));
}

TEST(EncryptedVfsTest, FileControlNamesTheVfsStack) {
  cf::testing::TempDir dir;
  Db db(dir.Path() / "x.sqlite", Vfs("vfsname"));
  ASSERT_EQ(db.open_rc(), SQLITE_OK);
  char* name = nullptr;
  ASSERT_EQ(sqlite3_file_control(db.get(), "main", SQLITE_FCNTL_VFSNAME, &name), SQLITE_OK);
  EXPECT_EQ(std::string(name), std::string("cfenc-vfsname/") + sqlite3_vfs_find(nullptr)->zName);
  sqlite3_free(name);
}

// An sqlite3_file opened directly through a VFS, as SQLite would.
class RawFile {
 public:
  RawFile(const std::string& vfs_name, const fs::path& path, int flags)
      : vfs_(sqlite3_vfs_find(vfs_name.c_str())),
        memory_((static_cast<size_t>(vfs_->szOsFile) + sizeof(std::max_align_t) - 1) /
                sizeof(std::max_align_t)) {
    if (!path.empty()) {
      name_ = sqlite3_create_filename(path.c_str(), (path.string() + "-journal").c_str(),
                                      (path.string() + "-wal").c_str(), 0, nullptr);
    }
    rc_ = vfs_->xOpen(vfs_, name_, file(), flags, nullptr);
  }
  ~RawFile() {
    if (file()->pMethods != nullptr) file()->pMethods->xClose(file());
    sqlite3_free_filename(name_);
  }
  RawFile(const RawFile&) = delete;
  RawFile& operator=(const RawFile&) = delete;

  int rc() const { return rc_; }
  int Write(const std::string& bytes, int64_t offset) {
    return file()->pMethods->xWrite(file(), bytes.data(), static_cast<int>(bytes.size()), offset);
  }
  int Read(std::string& out, size_t size, int64_t offset) {
    out.assign(size, '?');
    return file()->pMethods->xRead(file(), out.data(), static_cast<int>(size), offset);
  }

 private:
  sqlite3_file* file() { return reinterpret_cast<sqlite3_file*>(memory_.data()); }
  sqlite3_vfs* vfs_;
  std::vector<std::max_align_t> memory_;
  sqlite3_filename name_ = nullptr;
  int rc_ = SQLITE_ERROR;
};

TEST(EncryptedVfsTest, AnyOffsetAndLengthRoundTrips) {
  cf::testing::TempDir dir;
  const std::string vfs = Vfs("raw");
  const int rw = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  const int temp = rw | SQLITE_OPEN_DELETEONCLOSE | SQLITE_OPEN_EXCLUSIVE;
  const struct {
    const char* name;  // nullptr: a temporary file without a name
    int flags;
  } files[] = {{"a.sqlite", rw | SQLITE_OPEN_MAIN_DB},
               {"a.sqlite-wal", rw | SQLITE_OPEN_WAL},
               {"a.sqlite-journal", rw | SQLITE_OPEN_MAIN_JOURNAL},
               {nullptr, temp | SQLITE_OPEN_TEMP_JOURNAL},
               {nullptr, temp | SQLITE_OPEN_TRANSIENT_DB}};
  std::mt19937 rng(20260115);
  for (const auto& spec : files) {
    SCOPED_TRACE(spec.name != nullptr ? spec.name : "temporary");
    const fs::path path = spec.name != nullptr ? dir.Path() / spec.name : fs::path();
    RawFile file(vfs, path, spec.flags);
    ASSERT_EQ(file.rc(), SQLITE_OK);
    std::string model;  // what the file must read back as
    for (int i = 0; i < 600; ++i) {
      const size_t size = 1 + rng() % 700;
      if (model.empty() || rng() % 2 == 0) {
        // Overwrite or append, never leave a hole (SQLite does not either).
        const size_t offset = rng() % (model.size() + 1);
        std::string bytes(size, '\0');
        for (char& c : bytes) c = static_cast<char>(rng());
        ASSERT_EQ(file.Write(bytes, static_cast<int64_t>(offset)), SQLITE_OK);
        if (model.size() < offset + size) model.resize(offset + size);
        model.replace(offset, size, bytes);
        continue;
      }
      const size_t offset = rng() % (model.size() + 100);
      std::string got;
      const int rc = file.Read(got, size, static_cast<int64_t>(offset));
      std::string want = offset < model.size() ? model.substr(offset, size) : "";
      want.resize(size, '\0');  // a short read is zero-filled plaintext
      EXPECT_EQ(rc, offset + size <= model.size() ? SQLITE_OK : SQLITE_IOERR_SHORT_READ);
      ASSERT_EQ(got, want) << "read of " << size << " at " << offset;
    }
    if (spec.name != nullptr) {
      const std::string disk = ReadFile(path);
      ASSERT_EQ(disk.size(), model.size());
      size_t same = 0;
      for (size_t i = 0; i < disk.size(); ++i) same += disk[i] == model[i] ? 1u : 0u;
      EXPECT_LT(same, disk.size() / 50) << "the file holds plaintext";
    }
  }
}

TEST(EncryptedVfsTest, ShortReadsAreZeroFilledPlaintext) {
  cf::testing::TempDir dir;
  RawFile file(Vfs("raw"), dir.Path() / "short.sqlite",
               SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_MAIN_DB);
  ASSERT_EQ(file.rc(), SQLITE_OK);
  const std::string text = "PID-778899 of Wang^Xiaoming, 100 bytes of text padded out to length.";
  ASSERT_EQ(file.Write(text, 0), SQLITE_OK);
  std::string got;
  EXPECT_EQ(file.Read(got, 200, 10), SQLITE_IOERR_SHORT_READ);
  EXPECT_EQ(got, text.substr(10) + std::string(200 - (text.size() - 10), '\0'));
  EXPECT_EQ(file.Read(got, 64, 1000), SQLITE_IOERR_SHORT_READ);
  EXPECT_EQ(got, std::string(64, '\0'));
}

// Pins the on-disk format documented in encrypted_vfs.hpp. The expected bytes
// were computed apart from this code, with Python's hmac and `openssl enc
// -aes-256-ctr`. If this fails, existing databases no longer open.
TEST(EncryptedVfsTest, OnDiskFormatIsStable) {
  cf::testing::TempDir dir;
  const fs::path path = dir.Path() / "golden.sqlite";
  {
    RawFile file(Vfs("golden"), path,
                 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_MAIN_DB);
    ASSERT_EQ(file.rc(), SQLITE_OK);
    std::string head("SQLite format 3\0", 16);
    for (char c = 0; c < 16; ++c) head.push_back(c);
    ASSERT_EQ(file.Write(head, 0), SQLITE_OK);
    ASSERT_EQ(file.Write("PID-778899", 4099), SQLITE_OK);
  }
  const std::string disk = ReadFile(path);
  ASSERT_EQ(disk.size(), 4109u);
  auto hex = [](std::string_view bytes) {
    std::string out;
    for (const char c : bytes) {
      char two[3];
      std::snprintf(two, sizeof(two), "%02x", static_cast<unsigned char>(c));
      out += two;
    }
    return out;
  };
  EXPECT_EQ(hex(std::string_view(disk).substr(0, 32)),
            "650698f10f68103d00df160d21241de7e35ab5f9199843558d4ee8859066e4c5");
  EXPECT_EQ(hex(std::string_view(disk).substr(4099)), "94efeeb4f24d70668279");
}

TEST(EncryptedVfsTest, WalDatabaseKeepsNamesOutOfEveryFile) {
  cf::testing::TempDir dir;
  const std::string vfs = Vfs("wal");
  const fs::path path = dir.Path() / "catalog.sqlite";
  {
    Db db(path, vfs);
    ASSERT_EQ(db.open_rc(), SQLITE_OK) << db.Error();
    EXPECT_EQ(db.Text("PRAGMA journal_mode=WAL"), "wal");
    ASSERT_EQ(db.Exec(kSchema), SQLITE_OK) << db.Error();
    ASSERT_EQ(InsertRows(db.get(), 1, 0, 500), SQLITE_OK) << db.Error();
    // Open: the rows are in the WAL, and the -shm exists.
    ASSERT_TRUE(fs::exists(path.string() + "-wal"));
    ASSERT_TRUE(fs::exists(path.string() + "-shm"));
    EXPECT_GT(fs::file_size(path.string() + "-wal"), 0u);
    EXPECT_EQ(SecretsIn(dir.Path()), std::vector<std::string>{}) << FileNames(dir.Path());
  }
  EXPECT_EQ(SecretsIn(dir.Path()), std::vector<std::string>{}) << FileNames(dir.Path());

  {  // Control: the same rows through SQLite's own VFS are found by the scan.
    cf::testing::TempDir plain_dir;
    Db plain(plain_dir.Path() / "catalog.sqlite", "");
    ASSERT_EQ(plain.Exec(std::string("PRAGMA journal_mode=WAL;") + kSchema), SQLITE_OK);
    ASSERT_EQ(InsertRows(plain.get(), 1, 0, 500), SQLITE_OK);
    EXPECT_EQ(SecretsIn(plain_dir.Path()).size(), 2 * kSecrets.size())  // db and WAL
        << FileNames(plain_dir.Path());
  }

  {
    Db db(path, vfs);
    ASSERT_EQ(db.open_rc(), SQLITE_OK);
    EXPECT_EQ(db.Text("SELECT pid FROM visits WHERE seq = 1"), "PID-778899-1-1");
    EXPECT_EQ(db.Text("SELECT name FROM visits WHERE seq = 1"), "王小明");
    EXPECT_EQ(db.Text("SELECT count(*) FROM visits WHERE name = 'Wang^Xiaoming'"), "250");
    EXPECT_EQ(db.Text("PRAGMA integrity_check"), "ok");
  }
  const auto before = Snapshot(dir.Path());
  {  // Without the VFS: not a database, from the first query on.
    Db plain(path, "");
    ASSERT_EQ(plain.open_rc(), SQLITE_OK);
    EXPECT_EQ(plain.Exec("SELECT count(*) FROM visits"), SQLITE_NOTADB);
  }
  {  // Under another label, hence other keys: refused when opening.
    Db other(path, Vfs("wal-other-label"));
    EXPECT_EQ(other.open_rc(), SQLITE_NOTADB);
  }
  EXPECT_EQ(Snapshot(dir.Path()), before);
  Db db(path, vfs);
  EXPECT_EQ(db.Text(kFingerprint).substr(0, 4), "500:");
}

TEST(EncryptedVfsTest, PlaintextDatabaseIsRefusedUntouched) {
  cf::testing::TempDir dir;
  const fs::path path = dir.Path() / "plain.sqlite";
  {
    Db plain(path, "");
    ASSERT_EQ(plain.Exec(kSchema), SQLITE_OK);
    ASSERT_EQ(InsertRows(plain.get(), 1, 0, 10), SQLITE_OK);
  }
  const auto before = Snapshot(dir.Path());
  Db db(path, Vfs("refuse"));
  EXPECT_EQ(db.open_rc(), SQLITE_NOTADB);
  EXPECT_EQ(Snapshot(dir.Path()), before);
}

// The migration the wiring needs: the backup API copies pages through both
// pagers, so a plaintext database can be encrypted (and, for tools that
// cannot use the VFS, exported back).
TEST(EncryptedVfsTest, BackupApiEncryptsAndDecryptsWholeDatabases) {
  cf::testing::TempDir plain_dir;
  cf::testing::TempDir enc_dir;
  const fs::path plain_path = plain_dir.Path() / "catalog.sqlite";
  const fs::path enc_path = enc_dir.Path() / "catalog.sqlite";
  const std::string vfs = Vfs("backup");
  std::string fingerprint;
  {
    Db plain(plain_path, "");
    ASSERT_EQ(plain.Exec(std::string("PRAGMA journal_mode=WAL;") + kSchema), SQLITE_OK);
    ASSERT_EQ(InsertRows(plain.get(), 1, 0, 3000), SQLITE_OK);
    fingerprint = plain.Text(kFingerprint);
  }
  auto copy = [](Db& from, Db& to) {
    sqlite3_backup* backup = sqlite3_backup_init(to.get(), "main", from.get(), "main");
    if (backup == nullptr) return sqlite3_errcode(to.get());
    const int step = sqlite3_backup_step(backup, -1);
    const int finish = sqlite3_backup_finish(backup);
    return step == SQLITE_DONE ? finish : step;
  };
  {
    Db from(plain_path, "", SQLITE_OPEN_READONLY);
    Db to(enc_path, vfs);
    ASSERT_EQ(copy(from, to), SQLITE_OK) << to.Error();
    EXPECT_EQ(to.Text("PRAGMA journal_mode"), "wal");  // the copy keeps the header
    EXPECT_EQ(to.Text(kFingerprint), fingerprint);
  }
  EXPECT_EQ(SecretsIn(enc_dir.Path()), std::vector<std::string>{}) << FileNames(enc_dir.Path());
  {
    Db db(enc_path, vfs);
    EXPECT_EQ(db.Text("PRAGMA integrity_check"), "ok");
    EXPECT_EQ(db.Text(kFingerprint), fingerprint);
  }
  const fs::path export_path = plain_dir.Path() / "export.sqlite";
  {
    Db from(enc_path, vfs, SQLITE_OPEN_READONLY);
    Db to(export_path, "");
    ASSERT_EQ(copy(from, to), SQLITE_OK) << to.Error();
  }
  Db exported(export_path, "");
  EXPECT_EQ(exported.Text(kFingerprint), fingerprint);
}

TEST(EncryptedVfsTest, MmapSizeIsAcceptedButNeverMapsCiphertext) {
  cf::testing::TempDir dir;
  const std::string vfs = Vfs("mmap");
  const fs::path path = dir.Path() / "catalog.sqlite";
  Db db(path, vfs);
  ASSERT_EQ(db.open_rc(), SQLITE_OK);
  // The pragma succeeds and reports that no mapping is used.
  EXPECT_EQ(db.Text("PRAGMA mmap_size=268435456"), "0");
  ASSERT_EQ(db.Exec(std::string("PRAGMA journal_mode=WAL;") + kSchema), SQLITE_OK);
  ASSERT_EQ(InsertRows(db.get(), 1, 0, 5000), SQLITE_OK);
  ASSERT_EQ(db.Exec("PRAGMA wal_checkpoint(TRUNCATE)"), SQLITE_OK);
  const std::string fingerprint = db.Text(kFingerprint);

  // A fresh reader (cold cache) with mmap requested reads every page through
  // xRead: were ciphertext mapped, the header check would fail (NOTADB).
  Db reader(path, vfs, SQLITE_OPEN_READONLY);
  ASSERT_EQ(reader.open_rc(), SQLITE_OK);
  EXPECT_EQ(reader.Text("PRAGMA mmap_size=268435456"), "0");
  EXPECT_EQ(reader.Text(kFingerprint), fingerprint);
  EXPECT_EQ(reader.Text("PRAGMA integrity_check"), "ok");
  // A sort that spills (the sorter maps its temporary files when it may).
  EXPECT_EQ(reader.Exec("PRAGMA cache_size=10; PRAGMA temp_store=FILE"), SQLITE_OK);
  EXPECT_EQ(reader.Text("SELECT group_concat(pid, '') = (SELECT group_concat(pid, '') FROM"
                        " (SELECT pid FROM visits ORDER BY note)) FROM (SELECT pid FROM visits"
                        " ORDER BY note)"),
            "1");

  {  // Control: SQLite's own VFS honours the pragma.
    Db plain(dir.Path() / "plain.sqlite", "");
    EXPECT_EQ(plain.Text("PRAGMA mmap_size=268435456"), "268435456");
  }
}

// Runs `query` to its first row with spilling temporary storage, and returns
// what SQLite's temporary files then hold: {files, secrets found in them}.
std::pair<size_t, std::vector<std::string>> TempFilesDuring(Db& db, const std::string& query) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db.get(), query.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
    ADD_FAILURE() << db.Error();
    return {};
  }
  EXPECT_EQ(sqlite3_step(stmt), SQLITE_ROW) << db.Error();
  const auto files = OpenTempFiles();
  sqlite3_finalize(stmt);
  std::vector<std::string> found;
  for (const auto& bytes : files) {
    for (auto& hit : SecretsIn("temporary file", bytes)) found.push_back(std::move(hit));
  }
  return {files.size(), found};
}

TEST(EncryptedVfsTest, TemporaryFilesOfSortsAndTempTablesAreEncrypted) {
  cf::testing::TempDir dir;
  // Each query is checked with no other temporary file open.
  const struct {
    const char* setup;
    const char* query;
  } cases[] = {
      // The sorter writes runs to a temporary file (TEMP_JOURNAL).
      {"", "SELECT name, pid FROM visits ORDER BY note"},
      // DISTINCT over an expression: an ephemeral table (TRANSIENT_DB).
      {"", "SELECT count(*) FROM (SELECT DISTINCT name || pid || note FROM visits)"},
      // A temporary table lives in the temporary database (TEMP_DB).
      {"CREATE TEMP TABLE scratch AS SELECT * FROM visits", "SELECT count(*) FROM scratch"},
  };
  for (const std::string& vfs : {std::string(), Vfs("temp")}) {
    SCOPED_TRACE(vfs.empty() ? "control: default VFS" : vfs);
    Db db(dir.Path() / (vfs.empty() ? "plain.sqlite" : "enc.sqlite"), vfs);
    ASSERT_EQ(db.Exec(kSchema), SQLITE_OK);
    ASSERT_EQ(db.Exec("BEGIN"), SQLITE_OK);
    ASSERT_EQ(InsertRows(db.get(), 1, 0, 20000), SQLITE_OK);
    ASSERT_EQ(db.Exec("COMMIT"), SQLITE_OK);
    ASSERT_EQ(db.Exec("PRAGMA temp_store=FILE; PRAGMA cache_size=10; PRAGMA temp.cache_size=10"),
              SQLITE_OK);
    for (const auto& c : cases) {
      SCOPED_TRACE(c.query);
      ASSERT_TRUE(OpenTempFiles().empty());
      ASSERT_EQ(db.Exec(c.setup), SQLITE_OK) << db.Error();
      const auto [files, secrets] = TempFilesDuring(db, c.query);
      EXPECT_GE(files, 1u) << "nothing spilled to a temporary file";
      if (vfs.empty()) {
        EXPECT_FALSE(secrets.empty()) << "the control should see plaintext";
      } else {
        EXPECT_EQ(secrets, std::vector<std::string>{});
      }
      ASSERT_EQ(db.Exec("DROP TABLE IF EXISTS temp.scratch"), SQLITE_OK);
    }
  }
}

TEST(EncryptedVfsTest, WalReadersSeeConsistentSnapshotsWhileAWriterCommits) {
  cf::testing::TempDir dir;
  const std::string vfs = Vfs("concurrent");
  const fs::path path = dir.Path() / "catalog.sqlite";
  constexpr int kAccounts = 50;
  constexpr int kTransfers = 1500;
  Db writer(path, vfs);
  ASSERT_EQ(writer.Exec("PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=20;"
                        "CREATE TABLE accounts(id INTEGER PRIMARY KEY, balance INTEGER);"
                        "CREATE TABLE notes(id INTEGER PRIMARY KEY, text TEXT);"
                        "CREATE TABLE meta(notes INTEGER); INSERT INTO meta VALUES(0);"
                        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n"
                        " WHERE i < 50) INSERT INTO accounts SELECT i, 1000 FROM n;"),
            SQLITE_OK)
      << writer.Error();
  // Readers open read-only, as SqliteCatalog's pool does.
  Db reader(path, vfs, SQLITE_OPEN_READONLY);
  Db old_snapshot(path, vfs, SQLITE_OPEN_READONLY);
  ASSERT_EQ(reader.open_rc(), SQLITE_OK);
  ASSERT_EQ(old_snapshot.Exec("BEGIN"), SQLITE_OK);
  ASSERT_EQ(old_snapshot.Text("SELECT count(*) FROM notes"), "0");

  std::atomic<bool> done{false};
  std::atomic<int> writer_failures{0};
  std::thread writing([&] {
    std::mt19937 rng(7);
    for (int i = 1; i <= kTransfers; ++i) {
      const int from = 1 + static_cast<int>(rng() % kAccounts);
      const int to = 1 + static_cast<int>(rng() % kAccounts);
      const int amount = static_cast<int>(rng() % 100);
      const std::string sql =
          "BEGIN IMMEDIATE; UPDATE accounts SET balance = balance - " + std::to_string(amount) +
          " WHERE id = " + std::to_string(from) + "; UPDATE accounts SET balance = balance + " +
          std::to_string(amount) + " WHERE id = " + std::to_string(to) +
          "; INSERT INTO notes(text) VALUES('Wang^Xiaoming PID-778899 moved " +
          std::to_string(amount) + "'); UPDATE meta SET notes = notes + 1; COMMIT;";
      if (writer.Exec(sql) != SQLITE_OK) ++writer_failures;
    }
    done = true;
  });
  int reads = 0;
  int inconsistent = 0;
  while (!done) {
    ASSERT_EQ(reader.Exec("BEGIN"), SQLITE_OK) << reader.Error();
    const std::string total = reader.Text("SELECT sum(balance) FROM accounts");
    const std::string notes = reader.Text("SELECT count(*) FROM notes");
    const std::string meta = reader.Text("SELECT notes FROM meta");
    ASSERT_EQ(reader.Exec("COMMIT"), SQLITE_OK);
    if (total != std::to_string(kAccounts * 1000) || notes != meta) ++inconsistent;
    ++reads;
  }
  writing.join();
  EXPECT_EQ(writer_failures, 0);
  EXPECT_EQ(inconsistent, 0) << "of " << reads << " reads";
  EXPECT_GT(reads, 0);
  EXPECT_EQ(old_snapshot.Text("SELECT count(*) FROM notes"), "0");  // still its snapshot
  ASSERT_EQ(old_snapshot.Exec("COMMIT"), SQLITE_OK);
  EXPECT_EQ(old_snapshot.Text("SELECT count(*) FROM notes"), std::to_string(kTransfers));
  EXPECT_EQ(reader.Text("SELECT sum(balance) FROM accounts"), std::to_string(kAccounts * 1000));
  EXPECT_EQ(writer.Text("PRAGMA integrity_check"), "ok");
  EXPECT_EQ(SecretsIn(dir.Path()), std::vector<std::string>{}) << FileNames(dir.Path());
}

// --- every journal mode -------------------------------------------------

class EncryptedVfsJournalTest : public ::testing::TestWithParam<std::string> {
 protected:
  bool Wal() const { return GetParam() == "WAL"; }
  std::string Mode() const { return "PRAGMA journal_mode=" + GetParam() + ";"; }
  fs::path Leftover(const fs::path& db) const {
    return db.string() + (Wal() ? "-wal" : "-journal");
  }
  cf::testing::TempDir dir_;
};

TEST_P(EncryptedVfsJournalTest, LargeTransactionsSpillCommitAndRollBack) {
  const std::string vfs = Vfs("journal");
  const fs::path path = dir_.Path() / "catalog.sqlite";
  std::string fingerprint;
  {
    Db db(path, vfs);
    ASSERT_EQ(db.Exec(Mode() + "PRAGMA cache_size=100;" + kSchema), SQLITE_OK) << db.Error();
    ASSERT_EQ(db.Exec("BEGIN"), SQLITE_OK);
    ASSERT_EQ(InsertRows(db.get(), 1, 0, 10000), SQLITE_OK) << db.Error();
    int spills = 0;
    int unused = 0;
    sqlite3_db_status(db.get(), SQLITE_DBSTATUS_CACHE_SPILL, &spills, &unused, 0);
    EXPECT_GT(spills, 0) << "the transaction should not fit in the page cache";
    ASSERT_EQ(db.Exec("COMMIT"), SQLITE_OK) << db.Error();
    fingerprint = db.Text(kFingerprint);
    EXPECT_EQ(fingerprint.substr(0, 6), "10000:");
    EXPECT_EQ(db.Text("PRAGMA integrity_check"), "ok");

    // Rolling back a transaction that spilled reads the pages back from the
    // (encrypted) journal, or drops the WAL frames.
    ASSERT_EQ(db.Exec("BEGIN; UPDATE visits SET note = 'overwritten';"
                      "DELETE FROM visits WHERE seq % 3 = 0; ROLLBACK;"),
              SQLITE_OK)
        << db.Error();
    EXPECT_EQ(db.Text(kFingerprint), fingerprint);

    // A savepoint rolled back inside a transaction uses a statement journal.
    ASSERT_EQ(db.Exec("BEGIN; SAVEPOINT s; UPDATE visits SET note = 'overwritten';"
                      "ROLLBACK TO s; RELEASE s; COMMIT;"),
              SQLITE_OK)
        << db.Error();
    EXPECT_EQ(db.Text(kFingerprint), fingerprint);
    EXPECT_EQ(db.Text("PRAGMA integrity_check"), "ok");
  }
  EXPECT_EQ(SecretsIn(dir_.Path()), std::vector<std::string>{}) << FileNames(dir_.Path());
  Db db(path, vfs);
  EXPECT_EQ(db.Text(kFingerprint), fingerprint);
}

TEST_P(EncryptedVfsJournalTest, CheckpointAndVacuumKeepTheDatabaseSound) {
  const std::string vfs = Vfs("journal");
  const fs::path path = dir_.Path() / "catalog.sqlite";
  Db db(path, vfs);
  ASSERT_EQ(db.Exec(Mode() + "PRAGMA cache_size=50;" + kSchema), SQLITE_OK) << db.Error();
  ASSERT_EQ(db.Exec("BEGIN"), SQLITE_OK);
  ASSERT_EQ(InsertRows(db.get(), 1, 0, 5000), SQLITE_OK);
  ASSERT_EQ(db.Exec("COMMIT"), SQLITE_OK);
  if (Wal()) {
    EXPECT_EQ(db.Text("PRAGMA wal_checkpoint(TRUNCATE)"), "0");  // not busy
    EXPECT_EQ(fs::file_size(path.string() + "-wal"), 0u);
    EXPECT_EQ(db.Text("PRAGMA integrity_check"), "ok");
  }
  ASSERT_EQ(db.Exec("DELETE FROM visits WHERE seq % 2 = 0"), SQLITE_OK);
  const std::string fingerprint = db.Text(kFingerprint);
  const auto size_before = fs::file_size(path);
  ASSERT_EQ(db.Exec("VACUUM"), SQLITE_OK) << db.Error();
  if (Wal()) {
    ASSERT_EQ(db.Exec("PRAGMA wal_checkpoint(TRUNCATE)"), SQLITE_OK);
  }
  EXPECT_LT(fs::file_size(path), size_before);
  EXPECT_EQ(db.Text("PRAGMA integrity_check"), "ok");
  EXPECT_EQ(db.Text(kFingerprint), fingerprint);

  if (!Wal()) {  // A new page size (not possible in WAL mode).
    ASSERT_EQ(db.Exec("PRAGMA page_size=8192; VACUUM"), SQLITE_OK) << db.Error();
    EXPECT_EQ(db.Text("PRAGMA page_size"), "8192");
    EXPECT_EQ(db.Text("PRAGMA integrity_check"), "ok");
    EXPECT_EQ(db.Text(kFingerprint), fingerprint);
  }
  // Auto-vacuum truncates the file at commit.
  ASSERT_EQ(db.Exec("PRAGMA auto_vacuum=FULL; VACUUM; DELETE FROM visits WHERE seq % 5 = 1"),
            SQLITE_OK)
      << db.Error();
  EXPECT_EQ(db.Text("PRAGMA integrity_check"), "ok");
  const std::string trimmed = db.Text(kFingerprint);

  // VACUUM INTO writes the copy through the connection's VFS: encrypted too.
  const fs::path copy_dir = dir_.Path() / "copy";
  fs::create_directory(copy_dir);
  ASSERT_EQ(db.Exec("VACUUM INTO '" + (copy_dir / "copy.sqlite").string() + "'"), SQLITE_OK)
      << db.Error();
  EXPECT_EQ(SecretsIn(copy_dir), std::vector<std::string>{}) << FileNames(copy_dir);
  Db copy(copy_dir / "copy.sqlite", vfs);
  EXPECT_EQ(copy.Text("PRAGMA integrity_check"), "ok");
  EXPECT_EQ(copy.Text(kFingerprint), trimmed);
}

constexpr int kRowsPerBatch = 2000;
constexpr int kCommittedBatches = 3;

// In a child process: commits batches 1..kCommittedBatches of visits,
// writing each batch number to `report` once committed; then inserts the
// next batch, writes -1 once its pages spilled out of the cache (into the
// database file and journal, or the WAL), and keeps inserting until killed.
int WriteUntilKilled(const fs::path& path, const std::string& vfs, const std::string& mode,
                     int report) {
  Db db(path, vfs);
  if (db.open_rc() != SQLITE_OK) return 10;
  if (db.Exec("PRAGMA journal_mode=" + mode + "; PRAGMA cache_size=50;" + kSchema) != SQLITE_OK) {
    return 11;
  }
  for (int32_t batch = 1; batch <= kCommittedBatches + 1; ++batch) {
    if (db.Exec("BEGIN") != SQLITE_OK) return 12;
    if (InsertRows(db.get(), batch, 0, kRowsPerBatch) != SQLITE_OK) return 13;
    if (batch <= kCommittedBatches) {
      if (db.Exec("COMMIT") != SQLITE_OK) return 14;
      if (::write(report, &batch, sizeof(batch)) != sizeof(batch)) return 15;
    }
  }
  const int32_t mid_transaction = -1;
  if (::write(report, &mid_transaction, sizeof(mid_transaction)) != sizeof(mid_transaction)) {
    return 15;
  }
  for (int seq = kRowsPerBatch;; seq += 10) {
    if (InsertRows(db.get(), kCommittedBatches + 1, seq, 10) != SQLITE_OK) return 16;
    if (seq > 10'000'000) return 17;
  }
}

// Forks a writer (whose VFS `vfs_in_child` names, registering it if needed),
// SIGKILLs it a few milliseconds into an uncommitted transaction that has
// spilled, and returns the last batch it reported committed.
int CrashWriter(const fs::path& path, const std::function<std::string()>& vfs_in_child,
                const std::string& mode) {
  int pipe_fds[2];
  if (::pipe(pipe_fds) != 0) return -1;
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(pipe_fds[0]);
    ::_exit(WriteUntilKilled(path, vfs_in_child(), mode, pipe_fds[1]));
  }
  ::close(pipe_fds[1]);
  int32_t committed = 0;
  int32_t message = 0;
  bool mid_transaction = false;
  while (::read(pipe_fds[0], &message, sizeof(message)) == sizeof(message)) {
    if (message < 0) {
      mid_transaction = true;
      break;
    }
    committed = message;
  }
  if (mid_transaction) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    ::kill(pid, SIGKILL);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  ::close(pipe_fds[0]);
  EXPECT_TRUE(mid_transaction) << "the writer exited with status " << status;
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  return committed;
}

TEST_P(EncryptedVfsJournalTest, KillNineMidTransactionKeepsEveryCommit) {
  const std::string vfs = Vfs("journal");
  const fs::path path = dir_.Path() / "catalog.sqlite";
  ASSERT_EQ(CrashWriter(
                path, [&] { return vfs; }, GetParam()),
            kCommittedBatches);
  // The crash left a hot journal, or a WAL with an uncommitted tail; neither
  // shows a name.
  ASSERT_TRUE(fs::exists(Leftover(path))) << FileNames(dir_.Path());
  EXPECT_GT(fs::file_size(Leftover(path)), 0u);
  EXPECT_EQ(SecretsIn(dir_.Path()), std::vector<std::string>{}) << FileNames(dir_.Path());

  Db db(path, vfs);
  ASSERT_EQ(db.open_rc(), SQLITE_OK);
  EXPECT_EQ(db.Text("PRAGMA integrity_check"), "ok");
  EXPECT_EQ(db.Text("SELECT count(*) || ' ' || count(DISTINCT batch) || ' ' || max(batch)"
                    " FROM visits"),
            std::to_string(kCommittedBatches * kRowsPerBatch) + " " +
                std::to_string(kCommittedBatches) + " " + std::to_string(kCommittedBatches));
  EXPECT_EQ(db.Text("SELECT count(*) FROM visits WHERE pid LIKE 'PID-778899-%'"
                    " AND name IN ('Wang^Xiaoming', '王小明')"),
            std::to_string(kCommittedBatches * kRowsPerBatch));
  if (GetParam() == "DELETE") {
    EXPECT_FALSE(fs::exists(Leftover(path))) << "the hot journal was rolled back";
  }
}

// A wrong key must fail before SQLite reads what a crash left behind: read as
// garbage, a hot journal or WAL would be taken for empty and deleted.
TEST_P(EncryptedVfsJournalTest, AnotherKeyLeavesCrashDebrisUntouched) {
  const std::string label = FreshLabel("debris");
  const fs::path path = dir_.Path() / "catalog.sqlite";
  // The database belongs to kOtherKey: a child registers the label with it
  // (this process has not registered the label yet, so can later use kKey).
  ASSERT_EQ(CrashWriter(
                path,
                [&] {
                  auto name = RegisterEncryptedVfs(kOtherKey, label);
                  return name ? *name : std::string("missing");
                },
                GetParam()),
            kCommittedBatches);
  ASSERT_TRUE(fs::exists(Leftover(path)));
  const auto debris = Snapshot(dir_.Path());

  // A second child, forked before this process takes the label with kKey,
  // later checks that the owner can still recover everything.
  int go[2];
  ASSERT_EQ(::pipe(go), 0);
  const pid_t owner = ::fork();
  if (owner == 0) {
    ::close(go[1]);
    char byte = 0;
    if (::read(go[0], &byte, 1) != 1) ::_exit(20);
    auto name = RegisterEncryptedVfs(kOtherKey, label);
    if (!name) ::_exit(21);
    Db db(path, *name);
    if (db.open_rc() != SQLITE_OK) ::_exit(22);
    if (db.Text("PRAGMA integrity_check") != "ok") ::_exit(23);
    if (db.Text("SELECT count(*) FROM visits") !=
        std::to_string(kCommittedBatches * kRowsPerBatch)) {
      ::_exit(24);
    }
    ::_exit(0);
  }
  ::close(go[0]);

  {  // Same label, another key.
    Db db(path, Vfs(label, kKey));
    EXPECT_EQ(db.open_rc(), SQLITE_NOTADB);
  }
  {  // Same key, another label.
    Db db(path, Vfs(FreshLabel("debris-other")));
    EXPECT_EQ(db.open_rc(), SQLITE_NOTADB);
  }
  EXPECT_EQ(Snapshot(dir_.Path()), debris) << "a failed open changed files";

  ASSERT_EQ(::write(go[1], "x", 1), 1);
  ::close(go[1]);
  int status = 0;
  ::waitpid(owner, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "the owner of the key could not recover its database";
}

std::string ModeName(const ::testing::TestParamInfo<std::string>& mode) { return mode.param; }

INSTANTIATE_TEST_SUITE_P(AllModes, EncryptedVfsJournalTest,
                         ::testing::Values("DELETE", "TRUNCATE", "PERSIST", "WAL"), ModeName);

// --- cost ---------------------------------------------------------------

// Not asserted: prints what encryption costs, next to SQLite's own VFS.
TEST(EncryptedVfsTest, BenchmarkInsertAndReadBack) {
  cf::testing::TempDir dir;
  constexpr int kRows = 20000;
  constexpr int kCommits = 2000;
  constexpr size_t kRounds = 3;
  const std::string encrypted = Vfs("bench");
  auto ms = [](Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double, std::milli>(b - a).count();
  };
  // [vfs][measure][round]; measures: insert, read back, small commits.
  std::array<std::array<std::array<double, kRounds>, 3>, 2> times{};
  for (size_t round = 0; round < kRounds; ++round) {
    for (size_t v = 0; v < 2; ++v) {
      const std::string vfs = v == 0 ? std::string() : encrypted;
      const fs::path path = dir.Path() / ("bench" + std::to_string(round * 2 + v) + ".sqlite");
      const auto t0 = Clock::now();
      {
        Db db(path, vfs);
        ASSERT_EQ(db.Exec(std::string("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;") +
                          kSchema + "BEGIN;"),
                  SQLITE_OK);
        ASSERT_EQ(InsertRows(db.get(), 1, 0, kRows), SQLITE_OK);
        ASSERT_EQ(db.Exec("COMMIT"), SQLITE_OK);
      }  // Closing checkpoints the WAL into the database.
      const auto t1 = Clock::now();
      {
        Db db(path, vfs, SQLITE_OPEN_READONLY);  // cold page cache
        sqlite3_stmt* stmt = nullptr;
        ASSERT_EQ(
            sqlite3_prepare_v2(db.get(), "SELECT name, pid, note FROM visits", -1, &stmt, nullptr),
            SQLITE_OK);
        int rows = 0;
        size_t bytes = 0;
        while (sqlite3_step(stmt) == SQLITE_ROW) {
          ++rows;
          for (int c = 0; c < 3; ++c) bytes += static_cast<size_t>(sqlite3_column_bytes(stmt, c));
        }
        sqlite3_finalize(stmt);
        ASSERT_EQ(rows, kRows);
        ASSERT_GT(bytes, 0u);
      }
      const auto t2 = Clock::now();
      {
        Db db(path, vfs);
        ASSERT_EQ(db.Exec("PRAGMA synchronous=NORMAL"), SQLITE_OK);
        for (int i = 0; i < kCommits; ++i) {
          ASSERT_EQ(InsertRows(db.get(), 2, i, 1), SQLITE_OK);
        }
      }
      const auto t3 = Clock::now();
      times[v][0][round] = ms(t0, t1);
      times[v][1][round] = ms(t1, t2);
      times[v][2][round] = ms(t2, t3);
    }
  }
  auto median = [](std::array<double, kRounds> values) {
    std::sort(values.begin(), values.end());
    return values[kRounds / 2];
  };
  const char* names[] = {"insert 20k rows (1 transaction, WAL, close)",
                         "read 20k rows back (cold cache)", "2k one-row commits (WAL, NORMAL)"};
  for (size_t m = 0; m < 3; ++m) {
    const double plain = median(times[0][m]);
    const double enc = median(times[1][m]);
    std::printf("[ bench    ] %-44s plain %8.1f ms  encrypted %8.1f ms  (%+.0f%%)\n", names[m],
                plain, enc, (enc / plain - 1) * 100);
  }
  std::fflush(stdout);
}

}  // namespace
}  // namespace cf::catalog
