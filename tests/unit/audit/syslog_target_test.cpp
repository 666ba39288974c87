// SPDX-License-Identifier: Apache-2.0
#include "audit/syslog_target.hpp"

#include <gtest/gtest.h>

namespace cf::audit {
namespace {

TEST(SyslogTargetTest, ParsesEachProtocolWithItsDefaultPort) {
  auto udp = ParseSyslogTarget("udp://siem.hospital.local");
  ASSERT_TRUE(udp) << udp.error().message;
  EXPECT_EQ(udp->protocol, SyslogProtocol::kUdp);
  EXPECT_EQ(udp->host, "siem.hospital.local");
  EXPECT_EQ(udp->port, 514);
  auto tcp = ParseSyslogTarget("tcp://10.1.2.3");
  ASSERT_TRUE(tcp);
  EXPECT_EQ(tcp->protocol, SyslogProtocol::kTcp);
  EXPECT_EQ(tcp->port, 601);
  auto tls = ParseSyslogTarget("tls://siem");
  ASSERT_TRUE(tls);
  EXPECT_EQ(tls->protocol, SyslogProtocol::kTls);
  EXPECT_EQ(tls->port, 6514);
}

TEST(SyslogTargetTest, ParsesPortsAndIpv6) {
  auto target = ParseSyslogTarget("tcp://127.0.0.1:10601");
  ASSERT_TRUE(target);
  EXPECT_EQ(target->host, "127.0.0.1");
  EXPECT_EQ(target->port, 10601);
  auto v6 = ParseSyslogTarget("tls://[::1]:6514");
  ASSERT_TRUE(v6) << v6.error().message;
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 6514);
  auto v6_default = ParseSyslogTarget("udp://[fe80::1]");
  ASSERT_TRUE(v6_default);
  EXPECT_EQ(v6_default->port, 514);
}

TEST(SyslogTargetTest, RefusesWhatIsNotACollectorUrl) {
  for (const char* url :
       {"", "siem:514", "http://siem:514", "TCP://siem", "tcp://", "tcp://:601",
        "tcp://siem:", "tcp://siem:0", "tcp://siem:65536", "tcp://siem:60x", "tcp://siem:601/path",
        "tcp://user@siem:601", "tcp://[::1", "tcp://[::1]x", "tcp://[::1]:", "tcp://[zz]:1",
        "tcp://si em:601", "tcp://siem:-1"}) {
    auto parsed = ParseSyslogTarget(url);
    EXPECT_FALSE(parsed) << url;
    if (!parsed) {
      EXPECT_EQ(parsed.error().code, ErrorCode::kInvalidArgument) << url;
    }
  }
}

TEST(SyslogTargetTest, ToUrlIsCanonical) {
  EXPECT_EQ(ToUrl(*ParseSyslogTarget("tls://siem")), "tls://siem:6514");
  EXPECT_EQ(ToUrl(*ParseSyslogTarget("udp://[::1]:10514")), "udp://[::1]:10514");
  EXPECT_EQ(ToUrl(*ParseSyslogTarget("tcp://10.0.0.1:601")), "tcp://10.0.0.1:601");
}

}  // namespace
}  // namespace cf::audit
