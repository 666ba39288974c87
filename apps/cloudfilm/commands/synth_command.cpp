// SPDX-License-Identifier: Apache-2.0
// `cloudfilm synth OUT_DIR`: realistic synthetic studies for tests, demos
// and benchmarks, deterministic from --seed.
#include <unistd.h>

#include <cstdio>
#include <sstream>

#include "commands.hpp"
#include "dicom/synth/synth.hpp"

namespace cf::app {
namespace {

struct SynthArgs {
  std::string out;
  dicom::SynthOptions options;
  std::string modalities = "CT";
};

int RunSynth(const SynthArgs& args) {
  dicom::SynthOptions options = args.options;
  options.modalities.clear();
  std::stringstream list(args.modalities);
  for (std::string item; std::getline(list, item, ',');) {
    auto m = dicom::ParseSynthModality(item);
    if (!m) return ReportError(m.error());
    options.modalities.push_back(*m);
  }
  const bool tty = ::isatty(STDERR_FILENO) == 1;
  auto summary = dicom::WriteSynthStudies(options, args.out, [tty](int64_t done, int64_t total) {
    if (tty && (done % 10 == 0 || done == total)) {
      std::fprintf(stderr, "\rsynth: %lld/%lld", static_cast<long long>(done),
                   static_cast<long long>(total));
      if (done == total) std::fputc('\n', stderr);
    }
  });
  if (!summary) return ReportError(summary.error());
  std::printf("files: %lld\nstudies: %lld\nbytes: %llu\nmanifest: %s/manifest.tsv\n",
              static_cast<long long>(summary->files), static_cast<long long>(summary->studies),
              static_cast<unsigned long long>(summary->bytes), args.out.c_str());
  return 0;
}

}  // namespace

void RegisterSynth(CLI::App& app, Runner& run) {
  CLI::App* sub = app.add_subcommand("synth", "write synthetic studies (CT, MR, CR, DX, US)");
  auto args = std::make_shared<SynthArgs>();
  auto& o = args->options;
  sub->add_option("out", args->out, "output folder (created; must be empty)")->required();
  sub->add_option("--seed", o.seed, "random seed; same seed and options, same bytes")
      ->capture_default_str();
  sub->add_option("--patients", o.patients, "number of patients")->capture_default_str();
  sub->add_option("--studies", o.studies_per_patient, "studies per patient")->capture_default_str();
  sub->add_option("--series", o.series_per_study, "series per study")->capture_default_str();
  sub->add_option("--instances", o.instances_per_series, "instances per series")
      ->capture_default_str();
  sub->add_option("--modalities", args->modalities,
                  "comma-separated, cycled over studies: CT,MR,CR,DX,US")
      ->capture_default_str();
  sub->add_option("--charset", o.charset, "utf8, gb18030, latin1, ascii or mixed")
      ->capture_default_str();
  sub->add_option("--transfer-syntax", o.transfer_syntax, "explicit-le or implicit-le")
      ->capture_default_str();
  sub->add_option("--ct-size", o.ct_size, "CT rows and columns")->capture_default_str();
  sub->add_option("--us-frames", o.us_frames, "frames per ultrasound clip")->capture_default_str();
  sub->add_option("--threads", o.threads, "worker threads (output does not depend on it)")
      ->capture_default_str();
  sub->callback([&run, args] { run = [args](const Config&) { return RunSynth(*args); }; });
}

}  // namespace cf::app
