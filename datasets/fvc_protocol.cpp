#include "datasets/fvc_protocol.h"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <chrono>
#include <numeric>
#include <optional>

#include "core/process_usage.h"

namespace tunggal::datasets {
FvcPairs fvc_pairs(const FvcSet& set, ImpostorPairs impostors) {
  FvcPairs p;
  const auto& im = set.impressions;
  const int n = static_cast<int>(im.size());
  for (int a = 0; a < n; ++a)
    for (int b = a + 1; b < n; ++b) {
      if (im[a].finger == im[b].finger) {
        p.genuine.push_back({a, b});
      } else if (impostors == ImpostorPairs::kAllCrossFinger) {
        p.impostor.push_back({a, b});
      }
    }
  if (impostors == ImpostorPairs::kFirstImpressions) {
    // The first (lowest-numbered) impression of each finger; impressions are sorted.
    std::vector<int> first;
    for (int a = 0; a < n; ++a)
      if (a == 0 || im[a].finger != im[a - 1].finger) first.push_back(a);
    for (std::size_t x = 0; x < first.size(); ++x)
      for (std::size_t y = x + 1; y < first.size(); ++y) p.impostor.push_back({first[x], first[y]});
  }
  return p;
}

Expected<FvcSetResult> run_fvc_protocol(const FvcSet& set, const matcher::FingerMatcher& m, ImpostorPairs impostors,
                                        UnpreparableTemplate unpreparable) {
  using clock = std::chrono::steady_clock;
  const std::size_t n = set.impressions.size();
  std::vector<std::optional<Expected<matcher::PreparedTemplate>>> prepared(n);
  const auto t0 = clock::now();
  tbb::parallel_for(std::size_t{0}, n, [&](std::size_t i) { prepared[i].emplace(m.prepare(set.impressions[i].finger_template)); });
  const auto t1 = clock::now();
  std::vector<const matcher::PreparedTemplate*> tp(n);
  FvcSetResult r;
  r.name = set.name;
  r.templates = n;
  std::size_t bytes = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const auto& e = *prepared[i];
    if (!e) {
      if (unpreparable == UnpreparableTemplate::kFail)
        return Status(e.error().code(), set.impressions[i].iso_path.string() + ": " + e.error().message());
      tp[i] = nullptr;
      ++r.failed_to_enrol;
      continue;
    }
    tp[i] = &e.value();
    bytes += e->memory_bytes();
  }
  r.bytes_per_template = n ? double(bytes) / n : 0.0;

  const FvcPairs pairs = fvc_pairs(set, impostors);
  r.genuine_scores.resize(pairs.genuine.size());
  r.impostor_scores.resize(pairs.impostor.size());
  const double c2 = process_cpu_seconds();
  const auto t2 = clock::now();
  auto score_all = [&](const std::vector<IndexPair>& ps, std::vector<float>& out) {
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, ps.size(), 16), [&](const auto& rg) {
      for (std::size_t k = rg.begin(); k != rg.end(); ++k) out[k] = tp[ps[k].a] && tp[ps[k].b] ? m.score(*tp[ps[k].a], *tp[ps[k].b]) : 0.0f;
    });
  };
  score_all(pairs.genuine, r.genuine_scores);
  score_all(pairs.impostor, r.impostor_scores);
  const auto t3 = clock::now();
  r.score_cpu_seconds = process_cpu_seconds() - c2;
  r.prepare_seconds = std::chrono::duration<double>(t1 - t0).count();
  r.score_seconds = std::chrono::duration<double>(t3 - t2).count();
  const double total = double(pairs.genuine.size() + pairs.impostor.size());
  r.comparisons_per_second = r.score_seconds > 0 ? total / r.score_seconds : 0.0;
  r.comparisons_per_cpu_second = r.score_cpu_seconds > 0 ? total / r.score_cpu_seconds : 0.0;
  r.rates = compute_error_rates(r.genuine_scores, r.impostor_scores);
  return r;
}

}  // namespace tunggal::datasets
