// SPDX-License-Identifier: Apache-2.0
// The SCP against real peers: DCMTK's echoscu and storescu (spawned as
// processes) and a hand-driven DcmSCU, with a real archive (SQLite catalog
// and filesystem blobs) in a temporary folder. Objects are written here with
// DCMTK, so the tests need no fixture files; the shared test data adds a run
// over every kind of object and transfer syntax when it is present.
#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmnet/dimse.h>
#include <dcmtk/dcmnet/dul.h>
#include <dcmtk/dcmnet/scu.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "archive/archive.hpp"
#include "catalog/sqlite_catalog.hpp"
#include "core/file_io.hpp"
#include "crypto/sha256.hpp"
#include "dimse/scp_server.hpp"
#include "dimse/sop_classes.hpp"
#include "store/filesystem_blob_store.hpp"
#include "support/temp_dir.hpp"
#include "support/test_archive.hpp"

extern char** environ;

namespace cf::dimse {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr char kCtImage[] = UID_CTImageStorage;

struct TestObject {
  std::string sop;
  std::string study = "2.25.1001";
  std::string series = "2.25.1002";
  uint16_t seed = 0;
  int rows = 16;
  int columns = 16;
};

void WriteObject(const fs::path& path, const TestObject& o) {
  DcmFileFormat file;
  DcmDataset* ds = file.getDataset();
  ds->putAndInsertString(DCM_SpecificCharacterSet, "ISO_IR 192");
  ds->putAndInsertString(DCM_SOPClassUID, kCtImage);
  ds->putAndInsertString(DCM_SOPInstanceUID, o.sop.c_str());
  ds->putAndInsertString(DCM_StudyInstanceUID, o.study.c_str());
  ds->putAndInsertString(DCM_SeriesInstanceUID, o.series.c_str());
  ds->putAndInsertString(DCM_PatientID, "DIMSE-TEST-1");
  ds->putAndInsertString(DCM_PatientName, "Test^Dimse");
  ds->putAndInsertString(DCM_Modality, "CT");
  ds->putAndInsertString(DCM_StudyDate, "20260101");
  ds->putAndInsertString(DCM_InstanceNumber, "1");
  ds->putAndInsertUint16(DCM_Rows, static_cast<Uint16>(o.rows));
  ds->putAndInsertUint16(DCM_Columns, static_cast<Uint16>(o.columns));
  ds->putAndInsertUint16(DCM_SamplesPerPixel, 1);
  ds->putAndInsertString(DCM_PhotometricInterpretation, "MONOCHROME2");
  ds->putAndInsertUint16(DCM_BitsAllocated, 16);
  ds->putAndInsertUint16(DCM_BitsStored, 12);
  ds->putAndInsertUint16(DCM_HighBit, 11);
  ds->putAndInsertUint16(DCM_PixelRepresentation, 0);
  std::vector<Uint16> pixels(static_cast<size_t>(o.rows) * static_cast<size_t>(o.columns));
  for (size_t i = 0; i < pixels.size(); ++i) {
    pixels[i] = static_cast<Uint16>((i * 7 + o.seed) & 0x0FFF);
  }
  ds->putAndInsertUint16Array(DCM_PixelData, pixels.data(),
                              static_cast<unsigned long>(pixels.size()));
  ASSERT_TRUE(file.saveFile(path.c_str(), EXS_LittleEndianExplicit).good()) << path;
}

// The data set of a Part 10 file: what follows the file meta group, whose
// first element (0002,0000) gives its length.
ByteView AfterFileMeta(ByteView bytes) {
  if (bytes.size() < 144 || std::memcmp(bytes.data() + 128, "DICM", 4) != 0) return bytes;
  uint32_t group_length = 0;
  std::memcpy(&group_length, bytes.data() + 140, 4);
  return bytes.subspan(144 + group_length);
}

Bytes ReadAll(const fs::path& path) {
  auto bytes = ReadFile(path, 1ull << 32);
  EXPECT_TRUE(bytes) << path;
  return bytes ? *bytes : Bytes{};
}

std::string ReadText(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A DCMTK command-line tool running as a child process, output to a file.
class Tool {
 public:
  Tool(const std::vector<std::string>& argv, fs::path output) : output_(std::move(output)) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, output_.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    const int rc = posix_spawnp(&pid_, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    EXPECT_EQ(rc, 0) << "cannot run " << argv[0];
    if (rc != 0) pid_ = -1;
  }
  ~Tool() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      Wait();
    }
  }
  pid_t Pid() const { return pid_; }
  // Exit code (128 + signal when killed).
  int Wait() {
    if (pid_ <= 0) return -1;
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  std::string Output() const { return ReadText(output_); }

 private:
  fs::path output_;
  pid_t pid_ = -1;
};

struct ToolResult {
  int exit_code;
  std::string output;
};

// An SCU that can send a C-STORE request whose UIDs differ from its data set.
class RawScu : public DcmSCU {
 public:
  using DcmSCU::receiveDIMSECommand;
  using DcmSCU::sendDIMSEMessage;
};

// Sends a C-STORE request with `dataset` as its data set, byte for byte:
// DCMTK's own senders parse and re-encode what they send (dropping group
// lengths, padding odd lengths, deflating again), which would hide whether
// the SCP keeps the bytes it receives.
uint16_t StoreRawBytes(T_ASC_Association* assoc, T_ASC_PresentationContextID pc,
                       const std::string& sop_class, const std::string& sop_instance,
                       ByteView dataset, const fs::path& scratch) {
  DcmDataset command;
  command.putAndInsertString(DcmTag(0x0000, 0x0002), sop_class.c_str());
  command.putAndInsertUint16(DcmTag(0x0000, 0x0100), 0x0001);  // C-STORE-RQ
  command.putAndInsertUint16(DcmTag(0x0000, 0x0110), assoc->nextMsgID++);
  command.putAndInsertUint16(DcmTag(0x0000, 0x0700), 0x0000);  // medium priority
  command.putAndInsertUint16(DcmTag(0x0000, 0x0800), 0x0000);  // a data set follows
  command.putAndInsertString(DcmTag(0x0000, 0x1000), sop_instance.c_str());
  EXPECT_TRUE(
      command.saveFile(scratch.c_str(), EXS_LittleEndianImplicit, EET_ExplicitLength, EGL_recalcGL)
          .good());
  Bytes command_bytes = ReadAll(scratch);

  auto write = [&](const std::byte* data, size_t size, DUL_DATAPDV type, bool last) {
    DUL_PDV pdv{};
    pdv.fragmentLength = static_cast<unsigned long>(size);
    pdv.presentationContextID = pc;
    pdv.pdvType = type;
    pdv.lastPDV = last ? OFTrue : OFFalse;
    pdv.data = const_cast<std::byte*>(data);
    DUL_PDVLIST list{};
    list.count = 1;
    list.pdv = &pdv;
    return DUL_WritePDVs(&assoc->DULassociation, &list).good();
  };
  EXPECT_TRUE(write(command_bytes.data(), command_bytes.size(), DUL_COMMANDPDV, true));
  const size_t chunk = assoc->sendPDVLength;
  for (size_t at = 0; at < dataset.size(); at += chunk) {
    const size_t n = std::min(chunk, dataset.size() - at);
    EXPECT_TRUE(write(dataset.data() + at, n, DUL_DATASETPDV, at + n == dataset.size()));
  }
  T_DIMSE_Message response;
  T_ASC_PresentationContextID response_pc = 0;
  DcmDataset* detail = nullptr;
  EXPECT_TRUE(
      DIMSE_receiveCommand(assoc, DIMSE_BLOCKING, 0, &response_pc, &response, &detail).good());
  delete detail;
  EXPECT_EQ(response.CommandField, DIMSE_C_STORE_RSP);
  return response.msg.CStoreRSP.DimseStatus;
}

class ScpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Every object stored here also checks that the SHA-256 computed while
    // its PDVs arrived equals that of the bytes kept.
    archive::ArchiveOptions options;
    options.verify_supplied_sha256 = true;
    auto opened = test_archive_.Open(dir_.Path() / "data", options);
    ASSERT_TRUE(opened) << opened.error().message;
    fs::create_directories(Files());
  }
  void TearDown() override {
    if (server_) server_->Stop();
  }

  fs::path Files() const { return dir_.Path() / "files"; }

  ScpOptions Options() const {
    ScpOptions o;
    o.port = 0;
    return o;
  }

  void Start(ScpOptions o) {
    server_ = std::make_unique<ScpServer>(std::move(o), *archive_);
    auto started = server_->Start();
    ASSERT_TRUE(started) << started.error().message;
    ASSERT_NE(server_->Port(), 0);
  }

  fs::path Write(const TestObject& o) {
    const fs::path path = Files() / (o.sop + "-" + std::to_string(o.seed) + ".dcm");
    WriteObject(path, o);
    return path;
  }

  ToolResult Run(std::vector<std::string> argv) {
    Tool tool(argv, dir_.Path() / ("tool-" + std::to_string(++runs_) + ".txt"));
    const int code = tool.Wait();
    return {code, tool.Output()};
  }

  std::vector<std::string> Echo(const std::string& calling = "TESTSCU",
                                const std::string& called = "CLOUDFILM") {
    return {
        "echoscu", "-aet", calling, "-aec", called, "127.0.0.1", std::to_string(server_->Port())};
  }

  std::vector<std::string> Store(const std::vector<fs::path>& files,
                                 const std::string& calling = "TESTSCU") {
    std::vector<std::string> argv = {
        "storescu", "-v",        "-aet",      calling,
        "-aec",     "CLOUDFILM", "127.0.0.1", std::to_string(server_->Port())};
    for (const auto& f : files) argv.push_back(f.string());
    return argv;
  }

  int64_t Instances() {
    auto totals = archive_->Totals();
    EXPECT_TRUE(totals);
    return totals ? totals->instance_versions : -1;
  }

  cf::testing::TempDir dir_;
  cf::testing::TestArchive test_archive_;
  std::unique_ptr<archive::Archive>& archive_ = test_archive_.archive;
  std::unique_ptr<ScpServer> server_;
  int runs_ = 0;
};

TEST_F(ScpTest, EchoSucceeds) {
  Start(Options());
  const auto r = Run(Echo());
  EXPECT_EQ(r.exit_code, 0) << r.output;
}

TEST_F(ScpTest, StoredObjectsKeepTheirDatasetBytes) {
  Start(Options());
  std::vector<fs::path> files;
  for (int i = 0; i < 3; ++i) files.push_back(Write({.sop = "2.25.2000" + std::to_string(i)}));
  const auto r = Run(Store(files));
  ASSERT_EQ(r.exit_code, 0) << r.output;

  EXPECT_EQ(Instances(), 3);
  for (int i = 0; i < 3; ++i) {
    auto stored =
        archive_->ReadInstance(cf::catalog::Scope::Of("default"), "2.25.2000" + std::to_string(i));
    ASSERT_TRUE(stored) << stored.error().message;
    const Bytes original = ReadAll(files[static_cast<size_t>(i)]);
    const ByteView want = AfterFileMeta(original);
    const ByteView got = AfterFileMeta(*stored);
    ASSERT_EQ(got.size(), want.size());
    EXPECT_TRUE(std::equal(got.begin(), got.end(), want.begin()));
    auto versions = archive_->GetInstanceVersions(cf::catalog::Scope::Of("default"),
                                                  "2.25.2000" + std::to_string(i));
    ASSERT_TRUE(versions);
    EXPECT_EQ(versions->at(0).source, "dimse:TESTSCU");
  }
}

TEST_F(ScpTest, ADigestHashedAsThePdvsArriveIsThatOfTheKeptBytes) {
  // 512 KiB of pixels: many PDVs and several PDUs of 128 KiB. The archive
  // verifies the digest it is handed (verify_supplied_sha256) and refuses a
  // mismatch, which storescu would report.
  Start(Options());
  const auto r = Run(Store({Write({.sop = "2.25.2100", .seed = 3, .rows = 512, .columns = 512})}));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto versions = archive_->GetInstanceVersions(cf::catalog::Scope::Of("default"), "2.25.2100");
  ASSERT_TRUE(versions) << versions.error().message;
  ASSERT_EQ(versions->size(), 1u);
  auto stored = archive_->ReadInstance(cf::catalog::Scope::Of("default"), "2.25.2100");
  ASSERT_TRUE(stored) << stored.error().message;
  EXPECT_GT(stored->size(), 512u * 512u * 2u);
  EXPECT_EQ(versions->at(0).sha256_hex, crypto::ToHex(crypto::Sha256(*stored)));
}

TEST_F(ScpTest, SendingTheSameObjectAgainIsASuccess) {
  Start(Options());
  const auto file = Write({.sop = "2.25.3001"});
  ASSERT_EQ(Run(Store({file})).exit_code, 0);
  const auto again = Run(Store({file}, "OTHERSCU"));
  EXPECT_EQ(again.exit_code, 0) << again.output;
  EXPECT_NE(again.output.find("Received Store Response (Success)"), std::string::npos)
      << again.output;
  auto versions = archive_->GetInstanceVersions(cf::catalog::Scope::Of("default"), "2.25.3001");
  ASSERT_TRUE(versions);
  EXPECT_EQ(versions->size(), 1u);
}

TEST_F(ScpTest, ModifiedObjectUnderAKnownUidIsKeptWithAWarning) {
  Start(Options());
  ASSERT_EQ(Run(Store({Write({.sop = "2.25.4001", .seed = 1})})).exit_code, 0);
  std::vector<std::string> debug = Store({Write({.sop = "2.25.4001", .seed = 2})});
  debug[1] = "-d";  // prints the response's status and Error Comment
  const auto modified = Run(debug);
  EXPECT_EQ(modified.exit_code, 0) << modified.output;  // a warning is not a failure
  EXPECT_NE(modified.output.find("DIMSE Status                  : 0xb000"), std::string::npos)
      << modified.output;
  EXPECT_NE(modified.output.find("stored as version 2"), std::string::npos) << modified.output;
  auto versions = archive_->GetInstanceVersions(cf::catalog::Scope::Of("default"), "2.25.4001");
  ASSERT_TRUE(versions);
  EXPECT_EQ(versions->size(), 2u);
}

TEST_F(ScpTest, UnknownCallingAeIsRefused) {
  ScpOptions o = Options();
  o.allowed_callers = {"TESTSCU"};
  Start(o);
  const auto refused = Run(Echo("INTRUDER"));
  EXPECT_NE(refused.exit_code, 0) << refused.output;
  EXPECT_NE(refused.output.find("Calling AE Title Not Recognized"), std::string::npos)
      << refused.output;
  EXPECT_NE(Run(Store({Write({.sop = "2.25.5001"})}, "INTRUDER")).exit_code, 0);
  EXPECT_EQ(Instances(), 0);
  EXPECT_EQ(Run(Echo("TESTSCU")).exit_code, 0);
}

TEST_F(ScpTest, WrongCalledAeIsRefusedUnlessUnchecked) {
  Start(Options());
  const auto refused = Run(Echo("TESTSCU", "SOMEONEELSE"));
  EXPECT_NE(refused.exit_code, 0) << refused.output;
  EXPECT_NE(refused.output.find("Called AE Title Not Recognized"), std::string::npos)
      << refused.output;
  server_->Stop();

  ScpOptions o = Options();
  o.check_called_ae = false;
  Start(o);
  EXPECT_EQ(Run(Echo("TESTSCU", "SOMEONEELSE")).exit_code, 0);
}

TEST_F(ScpTest, ObjectOverTheSizeLimitIsRefusedWithOutOfResources) {
  ScpOptions o = Options();
  o.max_object_size = 1000;  // the test object is about 1.2 kB
  Start(o);
  const auto r = Run(Store({Write({.sop = "2.25.6001", .rows = 32, .columns = 16})}));
  EXPECT_NE(r.output.find("Received Store Response (Refused: OutOfResources)"), std::string::npos)
      << r.output;
  EXPECT_EQ(Instances(), 0);
}

TEST_F(ScpTest, CommandUidsThatDifferFromTheDatasetGetAFailureStatus) {
  Start(Options());
  const fs::path path = Write({.sop = "2.25.7001"});
  DcmFileFormat file;
  ASSERT_TRUE(file.loadFile(path.c_str()).good());

  RawScu scu;
  scu.setAETitle("TESTSCU");
  scu.setPeerAETitle("CLOUDFILM");
  scu.setPeerHostName("127.0.0.1");
  scu.setPeerPort(server_->Port());
  OFList<OFString> syntaxes;
  syntaxes.push_back(UID_LittleEndianExplicitTransferSyntax);
  scu.addPresentationContext(kCtImage, syntaxes);
  ASSERT_TRUE(scu.initNetwork().good());
  ASSERT_TRUE(scu.negotiateAssociation().good());
  const T_ASC_PresentationContextID pc = scu.findPresentationContextID(kCtImage, "");
  ASSERT_NE(pc, 0);

  T_DIMSE_Message request;
  std::memset(&request, 0, sizeof(request));
  request.CommandField = DIMSE_C_STORE_RQ;
  T_DIMSE_C_StoreRQ& store = request.msg.CStoreRQ;
  store.MessageID = 1;
  store.DataSetType = DIMSE_DATASET_PRESENT;
  store.Priority = DIMSE_PRIORITY_MEDIUM;
  OFStandard::strlcpy(store.AffectedSOPClassUID, kCtImage, sizeof(store.AffectedSOPClassUID));
  OFStandard::strlcpy(store.AffectedSOPInstanceUID, "2.25.7999",
                      sizeof(store.AffectedSOPInstanceUID));
  ASSERT_TRUE(scu.sendDIMSEMessage(pc, &request, file.getDataset()).good());

  T_DIMSE_Message response;
  T_ASC_PresentationContextID response_pc = 0;
  DcmDataset* detail = nullptr;
  ASSERT_TRUE(scu.receiveDIMSECommand(&response_pc, &response, &detail).good());
  EXPECT_EQ(response.CommandField, DIMSE_C_STORE_RSP);
  EXPECT_EQ(response.msg.CStoreRSP.DimseStatus, 0xA900);
  ASSERT_NE(detail, nullptr);
  OFString comment;
  EXPECT_TRUE(detail->findAndGetOFString(DCM_ErrorComment, comment).good());
  EXPECT_NE(std::string(comment.c_str()).find("differ"), std::string::npos) << comment;
  delete detail;
  scu.releaseAssociation();

  // Kept under the data set's own UID; the sender was told of its fault.
  EXPECT_EQ(Instances(), 1);
  EXPECT_TRUE(archive_->ReadInstance(cf::catalog::Scope::Of("default"), "2.25.7001"));
  EXPECT_FALSE(archive_->ReadInstance(cf::catalog::Scope::Of("default"), "2.25.7999"));
}

TEST_F(ScpTest, AssociationsBeyondTheLimitAreRefused) {
  ScpOptions o = Options();
  o.max_associations = 1;
  Start(o);
  DcmSCU holder;  // keeps the only slot busy
  holder.setAETitle("HOLDER");
  holder.setPeerAETitle("CLOUDFILM");
  holder.setPeerHostName("127.0.0.1");
  holder.setPeerPort(server_->Port());
  holder.addPresentationContext(UID_VerificationSOPClass,
                                OFList<OFString>(1, UID_LittleEndianImplicitTransferSyntax));
  ASSERT_TRUE(holder.initNetwork().good());
  ASSERT_TRUE(holder.negotiateAssociation().good());

  const auto refused = Run(Echo());
  EXPECT_NE(refused.exit_code, 0) << refused.output;
  EXPECT_NE(refused.output.find("Local Limit Exceeded"), std::string::npos) << refused.output;

  holder.releaseAssociation();
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  int code = -1;
  while (code != 0 && std::chrono::steady_clock::now() < deadline) {
    code = Run(Echo()).exit_code;  // the slot frees once the holder's worker has exited
  }
  EXPECT_EQ(code, 0);
}

TEST_F(ScpTest, KilledSenderLeavesNothingAndTheServerServesOn) {
  Start(Options());
  // 64 MiB: far more than the socket buffers hold, so the sender is still
  // sending when it is frozen and killed.
  const fs::path big = Write({.sop = "2.25.8001", .rows = 4096, .columns = 8192});
  Tool sender(Store({big}), dir_.Path() / "killed.txt");
  // Freeze it once it has written a few MiB (its "wchar" counts socket
  // writes too): mid-object, whatever the machine's speed.
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  for (;;) {
    std::ifstream io("/proc/" + std::to_string(sender.Pid()) + "/io");
    std::string key;
    uint64_t value = 0, written = 0;
    while (io >> key >> value) {
      if (key == "wchar:") written = value;
    }
    if (written > (4u << 20) || std::chrono::steady_clock::now() > deadline) break;
    std::this_thread::sleep_for(1ms);
  }
  ::kill(sender.Pid(), SIGSTOP);  // frozen mid-transfer
  std::this_thread::sleep_for(200ms);
  ASSERT_EQ(Instances(), 0) << "the whole object arrived before the sender stopped";
  ::kill(sender.Pid(), SIGKILL);
  EXPECT_EQ(sender.Wait(), 128 + SIGKILL);
  EXPECT_EQ(Instances(), 0);
  EXPECT_EQ(Run(Echo()).exit_code, 0);
  EXPECT_EQ(Run(Store({Write({.sop = "2.25.8002"})})).exit_code, 0);
  EXPECT_EQ(Instances(), 1);
}

TEST_F(ScpTest, PortInUseIsReportedByStart) {
  Start(Options());
  ScpOptions o = Options();
  o.port = server_->Port();
  ScpServer second(o, *archive_);
  auto started = second.Start();
  ASSERT_FALSE(started);
  EXPECT_EQ(started.error().code, ErrorCode::kStorageUnavailable);
  EXPECT_NE(started.error().message.find("already in use"), std::string::npos)
      << started.error().message;
}

TEST_F(ScpTest, BadOptionsAreRefused) {
  ScpOptions o = Options();
  o.ae_title = "A_TITLE_LONGER_THAN_16";
  ScpServer server(o, *archive_);
  auto started = server.Start();
  ASSERT_FALSE(started);
  EXPECT_EQ(started.error().code, ErrorCode::kInvalidArgument);

  o = Options();
  o.bind = "::1";
  ScpServer ipv6(o, *archive_);
  started = ipv6.Start();
  ASSERT_FALSE(started);
  EXPECT_EQ(started.error().code, ErrorCode::kInvalidArgument);
}

TEST_F(ScpTest, StopCutsAnIdleAssociationAfterTheGracePeriod) {
  ScpOptions o = Options();
  o.stop_grace = 1s;
  Start(o);
  DcmSCU idle;
  idle.setAETitle("IDLE");
  idle.setPeerAETitle("CLOUDFILM");
  idle.setPeerHostName("127.0.0.1");
  idle.setPeerPort(server_->Port());
  idle.addPresentationContext(UID_VerificationSOPClass,
                              OFList<OFString>(1, UID_LittleEndianImplicitTransferSyntax));
  ASSERT_TRUE(idle.initNetwork().good());
  ASSERT_TRUE(idle.negotiateAssociation().good());

  const auto before = std::chrono::steady_clock::now();
  server_->Stop();
  const auto took = std::chrono::steady_clock::now() - before;
  EXPECT_GE(took, 900ms);
  EXPECT_LT(took, 10s);
  EXPECT_NE(Run(Echo()).exit_code, 0);  // no longer listening
}

TEST_F(ScpTest, ManySmallObjectsOnOneAssociationAreFast) {
  Start(Options());
  std::vector<fs::path> files;
  constexpr int kCount = 200;
  for (int i = 0; i < kCount; ++i) files.push_back(Write({.sop = "2.25.9" + std::to_string(i)}));
  const auto before = std::chrono::steady_clock::now();
  std::vector<std::string> argv = Store(files);
  argv.erase(argv.begin() + 1);  // not -v: 200 objects
  const auto r = Run(argv);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - before).count();
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(Instances(), kCount);
  RecordProperty("instances_per_second", static_cast<int>(kCount / seconds));
  std::printf("%d objects in %.2f s: %.0f instances/s\n", kCount, seconds, kCount / seconds);
  // With Nagle's algorithm on, each object waits ~45 ms for a delayed ACK: 9 s.
  EXPECT_LT(seconds, 5.0);
}

TEST_F(ScpTest, ParallelSendersAreAllStored) {
  Start(Options());
  std::vector<std::unique_ptr<Tool>> senders;
  for (int s = 0; s < 4; ++s) {
    std::vector<fs::path> files;
    for (int i = 0; i < 10; ++i) {
      files.push_back(Write({.sop = "2.25.10" + std::to_string(s) + "0" + std::to_string(i),
                             .series = "2.25.1002" + std::to_string(s)}));
    }
    senders.push_back(
        std::make_unique<Tool>(Store(files, "SENDER" + std::to_string(s)),
                               dir_.Path() / ("parallel-" + std::to_string(s) + ".txt")));
  }
  for (auto& s : senders) EXPECT_EQ(s->Wait(), 0) << s->Output();
  EXPECT_EQ(Instances(), 40);
}

TEST_F(ScpTest, SharedTestDataOfEveryKindAndTransferSyntaxIsStoredAsSent) {
  const fs::path data = cf::testing::SharedTestData();
  if (data.empty()) GTEST_SKIP() << "../shared/testdata is absent";
  struct Sample {
    fs::path path;
    std::string sop_class;
    std::string sop_instance;
    std::string transfer_syntax;
  };
  std::vector<Sample> samples;
  for (const auto& e : fs::recursive_directory_iterator(data)) {
    if (!e.is_regular_file()) continue;
    if (e.path().lexically_relative(data).begin()->string() == "malformed") continue;
    DcmFileFormat file;
    if (file.loadFile(e.path().c_str()).bad()) continue;
    OFString sop_class, sop_instance, ts;
    if (file.getDataset()->findAndGetOFString(DCM_SOPClassUID, sop_class).bad() ||
        file.getDataset()->findAndGetOFString(DCM_SOPInstanceUID, sop_instance).bad() ||
        file.getMetaInfo()->findAndGetOFString(DCM_TransferSyntaxUID, ts).bad()) {
      continue;
    }
    samples.push_back({e.path(), sop_class.c_str(), sop_instance.c_str(), ts.c_str()});
  }
  ASSERT_GT(samples.size(), 100u);
  Start(Options());

  // storescu proposes at most one compressed syntax per run and re-encodes
  // what it sends, so this client proposes each file's own syntax and sends
  // the file's data set bytes as they are.
  T_ASC_Network* network = nullptr;
  ASSERT_TRUE(ASC_initializeNetwork(NET_REQUESTOR, 0, 30, &network).good());
  T_ASC_Parameters* params = nullptr;
  ASSERT_TRUE(ASC_createAssociationParameters(&params, ASC_DEFAULTMAXPDU).good());
  ASC_setAPTitles(params, "TESTSCU", "CLOUDFILM", nullptr);
  const std::string peer = "127.0.0.1:" + std::to_string(server_->Port());
  ASC_setPresentationAddresses(params, "localhost", peer.c_str());
  std::set<std::pair<std::string, std::string>> contexts;
  int next_id = 1;
  for (const auto& sample : samples) {
    if (!DcmtkCanCarry(sample.transfer_syntax)) continue;  // this client could not send it
    if (contexts.emplace(sample.sop_class, sample.transfer_syntax).second) {
      const char* ts = sample.transfer_syntax.c_str();
      ASSERT_TRUE(ASC_addPresentationContext(params,
                                             static_cast<T_ASC_PresentationContextID>(next_id),
                                             sample.sop_class.c_str(), &ts, 1)
                      .good());
      next_id += 2;
    }
  }
  ASSERT_LE(contexts.size(), 128u);
  T_ASC_Association* assoc = nullptr;
  ASSERT_TRUE(ASC_requestAssociation(network, params, &assoc).good());

  std::set<std::string> syntaxes;
  for (const auto& sample : samples) {
    if (!DcmtkCanCarry(sample.transfer_syntax)) continue;
    SCOPED_TRACE(sample.path.string());
    const T_ASC_PresentationContextID pc = ASC_findAcceptedPresentationContextID(
        assoc, sample.sop_class.c_str(), sample.transfer_syntax.c_str());
    ASSERT_NE(pc, 0) << "not accepted: " << sample.sop_class << " in " << sample.transfer_syntax;
    const Bytes original = ReadAll(sample.path);
    const ByteView want = AfterFileMeta(original);
    const uint16_t status = StoreRawBytes(assoc, pc, sample.sop_class, sample.sop_instance, want,
                                          dir_.Path() / "command.bin");
    EXPECT_TRUE(status == 0x0000 || status == 0xB000) << std::hex << status;

    auto versions =
        archive_->GetInstanceVersions(cf::catalog::Scope::Of("default"), sample.sop_instance);
    ASSERT_TRUE(versions) << versions.error().message;
    bool found = false;
    for (const auto& v : *versions) {
      auto stored =
          archive_->ReadInstance(cf::catalog::Scope::Of("default"), sample.sop_instance, v.version);
      ASSERT_TRUE(stored);
      const ByteView got = AfterFileMeta(*stored);
      found |= got.size() == want.size() && std::equal(got.begin(), got.end(), want.begin());
    }
    EXPECT_TRUE(found) << "not stored byte for byte";
    syntaxes.insert(sample.transfer_syntax);
  }
  EXPECT_TRUE(ASC_releaseAssociation(assoc).good());
  ASC_destroyAssociation(&assoc);
  ASC_dropNetwork(&network);
  EXPECT_GE(syntaxes.size(), 15u);
  std::set<std::string> classes;
  for (const auto& sample : samples) classes.insert(sample.sop_class);
  EXPECT_GE(classes.size(), 20u);  // CT, MR, US, SR, PDF, ECG, SEG, RT, WSI, GSPS, ...
}

}  // namespace
}  // namespace cf::dimse
