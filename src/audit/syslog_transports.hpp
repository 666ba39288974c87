// SPDX-License-Identifier: Apache-2.0
// Private to the audit part: the concrete syslog transports behind
// MakeSyslogTransport (syslog_transport.hpp).
#pragma once

#include <boost/asio/ssl/context.hpp>

#include <memory>

#include "audit/syslog_transport.hpp"

namespace cf::audit::detail {

// RFC 5426: one message per datagram on a connected UDP socket.
std::unique_ptr<SyslogTransport> MakeUdpTransport(SyslogTransportOptions options);

// RFC 6587 octet counting over TCP; over TLS (RFC 5425) when `tls` is set.
std::unique_ptr<SyslogTransport> MakeStreamTransport(
    SyslogTransportOptions options, std::unique_ptr<boost::asio::ssl::context> tls);

}  // namespace cf::audit::detail
