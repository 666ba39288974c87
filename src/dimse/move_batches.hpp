// SPDX-License-Identifier: Apache-2.0
// Splitting a C-MOVE's objects over several associations to the
// destination. One association carries at most 128 presentation contexts
// (their IDs are the odd numbers 1-255, PS3.8 9.3.2.2), and a retrieve
// needs one per SOP class plus one per (class, stored transfer syntax)
// other than little endian: a patient-level move of a long history can
// need more. Objects beyond that used to fail with "no presentation
// context"; now they go on the next association. Internal to the dimse part.
#pragma once

#include <cstddef>
#include <vector>

#include "catalog/records.hpp"
#include "dimse/store_scu.hpp"

namespace cf::dimse {

inline constexpr size_t kMaxPresentationContexts = 128;

struct MoveBatch {
  std::vector<catalog::InstanceRecord> instances;  // in the order they were asked for
  std::vector<OutboundAssociation::Proposal> proposals;
};

// The associations to open, one after the other, each proposing at most
// `max_contexts` contexts. All objects of one SOP class go in the same
// batch, so a class is never proposed twice. A class that alone needs more
// than `max_contexts` gets a batch of its own, whose surplus stored
// syntaxes are left out: those objects then go transcoded to little endian
// or fail as they did before.
std::vector<MoveBatch> PlanMoveBatches(const std::vector<catalog::InstanceRecord>& instances,
                                       size_t max_contexts = kMaxPresentationContexts);

}  // namespace cf::dimse
