// SPDX-License-Identifier: Apache-2.0
// The TCP and UDP transports against small collectors on loopback: framing
// on the wire, a collector that restarts, one that is not there, and
// shutdown in the middle of a blocked write.
#include "audit/syslog_transport.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "audit/syslog_framing.hpp"

namespace cf::audit {
namespace {

using namespace std::chrono_literals;

int BoundSocket(int type, uint16_t port) {
  const int fd = ::socket(AF_INET, type, 0);
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

uint16_t PortOf(int fd) {
  sockaddr_in addr{};
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  return ntohs(addr.sin_port);
}

// Accepts one connection at a time and keeps every byte received; Restart
// drops the connection and listens again on the same port.
class TcpCollector {
 public:
  explicit TcpCollector(uint16_t port = 0) { Listen(port); }
  ~TcpCollector() { Shutdown(); }

  uint16_t Port() const { return port_; }
  // Like a collector process that restarts: connection and bytes are gone.
  void Restart() {
    Shutdown();
    {
      std::lock_guard lock(mutex_);
      bytes_.clear();
    }
    connections_ = 0;
    Listen(port_);
  }
  // Stops reading (the sender's writes then block once the buffers fill).
  void Pause() { paused_ = true; }
  std::string Bytes() {
    std::lock_guard lock(mutex_);
    return bytes_;
  }
  std::string WaitForBytes(size_t n) {
    for (int i = 0; i < 500 && Bytes().size() < n; ++i) std::this_thread::sleep_for(5ms);
    return Bytes();
  }
  int Connections() const { return connections_; }

 private:
  void Listen(uint16_t port) {
    listen_fd_ = BoundSocket(SOCK_STREAM, port);
    ASSERT_GE(listen_fd_, 0);
    ASSERT_EQ(::listen(listen_fd_, 4), 0);
    port_ = PortOf(listen_fd_);
    stop_ = false;
    thread_ = std::thread([this] {
      while (!stop_) {
        const int fd = ::accept(listen_fd_, nullptr, nullptr);
        if (fd < 0) return;
        ++connections_;
        conn_fd_ = fd;
        char buf[65536];
        for (;;) {
          if (paused_) {
            std::this_thread::sleep_for(5ms);
            if (stop_) break;
            continue;
          }
          const ssize_t n = ::read(fd, buf, sizeof buf);
          if (n <= 0) break;
          std::lock_guard lock(mutex_);
          bytes_.append(buf, static_cast<size_t>(n));
        }
      }
    });
  }
  void Shutdown() {
    stop_ = true;
    ::shutdown(listen_fd_, SHUT_RDWR);
    if (const int fd = conn_fd_.exchange(-1); fd >= 0) ::shutdown(fd, SHUT_RDWR);
    if (thread_.joinable()) thread_.join();
    ::close(listen_fd_);
  }

  int listen_fd_ = -1;
  std::atomic<int> conn_fd_{-1};
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<bool> paused_{false};
  std::atomic<int> connections_{0};
  std::mutex mutex_;
  std::string bytes_;
  std::thread thread_;
};

// Splits an octet-counted stream into messages; fails on a malformed one.
std::vector<std::string> Unframe(std::string_view stream) {
  std::vector<std::string> messages;
  while (!stream.empty()) {
    const size_t space = stream.find(' ');
    if (space == std::string_view::npos) {
      ADD_FAILURE() << "no length";
      break;
    }
    const size_t len = std::stoul(std::string(stream.substr(0, space)));
    messages.emplace_back(stream.substr(space + 1, len));
    stream.remove_prefix(space + 1 + len);
  }
  return messages;
}

std::unique_ptr<SyslogTransport> Make(SyslogProtocol protocol, uint16_t port,
                                      std::chrono::milliseconds timeout = 2000ms) {
  SyslogTransportOptions options;
  options.target = {protocol, "127.0.0.1", port};
  options.timeout = timeout;
  auto transport = MakeSyslogTransport(options);
  EXPECT_TRUE(transport) << transport.error().message;
  return transport ? std::move(*transport) : nullptr;
}

TEST(SyslogTcpTransportTest, SendsOctetCountedFramesThatAreAcknowledged) {
  TcpCollector collector;
  auto transport = Make(SyslogProtocol::kTcp, collector.Port());
  std::stop_source stop;
  EXPECT_FALSE(transport->IsOpen());
  ASSERT_TRUE(transport->Open(stop.get_token()));
  EXPECT_TRUE(transport->IsOpen());
  const std::vector<std::string> sent = {
      "<85>1 - h app - - - one", "<85>1 - h app - - - two\nlines", std::string(70'000, 'x')};
  for (const auto& m : sent) ASSERT_TRUE(transport->Send(m, stop.get_token()));
  auto flushed = transport->Flush(stop.get_token());
  ASSERT_TRUE(flushed) << flushed.error().message;
  size_t total = 0;
  for (const auto& m : sent) total += FrameOctetCounted(m).size();
  EXPECT_EQ(Unframe(collector.WaitForBytes(total)), sent);
}

TEST(SyslogTcpTransportTest, NoticesACollectorThatClosedAndReconnects) {
  TcpCollector collector;
  auto transport = Make(SyslogProtocol::kTcp, collector.Port());
  std::stop_source stop;
  ASSERT_TRUE(transport->Open(stop.get_token()));
  ASSERT_TRUE(transport->Send("first", stop.get_token()));
  ASSERT_TRUE(transport->Flush(stop.get_token()));
  collector.WaitForBytes(7);
  collector.Restart();
  for (int i = 0; i < 200 && transport->IsOpen(); ++i) std::this_thread::sleep_for(5ms);
  EXPECT_FALSE(transport->IsOpen());
  transport->Close();
  ASSERT_TRUE(transport->Open(stop.get_token()));
  ASSERT_TRUE(transport->Send("second", stop.get_token()));
  ASSERT_TRUE(transport->Flush(stop.get_token()));
  EXPECT_EQ(collector.WaitForBytes(8), "6 second");
  EXPECT_EQ(collector.Connections(), 1);  // since the restart
}

TEST(SyslogTcpTransportTest, NobodyListeningIsUnavailable) {
  const int fd = BoundSocket(SOCK_STREAM, 0);  // bound, never listening: refuses
  auto transport = Make(SyslogProtocol::kTcp, PortOf(fd));
  std::stop_source stop;
  auto opened = transport->Open(stop.get_token());
  ::close(fd);
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code, ErrorCode::kStorageUnavailable);
  EXPECT_NE(opened.error().message.find("tcp://127.0.0.1:"), std::string::npos)
      << opened.error().message;
  EXPECT_FALSE(transport->IsOpen());
}

TEST(SyslogTcpTransportTest, StopInterruptsABlockedWrite) {
  TcpCollector collector;
  collector.Pause();
  auto transport = Make(SyslogProtocol::kTcp, collector.Port(), 60'000ms);
  std::stop_source stop;
  ASSERT_TRUE(transport->Open(stop.get_token()));
  std::thread stopper([&] {
    std::this_thread::sleep_for(200ms);
    stop.request_stop();
  });
  const auto before = std::chrono::steady_clock::now();
  // Far more than the socket buffers on both sides hold.
  auto sent = transport->Send(std::string(256 << 20, 'x'), stop.get_token());
  stopper.join();
  EXPECT_FALSE(sent);
  EXPECT_LT(std::chrono::steady_clock::now() - before, 5s);
  EXPECT_FALSE(transport->IsOpen());
}

TEST(SyslogTcpTransportTest, AWriteThatTakesTooLongTimesOut) {
  TcpCollector collector;
  collector.Pause();
  auto transport = Make(SyslogProtocol::kTcp, collector.Port(), 300ms);
  std::stop_source stop;
  ASSERT_TRUE(transport->Open(stop.get_token()));
  auto sent = transport->Send(std::string(256 << 20, 'x'), stop.get_token());
  ASSERT_FALSE(sent);
  EXPECT_EQ(sent.error().code, ErrorCode::kTimeout);
}

TEST(SyslogUdpTransportTest, SendsOneDatagramPerMessage) {
  const int fd = BoundSocket(SOCK_DGRAM, 0);
  ASSERT_GE(fd, 0);
  const timeval wait{2, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
  int big = 1 << 20;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
  auto transport = Make(SyslogProtocol::kUdp, PortOf(fd));
  std::stop_source stop;
  ASSERT_TRUE(transport->Open(stop.get_token()));
  ASSERT_TRUE(transport->Send("<85>1 - h app - - - hello", stop.get_token()));
  // Too big for a datagram: cut to the largest one.
  ASSERT_TRUE(transport->Send(std::string(70'000, 'y'), stop.get_token()));
  ASSERT_TRUE(transport->Flush(stop.get_token()));
  std::string buf(70'000, '\0');
  ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
  EXPECT_EQ(std::string(buf.data(), n > 0 ? static_cast<size_t>(n) : 0),
            "<85>1 - h app - - - hello");
  n = ::recv(fd, buf.data(), buf.size(), 0);
  EXPECT_EQ(n, static_cast<ssize_t>(kMaxUdpSyslogMessage));
  ::close(fd);
}

TEST(SyslogUdpTransportTest, PortUnreachableIsAnError) {
  const int fd = BoundSocket(SOCK_DGRAM, 0);
  const uint16_t port = PortOf(fd);
  ::close(fd);  // nobody there: loopback answers with ICMP port unreachable
  auto transport = Make(SyslogProtocol::kUdp, port);
  std::stop_source stop;
  ASSERT_TRUE(transport->Open(stop.get_token()));
  ASSERT_TRUE(transport->Send("lost", stop.get_token()));
  std::this_thread::sleep_for(50ms);
  auto flushed = transport->Flush(stop.get_token());
  ASSERT_FALSE(flushed);
  EXPECT_EQ(flushed.error().code, ErrorCode::kStorageUnavailable);
}

TEST(SyslogTlsTransportTest, UnusableFilesFailWhenMade) {
  SyslogTransportOptions options;
  options.target = {SyslogProtocol::kTls, "127.0.0.1", 6514};
  options.ca_file = "/nonexistent/ca.pem";
  auto made = MakeSyslogTransport(options);
  ASSERT_FALSE(made);
  EXPECT_EQ(made.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(made.error().message.find("/nonexistent/ca.pem"), std::string::npos);

  options.ca_file.clear();
  options.client_certificate = "/nonexistent/client.pem";
  made = MakeSyslogTransport(options);
  ASSERT_FALSE(made);
  EXPECT_EQ(made.error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace cf::audit
