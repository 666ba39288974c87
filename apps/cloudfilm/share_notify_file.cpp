// SPDX-License-Identifier: Apache-2.0
#include "share_notify_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>

namespace cf::app {

access::ShareNotifier FileShareNotifier(std::filesystem::path path) {
  auto mutex = std::make_shared<std::mutex>();
  return [path = std::move(path), mutex](const access::ShareNotice& notice) -> Result<void> {
    const std::string line = nlohmann::json{{"kind", access::ShareNoticeKindName(notice.kind)},
                                            {"tenant", notice.tenant},
                                            {"share_id", notice.share_id},
                                            {"film_id", notice.film_id},
                                            {"recipient", notice.recipient},
                                            {"text", notice.text},
                                            {"at_ms", notice.at_ms}}
                                 .dump() +
                             "\n";
    std::lock_guard lock(*mutex);
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) return Fail(ErrorCode::kStorageUnavailable, "shares.notify_file: cannot open");
    const ssize_t written = ::write(fd, line.data(), line.size());
    const bool synced = ::fsync(fd) == 0;
    ::close(fd);
    if (written != static_cast<ssize_t>(line.size()) || !synced) {
      return Fail(ErrorCode::kStorageUnavailable, "shares.notify_file: cannot write");
    }
    return {};
  };
}

}  // namespace cf::app
