// Store throughput: put_subject buffered (bulk import) vs synced (acknowledged enrollments), full
// scans (index rebuilds), point loads and open. Subjects are the size the engine stores: ten fingers
// of 40 minutiae and a 512-d face. Reports subjects per second; never passes or fails on time.
//
//   build/bench/store_bench --benchmark_counters_tabular=true
//   TUNGGAL_BENCH_SUBJECTS=100000 build/bench/store_bench --benchmark_filter='Buffered|Scan'
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <numbers>
#include <random>
#include <string>
#include <csignal>
#include <spawn.h>
#include <stdexcept>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

#include <benchmark/benchmark.h>

#include "bench/bench_env.h"
#include "engine/store.h"

using namespace tunggal;
using namespace tunggal::engine;
namespace fs = std::filesystem;

namespace {

using tunggal::bench::env_size;

fs::path bench_dir(const std::string& name) {
  return tunggal::bench::scratch_dir("store_bench_" + name);
}

// A pool of distinct subjects, reused under new ids (so generation is not what we measure).
const std::vector<StoredSubject>& pool() {
  static const std::vector<StoredSubject> subjects = [] {
    std::vector<StoredSubject> out(512);
    std::mt19937 rng(7);
    std::uniform_int_distribution<int> coord(0, 499);
    std::uniform_real_distribution<float> angle(0.0f, 2.0f * std::numbers::pi_v<float> - 1e-3f);
    std::normal_distribution<float> gauss;
    for (std::size_t i = 0; i < out.size(); ++i) {
      auto& s = out[i];
      s.record.nik = "3273010101900001";
      s.record.site = "3273-KEC-SUKAJADI-01";
      s.record.enrolled_at_ms = 1700000000000;
      for (int p = 1; p <= 10; ++p) {
        FingerTemplate f;
        f.position = static_cast<FingerPosition>(p);
        f.width = 500, f.height = 500, f.quality = 60;
        for (int m = 0; m < 40; ++m) {
          f.minutiae.push_back({static_cast<std::uint16_t>(coord(rng)), static_cast<std::uint16_t>(coord(rng)),
                                angle(rng), MinutiaType::kRidgeEnding, static_cast<std::uint8_t>(m + 40)});
        }
        s.fingers.push_back(std::move(f));
      }
      std::vector<float> v(512);
      for (auto& x : v) x = gauss(rng);
      s.face = *FaceEmbedding::make(v);
    }
    return out;
  }();
  return subjects;
}

std::unique_ptr<Store> open_store(const fs::path& dir) {
  StoreOptions o;
  o.path = dir;
  o.gallery = GalleryConfig{512, 4};
  auto s = Store::open(o);
  if (!s) throw StatusError(s.error());
  return std::move(*s);
}

// Commits subjects first..first+n-1 in batches of `batch`.
void import(Store& store, std::uint64_t first, std::size_t n, std::size_t batch, Durability d) {
  const auto& p = pool();
  StoredSubject s;
  for (std::size_t done = 0; done < n;) {
    auto b = store.batch();
    for (std::size_t k = 0; k < batch && done < n; ++k, ++done) {
      s = p[(first + done) % p.size()];
      s.record.id = SubjectId{first + done};
      s.record.enrollment.value = std::to_string(first + done);
      b.put_subject(std::move(s));
    }
    if (Status st = store.commit(std::move(b), d); !st) throw StatusError(st);
  }
}

// Bulk import end to end: batches of range(0) subjects, kBuffered, then flush().
void BM_PutSubjectBuffered(benchmark::State& state) {
  const std::size_t n = env_size("TUNGGAL_BENCH_SUBJECTS", 20000);
  const auto batch = static_cast<std::size_t>(state.range(0));
  pool();
  for (auto _ : state) {
    const fs::path dir = bench_dir("buffered");
    auto store = open_store(dir);
    const auto t0 = std::chrono::steady_clock::now();
    import(*store, 1, n, batch, Durability::kBuffered);
    const auto t1 = std::chrono::steady_clock::now();
    if (Status st = store->flush(); !st) throw StatusError(st);
    const auto t2 = std::chrono::steady_clock::now();
    state.SetIterationTime(std::chrono::duration<double>(t2 - t0).count());
    state.counters["flush_s"] = std::chrono::duration<double>(t2 - t1).count();
    std::uintmax_t bytes = 0;
    for (const auto& e : fs::recursive_directory_iterator(dir)) {
      if (e.is_regular_file()) bytes += e.file_size();
    }
    state.counters["disk_B_per_subject"] = static_cast<double>(bytes) / static_cast<double>(n);
    store.reset();
    fs::remove_all(dir);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n));
}
BENCHMARK(BM_PutSubjectBuffered)->Arg(1000)->Arg(5000)->UseManualTime()->Iterations(1)->Unit(benchmark::kMillisecond);

// Acknowledged enrollments: every commit fsyncs the WAL. range(0) subjects per commit.
void BM_PutSubjectSynced(benchmark::State& state) {
  const auto batch = static_cast<std::size_t>(state.range(0));
  const fs::path dir = bench_dir("synced");
  auto store = open_store(dir);
  pool();
  std::uint64_t next = 1;
  for (auto _ : state) {
    import(*store, next, batch, batch, Durability::kSynced);
    next += batch;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * batch));
  store.reset();
  fs::remove_all(dir);
}
BENCHMARK(BM_PutSubjectSynced)->Arg(1)->Arg(64)->UseRealTime()->Unit(benchmark::kMillisecond);

// The filled store shared by the read benchmarks.
Store& filled() {
  static const fs::path dir = bench_dir("filled");
  static std::unique_ptr<Store> store = [] {
    auto s = open_store(dir);
    import(*s, 1, env_size("TUNGGAL_BENCH_SUBJECTS", 20000), 2000, Durability::kBuffered);
    if (Status st = s->flush(); !st) throw StatusError(st);
    std::atexit([] {
      store.reset();
      fs::remove_all(dir);
    });
    return s;
  }();
  return *store;
}

// Index rebuild: every active subject with its fingers and face, decoded.
void BM_ForEachSubjectScan(benchmark::State& state) {
  Store& store = filled();
  std::uint64_t n = 0;
  for (auto _ : state) {
    n = 0;
    Status st = store.for_each_subject([&](const StoredSubject& s) {
      benchmark::DoNotOptimize(s.fingers.data());
      return ++n, true;
    });
    if (!st) throw StatusError(st);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n));
}
BENCHMARK(BM_ForEachSubjectScan)->UseRealTime()->Unit(benchmark::kMillisecond);

// Candidate re-rank fetches: random load_subject.
void BM_LoadSubjectRandom(benchmark::State& state) {
  Store& store = filled();
  std::mt19937_64 rng(1);
  std::uniform_int_distribution<std::uint64_t> id(1, store.max_subject_id());
  for (auto _ : state) {
    auto s = store.load_subject(SubjectId{id(rng)});
    if (!s) throw StatusError(s.error());
    benchmark::DoNotOptimize(s->has_value());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_LoadSubjectRandom)->UseRealTime();

// What recomputing the counters at open would cost (the store keeps them in meta instead):
// check_counters() recounts subject records, the queue and both logs.
void BM_CheckCounters(benchmark::State& state) {
  Store& store = filled();
  for (auto _ : state) {
    if (Status st = store.check_counters(); !st) throw StatusError(st);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * store.subject_count()));
}
BENCHMARK(BM_CheckCounters)->UseRealTime()->Unit(benchmark::kMillisecond);

// Reopening a filled store: counters come from meta, so this does not grow with the gallery.
void BM_Open(benchmark::State& state) {
  const fs::path dir = bench_dir("open");
  {
    auto s = open_store(dir);
    import(*s, 1, env_size("TUNGGAL_BENCH_SUBJECTS", 20000), 2000, Durability::kBuffered);
    if (Status st = s->flush(); !st) throw StatusError(st);
  }
  for (auto _ : state) {
    auto s = open_store(dir);
    benchmark::DoNotOptimize(s->subject_count());
  }
  fs::remove_all(dir);
}
BENCHMARK(BM_Open)->UseRealTime()->Unit(benchmark::kMillisecond);

// Crash recovery: a child process imports range(0) subjects with kBuffered commits and is killed
// before any flush, so everything is in the WAL; the time is the next open, which replays it.
void BM_OpenAfterCrash(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  for (auto _ : state) {
    const fs::path dir = bench_dir("crash");
    ::setenv("TUNGGAL_STORE_BENCH_CRASH_DIR", dir.c_str(), 1);
    ::setenv("TUNGGAL_STORE_BENCH_CRASH_N", std::to_string(n).c_str(), 1);
    std::string self = fs::read_symlink("/proc/self/exe").string();
    char* argv[] = {self.data(), nullptr};
    pid_t child = 0;
    const int rc = ::posix_spawn(&child, self.c_str(), nullptr, nullptr, argv, environ);
    ::unsetenv("TUNGGAL_STORE_BENCH_CRASH_DIR");
    ::unsetenv("TUNGGAL_STORE_BENCH_CRASH_N");
    if (rc != 0) throw std::runtime_error("posix_spawn failed");
    int status = 0;
    ::waitpid(child, &status, 0);
    if (!WIFSIGNALED(status)) throw std::runtime_error("the crashing child did not crash");
    std::uintmax_t wal = 0;
    for (const auto& e : fs::directory_iterator(dir)) {
      if (e.path().extension() == ".log") wal += e.file_size();
    }
    const auto t0 = std::chrono::steady_clock::now();
    auto store = open_store(dir);
    state.SetIterationTime(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    if (store->subject_count() != n) throw std::runtime_error("subjects lost in the crash");
    state.counters["wal_MB"] = static_cast<double>(wal) / 1e6;
    store.reset();
    fs::remove_all(dir);
  }
}
BENCHMARK(BM_OpenAfterCrash)->Arg(20000)->UseManualTime()->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  if (const char* dir = std::getenv("TUNGGAL_STORE_BENCH_CRASH_DIR"); dir && *dir) {  // BM_OpenAfterCrash's child
    auto store = open_store(dir);
    import(*store, 1, env_size("TUNGGAL_STORE_BENCH_CRASH_N", 1000), 1000, Durability::kBuffered);
    std::raise(SIGKILL);
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
