// SPDX-License-Identifier: Apache-2.0
#include "notify/file_provider.hpp"

#include <fcntl.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstring>
#include <mutex>

#include "core/time_text.hpp"
#include "notify/webhook_provider.hpp"

namespace cf::notify {
namespace {

class FileProvider final : public Provider {
 public:
  explicit FileProvider(std::filesystem::path path) : path_(std::move(path)) {}

  SendResult Send(const Notification& n) override {
    auto line = nlohmann::json::parse(WebhookBody(n));
    line["delivered_at"] = Rfc3339Utc(UnixNowMs());
    const std::string text =
        line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    std::lock_guard lock(mutex_);
    const int fd = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return {SendOutcome::kRetry, {}, std::string("open: ") + std::strerror(errno)};
    // One write with O_APPEND: lines from several processes never interleave.
    const ssize_t written = ::write(fd, text.data(), text.size());
    const int write_errno = errno;
    const bool synced = written == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
    const int sync_errno = errno;
    ::close(fd);
    if (written != static_cast<ssize_t>(text.size())) {
      return {SendOutcome::kRetry, {}, std::string("write: ") + std::strerror(write_errno)};
    }
    if (!synced)
      return {SendOutcome::kRetry, {}, std::string("fsync: ") + std::strerror(sync_errno)};
    return {SendOutcome::kDelivered, {}, {}};
  }

 private:
  std::mutex mutex_;
  std::filesystem::path path_;
};

}  // namespace

std::unique_ptr<Provider> MakeFileProvider(std::filesystem::path path) {
  return std::make_unique<FileProvider>(std::move(path));
}

}  // namespace cf::notify
