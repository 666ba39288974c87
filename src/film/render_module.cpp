// SPDX-License-Identifier: Apache-2.0
#include "film/render_module.hpp"

#include <dlfcn.h>

#include <filesystem>
#include <string>
#include <vector>

#include "core/log.hpp"
#include "film/film_sheet.hpp"
#include "film/report_pdf.hpp"

namespace cf::film {
namespace {

// Next to the binary (the build tree, an installed bin/), in ../lib/cloudfilm
// (an installed layout), then where this build put it (unit tests, whose
// binaries live elsewhere, and a binary copied out of the build tree).
std::vector<std::filesystem::path> Candidates() {
  std::vector<std::filesystem::path> paths;
  std::error_code ec;
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    paths.push_back(exe.parent_path() / kRenderModuleFile);
    paths.push_back(exe.parent_path().parent_path() / "lib" / "cloudfilm" / kRenderModuleFile);
  }
  paths.emplace_back(CF_RENDER_MODULE_PATH);
  return paths;
}

Result<const RenderApi*> Load() {
  for (const auto& path : Candidates()) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) continue;
    // Never closed: the module's fontconfig and glib state lives as long
    // as the process.
    void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
      const char* why = dlerror();
      log::Error("film.render_module_unloadable",
                 {{"path", path.string()}, {"error", why ? why : "?"}});
      return Fail(ErrorCode::kInternal,
                  std::string("printing: the render module cannot be loaded (") +
                      kRenderModuleFile + "; see the server log)");
    }
    using Entry = const RenderApi* (*)();
    auto entry = reinterpret_cast<Entry>(dlsym(handle, kRenderEntry));
    const RenderApi* api = entry ? entry() : nullptr;
    if (api == nullptr || api->abi != kRenderAbi || api->types_stamp != kRenderTypesStamp ||
        api->report_pdf == nullptr || api->film_sheet_pdf == nullptr) {
      log::Error("film.render_module_mismatch", {{"path", path.string()}});
      return Fail(ErrorCode::kInternal, std::string("printing: ") + kRenderModuleFile +
                                            " was not built with this cloudfilm binary");
    }
    log::Info("film.render_module_loaded", {{"path", path.string()}});
    return api;
  }
  log::Error("film.render_module_missing", {{"file", kRenderModuleFile}});
  return Fail(ErrorCode::kInternal, std::string("printing: the render module ") +
                                        kRenderModuleFile +
                                        " is not installed next to the cloudfilm binary");
}

}  // namespace

Result<const RenderApi*> LoadRenderModule() {
  static const Result<const RenderApi*> loaded = Load();
  return loaded;
}

Result<Bytes> RenderReportPdf(const Report& report, const ReportVersion& version,
                              const PrintHeader& header) {
  auto api = LoadRenderModule();
  if (!api) return std::unexpected(api.error());
  return (*api)->report_pdf(report, version, header);
}

Result<Bytes> RenderFilmSheetPdf(const FilmSheetContent& sheet) {
  auto api = LoadRenderModule();
  if (!api) return std::unexpected(api.error());
  return (*api)->film_sheet_pdf(sheet);
}

}  // namespace cf::film
