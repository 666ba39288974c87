// SPDX-License-Identifier: Apache-2.0
// Limits per client address, the server's brake on a client that floods it
// or holds connections open: how many connections are open (per client and
// in all), and how many requests a client may send (a token bucket: a
// sustained rate and a burst). A "client" is an IPv4 address, or an IPv6
// /64 (one subscriber's usual allocation, so that a single host cannot
// escape its limits by rotating addresses); IPv4-mapped IPv6 addresses
// count as IPv4.
//
// Exempt networks (loopback by default) skip the per-client limits, never
// the overall connection limit: a reverse proxy or the benchmarks on the
// same machine would otherwise throttle every user behind them as one.
//
// Internal to cf::http (Asio types). Thread-safe: one mutex; every call is
// a few hash-map operations and never blocks on I/O.
#pragma once

#include <boost/asio/ip/address.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/error.hpp"

namespace cf::http {

struct ClientLimitOptions {
  size_t max_connections = 2048;            // open connections of all clients; 0 = no limit
  size_t max_connections_per_client = 128;  // 0 = no limit
  double requests_per_second = 100;         // sustained, per client; 0 = no limit
  double request_burst = 1000;              // requests a quiet client may send at once
  // Addresses ("10.0.0.5") or networks ("10.0.0.0/8", "fd00::/8") without
  // per-client limits.
  std::vector<std::string> exempt = {"127.0.0.0/8", "::1/128"};
};

class ClientLimits {
 public:
  using Clock = std::chrono::steady_clock;

  // kInvalidArgument naming an exempt entry that is not an address or
  // network, or a burst below 1 with a rate set.
  static Result<std::unique_ptr<ClientLimits>> Create(ClientLimitOptions options);

  enum class Admission { kAdmitted, kServerFull, kClientFull };

  // Counts a new connection from `address` unless that would exceed a
  // limit. Each kAdmitted must be matched by one CloseConnection.
  Admission OpenConnection(const boost::asio::ip::address& address);
  void CloseConnection(const boost::asio::ip::address& address);

  // Takes one request from the client's bucket: zero when it may go ahead,
  // otherwise how long until it may send again (at least one second, for
  // Retry-After). Exempt clients always go ahead.
  std::chrono::seconds TakeRequest(const boost::asio::ip::address& address,
                                   Clock::time_point now = Clock::now());

  bool Exempt(const boost::asio::ip::address& address) const;

  size_t OpenConnections() const;
  // Clients whose request bucket is not full (what TakeRequest remembers).
  size_t TrackedClients() const;

  static constexpr size_t kMaxTrackedClients = 100'000;

 private:
  struct Network {
    boost::asio::ip::address address;
    unsigned prefix = 0;
  };
  struct Bucket {
    double tokens = 0;
    Clock::time_point updated;
  };

  explicit ClientLimits(ClientLimitOptions options, std::vector<Network> exempt)
      : options_(std::move(options)), exempt_(std::move(exempt)) {}

  // Drops buckets that have refilled; called when the map grows large.
  void PruneBuckets(Clock::time_point now);

  const ClientLimitOptions options_;
  const std::vector<Network> exempt_;
  mutable std::mutex mutex_;
  size_t open_ = 0;                                     // guarded by mutex_
  std::unordered_map<std::string, size_t> per_client_;  // guarded by mutex_
  std::unordered_map<std::string, Bucket> buckets_;     // guarded by mutex_
  Clock::time_point last_prune_{};                      // guarded by mutex_
};

// The key a client's limits are counted under: the IPv4 address, or the
// IPv6 /64 prefix ("2001:db8:1:2::/64").
std::string ClientKey(const boost::asio::ip::address& address);

}  // namespace cf::http
