// SPDX-License-Identifier: Apache-2.0
#include "http/film_share.hpp"

#include "film/film_store.hpp"

namespace cf::http {
namespace {

// Every exam of the patient of `study` at its hospital.
Result<std::vector<std::string>> PatientStudies(archive::Archive& archive,
                                                const catalog::Scope& scope,
                                                const catalog::StudyRecord& study) {
  catalog::StudyQuery query{scope};
  query.patient_id = study.patient_id;
  query.limit = 1000;
  auto found = archive.FindStudies(query);
  if (!found) return std::unexpected(found.error());
  std::vector<std::string> uids;
  for (const auto& s : found->items) {
    // Patient identity is (tenant, issuer, ID): the same ID from another
    // issuer is another person.
    if (s.tenant == study.tenant && s.patient_id == study.patient_id &&
        s.issuer_of_patient_id == study.issuer_of_patient_id) {
      uids.push_back(s.study_instance_uid);
    }
  }
  return uids;
}

}  // namespace

Result<std::vector<std::string>> PatientStudiesNow(archive::Archive& archive,
                                                   const access::ShareInfo& share) {
  if (share.study_uids.empty()) return std::vector<std::string>();
  const catalog::Scope own = catalog::Scope::Of(share.tenant);
  auto study = archive.GetStudy(own, share.study_uids.front());
  if (!study) return std::unexpected(study.error());
  return PatientStudies(archive, own, *study);
}

Result<access::IssuedShare> ShareFilm(archive::Archive& archive, film::FilmStore& films,
                                      access::Access& access, const access::Principal& by,
                                      const catalog::Scope& scope,
                                      const FilmShareRequest& request) {
  auto film = films.Get(scope, request.film_id);
  if (!film) return std::unexpected(film.error());
  // The film's hospital from here on: its exam's UID may be another
  // hospital's too when `scope` is every hospital (the operator).
  const catalog::Scope own = scope.all() ? catalog::Scope::Of(film->tenant) : scope;
  auto study = archive.GetStudy(own, film->study_uid);
  if (!study) return std::unexpected(study.error());
  access::NewShare share;
  share.tenant = film->tenant;
  share.film_id = film->id;
  share.factor = access.ShareFactorOf(film->tenant);
  share.recipient = request.recipient;
  share.not_before_ms = request.not_before_ms;
  share.expires_ms = request.expires_ms;
  if (request.patient_scope) {
    share.scope = access::ShareScope::kPatient;
    auto uids = PatientStudies(archive, own, *study);
    if (!uids) return std::unexpected(uids.error());
    share.study_uids = std::move(*uids);
  } else {
    share.study_uids = {film->study_uid};
  }
  switch (share.factor) {
    case access::ShareFactor::kBirthDate:
      // The catalog has it from the images; the hospital types nothing.
      if (study->patient_birth_date.empty()) {
        return Fail(ErrorCode::kConflict,
                    "the study has no Patient's Birth Date, which this hospital's shares ask");
      }
      share.factor_value = study->patient_birth_date;
      break;
    case access::ShareFactor::kPhoneLast4:
      share.factor_value = request.phone;
      break;
    case access::ShareFactor::kIdLast4:
      share.factor_value = request.id_number;
      break;
    default:
      break;
  }
  return access.CreateShare(by, share);
}

std::string ShareUrl(std::string_view base, std::string_view token) {
  std::string url(base);
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url + "/s/" + std::string(token);
}

}  // namespace cf::http
