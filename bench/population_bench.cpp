// Generation speed of the synthetic population. The 1M-identity evaluation generates its gallery
// on the fly, so single-thread capture() must sustain >= 10,000 identities/s (10 fingers + a
// 512-d face). Reports identities/s; never fails on time.
#include <benchmark/benchmark.h>

#include "datasets/population.h"

namespace {

using tunggal::datasets::Population;
using tunggal::datasets::PopulationConfig;
using tunggal::datasets::ProbeSet;

void BM_Capture(benchmark::State& state) {
  const Population pop(PopulationConfig{.seed = 1});
  const int k = static_cast<int>(state.range(0));
  std::uint64_t i = 0, minutiae = 0;
  for (auto _ : state) {
    auto e = pop.capture(i++, k);
    for (const auto& f : e.fingers) minutiae += f.minutiae.size();
    benchmark::DoNotOptimize(e);
  }
  state.counters["identities/s"] = benchmark::Counter(static_cast<double>(i), benchmark::Counter::kIsRate);
  state.counters["minutiae/finger"] = static_cast<double>(minutiae) / static_cast<double>(10 * i);
}
BENCHMARK(BM_Capture)->Arg(0)->Arg(1);

void BM_Probe(benchmark::State& state) {
  const Population pop(PopulationConfig{.seed = 1});
  const ProbeSet probes(pop, 1'000'000, 1'000'000, 0.1, 1);
  std::uint64_t j = 0;
  for (auto _ : state) {
    auto e = probes.probe(j++ % probes.size());
    benchmark::DoNotOptimize(e);
  }
  state.counters["probes/s"] = benchmark::Counter(static_cast<double>(j), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Probe);

void BM_Nik(benchmark::State& state) {
  const Population pop(PopulationConfig{.seed = 1});
  std::uint64_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(pop.nik(i++));
}
BENCHMARK(BM_Nik);

}  // namespace

BENCHMARK_MAIN();
