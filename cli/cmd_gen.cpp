// `tunggal gen`: writes a synthetic population (gallery + probe set with ground truth) as ISO/IEC
// 19794-2 records, a face matrix and a manifest (layout in datasets/population_writer.h), streaming
// with progress on stderr. `tunggal gen --stats` instead compares the model's statistics with real
// FVC sets (docs/population.md).
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "cli/command_registry.h"
#include "datasets/population.h"
#include "datasets/population_stats.h"
#include "datasets/population_writer.h"

namespace tunggal::cli {
namespace {

struct GenArgs {
  datasets::PopulationConfig config;
  std::uint64_t identities = 0;
  std::uint64_t probes = 0;
  double mated_rate = 0.1;
  std::uint64_t probe_seed = 0;  // 0: the population seed
  std::string out;
  bool stats = false;
  std::string fvc_dir;
  int stats_fingers = 200;
};

int run_gen(const GenArgs& a) {
  if (a.identities == 0 || a.out.empty()) {
    std::cerr << "tunggal gen: --identities N (N > 0) and --out DIR are required (or use --stats)\n";
    return kExitUsage;
  }
  const datasets::Population pop(a.config);
  datasets::PopulationWriteOptions o;
  o.out = a.out;
  o.identities = a.identities;
  o.probes = a.probes;
  o.mated_rate = a.mated_rate;
  o.probe_seed = a.probe_seed ? a.probe_seed : a.config.seed;
  const auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
  o.progress = [&](std::uint64_t done, std::uint64_t total) {
    std::fprintf(stderr, "\rgen: %llu / %llu enrollments (%.0f/s)%s", static_cast<unsigned long long>(done),
                 static_cast<unsigned long long>(total), done / std::max(elapsed(), 1e-9), done == total ? "\n" : "");
  };
  auto s = datasets::write_population(pop, o);
  if (!s) {
    std::cerr << "\ntunggal gen: " << s.error().to_string() << "\n";
    return s.error().code() == ErrorCode::kAlreadyExists ? kExitUsage : kExitFailure;
  }
  std::printf("wrote %llu gallery + %llu probe enrollments (%llu mated) to %s in %.1f s\n",
              static_cast<unsigned long long>(s->gallery), static_cast<unsigned long long>(s->probes),
              static_cast<unsigned long long>(s->mated), a.out.c_str(), elapsed());
  std::printf("%llu finger views, %.1f minutiae per view, %.1f MB of ISO/IEC 19794-2 records\n",
              static_cast<unsigned long long>(s->fingers), s->fingers ? double(s->minutiae) / s->fingers : 0.0,
              s->record_bytes / 1e6);
  return kExitOk;
}

int run_stats(const GenArgs& a) {
  datasets::PopulationStatsOptions o;
  o.fvc_dir = a.fvc_dir;
  o.generated_fingers = a.stats_fingers;
  auto r = datasets::population_stats(datasets::Population(a.config), o);
  if (!r) {
    std::cerr << "tunggal gen --stats: " << r.error().to_string() << "\n";
    return r.error().code() == ErrorCode::kNotFound ? kExitUnavailable : kExitFailure;
  }
  std::cout << datasets::format_population_stats(*r);
  return kExitOk;
}

RegisterCommand reg{{"gen", "generate a synthetic population (ISO records, faces, manifest, probe truth)",
                     [](CLI::App& cmd) {
                       auto a = std::make_shared<GenArgs>();
                       cmd.add_option("--identities", a->identities, "gallery size: capture 0 of identities 0..N-1");
                       cmd.add_option("--seed", a->config.seed, "population seed (same seed, same population)")
                           ->capture_default_str();
                       cmd.add_option("--out", a->out, "output folder (must not hold a population yet)");
                       cmd.add_option("--probes", a->probes, "probe enrollments to write after the gallery")
                           ->capture_default_str();
                       cmd.add_option("--mated-rate", a->mated_rate,
                                      "fraction of probes that re-enrol a gallery identity under a new NIK")
                           ->check(CLI::Range(0.0, 1.0))
                           ->capture_default_str();
                       cmd.add_option("--probe-seed", a->probe_seed, "probe set seed (default: --seed)");
                       cmd.add_option("--face-dim", a->config.face_dimension, "face embedding dimension")
                           ->check(CLI::Range(1, 4096))
                           ->capture_default_str();
                       cmd.add_option("--twin-rate", a->config.twin_rate, "fraction of identities with a look-alike")
                           ->check(CLI::Range(0.0, 1.0))
                           ->capture_default_str();
                       cmd.add_option("--missing-finger-rate", a->config.missing_finger_rate,
                                      "fraction of identities lacking 1-3 fingers")
                           ->check(CLI::Range(0.0, 1.0))
                           ->capture_default_str();
                       cmd.add_option("--damaged-rate", a->config.damaged_rate,
                                      "fraction of identities with worn/scarred fingers")
                           ->check(CLI::Range(0.0, 1.0))
                           ->capture_default_str();
                       cmd.add_option("--low-quality-rate", a->config.low_quality_rate,
                                      "fraction of captures of very low quality")
                           ->check(CLI::Range(0.0, 1.0))
                           ->capture_default_str();
                       cmd.add_flag("--stats", a->stats,
                                    "print the model's statistics (minutiae count, nearest-neighbour distance, "
                                    "matcher scores) next to FVC's instead of writing files");
                       cmd.add_option("--fvc-dir", a->fvc_dir, "with --stats: folder of FVC sets (e.g. ../shared/data/fvc2002)");
                       cmd.add_option("--stats-fingers", a->stats_fingers,
                                      "with --stats: generated fingers to sample (8 impressions each, as FVC)")
                           ->check(CLI::Range(10, 100000))
                           ->capture_default_str();
                       return [a]() { return a->stats ? run_stats(*a) : run_gen(*a); };
                     }}};

}  // namespace
}  // namespace tunggal::cli
