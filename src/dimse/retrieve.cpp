// SPDX-License-Identifier: Apache-2.0
// C-MOVE/C-GET sub-operations (see retrieve.hpp).
#include "dimse/retrieve.hpp"

#include <dcmtk/dcmdata/dcdeftag.h>

#include <map>

#include "core/log.hpp"
#include "dicom/file_meta_walk.hpp"
#include "dimse/identifier.hpp"
#include "dimse/service.hpp"
#include "dimse/store_status.hpp"

namespace cf::dimse {

Result<std::vector<catalog::InstanceRecord>> ResolveInstances(archive::Archive& archive,
                                                              const catalog::Query& query,
                                                              int page_size) {
  std::vector<catalog::InstanceRecord> out;
  catalog::Query q = query;
  q.level = catalog::QueryLevel::kInstance;
  q.limit = page_size;
  for (q.offset = 0;; q.offset += page_size) {
    auto page = archive.Search(q);
    if (!page) return std::unexpected(page.error());
    for (auto& match : page->items) out.push_back(std::move(match.instance));
    if (static_cast<int64_t>(page->items.size()) < page_size) break;
  }
  return out;
}

OFCondition RunSubOperations(archive::Archive& archive,
                             const std::vector<catalog::InstanceRecord>& instances,
                             SubOperationTarget& target, const std::function<bool()>& cancelled,
                             const std::function<OFCondition(const SubOperations&)>& progress,
                             SubOperations& ops) {
  uint16_t message_id = 0;
  for (size_t i = 0; i < instances.size(); ++i) {
    if (cancelled()) {
      ops.cancelled = true;
      return EC_Normal;
    }
    const catalog::InstanceRecord& record = instances[i];
    --ops.remaining;
    auto fail = [&] {
      ++ops.failed;
      ops.failed_uids.push_back(record.sop_instance_uid);
    };
    const AcceptedContext* context =
        ChooseContext(target.contexts, record.sop_class_uid, record.transfer_syntax_uid);
    Result<Bytes> bytes = context == nullptr
                              ? Fail(ErrorCode::kUnsupported, "no presentation context")
                              : archive.ReadBlobAs(record, context->transfer_syntax_uid);
    if (!bytes) {
      fail();
    } else {
      StoreRequest request;
      request.sop_class_uid = record.sop_class_uid;
      request.sop_instance_uid = record.sop_instance_uid;
      const size_t offset = dicom::DatasetOffset(*bytes);
      request.dataset = ByteView(bytes->data() + offset, bytes->size() - offset);
      request.message_id = ++message_id;
      request.move_originator_ae = target.move_originator_ae;
      request.move_originator_message_id = target.move_originator_message_id;
      const StoreReply reply =
          SendStore(target.assoc, context->id, request, target.timeout_s, target.cancel_message_id);
      if (reply.condition.bad()) {
        // The target is gone: this and every remaining instance failed.
        fail();
        for (size_t j = i + 1; j < instances.size(); ++j) {
          ops.failed_uids.push_back(instances[j].sop_instance_uid);
        }
        const int rest = static_cast<int>(instances.size() - i - 1);
        ops.failed += rest;
        ops.remaining -= rest;
        return reply.condition;
      }
      if (reply.status == kStatusSuccess) {
        ++ops.completed;
      } else if ((reply.status & 0xF000) == 0xB000) {
        ++ops.warning;
      } else {
        fail();
      }
      if (reply.cancel_received) ops.cancelled = true;
    }
    if (ops.cancelled) return EC_Normal;
    if (ops.remaining > 0) {
      if (OFCondition cond = progress(ops); cond.bad()) return cond;
    }
  }
  return EC_Normal;
}

uint16_t FinalStatus(const SubOperations& ops) {
  if (ops.cancelled) return kStatusCancel;
  if (ops.failed > 0 || ops.warning > 0) return kStatusSubOperationsFailed;
  return kStatusSuccess;
}

std::unique_ptr<DcmDataset> FailedInstancesIdentifier(const SubOperations& ops) {
  if (ops.failed_uids.empty()) return nullptr;
  std::string list;
  for (const auto& uid : ops.failed_uids) {
    if (!list.empty()) list += '\\';
    list += uid;
  }
  auto out = std::make_unique<DcmDataset>();
  out->putAndInsertString(DCM_FailedSOPInstanceUIDList, list.c_str());
  return out;
}

std::unique_ptr<DcmDataset> ErrorCommentDetail(std::string_view comment) {
  auto out = std::make_unique<DcmDataset>();
  out->putAndInsertString(DCM_ErrorComment, ToErrorComment(comment).c_str());
  return out;
}

std::expected<std::vector<catalog::InstanceRecord>, RetrieveRefusal> ResolveRetrieve(
    Session& session, DcmDataset& identifier, std::string_view sop_class_uid,
    std::string_view service, std::string_view destination) {
  auto parsed = ParseRetrieveIdentifier(identifier, ModelOf(sop_class_uid),
                                        catalog::Scope::Of(session.tenant));
  if (!parsed) {
    return std::unexpected(RetrieveRefusal{kStatusIdentifierDoesNotMatch, parsed.error().message});
  }
  auto instances = ResolveInstances(session.context.Archive(), parsed->query,
                                    session.context.Options().query_page_size);
  if (!instances) {
    const bool invalid = instances.error().code == ErrorCode::kInvalidArgument;
    return std::unexpected(
        RetrieveRefusal{invalid ? kStatusIdentifierDoesNotMatch : kStatusUnableToProcess,
                        instances.error().message});
  }
  std::map<std::string, int64_t> per_study;
  for (const auto& instance : *instances) ++per_study[instance.study_instance_uid];
  for (const auto& [study, count] : per_study) {
    audit::Event event =
        session.context.Event(session.calling_ae, session.peer, audit::Action::kDownload, service);
    event.study_uid = study;
    event.detail = std::to_string(count) + " instances to " + std::string(destination);
    if (!session.context.Audit(std::move(event))) {
      return std::unexpected(
          RetrieveRefusal{kStatusUnableToProcess, "the audit trail cannot be written"});
    }
  }
  return std::move(*instances);
}

void LogRetrieve(std::string_view event, const Session& session, std::string_view destination,
                 uint16_t status, int64_t matched, const SubOperations& ops,
                 std::string_view comment, std::chrono::steady_clock::time_point started) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - started)
                      .count();
  log::Write(status == kStatusSuccess ? log::Level::kInfo : log::Level::kWarn, event,
             {{"calling_ae", session.calling_ae},
              {"destination", destination},
              {"status", StatusHex(status)},
              {"matched", matched},
              {"completed", ops.completed},
              {"failed", ops.failed},
              {"warning", ops.warning},
              {"cancelled", ops.cancelled ? "yes" : "no"},
              {"comment", comment},
              {"ms", ms}});
}

}  // namespace cf::dimse
