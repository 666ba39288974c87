// SPDX-License-Identifier: Apache-2.0
#include "fuzz/qr_identifier_harness.hpp"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdatset.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcistrmb.h>
#include <dcmtk/dcmdata/dcostrmb.h>
#include <dcmtk/oflog/oflog.h>

#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "catalog/query.hpp"
#include "dimse/identifier.hpp"
#include "fuzz/require.hpp"
#include "fuzz/two_hospital_catalog.hpp"

namespace cf::fuzz {
namespace {

// As DIMSE_receiveDataSetInMemory reads a request's data set.
std::unique_ptr<DcmDataset> ReadDataset(std::span<const uint8_t> bytes, E_TransferSyntax xfer) {
  auto dataset = std::make_unique<DcmDataset>();
  DcmInputBufferStream stream;
  stream.setBuffer(bytes.data(), static_cast<offile_off_t>(bytes.size()));
  stream.setEos();
  dataset->transferInit();
  const OFCondition read = dataset->read(stream, xfer);
  dataset->transferEnd();
  if (read.bad()) return nullptr;
  return dataset;
}

// As DIMSE sends a response's data set, PDV by PDV.
std::optional<std::vector<uint8_t>> WriteDataset(DcmDataset& dataset, E_TransferSyntax xfer) {
  std::vector<uint8_t> out;
  std::vector<uint8_t> buffer(4096);
  DcmOutputBufferStream stream(buffer.data(), static_cast<offile_off_t>(buffer.size()));
  dataset.transferInit();
  OFCondition written = EC_StreamNotifyClient;
  while (written == EC_StreamNotifyClient) {
    written = dataset.write(stream, xfer, EET_ExplicitLength, nullptr);
    void* chunk = nullptr;
    offile_off_t length = 0;
    stream.flushBuffer(chunk, length);
    const auto* first = static_cast<const uint8_t*>(chunk);
    out.insert(out.end(), first, first + length);
  }
  dataset.transferEnd();
  if (written.bad()) return std::nullopt;
  return out;
}

std::string Text(DcmDataset& dataset, const DcmTagKey& tag) {
  OFString value;
  dataset.findAndGetOFStringArray(tag, value);
  return value.c_str();
}

catalog::Scope ScopeOf(uint8_t flags) {
  const char* tenant = flags & 8 ? kSouth : kNorth;
  if (flags & 16) {
    return catalog::Scope::Studies(tenant, {flags & 8 ? kSouthStudy : kSharedStudy});
  }
  return catalog::Scope::Of(tenant);
}

bool HasCondition(const catalog::Query& query, catalog::QueryAttr attr) {
  for (const auto& c : query.conditions) {
    if (c.attr == attr) return true;
  }
  return false;
}

// The unique key a retrieve at `level` must carry.
catalog::QueryAttr LevelKey(std::string_view level) {
  if (level == "PATIENT") return catalog::QueryAttr::kPatientId;
  if (level == "STUDY") return catalog::QueryAttr::kStudyInstanceUid;
  if (level == "SERIES") return catalog::QueryAttr::kSeriesInstanceUid;
  return catalog::QueryAttr::kSopInstanceUid;
}

std::string Answer(const dimse::ParsedIdentifier& parsed,
                   const catalog::Page<catalog::QueryMatch>& page, E_TransferSyntax xfer) {
  for (const auto& match : page.items) {
    auto response = dimse::BuildFindResponse(parsed, match, "CLOUDFILM");
    Require(response != nullptr);
    const auto bytes = WriteDataset(*response, xfer);
    Require(bytes.has_value());
    auto back = ReadDataset(*bytes, xfer);
    Require(back != nullptr);
    Require(Text(*back, DCM_QueryRetrieveLevel) == parsed.level);
    Require(Text(*back, DCM_SpecificCharacterSet) == "ISO_IR 192");
    for (const dimse::ReturnKey& key : parsed.keys) {
      Require(back->tagExists(key.tag));
      if (!key.private_creator.empty()) Require(Text(*back, key.tag) == key.private_creator);
    }
  }
  return "find: " + std::to_string(page.items.size()) + " matches";
}

}  // namespace

std::string RunQrIdentifier(std::span<const uint8_t> input) {
  // DCMTK's warnings about each damaged input would drown the fuzzer's own
  // output, as the server's parser quiets them.
  static const bool quiet = [] {
    OFLog::getLogger("dcmtk.dcmdata").setLogLevel(OFLogger::FATAL_LOG_LEVEL);
    return true;
  }();
  (void)quiet;
  if (input.empty()) return "rejected: empty input";
  const uint8_t flags = input[0];
  const auto model = flags & 1 ? dimse::QrModel::kPatientRoot : dimse::QrModel::kStudyRoot;
  const bool retrieve = (flags & 2) != 0;
  const E_TransferSyntax xfer = flags & 4 ? EXS_LittleEndianExplicit : EXS_LittleEndianImplicit;
  const catalog::Scope scope = ScopeOf(flags);

  auto identifier = ReadDataset(input.subspan(1), xfer);
  if (identifier == nullptr) return "rejected: not a data set";  // DIMSE aborts the association
  auto parsed = retrieve ? dimse::ParseRetrieveIdentifier(*identifier, model, scope)
                         : dimse::ParseFindIdentifier(*identifier, model, scope);
  if (!parsed) {
    Require(parsed.error().code == ErrorCode::kInvalidArgument);
    Require(!parsed.error().message.empty());
    return "rejected: " + parsed.error().message;
  }
  catalog::Query query = parsed->query;
  // The scope comes from the association, never from the identifier.
  Require(query.scope.tenant() == scope.tenant() && query.scope.studies() == scope.studies());
  if (retrieve) {
    Require(query.level == catalog::QueryLevel::kInstance);
    Require(HasCondition(query, LevelKey(parsed->level)));
  }
  query.limit = 20;
  const bool valid = catalog::ValidateQuery(query).has_value();
  auto page = TwoHospitalCatalog().Search(query);
  if (!valid) {
    Require(!page && page.error().code == ErrorCode::kInvalidArgument);
    return "refused by the catalog: " + page.error().message;
  }
  Require(page.has_value());
  Require(page->items.size() <= 20);
  for (const auto& match : page->items) Require(MatchInScope(match, query.level, scope));
  if (!retrieve) return Answer(*parsed, *page, xfer);
  for (const auto& match : page->items) Require(!match.instance.sop_instance_uid.empty());
  return "retrieve: " + std::to_string(page->items.size()) + " instances";
}

}  // namespace cf::fuzz
