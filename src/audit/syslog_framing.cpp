// SPDX-License-Identifier: Apache-2.0
#include "audit/syslog_framing.hpp"

namespace cf::audit {

std::string FrameOctetCounted(std::string_view message) {
  std::string frame = std::to_string(message.size());
  frame.reserve(frame.size() + 1 + message.size());
  frame += ' ';
  frame += message;
  return frame;
}

std::string_view TruncateUtf8(std::string_view message, size_t max) {
  if (message.size() <= max) return message;
  size_t n = max;
  // Back off continuation bytes (10xxxxxx) to the start of the cut sequence.
  while (n > 0 && (static_cast<unsigned char>(message[n]) & 0xC0) == 0x80) --n;
  return message.substr(0, n);
}

}  // namespace cf::audit
