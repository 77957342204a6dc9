#pragma once
// Shared by the engine tests and the crash worker: a small calibrated engine on a generated
// population in a fresh temporary directory.
#include <cstdlib>
#include <filesystem>
#include <string>
#include <unistd.h>

#include "datasets/population.h"
#include "datasets/population_calibration.h"
#include "engine/engine.h"
#include "engine/store.h"
#include "matcher/finger_matcher.h"

namespace tunggal::testing {

inline std::filesystem::path make_temp_dir(const std::string& tag) {
  std::string tmpl = (std::filesystem::temp_directory_path() / ("tunggal-" + tag + "-XXXXXX")).string();
  if (!mkdtemp(tmpl.data())) std::abort();
  return tmpl;
}

// Calibrated once per process (about a second): seed 777, disjoint from the test populations.
inline const FusionModel& test_fusion_model() {
  static const FusionModel model = [] {
    datasets::PopulationConfig c;
    c.seed = 777;
    datasets::CalibrationOptions o;
    o.identities = 80;
    o.worn_identities = 80;
    auto m = datasets::calibrate_fusion(datasets::Population(c), matcher::FingerMatcher{}, o);
    if (!m) std::abort();
    return *m;
  }();
  return model;
}

inline EngineOptions test_engine_options(const std::filesystem::path& dir) {
  EngineOptions o;
  o.data_dir = dir;
  o.shards = 2;
  o.max_batch = 16;
  return o;
}

// Enrollment `k` of identity `i` under a fresh enrollment id (and NIK, as a fraudster would).
inline Enrollment capture_as(const datasets::Population& pop, std::uint64_t i, int k, const std::string& id) {
  Enrollment e = pop.capture(i, k);
  e.id = EnrollmentId{id};
  return e;
}

// What a kill -9 of the engine serving `data_dir` would leave at this moment, copied to `image`
// (replaced if it exists): the store checkpointed and the index snapshots as they are on disk,
// both under the engine's decide lock (Engine::with_store). A snapshot save no longer holds that
// lock while it renames files, so call this when no save is running (after it returned).
inline Status take_crash_image(Engine& engine, const std::filesystem::path& data_dir,
                               const std::filesystem::path& image) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::remove_all(image, ec);
  fs::create_directories(image, ec);
  if (ec) return io_error("cannot create " + image.string() + ": " + ec.message());
  return engine.with_store([&](engine::Store& store) -> Status {
    if (Status s = store.checkpoint(image / "store"); !s) return s;
    fs::copy(data_dir / "index", image / "index", fs::copy_options::recursive, ec);
    return ec ? io_error(ec.message()) : Status::ok();
  });
}

}  // namespace tunggal::testing
