// SPDX-License-Identifier: Apache-2.0
#include "dimse/move_batches.hpp"

#include <set>
#include <string>
#include <unordered_map>

#include "dimse/sop_classes.hpp"

namespace cf::dimse {
namespace {

bool IsLittleEndian(std::string_view ts) {
  return ts.empty() || ts == kExplicitVrLittleEndian || ts == kImplicitVrLittleEndian;
}

// What one SOP class needs: its objects' stored transfer syntaxes when not
// little endian (sent as stored), and always explicit/implicit VR little
// endian (to which anything decodable can be transcoded).
struct ClassNeeds {
  std::string sop_class;
  std::set<std::string> own_syntaxes;
  size_t Contexts() const { return own_syntaxes.size() + 1; }
};

void AddProposals(const ClassNeeds& needs, size_t room,
                  std::vector<OutboundAssociation::Proposal>& out) {
  // Little endian first: with no room left for a stored syntax, the
  // object can still go transcoded.
  out.push_back({needs.sop_class,
                 {std::string(kExplicitVrLittleEndian), std::string(kImplicitVrLittleEndian)}});
  for (const auto& ts : needs.own_syntaxes) {
    if (out.size() >= room) break;
    out.push_back({needs.sop_class, {ts}});
  }
}

}  // namespace

std::vector<MoveBatch> PlanMoveBatches(const std::vector<catalog::InstanceRecord>& instances,
                                       size_t max_contexts) {
  if (max_contexts == 0) max_contexts = 1;
  // Classes in the order their first object was asked for.
  std::vector<ClassNeeds> classes;
  std::unordered_map<std::string, size_t> class_index;
  for (const auto& i : instances) {
    auto [it, inserted] = class_index.try_emplace(i.sop_class_uid, classes.size());
    if (inserted) classes.push_back({i.sop_class_uid, {}});
    if (!IsLittleEndian(i.transfer_syntax_uid)) {
      classes[it->second].own_syntaxes.insert(i.transfer_syntax_uid);
    }
  }

  std::vector<MoveBatch> batches;
  std::unordered_map<std::string, size_t> batch_of_class;
  size_t used = 0;
  for (const auto& needs : classes) {
    if (batches.empty() || used + needs.Contexts() > max_contexts) {
      batches.emplace_back();
      used = 0;
    }
    const size_t before = batches.back().proposals.size();
    AddProposals(needs, max_contexts, batches.back().proposals);
    used += batches.back().proposals.size() - before;
    batch_of_class[needs.sop_class] = batches.size() - 1;
  }
  for (const auto& i : instances)
    batches[batch_of_class.at(i.sop_class_uid)].instances.push_back(i);
  return batches;
}

}  // namespace cf::dimse
