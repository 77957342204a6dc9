// Cost of a finger code from an already prepared template (the engine's bulk import computes four
// per identity next to prepare()), and of prepare() itself for scale.
#include <benchmark/benchmark.h>

#include "matcher/detail/synthetic_finger.h"
#include "matcher/finger_code.h"

namespace tunggal::matcher {
namespace {

std::vector<PreparedTemplate> templates(int minutiae) {
  std::vector<PreparedTemplate> out;
  const FingerMatcher m;
  for (std::uint64_t s = 0; s < 64; ++s)
    if (auto p = m.prepare(detail::synthetic_finger(s, minutiae))) out.push_back(std::move(*p));
  return out;
}

void BM_MakeFingerCode(benchmark::State& state) {
  const auto ts = templates(static_cast<int>(state.range(0)));
  std::vector<float> out(static_cast<std::size_t>(finger_code_dimension()));
  (void)make_finger_code(ts[0], out);  // builds the model outside the timed loop
  std::size_t i = 0, cylinders = 0;
  for (auto _ : state) {
    const auto& t = ts[i++ % ts.size()];
    cylinders += static_cast<std::size_t>(t.cylinder_count());
    (void)make_finger_code(t, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.counters["cylinders/code"] = double(cylinders) / double(state.iterations());
}
BENCHMARK(BM_MakeFingerCode)->Arg(30)->Arg(45)->Arg(70);

void BM_PrepareForScale(benchmark::State& state) {
  const auto t = detail::synthetic_finger(1, static_cast<int>(state.range(0)));
  const FingerMatcher m;
  for (auto _ : state) benchmark::DoNotOptimize(m.prepare(t));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_PrepareForScale)->Arg(45);

}  // namespace
}  // namespace tunggal::matcher
BENCHMARK_MAIN();
