// What index snapshots cost, to choose how often `tunggal serve` saves them while running
// (--snapshot-every-changes, docs/engine.md "Snapshots while serving"):
//
//   BM_Snapshot      one Engine::snapshot() at a gallery of TUNGGAL_BENCH_SUBJECTS (default
//                    20,000): save_s the whole save, lock_hold_s the part of it holding the
//                    engine's decide lock (each index copied into memory; no verdict is decided
//                    meanwhile), longest_hold_s the longest of those holds, and
//                    longest_wait_s the longest another thread waited for the decide lock during
//                    the save (Engine::with_store in a loop: what a verdict would see).
//                    save_cpu_s: the saving thread's CPU. copy_MB: the largest index copy, the
//                    save's transient memory.
//   BM_ReplayAtOpen  what a crash costs the next open per change committed after the last
//                    snapshot: a crash image with TUNGGAL_BENCH_REPLAY (default 2,000) new subjects
//                    after its snapshot against the same gallery with none, both opened read-only;
//                    wall and process CPU time of the difference.
//
//   TUNGGAL_BENCH_SUBJECTS=100000 build/bench/snapshot_bench --benchmark_counters_tabular=true
//
// The gallery is imported through Engine::import (its indexes are the engine's own). Reports
// times and rates; never passes or fails on time.
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>
#include <unistd.h>

#include <benchmark/benchmark.h>

#include "bench/bench_env.h"
#include "datasets/population.h"
#include "datasets/population_calibration.h"
#include "engine/engine.h"
#include "engine/store.h"
#include "matcher/finger_matcher.h"

using namespace tunggal;
namespace fs = std::filesystem;

namespace {

using namespace bench;  // Clock, check, env_size, seconds_since (bench/bench_env.h)

double cpu_seconds() { return static_cast<double>(std::clock()) / CLOCKS_PER_SEC; }  // all threads
double thread_cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

EngineOptions options(const fs::path& dir, bool read_only = false) {
  EngineOptions o;
  o.data_dir = dir;
  o.shards = 4;
  o.read_only = read_only;
  return o;
}

std::uint64_t bytes_under(const fs::path& dir) {
  std::uint64_t n = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file()) n += e.file_size();
  return n;
}

struct Fixture {
  fs::path dir;
  std::unique_ptr<Engine> engine;
  std::unique_ptr<datasets::Population> pop;
  std::size_t subjects = 0;
  double import_s = 0;
};

Fixture* g_fixture = nullptr;

void import(Engine& e, const datasets::Population& pop, std::size_t from, std::size_t to) {
  for (std::size_t done = from; done < to;) {
    std::vector<Enrollment> part;
    for (; part.size() < 500 && done < to; ++done) part.push_back(pop.capture(done, 0));
    auto r = e.import(part);
    if (!r) throw StatusError(r.error());
  }
}

Fixture& fixture() {
  if (g_fixture) return *g_fixture;
  g_fixture = new Fixture;
  Fixture& x = *g_fixture;
  x.subjects = env_size("TUNGGAL_BENCH_SUBJECTS", 20'000);
  x.dir = scratch_dir("snapshot_bench");
  x.pop = std::make_unique<datasets::Population>(datasets::PopulationConfig{.seed = 42});
  datasets::CalibrationOptions co;
  co.identities = 80;
  co.worn_identities = 80;
  auto model = datasets::calibrate_fusion(datasets::Population({.seed = 777}), matcher::FingerMatcher{}, co);
  if (!model) throw StatusError(model.error());
  const auto t0 = Clock::now();
  auto e = Engine::open(options(x.dir), *model);
  if (!e) throw StatusError(e.error());
  x.engine = std::move(*e);
  import(*x.engine, *x.pop, 0, x.subjects);
  check(x.engine->finish_import());
  x.import_s = seconds_since(t0);
  std::atexit([] {
    g_fixture->engine.reset();
    fs::remove_all(g_fixture->dir);
  });
  return x;
}

// A copy of the data directory as a kill -9 now would leave it: the store checkpointed and the
// snapshots as they are on disk, under the decide lock.
fs::path crash_image(Engine& e, const fs::path& dir, const std::string& name) {
  const fs::path image = dir.string() + "-" + name;
  fs::remove_all(image);
  fs::create_directories(image);
  check(e.with_store([&](engine::Store& store) -> Status {
    if (Status s = store.flush(); !s) return s;
    if (Status s = store.checkpoint(image / "store"); !s) return s;
    fs::copy(dir / "index", image / "index", fs::copy_options::recursive);
    return Status::ok();
  }));
  return image;
}

void BM_Snapshot(benchmark::State& state) {
  Fixture& f = fixture();
  double save = 0, held = 0, longest_hold = 0, longest_wait = 0, cpu = 0;
  std::size_t copy_bytes = 0;
  for (auto _ : state) {
    // A would-be decider: takes the decide lock again and again while the save runs.
    std::atomic<bool> saving{true};
    double waited = 0;
    std::thread decider([&] {
      while (saving.load()) {
        const auto t = Clock::now();
        check(f.engine->with_store([](engine::Store&) { return Status::ok(); }));
        waited = std::max(waited, seconds_since(t));
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    });
    SnapshotCost cost;
    const auto t0 = Clock::now();
    const double c0 = thread_cpu_seconds();
    check(f.engine->snapshot(&cost));
    state.SetIterationTime(seconds_since(t0));
    cpu += thread_cpu_seconds() - c0;
    saving = false;
    decider.join();
    save += cost.total_ms / 1e3;
    held += cost.locked_ms / 1e3;
    longest_hold = std::max(longest_hold, cost.longest_locked_ms / 1e3);
    longest_wait = std::max(longest_wait, waited);
    copy_bytes = std::max(copy_bytes, cost.largest_image_bytes);
  }
  const double n = static_cast<double>(state.iterations());
  state.counters["save_s"] = save / n;
  state.counters["lock_hold_s"] = held / n;
  state.counters["longest_hold_s"] = longest_hold;
  state.counters["longest_wait_s"] = longest_wait;
  state.counters["save_cpu_s"] = cpu / n;  // of the saving thread
  state.counters["copy_MB"] = static_cast<double>(copy_bytes) / 1e6;
  const EngineStats st = f.engine->stats();
  state.counters["subjects"] = static_cast<double>(st.gallery_size);
  state.counters["index_MB_on_disk"] = static_cast<double>(bytes_under(f.dir / "index")) / 1e6;
  state.counters["index_MB_in_RAM"] = static_cast<double>(st.index_bytes) / 1e6;
  state.counters["import_s"] = f.import_s;
}
BENCHMARK(BM_Snapshot)->Iterations(3)->UseManualTime()->Unit(benchmark::kMillisecond);

void BM_ReplayAtOpen(benchmark::State& state) {
  Fixture& f = fixture();
  const std::size_t replay = env_size("TUNGGAL_BENCH_REPLAY", 2'000);
  check(f.engine->snapshot());
  const fs::path clean = crash_image(*f.engine, f.dir, "clean");
  import(*f.engine, *f.pop, f.subjects, f.subjects + replay);  // committed; no snapshot taken
  const fs::path crashed = crash_image(*f.engine, f.dir, "crashed");
  double wall = 0, cpu = 0;
  std::uint64_t replayed = 0;
  for (auto _ : state) {
    double w[2], c[2];
    const fs::path images[2] = {clean, crashed};
    for (int k = 0; k < 2; ++k) {
      const auto t0 = Clock::now();
      const double c0 = cpu_seconds();
      auto e = Engine::open(options(images[k], true));
      if (!e) throw StatusError(e.error());
      w[k] = seconds_since(t0);
      c[k] = cpu_seconds() - c0;
      if (k == 1) replayed = (*e)->stats().changes_replayed_at_open;
    }
    state.SetIterationTime(w[1] - w[0]);
    wall += w[1] - w[0];
    cpu += c[1] - c[0];
  }
  const double n = static_cast<double>(state.iterations());
  state.counters["replayed"] = static_cast<double>(replayed);
  state.counters["ms_per_change"] = 1000.0 * wall / n / static_cast<double>(replayed);
  state.counters["changes_per_cpu_s"] = static_cast<double>(replayed) / (cpu / n);
  fs::remove_all(clean);
  fs::remove_all(crashed);
}
BENCHMARK(BM_ReplayAtOpen)->Iterations(2)->UseManualTime()->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
