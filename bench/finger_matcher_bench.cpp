// Speed of the 1:1 minutiae matcher (MCC16b + LSS-R) on the real FVC2002 templates (issue 3 item 3):
// prepare() per template, score() per pair, and 1:N score_many() on galleries of replicated FVC
// templates, with the resident bytes per prepared template. Throughput only; nothing here passes
// or fails on time. Without ../shared/data/fvc2002 (or $TUNGGAL_FVC_DIR) it falls back to
// synthetic fingers and says so in the label.
//
//   build/bench/finger_matcher_bench --benchmark_filter=Score
#include <benchmark/benchmark.h>

#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include "core/process_usage.h"
#include "datasets/fvc_protocol.h"
#include "datasets/fvc_set.h"
#include "matcher/detail/local_similarity.h"
#include "matcher/detail/lss_r.h"
#include "matcher/detail/synthetic_finger.h"
#include "matcher/finger_matcher.h"
#include "tests/fvc_data_dir.h"

namespace tunggal::matcher {
namespace {

struct Corpus {
  std::string source;
  std::vector<FingerTemplate> fingers;
  std::vector<PreparedTemplate> prepared;
  std::vector<datasets::IndexPair> genuine, impostor;
  double bytes_per_template = 0;
};

const Corpus& corpus() {
  static const Corpus c = [] {
    Corpus c;
    const FingerMatcher m;
    const auto dir = tunggal::testing::fvc_data_dir();
    auto sets = dir.empty() ? Expected<std::vector<datasets::FvcSet>>(not_found("no data"))
                            : datasets::load_fvc_sets(dir);
    if (sets) {
      c.source = "FVC2002 DB1-4_B";
      for (const auto& s : *sets) {
        const int base = static_cast<int>(c.fingers.size());
        const auto pairs = datasets::fvc_pairs(s, datasets::ImpostorPairs::kAllCrossFinger);
        for (auto p : pairs.genuine) c.genuine.push_back({base + p.a, base + p.b});
        for (auto p : pairs.impostor) c.impostor.push_back({base + p.a, base + p.b});
        for (const auto& im : s.impressions) c.fingers.push_back(im.finger_template);
      }
    } else {
      c.source = "synthetic (FVC2002 data absent)";
      for (std::uint64_t f = 0; f < 40; ++f) {
        const auto master = detail::synthetic_finger(f, 40);
        for (int k = 0; k < 8; ++k) {
          const int i = static_cast<int>(c.fingers.size());
          c.fingers.push_back(detail::synthetic_impression(master, f * 8 + k, 10.0f * k - 35, 4.0f * k, -3.0f * k, 2.0f, 0.2f, 4));
          for (int j = i - k; j < i; ++j) c.genuine.push_back({j, i});
          for (int j = 0; j < i - k; j += 7) c.impostor.push_back({j, i});
        }
      }
    }
    double bytes = 0;
    for (const auto& f : c.fingers) {
      auto p = m.prepare(f);
      if (!p) continue;  // never happens on FVC2002 (tests/fvc_regression_test.cpp)
      bytes += double(p->memory_bytes());
      c.prepared.push_back(std::move(*p));
    }
    c.bytes_per_template = bytes / double(c.prepared.size());
    return c;
  }();
  return c;
}

void BM_Prepare(benchmark::State& state) {
  const Corpus& c = corpus();
  const FingerMatcher m;
  std::size_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(m.prepare(c.fingers[i++ % c.fingers.size()]));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.counters["bytes/template"] = c.bytes_per_template;
  state.SetLabel(c.source);
}
BENCHMARK(BM_Prepare);

// One thread, one pair at a time: arg 0 = genuine pairs, 1 = impostor pairs.
void BM_Score(benchmark::State& state) {
  const Corpus& c = corpus();
  const auto& pairs = state.range(0) == 0 ? c.genuine : c.impostor;
  const FingerMatcher m;
  std::size_t i = 0;
  for (auto _ : state) {
    const auto& p = pairs[i++ % pairs.size()];
    benchmark::DoNotOptimize(m.score(c.prepared[p.a], c.prepared[p.b]));
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.SetLabel(std::string(state.range(0) == 0 ? "genuine, " : "impostor, ") + c.source);
}
BENCHMARK(BM_Score)->Arg(0)->Arg(1);

// The local-similarity matrix Γ alone (impostor pairs): BM_Score minus this is LSS-R.
void BM_Gamma(benchmark::State& state) {
  const Corpus& c = corpus();
  const MatcherOptions o;
  std::vector<float> gamma;
  std::size_t i = 0;
  for (auto _ : state) {
    const auto& p = c.impostor[i++ % c.impostor.size()];
    detail::local_similarity_matrix(c.prepared[p.a], c.prepared[p.b], o, gamma);
    benchmark::DoNotOptimize(gamma.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.SetLabel(std::string(detail::local_similarity_kernel()) + ", impostor, " + c.source);
}
BENCHMARK(BM_Gamma);

// LSS-R alone on precomputed Γ of 512 impostor pairs.
void BM_LssR(benchmark::State& state) {
  const Corpus& c = corpus();
  const MatcherOptions o;
  const std::size_t n = std::min<std::size_t>(512, c.impostor.size());
  std::vector<std::vector<float>> gammas(n);
  for (std::size_t k = 0; k < n; ++k)
    detail::local_similarity_matrix(c.prepared[c.impostor[k].a], c.prepared[c.impostor[k].b], o, gammas[k]);
  std::size_t i = 0;
  for (auto _ : state) {
    const std::size_t k = i++ % n;
    benchmark::DoNotOptimize(
        detail::lss_r(c.prepared[c.impostor[k].a], c.prepared[c.impostor[k].b], gammas[k], o, nullptr));
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.SetLabel("impostor, " + c.source);
}
BENCHMARK(BM_LssR);

// 1:N on all cores (TBB): one probe against a gallery of N templates. arg 1 = 1 gives the gallery
// N distinct copies of the FVC templates (real memory traffic: N x bytes/template); arg 1 = 0
// replicates pointers to the 320 templates (1M distinct copies would need ~7.6 GB), which keeps
// the gallery in cache and so is an upper bound.
void BM_ScoreMany(benchmark::State& state) {
  const Corpus& c = corpus();
  const auto n = static_cast<std::size_t>(state.range(0));
  const bool distinct = state.range(1) == 1;
  std::vector<PreparedTemplate> copies;
  std::vector<const PreparedTemplate*> gallery(n);
  if (distinct) {
    copies.reserve(n);
    for (std::size_t i = 0; i < n; ++i) copies.push_back(c.prepared[i % c.prepared.size()]);
    for (std::size_t i = 0; i < n; ++i) gallery[i] = &copies[i];
  } else {
    for (std::size_t i = 0; i < n; ++i) gallery[i] = &c.prepared[i % c.prepared.size()];
  }
  std::vector<float> out(n);
  const FingerMatcher m;
  std::size_t probe = 0;
  const double cpu0 = process_cpu_seconds();
  for (auto _ : state) {
    m.score_many(c.prepared[probe++ % c.prepared.size()], gallery, out);
    benchmark::DoNotOptimize(out.data());
  }
  // All threads' CPU time: comparisons per CPU-second is what one core does unshared, so
  // cores x this is the rate of an idle machine (the wall-clock rate depends on who else runs).
  const double cpu = process_cpu_seconds() - cpu0;
  state.counters["per_cpu_second"] = cpu > 0 ? double(state.iterations() * n) / cpu : 0.0;
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n));
  state.counters["comparisons/s"] = benchmark::Counter(double(state.iterations() * n), benchmark::Counter::kIsRate);
  state.counters["bytes/template"] = c.bytes_per_template;
  state.counters["gallery_MB"] = distinct ? double(n) * c.bytes_per_template / 1e6 : 0.0;
  state.SetLabel(std::string(distinct ? "distinct copies, " : "replicated pointers, ") + c.source);
}
BENCHMARK(BM_ScoreMany)->Args({100000, 1})->Args({1000000, 0})->Iterations(1)->UseRealTime()->Unit(benchmark::kSecond);

}  // namespace
}  // namespace tunggal::matcher

BENCHMARK_MAIN();
