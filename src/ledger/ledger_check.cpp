// SPDX-License-Identifier: Apache-2.0
#include "ledger/ledger_check.hpp"

#include "core/time_text.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <set>

namespace cf::ledger {
namespace {

std::string Range(uint64_t first, uint64_t last) {
  return first == last ? "entry " + std::to_string(first)
                       : "entries " + std::to_string(first) + ".." + std::to_string(last);
}

std::string Label(const SignedTreeHead& sth, bool external) {
  return std::string(external ? "given tree head " : "tree head ") +
         std::to_string(sth.head.tree_size) + " (signed " + Rfc3339Utc(sth.head.timestamp_ms) + ")";
}

// Recomputes the tree from the entries, comparing with the stored leaf and
// node hashes, and keeps the root at every size in `sizes`.
class Recompute {
 public:
  Recompute(TransparencyLog& log, const std::set<uint64_t>& sizes, CheckReport& report)
      : log_(log), sizes_(sizes), report_(report) {
    if (sizes_.contains(0)) roots_[0] = EmptyRootHash();
  }

  Result<void> Run() {
    auto scanned = log_.ForEachEntry([&](uint64_t index, ByteView entry) -> Result<void> {
      // A hole in the indexes: entries removed from the middle. The stored
      // leaf hash (if left) stands in, so that later heads can still be
      // checked and the report names the hole, not everything after it.
      while (next_ < index) {
        Problem(next_, "entry " + std::to_string(next_) + ": missing (removed from the log)");
        auto stored = log_.StoredNode(0, next_);
        if (!stored) return std::unexpected(stored.error());
        if (auto r = Add(stored->value_or(Hash{})); !r) return r;
      }
      const Hash leaf = LeafHash(entry);
      auto stored = log_.StoredNode(0, index);
      if (!stored) return std::unexpected(stored.error());
      if (!*stored) {
        Problem(index, "entry " + std::to_string(index) + ": its leaf hash is not stored");
      } else if (**stored != leaf) {
        Problem(index, "entry " + std::to_string(index) +
                           ": its bytes do not match the leaf hash recorded when it was "
                           "appended (the entry was rewritten)");
      }
      return Add(leaf);
    });
    if (!scanned) return scanned;
    report_.entries = next_;
    // Leaf hashes past the last entry: entries removed from the end.
    uint64_t end = next_;
    for (;;) {
      auto stored = log_.StoredNode(0, end);
      if (!stored) return std::unexpected(stored.error());
      if (!*stored) break;
      ++end;
    }
    if (end > next_) {
      report_.problems.push_back(Range(next_, end - 1) +
                                 ": leaf hash stored but the entry is gone (removed)");
    }
    return {};
  }

  uint64_t size() const { return next_; }
  const std::set<uint64_t>& bad() const { return bad_; }
  std::optional<Hash> RootAt(uint64_t size) const {
    auto it = roots_.find(size);
    if (it == roots_.end()) return std::nullopt;
    return it->second;
  }

 private:
  void Problem(uint64_t index, std::string what) {
    bad_.insert(index);
    report_.problems.push_back(std::move(what));
  }

  bool HasBadEntry(uint64_t first, uint64_t end) const {
    auto it = bad_.lower_bound(first);
    return it != bad_.end() && *it < end;
  }

  Result<void> Add(const Hash& leaf) {
    Result<void> failed;
    range_.Append(leaf, [&](int level, uint64_t index, const Hash& h) {
      if (level == 0 || !failed) return;  // leaves were compared by the caller
      const uint64_t first = index << level;
      const uint64_t end = (index + 1) << level;
      // Under a rewritten entry every ancestor differs too: say it once.
      if (HasBadEntry(first, end)) return;
      auto stored = log_.StoredNode(level, index);
      if (!stored) {
        failed = std::unexpected(stored.error());
        return;
      }
      const std::string node = "node (level " + std::to_string(level) + ", index " +
                               std::to_string(index) + ") over " + Range(first, end - 1);
      if (!*stored) {
        report_.problems.push_back(node + ": missing (proofs through it cannot be made)");
      } else if (**stored != h) {
        report_.problems.push_back(node +
                                   ": differs from the hash recomputed from its entries (proofs "
                                   "through it would not verify)");
      }
    });
    if (!failed) return failed;
    ++next_;
    if (sizes_.contains(next_)) roots_[next_] = range_.Root();
    return {};
  }

  TransparencyLog& log_;
  const std::set<uint64_t>& sizes_;
  CheckReport& report_;
  CompactRange range_;
  uint64_t next_ = 0;
  std::set<uint64_t> bad_;
  std::map<uint64_t, Hash> roots_;
};

}  // namespace

Result<CheckReport> CheckLog(TransparencyLog& log, const KeyLookup& keys,
                             std::span<const SignedTreeHead> external,
                             const std::filesystem::path& tsa_ca_file) {
  CheckReport report;
  auto heads = log.TreeHeads();
  if (!heads) return std::unexpected(heads.error());
  report.tree_heads = heads->size();
  std::set<uint64_t> sizes;
  for (const auto& h : *heads) sizes.insert(h.head.tree_size);
  for (const auto& h : external) sizes.insert(h.head.tree_size);

  Recompute tree(log, sizes, report);
  if (auto r = tree.Run(); !r) return std::unexpected(r.error());

  // The largest size at which a head matched the entries, and the range
  // in which the first mismatching head places a rewrite that kept the
  // stored hashes in step (later heads only repeat it).
  uint64_t last_good = 0;
  std::optional<std::string> culprit;
  // Whether the head's root matches the entries (its signature is reported
  // on its own).
  auto check_head = [&](const SignedTreeHead& sth, bool is_external) -> bool {
    const std::string label = Label(sth, is_external);
    auto key = keys(sth.key_id);
    if (!key) {
      report.problems.push_back(label + ": " + key.error().message);
    } else if (auto v = VerifyTreeHead(sth, *key); !v) {
      report.problems.push_back(label + ": " + v.error().message);
    }
    const uint64_t size = sth.head.tree_size;
    if (size > tree.size()) {
      report.problems.push_back(
          label + ": covers " + std::to_string(size) + " entries but the log holds " +
          std::to_string(tree.size()) + ": " + Range(tree.size(), size - 1) +
          (size - tree.size() == 1 ? " was" : " were") + " removed after it was signed");
      return false;
    }
    if (tree.RootAt(size) == sth.head.root_hash) {
      if (!is_external) last_good = std::max(last_good, size);
      return true;
    }
    std::string why;
    if (auto bad = tree.bad().begin(); bad != tree.bad().end() && *bad < size) {
      why = "entry " + std::to_string(*bad) + " is not what was signed";
    } else {
      if (!culprit) {
        const uint64_t first = std::min(last_good, size - 1);
        culprit = size - first == 1
                      ? Range(first, first) + " differs from what was signed"
                      : Range(first, size - 1) + ": one of them differs from what was signed";
      }
      why = *culprit;
    }
    report.problems.push_back(label + ": its root hash does not match " +
                              (size == 0 ? std::string("the empty log") : Range(0, size - 1)) +
                              " (" + why + ")");
    return false;
  };

  const SignedTreeHead* previous = nullptr;
  bool previous_ok = false;
  for (const auto& sth : *heads) {
    const bool ok = check_head(sth, false);
    if (previous != nullptr) {
      if (sth.head.timestamp_ms < previous->head.timestamp_ms) {
        report.problems.push_back(Label(sth, false) + ": dated before " + Label(*previous, false));
      }
      // Two heads that match the entries are consistent by construction;
      // what this adds is that the stored nodes prove it, as they must
      // for anyone who asks. A head already found wrong would only be
      // repeated here.
      if (ok && previous_ok) {
        auto proof = log.ConsistencyProof(previous->head.tree_size, sth.head.tree_size);
        Result<void> v =
            proof ? VerifyConsistency(previous->head.tree_size, sth.head.tree_size,
                                      previous->head.root_hash, sth.head.root_hash, *proof)
                  : Result<void>(std::unexpected(proof.error()));
        if (!v) {
          report.problems.push_back(Label(*previous, false) + " and " + Label(sth, false) +
                                    " are not consistent: " + v.error().message);
        }
      }
    }
    previous = &sth;
    previous_ok = ok;
  }
  for (const auto& sth : external) check_head(sth, true);

  auto stamps = log.Timestamps();
  if (!stamps) return std::unexpected(stamps.error());
  report.timestamps = stamps->size();
  std::map<uint64_t, const SignedTreeHead*> by_size;
  for (const auto& sth : *heads) by_size[sth.head.tree_size] = &sth;
  for (const auto& stamp : *stamps) {
    const std::string label =
        "the time-stamp of the tree head of size " + std::to_string(stamp.tree_size);
    const auto it = by_size.find(stamp.tree_size);
    if (it == by_size.end()) {
      report.problems.push_back(label + ": its tree head is missing");
      continue;
    }
    auto at = VerifyTimestampToken(stamp.token, TimestampImprint(it->second->head), tsa_ca_file);
    if (!at) {
      report.problems.push_back(label + ": " + at.error().message);
    } else if (*at != stamp.gen_time_ms) {
      report.problems.push_back(label + ": the time kept beside it is not the token's");
    }
  }
  return report;
}

}  // namespace cf::ledger
