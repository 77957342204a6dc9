#include "datasets/fvc_bootstrap.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <utility>

#include <fmt/format.h>

#include "datasets/error_rates.h"

namespace tunggal::datasets {

Expected<FingerBootstrap> bootstrap_eer_by_finger(const FvcSet& set, ImpostorPairs impostors,
                                                  std::span<const FvcSetResult* const> results,
                                                  const BootstrapOptions& options) {
  if (options.draws <= 0) return invalid_argument(fmt::format("bootstrap draws must be positive, got {}", options.draws));
  const FvcPairs pairs = fvc_pairs(set, impostors);
  for (const FvcSetResult* r : results) {
    if (r == nullptr || r->genuine_scores.size() != pairs.genuine.size() ||
        r->impostor_scores.size() != pairs.impostor.size())
      return invalid_argument(fmt::format(
          "set {}: a result to resample does not have the protocol's {} genuine and {} impostor scores",
          set.name, pairs.genuine.size(), pairs.impostor.size()));
  }
  const auto finger = [&](int i) { return set.impressions[static_cast<std::size_t>(i)].finger; };
  std::map<int, std::vector<std::size_t>> genuine_of;                     // finger -> genuine pair indices
  std::map<std::pair<int, int>, std::vector<std::size_t>> impostors_of;  // (lower, higher finger) -> pairs
  for (std::size_t k = 0; k < pairs.genuine.size(); ++k) genuine_of[finger(pairs.genuine[k].a)].push_back(k);
  for (std::size_t k = 0; k < pairs.impostor.size(); ++k) {
    const int a = finger(pairs.impostor[k].a), b = finger(pairs.impostor[k].b);
    impostors_of[{std::min(a, b), std::max(a, b)}].push_back(k);
  }
  std::vector<int> fingers;
  for (const auto& [f, unused] : genuine_of) fingers.push_back(f);
  if (fingers.size() < 2)
    return invalid_argument(fmt::format("set {}: a bootstrap by finger needs at least two fingers with genuine pairs", set.name));

  FingerBootstrap out;
  out.eers.assign(results.size(), {});
  std::mt19937_64 rng(options.seed);
  std::vector<int> drawn(fingers.size());
  std::vector<std::size_t> genuine, impostor;
  std::vector<float> g, i;
  for (int d = 0; d < options.draws; ++d) {
    genuine.clear();
    impostor.clear();
    while (impostor.empty()) {
      genuine.clear();
      for (int& f : drawn) f = fingers[rng() % fingers.size()];
      for (int f : drawn) genuine.insert(genuine.end(), genuine_of[f].begin(), genuine_of[f].end());
      for (std::size_t x = 0; x < drawn.size(); ++x)
        for (std::size_t y = x + 1; y < drawn.size(); ++y) {
          if (drawn[x] == drawn[y]) continue;
          const auto it = impostors_of.find({std::min(drawn[x], drawn[y]), std::max(drawn[x], drawn[y])});
          if (it != impostors_of.end()) impostor.insert(impostor.end(), it->second.begin(), it->second.end());
        }
    }
    for (std::size_t r = 0; r < results.size(); ++r) {
      g.clear();
      i.clear();
      for (std::size_t k : genuine) g.push_back(results[r]->genuine_scores[k]);
      for (std::size_t k : impostor) i.push_back(results[r]->impostor_scores[k]);
      out.eers[r].push_back(compute_error_rates(g, i).eer);
    }
  }
  return out;
}

double quantile(std::span<const double> values, double q) {
  if (values.empty()) return 0;
  std::vector<double> v(values.begin(), values.end());
  std::sort(v.begin(), v.end());
  const double pos = std::clamp(q, 0.0, 1.0) * double(v.size() - 1);
  return v[static_cast<std::size_t>(std::lround(pos))];
}

}  // namespace tunggal::datasets
