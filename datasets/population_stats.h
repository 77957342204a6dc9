#pragma once
// The synthetic population's statistics next to real data's, to keep the model honest
// (docs/population.md, `tunggal gen --stats --fvc-dir ../shared/data/fvc2002`):
//   - minutiae per impression,
//   - nearest-neighbour distance between minutiae of one impression (px at 500 ppi),
//   - MCC matcher scores of genuine pairs (two impressions of one finger) and impostor pairs,
//     with the FVC error rates they imply,
// for every FVC set and for a generated "set" of fingers with 8 captures each, as FVC has.
#include <filesystem>
#include <string>
#include <vector>

#include "core/status.h"
#include "datasets/error_rates.h"
#include "datasets/population.h"

namespace tunggal::datasets {

struct Distribution {
  std::size_t n = 0;
  double mean = 0, p01 = 0, p05 = 0, p10 = 0, p25 = 0, p50 = 0, p90 = 0, p99 = 0, max = 0;
};
Distribution describe(std::vector<float> values);

struct SetStatistics {
  std::string name;
  std::size_t fingers = 0, impressions = 0;
  std::size_t unusable = 0;  // impressions the matcher rejects (too few minutiae): their pairs score 0
  Distribution minutiae;     // per impression
  Distribution nearest;      // nearest-neighbour distance, px at 500 ppi
  Distribution genuine;      // matcher scores
  Distribution impostor;
  ErrorRates rates;
};

struct PopulationStatsOptions {
  std::filesystem::path fvc_dir;   // empty: generated statistics only
  int generated_fingers = 200;     // fingers of the generated set, 8 captures each
  std::size_t generated_impostors = 20000;  // random cross-finger pairs (FVC sets use all 2,880)
};

struct PopulationStatistics {
  std::vector<SetStatistics> fvc;
  SetStatistics generated;
  Distribution face_genuine, face_impostor;  // cosines, capture 0 vs 1 / different identities
};

// Fails (kNotFound) when fvc_dir is given but holds no FVC set.
Expected<PopulationStatistics> population_stats(const Population& population, const PopulationStatsOptions& options);

// A Markdown report: one table per statistic, FVC sets and the generated set side by side.
std::string format_population_stats(const PopulationStatistics& s);

}  // namespace tunggal::datasets
