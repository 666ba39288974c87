// SPDX-License-Identifier: Apache-2.0
// Per-client limits without a server: who counts as one client, who is
// exempt, connection counting, and the token bucket against a clock the
// test moves by hand.
#include "http/client_limits.hpp"

#include <gtest/gtest.h>

#include <chrono>

namespace cf::http {
namespace {

namespace ip = boost::asio::ip;
using namespace std::chrono_literals;

ip::address Address(const char* text) { return ip::make_address(text); }

std::unique_ptr<ClientLimits> Make(ClientLimitOptions options) {
  auto limits = ClientLimits::Create(std::move(options));
  EXPECT_TRUE(limits) << limits.error().message;
  return limits ? std::move(*limits) : nullptr;
}

TEST(ClientLimitsTest, AnIpv6ClientIsItsSlash64AndMappedIpv4IsIpv4) {
  EXPECT_EQ(ClientKey(Address("192.0.2.1")), "192.0.2.1");
  EXPECT_EQ(ClientKey(Address("::ffff:192.0.2.1")), "192.0.2.1");
  EXPECT_EQ(ClientKey(Address("2001:db8:1:2:aaaa::1")), "2001:db8:1:2::/64");
  EXPECT_EQ(ClientKey(Address("2001:db8:1:2:bbbb::9")), ClientKey(Address("2001:db8:1:2::")));
  EXPECT_NE(ClientKey(Address("2001:db8:1:3::1")), ClientKey(Address("2001:db8:1:2::1")));
}

TEST(ClientLimitsTest, LoopbackIsExemptByDefaultAndNetworksMatchByPrefix) {
  auto defaults = Make({});
  EXPECT_TRUE(defaults->Exempt(Address("127.0.0.1")));
  EXPECT_TRUE(defaults->Exempt(Address("127.8.9.10")));
  EXPECT_TRUE(defaults->Exempt(Address("::1")));
  EXPECT_TRUE(defaults->Exempt(Address("::ffff:127.0.0.1")));
  EXPECT_FALSE(defaults->Exempt(Address("192.0.2.1")));
  EXPECT_FALSE(defaults->Exempt(Address("::2")));

  ClientLimitOptions options;
  options.exempt = {"10.1.0.0/17", "fd00::/8", "192.0.2.9"};
  auto limits = Make(options);
  EXPECT_TRUE(limits->Exempt(Address("10.1.127.255")));
  EXPECT_FALSE(limits->Exempt(Address("10.1.128.0")));
  EXPECT_TRUE(limits->Exempt(Address("fdab::1")));
  EXPECT_TRUE(limits->Exempt(Address("192.0.2.9")));
  EXPECT_FALSE(limits->Exempt(Address("192.0.2.8")));
  EXPECT_FALSE(limits->Exempt(Address("127.0.0.1")));  // the list replaces the default
}

TEST(ClientLimitsTest, ExemptEntriesThatAreNotNetworksAreRefused) {
  for (const char* bad : {"localhost", "10.0.0.0/33", "10.0.0.0/", "::1/129", "10.0.0.0/8x", ""}) {
    ClientLimitOptions options;
    options.exempt = {bad};
    auto limits = ClientLimits::Create(options);
    ASSERT_FALSE(limits) << bad;
    EXPECT_EQ(limits.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(limits.error().message.find(bad), std::string::npos);
  }
  ClientLimitOptions no_burst;
  no_burst.request_burst = 0;
  EXPECT_FALSE(ClientLimits::Create(no_burst));
}

TEST(ClientLimitsTest, ConnectionsCountPerClientAndInAll) {
  ClientLimitOptions options;
  options.max_connections = 3;
  options.max_connections_per_client = 2;
  options.exempt = {"192.0.2.100"};
  auto limits = Make(options);
  const auto a = Address("192.0.2.1");
  const auto b = Address("192.0.2.2");
  const auto exempt = Address("192.0.2.100");
  using Admission = ClientLimits::Admission;
  EXPECT_EQ(limits->OpenConnection(a), Admission::kAdmitted);
  EXPECT_EQ(limits->OpenConnection(a), Admission::kAdmitted);
  EXPECT_EQ(limits->OpenConnection(a), Admission::kClientFull);
  EXPECT_EQ(limits->OpenConnection(b), Admission::kAdmitted);
  EXPECT_EQ(limits->OpenConnections(), 3u);
  // Exempt clients still count toward, and are held to, the overall limit.
  EXPECT_EQ(limits->OpenConnection(exempt), Admission::kServerFull);
  limits->CloseConnection(a);
  EXPECT_EQ(limits->OpenConnection(exempt), Admission::kAdmitted);
  limits->CloseConnection(b);
  EXPECT_EQ(limits->OpenConnection(a), Admission::kAdmitted);
  limits->CloseConnection(exempt);
  EXPECT_EQ(limits->OpenConnections(), 2u);
  EXPECT_EQ(limits->OpenConnection(a), Admission::kClientFull);
}

TEST(ClientLimitsTest, ExemptClientsHaveNoPerClientConnectionLimit) {
  ClientLimitOptions options;
  options.max_connections_per_client = 1;
  auto limits = Make(options);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(limits->OpenConnection(Address("127.0.0.1")), ClientLimits::Admission::kAdmitted);
  }
}

TEST(ClientLimitsTest, TheBucketAllowsABurstThenTheRateAndRefills) {
  ClientLimitOptions options;
  options.requests_per_second = 2;
  options.request_burst = 3;
  auto limits = Make(options);
  const auto a = Address("192.0.2.1");
  const auto t0 = ClientLimits::Clock::time_point{} + 1h;
  for (int i = 0; i < 3; ++i) EXPECT_EQ(limits->TakeRequest(a, t0), 0s) << i;
  EXPECT_EQ(limits->TakeRequest(a, t0), 1s);
  // Another client has its own bucket.
  EXPECT_EQ(limits->TakeRequest(Address("192.0.2.2"), t0), 0s);
  // Half a second brings one token back (2 per second), not more.
  EXPECT_EQ(limits->TakeRequest(a, t0 + 500ms), 0s);
  EXPECT_EQ(limits->TakeRequest(a, t0 + 500ms), 1s);
  // A long pause refills up to the burst only.
  const auto later = t0 + 1h;
  for (int i = 0; i < 3; ++i) EXPECT_EQ(limits->TakeRequest(a, later), 0s) << i;
  EXPECT_GT(limits->TakeRequest(a, later), 0s);
}

TEST(ClientLimitsTest, RetryAfterCoversASlowRate) {
  ClientLimitOptions options;
  options.requests_per_second = 0.1;  // one request every 10 s
  options.request_burst = 1;
  auto limits = Make(options);
  const auto a = Address("192.0.2.1");
  const auto t0 = ClientLimits::Clock::time_point{} + 1h;
  EXPECT_EQ(limits->TakeRequest(a, t0), 0s);
  EXPECT_EQ(limits->TakeRequest(a, t0), 10s);
  EXPECT_EQ(limits->TakeRequest(a, t0 + 10s), 0s);
}

TEST(ClientLimitsTest, ExemptClientsAndAZeroRateAreNeverLimited) {
  ClientLimitOptions options;
  options.requests_per_second = 1;
  options.request_burst = 1;
  auto limits = Make(options);
  const auto t0 = ClientLimits::Clock::time_point{} + 1h;
  for (int i = 0; i < 100; ++i) EXPECT_EQ(limits->TakeRequest(Address("::1"), t0), 0s);
  options.requests_per_second = 0;
  options.exempt = {};
  auto off = Make(options);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(off->TakeRequest(Address("192.0.2.1"), t0), 0s);
}

TEST(ClientLimitsTest, ManyClientsDoNotGrowTheBucketsForGood) {
  ClientLimitOptions options;
  options.requests_per_second = 1000;
  options.request_burst = 1;
  options.exempt = {};
  auto limits = Make(options);
  auto now = ClientLimits::Clock::time_point{} + 1h;
  // 30,000 one-off clients, then a quiet second: what remains is bounded by
  // the prune threshold, whatever the scan's size.
  for (uint32_t i = 0; i < 30'000; ++i) {
    (void)limits->TakeRequest(ip::address_v4(0x0A000000u + i), now);
  }
  EXPECT_EQ(limits->TrackedClients(), 30'000u);
  now += 2min;
  EXPECT_EQ(limits->TakeRequest(Address("192.0.2.1"), now), 0s);
  EXPECT_EQ(limits->TrackedClients(), 1u);
  EXPECT_EQ(limits->TakeRequest(Address("192.0.2.1"), now), 1s);
}

}  // namespace
}  // namespace cf::http
