// SPDX-License-Identifier: Apache-2.0
// Private to the syslog transports: blocking calls built from Asio's
// asynchronous operations, so that each has a deadline and gives up
// promptly when the exporter is asked to stop (a plain blocking connect
// or write would hold a shutdown for minutes).
#pragma once

#include <boost/asio/io_context.hpp>

#include <algorithm>
#include <chrono>
#include <stop_token>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace cf::audit::detail {

using Clock = std::chrono::steady_clock;

// How often a waiting call looks at its stop token.
inline constexpr std::chrono::milliseconds kStopCheckInterval{50};

// Runs `io` (single-threaded, owned by the caller) until the operation
// already started on it sets `done`. When `deadline` passes or `stop` is
// requested first, `cancel()` (which closes the socket or cancels the
// resolver) aborts it and its handler is run before returning, so that it
// never refers to the caller's stack later: kTimeout naming `what`. (A
// cancelled DNS lookup still runs to its end in Asio's resolver thread, so
// that wait can be longer.)
template <class Cancel>
Result<void> RunUntilDone(boost::asio::io_context& io, const bool& done, Clock::time_point deadline,
                          const std::stop_token& stop, Cancel&& cancel, std::string_view what) {
  io.restart();
  while (!done) {
    const auto now = Clock::now();
    if (stop.stop_requested() || now >= deadline) {
      cancel();
      io.restart();
      io.run();
      return Fail(
          ErrorCode::kTimeout,
          std::string(what) + (stop.stop_requested() ? ": interrupted by shutdown" : " timed out"));
    }
    io.run_for(std::min<Clock::duration>(deadline - now, kStopCheckInterval));
    if (io.stopped()) io.restart();
  }
  return {};
}

}  // namespace cf::audit::detail
