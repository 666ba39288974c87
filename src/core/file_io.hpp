// SPDX-License-Identifier: Apache-2.0
// Whole-file reads and small helpers for paths, with errors as values.
#pragma once

#include <filesystem>

#include "core/bytes.hpp"
#include "core/error.hpp"

namespace cf {

// Reads a whole regular file. Fails with kTooLarge when it is larger than
// `max_size`, so that a hostile file cannot make us allocate without bound.
Result<Bytes> ReadFile(const std::filesystem::path& path, uint64_t max_size);

// Writes `data` as the whole file (created or truncated, mode 0644 before
// the umask), for files a user asked a command to write.
Result<void> WriteFile(const std::filesystem::path& path, ByteView data);

}  // namespace cf
