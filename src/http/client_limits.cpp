// SPDX-License-Identifier: Apache-2.0
#include "http/client_limits.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>

namespace cf::http {
namespace {

namespace ip = boost::asio::ip;

// IPv4-mapped IPv6 ("::ffff:192.0.2.1", what a dual-stack listener sees)
// is the IPv4 client it stands for.
ip::address Canonical(const ip::address& address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return address.to_v6().to_v4();
  }
  return address;
}

// Whether the first `prefix` bits of `a` and `b` (same family) agree.
template <size_t N>
bool SamePrefix(const std::array<unsigned char, N>& a, const std::array<unsigned char, N>& b,
                unsigned prefix) {
  for (size_t i = 0; i < N && prefix > 0; ++i) {
    const unsigned bits = std::min(prefix, 8u);
    const auto mask = static_cast<unsigned char>(0xFFu << (8 - bits));
    if ((a[i] & mask) != (b[i] & mask)) return false;
    prefix -= bits;
  }
  return true;
}

}  // namespace

std::string ClientKey(const ip::address& address) {
  const ip::address canonical = Canonical(address);
  if (canonical.is_v4()) return canonical.to_string();
  auto bytes = canonical.to_v6().to_bytes();
  std::fill(bytes.begin() + 8, bytes.end(), static_cast<unsigned char>(0));
  return ip::address_v6(bytes).to_string() + "/64";
}

Result<std::unique_ptr<ClientLimits>> ClientLimits::Create(ClientLimitOptions options) {
  if (options.requests_per_second < 0 || !std::isfinite(options.requests_per_second) ||
      (options.requests_per_second > 0 &&
       (options.request_burst < 1 || !std::isfinite(options.request_burst)))) {
    return Fail(ErrorCode::kInvalidArgument,
                "the request rate must be 0 (off) or positive, with a burst of at least 1");
  }
  std::vector<Network> exempt;
  for (const std::string& entry : options.exempt) {
    const auto slash = entry.find('/');
    boost::system::error_code ec;
    const ip::address address = Canonical(ip::make_address(entry.substr(0, slash), ec));
    const unsigned bits = address.is_v4() ? 32 : 128;
    unsigned prefix = bits;
    if (!ec && slash != std::string::npos) {
      const char* first = entry.data() + slash + 1;
      const char* last = entry.data() + entry.size();
      const auto [end, parse_ec] = std::from_chars(first, last, prefix);
      if (parse_ec != std::errc{} || end != last || first == last) prefix = bits + 1;
    }
    if (ec || prefix > bits) {
      return Fail(ErrorCode::kInvalidArgument,
                  "'" + entry + "' is not an IP address or network (such as 10.0.0.0/8)");
    }
    exempt.push_back({address, prefix});
  }
  return std::unique_ptr<ClientLimits>(new ClientLimits(std::move(options), std::move(exempt)));
}

bool ClientLimits::Exempt(const ip::address& address) const {
  const ip::address canonical = Canonical(address);
  for (const Network& network : exempt_) {
    if (network.address.is_v4() && canonical.is_v4()) {
      if (SamePrefix(network.address.to_v4().to_bytes(), canonical.to_v4().to_bytes(),
                     network.prefix)) {
        return true;
      }
    } else if (network.address.is_v6() && canonical.is_v6()) {
      if (SamePrefix(network.address.to_v6().to_bytes(), canonical.to_v6().to_bytes(),
                     network.prefix)) {
        return true;
      }
    }
  }
  return false;
}

ClientLimits::Admission ClientLimits::OpenConnection(const ip::address& address) {
  const bool exempt = Exempt(address);
  const std::string key = ClientKey(address);
  std::lock_guard lock(mutex_);
  if (options_.max_connections > 0 && open_ >= options_.max_connections) {
    return Admission::kServerFull;
  }
  const auto it = per_client_.find(key);
  const size_t mine = it == per_client_.end() ? 0 : it->second;
  if (!exempt && options_.max_connections_per_client > 0 &&
      mine >= options_.max_connections_per_client) {
    return Admission::kClientFull;
  }
  ++per_client_[key];
  ++open_;
  return Admission::kAdmitted;
}

void ClientLimits::CloseConnection(const ip::address& address) {
  const std::string key = ClientKey(address);
  std::lock_guard lock(mutex_);
  if (open_ > 0) --open_;
  const auto it = per_client_.find(key);
  if (it == per_client_.end()) return;
  if (--it->second == 0) per_client_.erase(it);
}

size_t ClientLimits::TrackedClients() const {
  std::lock_guard lock(mutex_);
  return buckets_.size();
}

size_t ClientLimits::OpenConnections() const {
  std::lock_guard lock(mutex_);
  return open_;
}

std::chrono::seconds ClientLimits::TakeRequest(const ip::address& address, Clock::time_point now) {
  if (options_.requests_per_second <= 0 || Exempt(address)) return std::chrono::seconds(0);
  const std::string key = ClientKey(address);
  std::lock_guard lock(mutex_);
  PruneBuckets(now);
  auto it = buckets_.find(key);
  if (it == buckets_.end()) {
    // Past this many clients that all sent requests within the last
    // moments, tracking more would only let a botnet fill our memory; the
    // connection limits still hold them.
    if (buckets_.size() >= kMaxTrackedClients) return std::chrono::seconds(0);
    it = buckets_.emplace(key, Bucket{options_.request_burst, now}).first;
  }
  Bucket& bucket = it->second;
  if (now > bucket.updated) {
    const double elapsed = std::chrono::duration<double>(now - bucket.updated).count();
    bucket.tokens =
        std::min(options_.request_burst, bucket.tokens + elapsed * options_.requests_per_second);
    bucket.updated = now;
  }
  if (bucket.tokens >= 1) {
    bucket.tokens -= 1;
    return std::chrono::seconds(0);
  }
  const double wait = (1 - bucket.tokens) / options_.requests_per_second;
  return std::chrono::seconds(std::max<int64_t>(1, static_cast<int64_t>(std::ceil(wait))));
}

// A bucket that has refilled is the same as no bucket: forgetting it now
// and then keeps a scan from many addresses from growing the map for good.
void ClientLimits::PruneBuckets(Clock::time_point now) {
  // A scan of the whole map: once a minute, or once a second when large.
  const auto every = buckets_.size() < 10'000 ? std::chrono::seconds(60) : std::chrono::seconds(1);
  if (now - last_prune_ < every) return;
  last_prune_ = now;
  std::erase_if(buckets_, [&](const auto& entry) {
    const double elapsed = std::chrono::duration<double>(now - entry.second.updated).count();
    return entry.second.tokens + elapsed * options_.requests_per_second >= options_.request_burst;
  });
}

}  // namespace cf::http
