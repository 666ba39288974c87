// SPDX-License-Identifier: Apache-2.0
// Keeps the log's latest tree head time-stamped by an RFC 3161 TSA
// (timestamp.hpp): a background thread that, when the log has grown, signs
// a new head and has it stamped. Issuing a film never waits for the TSA: a
// TSA that is down delays the stamp, not the film, and the stamp of a
// later head covers every earlier entry.
#pragma once

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <optional>
#include <random>
#include <thread>

#include "ledger/transparency_log.hpp"
#include "ledger/tsa_client.hpp"

namespace cf::ledger {

struct TimestamperOptions {
  TsaClientOptions tsa;
  std::filesystem::path tsa_ca_file;  // the CA the TSA's certificate chains to
  // How often the log is looked at; after a failure the wait doubles up to
  // max_backoff.
  std::chrono::milliseconds interval{10'000};
  std::chrono::milliseconds max_backoff{600'000};
};

class Timestamper {
 public:
  // Borrows `log`, which must outlive the timestamper.
  Timestamper(TransparencyLog& log, TimestamperOptions options);
  ~Timestamper();  // stops the thread
  Timestamper(const Timestamper&) = delete;
  Timestamper& operator=(const Timestamper&) = delete;

  void Start();
  void Stop();

  // Once, now: signs a head if the log grew and stamps the latest head
  // unless it is stamped. nullopt when there was nothing to stamp (an
  // empty log, or the latest head is stamped already).
  Result<std::optional<TreeHeadTimestamp>> StampLatest();

 private:
  void Run();

  TransparencyLog& log_;
  TimestamperOptions options_;
  std::mt19937_64 nonces_{std::random_device{}()};
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace cf::ledger
