// SPDX-License-Identifier: Apache-2.0
// Storage Commitment reports that could not be delivered yet. A PACS
// deletes its copies only once it has our N-EVENT-REPORT; when the
// requester had released its association and its own SCP was down (or its
// AE title not yet registered), a report logged and dropped would leave it
// waiting for ever. Reports are kept in DATA/commitments.sqlite (encrypted
// below SQLite like the other databases: it names SOP Instance UIDs) and
// retried by ScpServer with a growing delay until delivered or too old.
// Several servers (plain and TLS) may share one outbox: an item is claimed
// before its attempt, so it is sent by one of them. Thread-safe; calls block.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/error.hpp"

namespace cf::dimse {

// What a Storage Commitment N-EVENT-REPORT says.
struct CommitmentReport {
  struct Reference {
    std::string sop_class_uid;
    std::string sop_instance_uid;
  };
  std::string transaction_uid;
  std::vector<Reference> committed;
  std::vector<Reference> failed;  // reason 0x0112: no such object instance
};

class CommitmentOutbox {
 public:
  struct Pending {
    int64_t id = 0;
    std::string requester_ae;
    std::string transaction_uid;
    int64_t created_ms = 0;
    int attempts = 0;  // delivery attempts so far, the first (on release) included
    std::string last_error;
  };

  static Result<std::unique_ptr<CommitmentOutbox>> Open(const std::filesystem::path& path,
                                                        const std::string& vfs);
  ~CommitmentOutbox();
  CommitmentOutbox(const CommitmentOutbox&) = delete;
  CommitmentOutbox& operator=(const CommitmentOutbox&) = delete;

  // Keeps `report` for `requester_ae` after a failed first attempt
  // (`error`), to be tried again at `next_ms`.
  Result<int64_t> Add(const std::string& requester_ae, const CommitmentReport& report,
                      const std::string& error, int64_t now_ms, int64_t next_ms);
  // Claims the next report due at `now_ms` (no other caller gets it before
  // `lease_until_ms`) and returns it with its content; nullopt when none is due.
  Result<std::optional<std::pair<Pending, CommitmentReport>>> ClaimDue(int64_t now_ms,
                                                                       int64_t lease_until_ms);
  // The claimed report was delivered: it is gone.
  Result<void> Delivered(int64_t id);
  // The attempt failed: one more attempt counted, the next at `next_ms`.
  Result<void> Postpone(int64_t id, const std::string& error, int64_t next_ms);
  // Given up (too old): it is gone.
  Result<void> Drop(int64_t id);
  // Reports waiting, for operators and tests.
  Result<std::vector<Pending>> List();

 private:
  struct Impl;
  explicit CommitmentOutbox(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace cf::dimse
