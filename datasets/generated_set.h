#pragma once
// An FVC-shaped set cut from the synthetic population (datasets/population.h), so that matcher
// changes tuned on FVC2002 can be checked on data they were not tuned on, with the same protocol
// and the same command (tunggal eval fvc --generated N).
#include <cstdint>

#include "datasets/fvc_set.h"
#include "datasets/population.h"

namespace tunggal::datasets {

struct GeneratedSetOptions {
  std::uint64_t seed = 11;
  int identities = 60;   // identities 0..identities-1
  int captures = 4;      // captures 0..captures-1 of each: the "impressions"
  int fingers = 2;       // the first `fingers` captured positions of each identity's capture 0
};

// Finger id = identity * 16 + ISO position, impression = capture + 1; name "generated-s<seed>".
// A finger missing from some capture simply has fewer impressions.
FvcSet generated_fvc_set(const GeneratedSetOptions& options);

}  // namespace tunggal::datasets
