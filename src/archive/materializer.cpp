// SPDX-License-Identifier: Apache-2.0
#include "archive/materializer.hpp"

#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>

#include "core/log.hpp"

namespace cf::archive {
namespace {

// Left free beside reservations: file system metadata, folders and
// rounding to blocks take some room of their own.
constexpr uint64_t kFreeSpaceMargin = 1ull << 20;

constexpr int kNice = 10;
constexpr uint64_t kTrimAfter = 16ull << 20;

constexpr std::chrono::milliseconds kFirstRetry{50};
constexpr std::chrono::milliseconds kMaxRetry{5000};

}  // namespace

Materializer::Materializer(FileFn file, uint64_t memory_budget)
    : Materializer(std::move(file), memory_budget, Deferral{}) {}

Materializer::Materializer(FileFn file, uint64_t memory_budget, Deferral deferral)
    : file_(std::move(file)), memory_budget_(memory_budget), deferral_(deferral) {
  thread_ = std::thread([this] {
    // Compression is background work: a modality waiting for its C-STORE
    // response comes first. (On Linux, setpriority on a thread id applies
    // to that thread only.)
    ::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), kNice);
    Run();
  });
}

Materializer::~Materializer() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = hurry_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void Materializer::Hurry() {
  {
    std::lock_guard lock(mutex_);
    hurry_ = true;
  }
  cv_.notify_all();
}

bool Materializer::Reserve(uint64_t size, uint64_t available) {
  std::lock_guard lock(mutex_);
  if (reserved_bytes_ + size + kFreeSpaceMargin > available) return false;
  reserved_bytes_ += size;
  return true;
}

void Materializer::Release(uint64_t size) {
  std::lock_guard lock(mutex_);
  reserved_bytes_ -= std::min(size, reserved_bytes_);
}

std::optional<Bytes> Materializer::TakeCopyBuffer(uint64_t size) {
  std::lock_guard lock(mutex_);
  if (queued_bytes_ + size > memory_budget_) return std::nullopt;
  return TakeSpareLocked(size);
}

uint64_t Materializer::Enqueue(std::string key, IngestJournal::RecordRef ref, ByteView received,
                               Bytes sealed_blob) {
  auto item = std::make_shared<Item>();
  item->key = std::move(key);
  item->ref = std::move(ref);
  std::lock_guard lock(mutex_);
  const bool sealed = !sealed_blob.empty();
  const uint64_t size = sealed ? sealed_blob.size() : received.size();
  if (queued_bytes_ + size <= memory_budget_) {
    if (sealed) {
      item->bytes = std::move(sealed_blob);
      item->sealed = true;
    } else {
      item->bytes = TakeSpareLocked(received.size());
      item->bytes.assign(received.begin(), received.end());
    }
    queued_bytes_ += size;
    // Spares give way to queued copies.
    while (!spares_.empty() && queued_bytes_ + spare_bytes_ > memory_budget_) {
      spare_bytes_ -= spares_.back().capacity();
      spares_.pop_back();
    }
  }
  item->ticket = ++enqueued_;
  item->enqueued_at = last_enqueue_ = std::chrono::steady_clock::now();
  pending_[item->key] = item;
  queue_.push_back(std::move(item));
  // A filer waiting out a burst needs no wake-up per object (a context
  // switch on the sender's path): it reads the latest arrival when its
  // wait ends. Only a backlog over the limit ends the wait early.
  if (!deferring_ || reserved_bytes_ >= deferral_.max_bytes) cv_.notify_all();
  return enqueued_;
}

Bytes Materializer::TakeSpareLocked(uint64_t capacity) {
  auto best = spares_.end();
  for (auto it = spares_.begin(); it != spares_.end(); ++it) {
    if (it->capacity() >= capacity && (best == spares_.end() || it->capacity() < best->capacity()))
      best = it;
  }
  if (best == spares_.end()) return {};
  Bytes buffer = std::move(*best);
  spares_.erase(best);
  spare_bytes_ -= buffer.capacity();
  return buffer;
}

uint64_t Materializer::SpareBytes() const {
  std::lock_guard lock(mutex_);
  return spare_bytes_;
}

void Materializer::KeepSpareLocked(Bytes buffer) {
  // Within the queue's budget: spares and queued copies together hold no
  // more than a full queue would.
  if (buffer.capacity() == 0 || queued_bytes_ + spare_bytes_ + buffer.capacity() > memory_budget_) {
    return;
  }
  buffer.clear();
  spare_bytes_ += buffer.capacity();
  spares_.push_back(std::move(buffer));
}

void Materializer::DropSpares(std::unique_lock<std::mutex>& lock) {
  std::vector<Bytes> dropped = std::move(spares_);
  spares_.clear();
  spare_bytes_ = 0;
  lock.unlock();
  dropped.clear();
  // What the burst's copies and the spares held goes back to the system,
  // rather than staying resident while idle.
  ::malloc_trim(0);
  lock.lock();
}

uint64_t Materializer::Enqueued() const {
  std::lock_guard lock(mutex_);
  return enqueued_;
}

int64_t Materializer::ReadBack() const {
  std::lock_guard lock(mutex_);
  return read_back_;
}

int64_t Materializer::Backlog() const {
  std::lock_guard lock(mutex_);
  return static_cast<int64_t>(queue_.size());
}

bool Materializer::IsPending(std::string_view key) const {
  std::lock_guard lock(mutex_);
  return pending_.contains(std::string(key));
}

std::optional<Result<Bytes>> Materializer::ReadPending(std::string_view key) const {
  std::shared_ptr<Item> item;
  {
    std::lock_guard lock(mutex_);
    auto it = pending_.find(std::string(key));
    if (it == pending_.end()) return std::nullopt;
    item = it->second;
  }
  // The item is immutable once queued and kept alive by our reference.
  if (item->sealed) return IngestJournal::OpenSealedBlob(item->ref, item->bytes);
  if (item->InMemory()) return Result<Bytes>(item->bytes);
  return IngestJournal::Read(item->ref);
}

bool Materializer::WaitFor(uint64_t ticket, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return cv_.wait_for(lock, timeout, [&] { return written_ >= ticket; });
}

Result<void> Materializer::Write(const Item& item, Pace pace) {
  if (item.InMemory()) {
    return file_(item.key, Object{item.bytes, item.sealed, item.ref}, pace);
  }
  // Beyond the memory budget: a sealed record is read back as the sealed
  // blob it makes, not decrypted (the filing function decrypts it only if
  // it needs the received bytes).
  const bool sealed = item.ref.data_key != nullptr;
  auto read_back = sealed ? IngestJournal::ReadSealedBlob(item.ref) : IngestJournal::Read(item.ref);
  if (!read_back) return std::unexpected(read_back.error());
  return file_(item.key, Object{*read_back, sealed, item.ref}, pace);
}

std::optional<std::chrono::steady_clock::time_point> Materializer::DeferredUntilLocked() const {
  if (deferral_.max_bytes == 0 || hurry_ || queue_.empty() ||
      reserved_bytes_ >= deferral_.max_bytes) {
    return std::nullopt;
  }
  const auto until =
      std::min(last_enqueue_ + deferral_.quiet, queue_.front()->enqueued_at + deferral_.max_age);
  if (std::chrono::steady_clock::now() >= until) return std::nullopt;
  return until;
}

void Materializer::Run() {
  std::chrono::milliseconds pause = kFirstRetry;
  std::unique_lock lock(mutex_);
  const auto has_work = [&] { return stopping_ || !queue_.empty(); };
  for (;;) {
    if (!cv_.wait_for(lock, kSparesIdle, has_work)) {
      if (!spares_.empty() || held_peak_ > 0) {
        held_peak_ = 0;
        DropSpares(lock);
      }
      cv_.wait(lock, has_work);
    }
    if (queue_.empty()) return;  // stopping, and everything is written
    if (auto until = DeferredUntilLocked()) {
      // Woken early only by a backlog over the limit, Hurry or the
      // destructor; arrivals meanwhile move `until` on when it passes.
      deferring_ = true;
      cv_.wait_until(lock, *until);
      deferring_ = false;
      continue;
    }
    std::shared_ptr<Item> item = queue_.front();
    // A backlog filed in the pause after a burst costs no sender anything:
    // through the page cache, where the exam's first readers find it.
    const bool in_pause = deferral_.max_bytes > 0 &&
                          std::chrono::steady_clock::now() - last_enqueue_ >= deferral_.quiet;
    // Reserved bytes count the objects still arriving as well as the queue.
    const Pace pace = hurry_ ? Pace::kHurry
                      : !in_pause && reserved_bytes_ > item->ref.size + kBehindBytes
                          ? Pace::kBehind
                          : Pace::kKeepingUp;
    lock.unlock();
    auto written = Write(*item, pace);
    lock.lock();
    if (!written) {
      log::Error(
          "ingest.blob_write_failed",
          {{"blob", item->key}, {"error", written.error().message}, {"retry_ms", pause.count()}});
      if (stopping_) return;  // the journal keeps it for the next start
      cv_.wait_for(lock, pause, [&] { return stopping_; });
      pause = std::min(pause * 2, kMaxRetry);
      continue;
    }
    pause = kFirstRetry;
    if (!item->InMemory()) ++read_back_;
    queue_.pop_front();
    pending_.erase(item->key);
    queued_bytes_ -= item->bytes.size();
    held_peak_ = std::max(held_peak_, queued_bytes_ + item->bytes.size());
    reserved_bytes_ -= std::min<uint64_t>(item->ref.size, reserved_bytes_);
    written_ = item->ticket;
    cv_.notify_all();
    // Nobody else can reach the item now (ReadPending finds it through
    // pending_, under the lock): its copy may serve the next object.
    if (item.use_count() == 1) KeepSpareLocked(std::move(item->bytes));
    if (queue_.empty() && held_peak_ > kTrimAfter) {
      // A burst's copies are freed; give the memory back rather than keep
      // the peak resident while idle.
      // (The spares, bounded, stay for the next objects until idle.)
      held_peak_ = 0;
      item.reset();
      lock.unlock();
      ::malloc_trim(0);
      lock.lock();
    }
  }
}

}  // namespace cf::archive
