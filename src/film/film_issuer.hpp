// SPDX-License-Identifier: Apache-2.0
// Issues films: builds the manifest of an exam (every stored object and
// every report version by its hash, the patient's minimal fields, the
// retention), signs it with the hospital's key (Ed25519, or SM2 for the
// national suite), appends the issuance to the transparency log, and keeps
// the film. Also answers the public question "is this film what the
// hospital issued, and when?". Thread-safe (issuances are serialized:
// each is one log entry); calls block.
#pragma once

#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "archive/archive.hpp"
#include "crypto/signing.hpp"
#include "crypto/signing_key_store.hpp"
#include "film/film.hpp"
#include "film/film_store.hpp"
#include "film/report_store.hpp"
#include "film/retention.hpp"
#include "ledger/transparency_log.hpp"

namespace cf::film {

struct IssuerOptions {
  // Each hospital's signature suite and service tier (5, 10, 15 or 30
  // years of keeping from the exam date); defaults when unset.
  std::function<crypto::SignatureSuite(std::string_view tenant)> suite_of;
  std::function<int(std::string_view tenant)> service_tier_years;
  // The patient's last visits, for the legal retention minimum
  // (retention.hpp); unset: none known.
  std::function<Result<LastVisits>(std::string_view tenant, std::string_view patient_id,
                                   std::string_view issuer_of_patient_id)>
      last_visits;
  std::function<int64_t()> now_ms;  // tests fix it
};

// What anyone may learn of a film by its id: no patient data.
struct FilmVerification {
  std::string film_id;
  std::string tenant;
  std::string study_uid;
  int64_t issued_at_ms = 0;
  std::string manifest_sha256;
  std::string suite;
  std::string key_id;
  std::string public_key_pem;
  bool signature_valid = false;
  bool in_log = false;  // the log entry matches and its inclusion proof verifies
  uint64_t ledger_index = 0;
  ledger::SignedTreeHead tree_head;
  // The TSA's RFC 3161 stamp of `tree_head`, when a TSA is configured and
  // has stamped a head that covers the film.
  std::optional<ledger::TreeHeadTimestamp> tree_head_timestamp;
  std::vector<ledger::Hash> inclusion_proof;
  std::string superseded_by;  // a later film of the same exam, if any
};

class FilmIssuer {
 public:
  // Borrows everything; all must outlive the issuer.
  FilmIssuer(archive::Archive& archive, ReportStore& reports, FilmStore& films,
             ledger::TransparencyLog& log, crypto::SigningKeyStore& keys, IssuerOptions options);

  // Issues a film of the exam `study_uid` of `tenant`. When nothing changed
  // since the exam's latest film (same objects, same report versions), that
  // film is returned and nothing is issued. kNotFound for an exam with no
  // stored object.
  Result<Film> Issue(const std::string& tenant, std::string_view study_uid,
                     const std::string& issued_by);

  // After a report version is filed: a signed (final or amended) report
  // of an exam whose images are in issues its film. Failures are logged.
  void OnReportFiled(const Report& report, const std::string& issued_by);

  // How long the exam is kept, from the visits known now (a later visit
  // extends it beyond what an earlier film states). kNotFound outside
  // `scope`.
  Result<Retention> RetentionOf(const catalog::Scope& scope, std::string_view study_uid);

  // Checks `film` (as FilmStore gave it) against its key and the log.
  Result<FilmVerification> Verify(const Film& film);

 private:
  archive::Archive& archive_;
  ReportStore& reports_;
  FilmStore& films_;
  ledger::TransparencyLog& log_;
  crypto::SigningKeyStore& keys_;
  IssuerOptions options_;
  std::mutex mutex_;
};

// A retention as films and the API state it (JSON).
nlohmann::json RetentionJson(const Retention& retention);

// The log entry of an issuance: canonical JSON without patient data.
std::string IssuanceEntry(const Film& film);

}  // namespace cf::film
