// What a progressive JPEG's scan count costs the decoder: OpenCV (libjpeg-turbo) decoding the
// crafted flat-grey files of tests/progressive_jpeg.h (one DC scan, then N refinement scans of a
// few bytes each) at 1000 x 1000 and 4096 x 4096 px. The decode is called directly, past our header
// walk, which refuses every file here above 100 scans (docs/extraction.md "Bad input"). The time is
// CPU time of the decoding thread; the file size is a counter. Never passes or fails on time.
//
//   build/bench/jpeg_scans_bench --benchmark_counters_tabular=true
// (the 4096 px / 10,000-scan case alone takes about two minutes of CPU)
#include <benchmark/benchmark.h>

#include "ingest/detail/capped_decode.h"
#include "tests/progressive_jpeg.h"

namespace {

void BM_ProgressiveJpegDecode(benchmark::State& state) {
  const int side = int(state.range(0));
  const int scans = int(state.range(1));
  const auto bytes = tunggal::testing::progressive_jpeg(side, side, scans - 1);
  const std::size_t cap = std::size_t(side) * std::size_t(side) * 4;
  for (auto _ : state) {
    auto g = tunggal::ingest::detail::decode_with_allocation_cap(bytes, cap, "JPEG");
    if (!g) {
      state.SkipWithError(g.error().message().c_str());
      return;
    }
    benchmark::DoNotOptimize(g->pixels.data());
  }
  state.counters["scans"] = scans;
  state.counters["file_bytes"] = double(bytes.size());
}

}  // namespace

BENCHMARK(BM_ProgressiveJpegDecode)
    ->ArgNames({"side", "scans"})
    ->ArgsProduct({{1000, 4096}, {10, 100, 1000, 10000}})
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
