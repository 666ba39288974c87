// SPDX-License-Identifier: Apache-2.0
// Moves journaled objects into the blob store after they were acknowledged.
//
// An object is durable once its journal record is (IngestJournal), so the
// blob file need not be written before the acknowledgement. Writing it here,
// on another thread, takes a file creation and a write of the whole object
// off the path that a sending modality waits on; it is also where the stored
// form may differ from the received bytes (compression, see the codec part)
// without slowing ingest down. Until an object's blob is written, reads are
// served from its journal record (ReadPending), and the checkpoint keeps the
// journal segment until WaitFor says the blob store has it.
//
// While objects keep arriving, filing can wait (Deferral): an object is
// durable in the journal already, and every blob written now is flushed to
// the disk by the next journal sync, which an acknowledgement waits for.
// Writing each object twice in a burst (record, then blob) halves the bytes
// per flush a sender's acknowledgement can get; the blobs of a burst are
// filed in the pause after it instead.
//
// Objects are written in the order they were enqueued, by one thread. A
// failing write (disk full) is retried with a growing pause; meanwhile the
// object stays readable from the journal and its segment is kept.
//
// With a sealing journal the queue holds, and hands the filing function,
// the object as a sealed blob (IngestJournal::Append with a blob buffer, or
// ReadSealedBlob beyond the memory budget) rather than its plaintext: an
// object filed as received is then written as it is, sealed once.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "archive/ingest_journal.hpp"
#include "core/bytes.hpp"
#include "core/error.hpp"

namespace cf::archive {

class Materializer {
 public:
  // One object to file: its received bytes, or (`sealed`) its sealed blob
  // made by the journal for its key; IngestJournal::OpenSealedBlob(ref,
  // bytes) gives the received bytes of a sealed one.
  struct Object {
    ByteView bytes;
    bool sealed = false;
    const IngestJournal::RecordRef& ref;
  };
  // How the filing keeps up with what arrives.
  enum class Pace : uint8_t {
    // Little waits behind this object: keep it where its first readers
    // find it fast (the page cache).
    kKeepingUp,
    // More than kBehindBytes wait to be filed while objects arrive (a
    // burst from many senders, an import): write around the page cache,
    // whose copies would cost the CPU the senders need. (A backlog filed
    // in the pause after a burst, see Deferral, is kKeepingUp.)
    kBehind,
    // The process stops: file it the fastest way.
    kHurry,
  };
  static constexpr uint64_t kBehindBytes = 16ull << 20;
  // Files one object: writes it (or its stored form) under `key`.
  using FileFn =
      std::function<Result<void>(const std::string& key, const Object& object, Pace pace)>;

  // Copies kept in the queue at most, by default; beyond them objects are
  // read back from the journal. Keeps a burst from many senders from
  // growing memory without bound.
  static constexpr uint64_t kDefaultMemoryBudget = 128ull << 20;

  // When filing waits while objects arrive. Off by default (max_bytes 0):
  // each object is filed as soon as the thread gets to it.
  struct Deferral {
    // Filing waits only while less than this is reserved and not yet filed
    // (queued, or still arriving): what the journal holds beyond the
    // blob store, in disk space and in reads served from it. Beyond it the
    // backlog is filed as it comes, as without deferral.
    uint64_t max_bytes = 0;
    // A pause this long without a new object ends a burst.
    std::chrono::milliseconds quiet{100};
    // No object waits longer than this, so that a steady trickle (which
    // never pauses) is still filed and read from the blob store soon.
    std::chrono::milliseconds max_age{30'000};
  };

  // Runs at a lower CPU priority than the threads that receive objects.
  explicit Materializer(FileFn file, uint64_t memory_budget = kDefaultMemoryBudget);
  Materializer(FileFn file, uint64_t memory_budget, Deferral deferral);
  ~Materializer();  // writes what is still queued, then stops
  Materializer(const Materializer&) = delete;
  Materializer& operator=(const Materializer&) = delete;

  // Reserves room in the blob store for an object of `size` bytes, counting
  // what is queued and not yet written against `available` (the store's
  // free space now). False when it would not fit: refuse the object rather
  // than journal one whose blob could not be written. An object reserved
  // must be passed to Enqueue or Release.
  bool Reserve(uint64_t size, uint64_t available);
  void Release(uint64_t size);

  // A buffer for a copy of `size` bytes when the queue would keep one now
  // (a hint: Enqueue decides), nullopt otherwise. It is empty: one a filed
  // object left when one holds `size` bytes, its pages backed already,
  // where a new allocation of that size faults each in afresh once the
  // allocator has given the last one back (perf of STOW-RS: 30 page faults
  // per 514 KiB object, nearly all in that copy). Spares and queued copies
  // together stay within the memory budget (a STOW-RS request's burst of
  // copies is then there for the next one), and spares are freed after
  // kSparesIdle without objects.
  std::optional<Bytes> TakeCopyBuffer(uint64_t size);
  static constexpr std::chrono::seconds kSparesIdle{2};

  // Queues the object journaled at `ref` under blob `key` (reserved). The
  // queue keeps `sealed_blob` (the record's sealed blob, from
  // IngestJournal::Append with a blob buffer) when given, else a copy of `received`, while it
  // holds less than its memory budget (saves reading it back). Returns a
  // ticket for WaitFor.
  uint64_t Enqueue(std::string key, IngestJournal::RecordRef ref, ByteView received,
                   Bytes sealed_blob = {});

  // The number of objects enqueued so far: WaitFor(Enqueued()) waits for all.
  uint64_t Enqueued() const;

  // From now on files without waiting (Deferral) and at Pace::kHurry: the
  // process is stopping.
  void Hurry();

  // Objects enqueued and not yet written.
  int64_t Backlog() const;

  // Objects filed from their journal record (beyond the memory budget)
  // since the start.
  int64_t ReadBack() const;

  // The data of `key` while it is still queued; nullopt once it is in the
  // blob store (or was never queued here).
  std::optional<Result<Bytes>> ReadPending(std::string_view key) const;

  // Whether `key` is still queued; reads nothing.
  bool IsPending(std::string_view key) const;

  // Blocks until every object up to `ticket` is in the blob store (not yet
  // synced: the caller syncs the store), or `timeout` passed (false).
  bool WaitFor(uint64_t ticket, std::chrono::milliseconds timeout);

  // Bytes of spare buffers kept now (tests).
  uint64_t SpareBytes() const;

 private:
  struct Item {
    std::string key;
    IngestJournal::RecordRef ref;
    Bytes bytes;  // empty: read back from the journal
    bool InMemory() const { return !bytes.empty() || (ref.size == 0 && !ref.data_key); }
    bool sealed = false;  // `bytes` is the record's sealed blob
    uint64_t ticket = 0;
    std::chrono::steady_clock::time_point enqueued_at;
  };
  void Run();
  // When the front item may be filed, if filing waits now (Deferral).
  std::optional<std::chrono::steady_clock::time_point> DeferredUntilLocked() const;
  Result<void> Write(const Item& item, Pace pace);
  // The smallest spare of at least `capacity` bytes, or an empty buffer.
  Bytes TakeSpareLocked(uint64_t capacity);
  // Keeps a filed object's copy as a spare, if there is room.
  void KeepSpareLocked(Bytes buffer);
  // Frees every spare (and what the allocator holds free): the queue is idle.
  void DropSpares(std::unique_lock<std::mutex>& lock);

  FileFn file_;
  const uint64_t memory_budget_;
  const Deferral deferral_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<Item>> queue_;                         // guarded by mutex_
  std::unordered_map<std::string, std::shared_ptr<Item>> pending_;  // guarded by mutex_
  uint64_t enqueued_ = 0;                                           // guarded by mutex_
  uint64_t written_ = 0;                                            // guarded by mutex_
  uint64_t queued_bytes_ = 0;                                       // in memory; guarded by mutex_
  uint64_t reserved_bytes_ = 0;  // to be written; guarded by mutex_
  uint64_t held_peak_ = 0;       // of queued_bytes_ since the queue was last empty
  bool stopping_ = false;        // guarded by mutex_
  bool hurry_ = false;           // guarded by mutex_
  bool deferring_ = false;       // Run waits out a burst; guarded by mutex_
  std::chrono::steady_clock::time_point last_enqueue_;  // guarded by mutex_
  int64_t read_back_ = 0;                               // guarded by mutex_
  std::vector<Bytes> spares_;                           // empty, with capacity; guarded by mutex_
  uint64_t spare_bytes_ = 0;                            // their capacity; guarded by mutex_
  std::thread thread_;
};

}  // namespace cf::archive
