// SPDX-License-Identifier: Apache-2.0
// Storage Commitment Push Model against the real SCP, with a DcmSCU as the
// requester (Debian's DCMTK has no storage commitment tool): an instance is
// committed only when it is in the catalog and its stored bytes verify;
// the report comes on the same association when the requester waits for
// it, and on a new association to the requester's configured AE when it
// released first; when that fails too, the report waits in the outbox and
// comes once the requester is back, across a restart of the server, and
// once an admin gives an unknown requester an address.
#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcsequen.h>
#include <dcmtk/dcmnet/scp.h>
#include <dcmtk/dcmnet/scu.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <set>
#include <string>
#include <thread>

#include "dimse/commitment_outbox.hpp"
#include "dimse/scp_server.hpp"
#include "support/dicom_builder.hpp"
#include "support/temp_dir.hpp"
#include "support/test_archive.hpp"

namespace cf::dimse {
namespace {

using cf::testing::DicomBuilder;

constexpr char kCommitment[] = "1.2.840.10008.1.20.1";
constexpr char kCommitmentInstance[] = "1.2.840.10008.1.20.1.1";
constexpr char kSecondaryCapture[] = "1.2.840.10008.5.1.4.1.1.7";  // DicomBuilder's class

// A loopback port held bound until Release, so that the server under test,
// which binds port 0, cannot be given the same one (it once was, and the
// requester's acceptor then shared a port with the server).
class PortReservation {
 public:
  PortReservation() : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    socklen_t len = sizeof(addr);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~PortReservation() { Release(); }
  PortReservation(const PortReservation&) = delete;
  PortReservation& operator=(const PortReservation&) = delete;
  uint16_t port() const { return port_; }
  void Release() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

std::set<std::string> Uids(DcmDataset& ds, const DcmTagKey& sequence) {
  std::set<std::string> out;
  DcmSequenceOfItems* items = nullptr;
  if (ds.findAndGetSequence(sequence, items).bad() || items == nullptr) return out;
  for (unsigned long i = 0; i < items->card(); ++i) {
    OFString uid;
    items->getItem(i)->findAndGetOFString(DCM_ReferencedSOPInstanceUID, uid);
    Uint16 reason = 0;
    if (sequence == DCM_FailedSOPSequence) {
      items->getItem(i)->findAndGetUint16(DCM_FailureReason, reason);
      EXPECT_EQ(reason, 0x0112) << uid;
    }
    out.insert(uid.c_str());
  }
  return out;
}

// The requester's own acceptor for a report on a new association: accepts
// the SCP role the server proposes and keeps the N-EVENT-REPORT it gets.
class ReportAcceptor : public DcmSCP {
 public:
  explicit ReportAcceptor(uint16_t port) {
    setPort(port);
    setAETitle("COMMITSCU");
    setConnectionBlockingMode(DUL_NOBLOCK);
    setConnectionTimeout(15);
    OFList<OFString> syntaxes;
    syntaxes.push_back(UID_LittleEndianExplicitTransferSyntax);
    syntaxes.push_back(UID_LittleEndianImplicitTransferSyntax);
    addPresentationContext(kCommitment, syntaxes, ASC_SC_ROLE_SCP);
  }
  std::unique_ptr<DcmDataset> report;
  Uint16 event_type = 0;

 protected:
  OFCondition handleIncomingCommand(T_DIMSE_Message* message,
                                    const DcmPresentationContextInfo& info) override {
    if (message->CommandField != DIMSE_N_EVENT_REPORT_RQ) {
      return DcmSCP::handleIncomingCommand(message, info);
    }
    DcmDataset* data = nullptr;
    OFCondition cond = handleEVENTREPORTRequest(message->msg.NEventReportRQ,
                                                info.presentationContextID, data, event_type);
    report.reset(data);
    done_ = true;
    return cond;
  }
  OFBool stopAfterCurrentAssociation() override { return done_; }
  OFBool stopAfterConnectionTimeout() override { return OFTrue; }

 private:
  bool done_ = false;
};

// Whether a TCP socket listens on `port`, any IPv4 address (Linux:
// /proc/net/tcp, state 0A), polled for up to 10 s.
bool WaitUntilListening(uint16_t port) {
  char wanted[32];
  std::snprintf(wanted, sizeof wanted, ":%04X 00000000:0000 0A", port);
  for (int i = 0; i < 1000; ++i) {
    std::ifstream tcp("/proc/net/tcp");
    std::string line;
    while (std::getline(tcp, line)) {
      if (line.find(wanted) != std::string::npos) return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

class CommitmentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(archive_.Open(dir_.Path()));
    for (const char* sop : {"2.25.7001", "2.25.7002"}) {
      const Bytes bytes = DicomBuilder().Sop(sop).Pixels(8, 8).Build();
      ASSERT_TRUE(archive_.archive->Ingest(bytes, {"test", "test", "default"}));
    }
    // 2.25.7002's blob is replaced by other bytes: it is indexed but does not verify.
    auto record =
        archive_.archive->GetInstanceVersion(cf::catalog::Scope::Of("default"), "2.25.7002");
    ASSERT_TRUE(record);
    ASSERT_TRUE(archive_.blobs->Remove(record->blob_key));
    const Bytes other = DicomBuilder().Sop("2.25.7002").Pixels(8, 8, 99).Build();
    ASSERT_TRUE(archive_.blobs->Put(record->blob_key, other));

    requester_port_ = requester_reservation_.port();
    ScpOptions options;
    options.port = 0;
    options.destinations["COMMITSCU"] = {"127.0.0.1", requester_port_};
    server_ = std::make_unique<ScpServer>(options, *archive_.archive);
    ASSERT_TRUE(server_->Start());
  }

  // Opens the requester's association and sends the N-ACTION for three
  // instances: stored and intact, stored but altered, never stored.
  void RequestCommitment(DcmSCU& scu) {
    scu.setAETitle("COMMITSCU");
    scu.setPeerAETitle("CLOUDFILM");
    scu.setPeerHostName("127.0.0.1");
    scu.setPeerPort(server_->Port());
    scu.setDIMSEBlockingMode(DIMSE_NONBLOCKING);
    scu.setDIMSETimeout(15);
    OFList<OFString> syntaxes;
    syntaxes.push_back(UID_LittleEndianExplicitTransferSyntax);
    scu.addPresentationContext(kCommitment, syntaxes);
    ASSERT_TRUE(scu.initNetwork().good());
    ASSERT_TRUE(scu.negotiateAssociation().good());
    const T_ASC_PresentationContextID pc = scu.findPresentationContextID(kCommitment, "");
    ASSERT_NE(pc, 0);
    DcmDataset action;
    action.putAndInsertString(DCM_TransactionUID, "2.25.424242");
    for (const char* sop : {"2.25.7001", "2.25.7002", "2.25.7003"}) {
      DcmItem* item = nullptr;
      ASSERT_TRUE(action.findOrCreateSequenceItem(DCM_ReferencedSOPSequence, item, -2).good());
      item->putAndInsertString(DCM_ReferencedSOPClassUID, kSecondaryCapture);
      item->putAndInsertString(DCM_ReferencedSOPInstanceUID, sop);
    }
    Uint16 status = 0xFFFF;
    ASSERT_TRUE(scu.sendACTIONRequest(pc, kCommitmentInstance, 1, &action, status).good());
    EXPECT_EQ(status, 0x0000);
  }

  void ExpectReport(DcmDataset& report, Uint16 event_type) {
    EXPECT_EQ(event_type, 2);  // some failed
    OFString transaction;
    report.findAndGetOFString(DCM_TransactionUID, transaction);
    EXPECT_EQ(transaction, "2.25.424242");
    EXPECT_EQ(Uids(report, DCM_ReferencedSOPSequence), std::set<std::string>{"2.25.7001"});
    EXPECT_EQ(Uids(report, DCM_FailedSOPSequence),
              (std::set<std::string>{"2.25.7002", "2.25.7003"}));
  }

  cf::testing::TempDir dir_;
  cf::testing::TestArchive archive_;
  PortReservation requester_reservation_;
  uint16_t requester_port_ = 0;
  std::unique_ptr<ScpServer> server_;
};

TEST_F(CommitmentTest, ReportComesOnTheSameAssociationWhenTheRequesterWaits) {
  DcmSCU scu;
  RequestCommitment(scu);
  DcmDataset* report = nullptr;
  Uint16 event_type = 0;
  ASSERT_TRUE(scu.handleEVENTREPORTRequest(report, event_type, 15).good());
  std::unique_ptr<DcmDataset> owned(report);
  ASSERT_NE(owned, nullptr);
  ExpectReport(*owned, event_type);
  scu.releaseAssociation();
}

TEST_F(CommitmentTest, ReportComesOnANewAssociationWhenTheRequesterReleasedFirst) {
  requester_reservation_.Release();  // the acceptor binds it now
  ReportAcceptor acceptor(requester_port_);
  std::thread listening([&] { acceptor.listen(); });
  // Listening before the request: a report sent before the port is open is
  // refused (the test failed so under load). Opening the port on this
  // thread instead (openListenPort) made DCMTK refuse the request's own
  // association now and then (role selection), so wait for the kernel to
  // show the socket listening.
  EXPECT_TRUE(WaitUntilListening(requester_port_));
  {
    DcmSCU scu;
    RequestCommitment(scu);
    scu.releaseAssociation();
  }
  listening.join();
  ASSERT_NE(acceptor.report, nullptr);
  ExpectReport(*acceptor.report, acceptor.event_type);
}

// Polls `outbox` for up to 10 s until it holds `count` reports.
bool WaitForPending(CommitmentOutbox& outbox, size_t count) {
  for (int i = 0; i < 1000; ++i) {
    auto pending = outbox.List();
    if (pending && pending->size() == count) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

class CommitmentRetryTest : public CommitmentTest {
 protected:
  void SetUp() override {
    CommitmentTest::SetUp();
    auto opened = CommitmentOutbox::Open(dir_.Path() / "commitments.sqlite", "");
    ASSERT_TRUE(opened) << opened.error().message;
    outbox_ = std::move(*opened);
  }
  // A server that keeps undelivered reports in the outbox and retries
  // them quickly.
  void Restart(std::map<std::string, DicomPeer> destinations) {
    server_.reset();
    ScpOptions options;
    options.port = 0;
    options.destinations = std::move(destinations);
    options.nodes = &nodes_;
    options.commitment_outbox = outbox_.get();
    options.commitment_retry = std::chrono::milliseconds(100);
    options.commitment_retry_max = std::chrono::milliseconds(400);
    server_ = std::make_unique<ScpServer>(options, *archive_.archive);
    ASSERT_TRUE(server_->Start());
  }
  // The server's retry thread reads the outbox and the directory: it stops
  // before they go (the base class's server_ would outlive them).
  void TearDown() override { server_.reset(); }
  std::unique_ptr<CommitmentOutbox> outbox_;
  NodeDirectory nodes_;
};

// The requester released, and its own SCP is down (the reserved port does
// not listen): the report waits, survives a restart, and comes once the
// requester listens again.
TEST_F(CommitmentRetryTest, AReportWaitsForARequesterThatIsDownEvenAcrossARestart) {
  Restart({{"COMMITSCU", {"127.0.0.1", requester_port_}}});
  {
    DcmSCU scu;
    RequestCommitment(scu);
    scu.releaseAssociation();
  }
  ASSERT_TRUE(WaitForPending(*outbox_, 1));
  auto pending = outbox_->List();
  ASSERT_TRUE(pending);
  EXPECT_EQ(pending->front().requester_ae, "COMMITSCU");
  EXPECT_EQ(pending->front().transaction_uid, "2.25.424242");
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  pending = outbox_->List();
  ASSERT_EQ(pending->size(), 1u);
  EXPECT_GE(pending->front().attempts, 2) << "retried while the requester is down";

  Restart({{"COMMITSCU", {"127.0.0.1", requester_port_}}});
  requester_reservation_.Release();
  ReportAcceptor acceptor(requester_port_);
  std::thread listening([&] { acceptor.listen(); });
  listening.join();  // the acceptor stops after the report (or 15 s without one)
  ASSERT_NE(acceptor.report, nullptr);
  ExpectReport(*acceptor.report, acceptor.event_type);
  EXPECT_TRUE(WaitForPending(*outbox_, 0)) << "delivered once, then gone";
}

// A requester whose AE title has no address yet: once an admin registers
// it as a DICOM node, the waiting report is delivered.
TEST_F(CommitmentRetryTest, AReportWaitsForAnAddressAndComesOnceTheNodeIsRegistered) {
  Restart({});
  {
    DcmSCU scu;
    RequestCommitment(scu);
    scu.releaseAssociation();
  }
  ASSERT_TRUE(WaitForPending(*outbox_, 1));
  EXPECT_NE(outbox_->List()->front().last_error.find("no address"), std::string::npos);

  requester_reservation_.Release();
  ReportAcceptor acceptor(requester_port_);
  std::thread listening([&] { acceptor.listen(); });
  EXPECT_TRUE(WaitUntilListening(requester_port_));
  RegisteredNodes registered;
  registered.destinations["COMMITSCU"] = {"127.0.0.1", requester_port_};
  nodes_.Replace(registered);
  listening.join();
  ASSERT_NE(acceptor.report, nullptr);
  ExpectReport(*acceptor.report, acceptor.event_type);
  EXPECT_TRUE(WaitForPending(*outbox_, 0));
}

// What the outbox keeps reads back as it was; a claimed report is not
// claimed again before its lease ends.
TEST(CommitmentOutboxTest, KeepsReportsAndHandsEachToOneClaimer) {
  cf::testing::TempDir dir;
  CommitmentReport report;
  report.transaction_uid = "2.25.1";
  report.committed = {{"1.2.840.10008.5.1.4.1.1.2", "2.25.10"}, {"1.2.3", "2.25.11"}};
  report.failed = {{"1.2.840.10008.5.1.4.1.1.4", "2.25.12"}};
  {
    auto outbox = CommitmentOutbox::Open(dir.Path() / "c.sqlite", "");
    ASSERT_TRUE(outbox) << outbox.error().message;
    ASSERT_TRUE((*outbox)->Add("PACS", report, "refused", 1000, 2000));
  }
  auto outbox = CommitmentOutbox::Open(dir.Path() / "c.sqlite", "");
  ASSERT_TRUE(outbox);
  EXPECT_FALSE(*(*outbox)->ClaimDue(1999, 5000)) << "not due yet";
  auto claimed = (*outbox)->ClaimDue(2000, 5000);
  ASSERT_TRUE(claimed && *claimed);
  const auto& [pending, back] = **claimed;
  EXPECT_EQ(pending.requester_ae, "PACS");
  EXPECT_EQ(pending.attempts, 1);
  EXPECT_EQ(back.transaction_uid, "2.25.1");
  ASSERT_EQ(back.committed.size(), 2u);
  EXPECT_EQ(back.committed[1].sop_instance_uid, "2.25.11");
  ASSERT_EQ(back.failed.size(), 1u);
  EXPECT_EQ(back.failed[0].sop_class_uid, "1.2.840.10008.5.1.4.1.1.4");
  EXPECT_FALSE(*(*outbox)->ClaimDue(4999, 9000)) << "leased to the first claimer";
  ASSERT_TRUE((*outbox)->Postpone(pending.id, "still refused", 6000));
  EXPECT_FALSE(*(*outbox)->ClaimDue(5999, 9000));
  auto again = (*outbox)->ClaimDue(6000, 9000);
  ASSERT_TRUE(again && *again);
  EXPECT_EQ((*again)->first.attempts, 2);
  EXPECT_EQ((*again)->first.last_error, "still refused");
  ASSERT_TRUE((*outbox)->Delivered(pending.id));
  EXPECT_TRUE((*outbox)->List()->empty());
}

}  // namespace
}  // namespace cf::dimse
