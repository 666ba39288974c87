// SPDX-License-Identifier: Apache-2.0
// Issued films, kept in DATA/films.sqlite (encrypted like the other
// databases: manifests name the patient). Append-only: the database refuses
// updates and deletes. Thread-safe; calls block.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "catalog/scope.hpp"
#include "core/error.hpp"
#include "film/film.hpp"

namespace cf::film {

class FilmStore {
 public:
  static Result<std::unique_ptr<FilmStore>> Open(const std::filesystem::path& path,
                                                 const std::string& vfs);
  ~FilmStore();
  FilmStore(const FilmStore&) = delete;
  FilmStore& operator=(const FilmStore&) = delete;

  Result<void> Add(const Film& film);
  // kNotFound outside `scope`.
  Result<Film> Get(const catalog::Scope& scope, std::string_view id);
  // Any tenant: for the public verification page, which shows no patient data.
  Result<Film> GetAnyTenant(std::string_view id);
  // The films of an exam, oldest first.
  Result<std::vector<Film>> ForStudy(const catalog::Scope& scope, std::string_view study_uid);

 private:
  struct Impl;
  explicit FilmStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace cf::film
