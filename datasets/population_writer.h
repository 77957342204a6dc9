#pragma once
// Writes a synthetic population (gallery + optional probe set) to a folder, streaming: memory stays
// O(1) in the number of identities. Layout (documented in docs/population.md):
//
//   DIR/manifest.jsonl   one JSON object per enrollment, gallery first (identity order), then probes:
//                        {"id":"gen-1-0-0","role":"gallery","identity":0,"nik":"...","site":"...",
//                         "capture_time_ms":...,"record":"gallery/0000/gen-1-0-0.iso",
//                         "fingers":[1,2,...],"face_row":0}
//                        probes have "role":"probe" and no "identity" (the truth is in truth.csv);
//   DIR/gallery/NNNN/<id>.iso, DIR/probes/NNNN/<id>.iso
//                        one ISO/IEC 19794-2:2005 record per enrollment, one finger view per
//                        captured finger (NNNN = index / 1000, so no folder holds over 1000 files);
//   DIR/faces.npy        float32 array (enrollments x face_dimension), row face_row of the manifest;
//   DIR/truth.csv        probe_id,mated,mate_identity,mate_enrollment (the gallery enrollment id);
//   DIR/population.json  the configuration that regenerates all of it.
#include <cstdint>
#include <filesystem>
#include <functional>

#include "core/status.h"
#include "datasets/population.h"

namespace tunggal::datasets {

struct PopulationWriteOptions {
  std::filesystem::path out;
  std::uint64_t identities = 0;  // gallery: capture 0 of identities [0, identities)
  std::uint64_t probes = 0;
  double mated_rate = 0.1;
  std::uint64_t probe_seed = 1;
  // Called every few thousand enrollments and at the end: (written, total).
  std::function<void(std::uint64_t, std::uint64_t)> progress;
};

struct PopulationWriteSummary {
  std::uint64_t gallery = 0, probes = 0, mated = 0;
  std::uint64_t fingers = 0, minutiae = 0;
  std::uint64_t record_bytes = 0;
};

// Fails (kAlreadyExists) when `out` already holds a manifest.jsonl, (kIoError) when a file cannot be
// written, naming the path.
Expected<PopulationWriteSummary> write_population(const Population& population, const PopulationWriteOptions& options);

}  // namespace tunggal::datasets
