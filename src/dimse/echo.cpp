// SPDX-License-Identifier: Apache-2.0
// C-ECHO SCU (see echo.hpp). The TCP connection is tried first on our own,
// with a deadline: DCMTK's connect waits as long as the kernel does (about
// two minutes for a host that drops packets) unless the process-wide
// dcmConnectionTimeout is set, which would change every other association
// of the process too. It also gives the admin a plain reason ("connection
// refused", "no answer") instead of DCMTK's.
#include "dimse/echo.hpp"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmnet/dimse.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "dicom/ae_title.hpp"
#include "dimse/service.hpp"
#include "dimse/sop_classes.hpp"
#include "dimse/store_scu.hpp"

namespace cf::dimse {
namespace {

constexpr uint16_t kStatusSuccess = 0x0000;

// Opens and closes a TCP connection to `peer` within `timeout`.
Result<void> ProbeTcp(const DicomPeer& peer, std::chrono::seconds timeout) {
  const std::string where = peer.host + ":" + std::to_string(peer.port);
  addrinfo hints{};
  hints.ai_family = AF_INET;  // DCMTK 3.6.7 connects over IPv4
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(peer.port);
  if (const int rc = ::getaddrinfo(peer.host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    return Fail(ErrorCode::kNotFound,
                "cannot resolve " + peer.host + ": " + std::string(::gai_strerror(rc)));
  }
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> addresses(found, &::freeaddrinfo);
  const int fd = ::socket(found->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return Fail(ErrorCode::kInternal, std::string("socket: ") + std::strerror(errno));
  auto close_fd = [fd] { ::close(fd); };
  if (::connect(fd, found->ai_addr, found->ai_addrlen) != 0 && errno != EINPROGRESS) {
    const int error = errno;
    close_fd();
    return Fail(ErrorCode::kStorageUnavailable,
                "cannot connect to " + where + ": " + std::strerror(error));
  }
  pollfd pfd{fd, POLLOUT, 0};
  const int ready = ::poll(&pfd, 1, static_cast<int>(timeout.count() * 1000));
  if (ready == 0) {
    close_fd();
    return Fail(ErrorCode::kTimeout,
                "no answer from " + where + " within " + std::to_string(timeout.count()) + " s");
  }
  int error = 0;
  socklen_t length = sizeof(error);
  if (ready < 0 || ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0) error = errno;
  close_fd();
  if (error != 0) {
    return Fail(ErrorCode::kStorageUnavailable,
                "cannot connect to " + where + ": " + std::strerror(error));
  }
  return {};
}

}  // namespace

Result<int64_t> Echo(const EchoRequest& request) {
  if (!dicom::IsValidAeTitle(request.calling_ae) || !dicom::IsValidAeTitle(request.called_ae)) {
    return Fail(ErrorCode::kInvalidArgument, "an AE title is 1 to 16 printable characters");
  }
  if (request.peer.host.empty() || request.peer.port == 0) {
    return Fail(ErrorCode::kInvalidArgument, "the node has no address (host and port)");
  }
  const auto timeout = std::max(request.timeout, std::chrono::seconds(1));
  const auto started = std::chrono::steady_clock::now();
  if (auto reached = ProbeTcp(request.peer, timeout); !reached) {
    return std::unexpected(reached.error());
  }
  const OutboundAssociation::Proposal verification{
      std::string(kVerificationSopClass),
      {std::string(kExplicitVrLittleEndian), std::string(kImplicitVrLittleEndian)}};
  auto association = OutboundAssociation::Open({request.calling_ae, request.called_ae, request.peer,
                                                16384, static_cast<int>(timeout.count())},
                                               std::span(&verification, 1));
  if (!association) return std::unexpected(association.error());
  T_ASC_Association* assoc = (*association)->Get();
  DIC_US status = 0;
  DcmDataset* detail = nullptr;
  const OFCondition cond = DIMSE_echoUser(assoc, assoc->nextMsgID++, DIMSE_NONBLOCKING,
                                          static_cast<int>(timeout.count()), &status, &detail);
  delete detail;
  if (cond.bad()) {
    (*association)->Release();
    return Fail(
        cond == DIMSE_NODATAAVAILABLE ? ErrorCode::kTimeout : ErrorCode::kStorageUnavailable,
        "C-ECHO to " + request.called_ae + " failed: " + cond.text());
  }
  (*association)->Release();
  if (status != kStatusSuccess) {
    return Fail(ErrorCode::kStorageUnavailable,
                "C-ECHO to " + request.called_ae + " answered status " + StatusHex(status));
  }
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               started)
      .count();
}

}  // namespace cf::dimse
