// SPDX-License-Identifier: Apache-2.0
#include "film/film_issuer.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>

#include "core/log.hpp"
#include "core/time_text.hpp"
#include "crypto/random.hpp"
#include "crypto/sha256.hpp"
#include "ledger/merkle.hpp"

namespace cf::film {
namespace {

using nlohmann::json;

constexpr int kDefaultTierYears = 15;

std::string Canonical(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string DateOf(int64_t ms) { return FormatUtc(ms, "%Y%m%d"); }

// Counted from the exam date; from today for an exam without one.
Result<Retention> RetentionOfStudy(const catalog::StudyRecord& study, int tier_years,
                                   const IssuerOptions& options, int64_t now_ms) {
  LastVisits visits;
  if (options.last_visits) {
    auto known = options.last_visits(study.tenant, study.patient_id, study.issuer_of_patient_id);
    if (!known) return std::unexpected(known.error());
    visits = std::move(*known);
  }
  return ComputeRetention(study.study_date.empty() ? DateOf(now_ms) : study.study_date, tier_years,
                          visits);
}

}  // namespace

json RetentionJson(const Retention& r) {
  return {{"service_tier_years", r.service_tier_years},
          {"service_tier_until", r.service_tier_until},
          {"legal_minimum_until",
           r.legal_minimum_until.empty() ? json(nullptr) : json(r.legal_minimum_until)},
          {"retain_until", r.retain_until},
          {"decided_by", r.decided_by},
          {"rule", r.rule}};
}

namespace {

// The exam as a film states it; everything but the issuance itself (id,
// time, predecessor), so that two states of an exam compare equal when
// nothing changed.
Result<json> ExamContent(archive::Archive& archive, ReportStore& reports, const std::string& tenant,
                         std::string_view study_uid, int tier_years, const IssuerOptions& options,
                         int64_t now_ms) {
  const catalog::Scope scope = catalog::Scope::Of(tenant);
  auto study = archive.GetStudy(scope, study_uid);
  if (!study) return std::unexpected(study.error());
  auto series = archive.ListSeries(scope, study_uid);
  if (!series) return std::unexpected(series.error());
  json objects = json::array();
  for (const auto& one : *series) {
    auto instances = archive.ListInstances(scope, one.series_instance_uid);
    if (!instances) return std::unexpected(instances.error());
    for (const auto& i : *instances) {
      objects.push_back({{"series_uid", i.series_instance_uid},
                         {"sop_uid", i.sop_instance_uid},
                         {"sop_class", i.sop_class_uid},
                         {"version", i.version},
                         {"sha256", i.sha256_hex},
                         {"size", i.size}});
    }
  }
  if (objects.empty()) return Fail(ErrorCode::kNotFound, "the exam has no stored object");
  json report_list = json::array();
  ReportQuery query{scope};
  query.study_uid = std::string(study_uid);
  auto found = reports.Find(query);
  if (!found) return std::unexpected(found.error());
  for (const auto& r : *found) {
    for (const auto& v : r.versions) {
      report_list.push_back({{"report_id", r.id},
                             {"kind", KindName(r.kind)},
                             {"version", v.version},
                             {"status", StatusName(v.content.status)},
                             {"sha256", v.sha256_hex},
                             {"signer", v.content.signer},
                             {"signed_at_ms", v.content.signed_at_ms}});
    }
  }
  auto retention = RetentionOfStudy(*study, tier_years, options, now_ms);
  if (!retention) return std::unexpected(retention.error());
  return json{
      {"exam",
       {{"study_uid", study->study_instance_uid},
        {"accession", study->accession_number},
        {"study_date", study->study_date},
        {"modalities", study->modalities},
        {"description", study->study_description}}},
      {"patient",
       {{"id", study->patient_id},
        {"issuer", study->issuer_of_patient_id},
        {"name", study->patient_name},
        {"birth_date", study->patient_birth_date},
        {"sex", study->patient_sex}}},
      {"objects", std::move(objects)},
      {"reports", std::move(report_list)},
      {"retention", RetentionJson(*retention)},
  };
}

}  // namespace

std::string IssuanceEntry(const Film& f) {
  return Canonical({{"type", "film-issued"},
                    {"film_id", f.id},
                    {"tenant", f.tenant},
                    {"manifest_sha256", f.manifest_sha256},
                    {"key_id", f.key_id},
                    {"issued_at_ms", f.issued_at_ms},
                    {"supersedes", f.supersedes}});
}

FilmIssuer::FilmIssuer(archive::Archive& archive, ReportStore& reports, FilmStore& films,
                       ledger::TransparencyLog& log, crypto::SigningKeyStore& keys,
                       IssuerOptions options)
    : archive_(archive),
      reports_(reports),
      films_(films),
      log_(log),
      keys_(keys),
      options_(std::move(options)) {
  if (!options_.now_ms) options_.now_ms = UnixNowMs;
}

Result<Film> FilmIssuer::Issue(const std::string& tenant, std::string_view study_uid,
                               const std::string& issued_by) {
  std::lock_guard lock(mutex_);
  const int64_t now = options_.now_ms();
  const int tier =
      options_.service_tier_years ? options_.service_tier_years(tenant) : kDefaultTierYears;
  auto content = ExamContent(archive_, reports_, tenant, study_uid, tier, options_, now);
  if (!content) return std::unexpected(content.error());
  auto earlier = films_.ForStudy(catalog::Scope::Of(tenant), study_uid);
  if (!earlier) return std::unexpected(earlier.error());
  std::string supersedes;
  if (!earlier->empty()) {
    const Film& latest = earlier->back();
    const json previous = json::parse(latest.manifest, nullptr, false);
    if (!previous.is_discarded() && previous.value("content", json()) == *content) {
      return latest;  // nothing changed: the film stands
    }
    supersedes = latest.id;
  }
  const auto suite =
      options_.suite_of ? options_.suite_of(tenant) : crypto::SignatureSuite::kEd25519;
  auto key = keys_.Active(tenant, suite);
  if (!key) return std::unexpected(key.error());

  Film film;
  film.id = crypto::RandomHex(16);
  film.tenant = tenant;
  film.study_uid = std::string(study_uid);
  film.issued_at_ms = now;
  film.issued_by = issued_by;
  film.supersedes = supersedes;
  film.manifest = Canonical({{"format", "cloudfilm-film/1"},
                             {"film_id", film.id},
                             {"tenant", tenant},
                             {"issued_at_ms", now},
                             {"supersedes", supersedes},
                             {"signature_suite", crypto::SuiteName(suite)},
                             {"signing_key_id", (*key)->key_id()},
                             {"content", std::move(*content)}});
  film.manifest_sha256 = crypto::ToHex(crypto::Sha256(AsBytes(film.manifest)));
  film.suite = std::string(crypto::SuiteName(suite));
  film.key_id = (*key)->key_id();
  auto signature = (*key)->Sign(AsBytes(film.manifest));
  if (!signature) return std::unexpected(signature.error());
  film.signature = std::move(*signature);
  // The log first: a film that is kept is always in the log. An entry
  // whose film could not be kept names a film nobody can show, which the
  // log check tolerates (it proves only what was issued).
  const std::string entry = IssuanceEntry(film);
  auto index = log_.Append(AsBytes(entry));
  if (!index) return std::unexpected(index.error());
  film.ledger_index = *index;
  if (auto head = log_.TreeHead(); !head) return std::unexpected(head.error());
  if (auto added = films_.Add(film); !added) return std::unexpected(added.error());
  log::Info("film.issued", {{"tenant", tenant},
                            {"ledger_index", film.ledger_index},
                            {"superseding", supersedes.empty() ? "no" : "yes"}});
  return film;
}

void FilmIssuer::OnReportFiled(const Report& report, const std::string& issued_by) {
  if (report.versions.empty() || report.study_uid.empty()) return;
  if (report.versions.back().content.status == ReportStatus::kPreliminary) return;
  auto film = Issue(report.tenant, report.study_uid, issued_by);
  if (!film && film.error().code != ErrorCode::kNotFound) {
    log::Warn("film.not_issued", {{"tenant", report.tenant}, {"error", film.error().message}});
  }
}

Result<Retention> FilmIssuer::RetentionOf(const catalog::Scope& scope, std::string_view study_uid) {
  auto study = archive_.GetStudy(scope, study_uid);
  if (!study) return std::unexpected(study.error());
  const int tier =
      options_.service_tier_years ? options_.service_tier_years(study->tenant) : kDefaultTierYears;
  return RetentionOfStudy(*study, tier, options_, options_.now_ms());
}

Result<FilmVerification> FilmIssuer::Verify(const Film& film) {
  FilmVerification v;
  v.film_id = film.id;
  v.tenant = film.tenant;
  v.study_uid = film.study_uid;
  v.issued_at_ms = film.issued_at_ms;
  v.manifest_sha256 = film.manifest_sha256;
  v.suite = film.suite;
  v.key_id = film.key_id;
  v.ledger_index = film.ledger_index;
  auto key = keys_.Find(film.key_id);
  if (!key) return std::unexpected(key.error());
  v.public_key_pem = (*key)->public_key().ToPem();
  v.signature_valid =
      crypto::ToHex(crypto::Sha256(AsBytes(film.manifest))) == film.manifest_sha256 &&
      (*key)->public_key().Verify(AsBytes(film.manifest), film.signature).has_value();
  auto proving = ledger::HeadCovering(log_, film.ledger_index);
  if (!proving) return std::unexpected(proving.error());
  v.tree_head = std::move(proving->head);
  v.tree_head_timestamp = std::move(proving->stamp);
  const ledger::SignedTreeHead* head = &v.tree_head;
  auto entry = log_.Entry(film.ledger_index);
  if (entry && AsChars(*entry) == IssuanceEntry(film)) {
    auto proof = log_.InclusionProof(film.ledger_index, head->head.tree_size);
    if (proof) {
      v.inclusion_proof = *proof;
      v.in_log = ledger::VerifyInclusion(film.ledger_index, head->head.tree_size,
                                         ledger::LeafHash(*entry), *proof, head->head.root_hash)
                     .has_value();
    }
  }
  auto later = films_.ForStudy(catalog::Scope::Of(film.tenant), film.study_uid);
  if (later && !later->empty() && later->back().id != film.id) v.superseded_by = later->back().id;
  return v;
}

}  // namespace cf::film
