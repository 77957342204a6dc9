#include "matcher/score_calibration.h"

#include <algorithm>
#include <cmath>

#include "matcher/detail/byte_pack.h"

namespace tunggal {
namespace {

using matcher::detail::get_vec;
using matcher::detail::put_vec;

struct Block {
  double sum_target;  // number of genuine samples in the block
  double weight;      // number of samples
  double score_sum;
};

}  // namespace

Expected<ScoreCalibration> ScoreCalibration::fit(std::span<const float> genuine, std::span<const float> impostor) {
  if (genuine.size() < 10 || impostor.size() < 10) {
    return invalid_argument("score calibration needs at least 10 genuine and 10 impostor scores, got " +
                            std::to_string(genuine.size()) + " and " + std::to_string(impostor.size()));
  }
  std::vector<std::pair<float, bool>> samples;
  samples.reserve(genuine.size() + impostor.size() + 4);
  float lo = INFINITY, hi = -INFINITY;
  for (float s : genuine) {
    if (!std::isfinite(s)) return invalid_argument("genuine score is NaN or infinite");
    samples.emplace_back(s, true);
    lo = std::min(lo, s), hi = std::max(hi, s);
  }
  for (float s : impostor) {
    if (!std::isfinite(s)) return invalid_argument("impostor score is NaN or infinite");
    samples.emplace_back(s, false);
    lo = std::min(lo, s), hi = std::max(hi, s);
  }
  // Pseudo-samples of both classes at both ends bound the LLR.
  samples.emplace_back(lo, true);
  samples.emplace_back(lo, false);
  samples.emplace_back(hi, true);
  samples.emplace_back(hi, false);
  // Impostors first among ties, so ties never create a spurious monotone step.
  std::sort(samples.begin(), samples.end(), [](const auto& a, const auto& b) {
    return a.first < b.first || (a.first == b.first && a.second < b.second);
  });

  std::vector<Block> blocks;
  blocks.reserve(samples.size());
  for (const auto& [s, g] : samples) {
    blocks.push_back({g ? 1.0 : 0.0, 1.0, s});
    while (blocks.size() >= 2) {
      auto& b = blocks[blocks.size() - 1];
      auto& a = blocks[blocks.size() - 2];
      if (a.sum_target / a.weight < b.sum_target / b.weight) break;
      a.sum_target += b.sum_target, a.weight += b.weight, a.score_sum += b.score_sum;
      blocks.pop_back();
    }
  }
  const double n_gen = static_cast<double>(genuine.size()) + 2.0;
  const double n_imp = static_cast<double>(impostor.size()) + 2.0;
  const double log_prior_odds = std::log10(n_gen / n_imp);
  // Per-block LLR. A pure block's posterior is clamped by half a sample of its own weight, which
  // can make a tiny block (a lone pseudo-sample at an end) look less extreme than its large
  // neighbour and break monotonicity; a second, weighted PAV pass over the LLRs restores it with
  // each block counted by its weight (so a lone sample cannot lift thousands of impostors).
  struct Knot {
    double llr, weight, score_sum;
  };
  std::vector<Knot> knots;
  knots.reserve(blocks.size());
  for (const auto& b : blocks) {
    const double p = b.sum_target / b.weight;
    const double pc = std::clamp(p, 0.5 / b.weight, 1.0 - 0.5 / b.weight);
    knots.push_back({std::log10(pc / (1.0 - pc)) - log_prior_odds, b.weight, b.score_sum});
    while (knots.size() >= 2) {
      auto& b2 = knots[knots.size() - 1];
      auto& a2 = knots[knots.size() - 2];
      if (a2.llr < b2.llr) break;
      a2.llr = (a2.llr * a2.weight + b2.llr * b2.weight) / (a2.weight + b2.weight);
      a2.weight += b2.weight;
      a2.score_sum += b2.score_sum;
      knots.pop_back();
    }
  }
  ScoreCalibration c;
  for (const auto& k : knots) {
    const float centre = static_cast<float>(k.score_sum / k.weight);
    const float llr = static_cast<float>(k.llr);
    if (!c.knots_.empty() && centre <= c.knots_.back()) {
      c.llrs_.back() = std::max(c.llrs_.back(), llr);
      continue;
    }
    c.knots_.push_back(centre);
    c.llrs_.push_back(c.llrs_.empty() ? llr : std::max(c.llrs_.back(), llr));
  }
  c.impostor_llrs_.reserve(impostor.size());
  for (float s : impostor) c.impostor_llrs_.push_back(c.llr(s));
  c.genuine_llrs_.reserve(genuine.size());
  for (float s : genuine) c.genuine_llrs_.push_back(c.llr(s));
  return c;
}

float ScoreCalibration::llr(float score) const {
  if (knots_.empty() || !std::isfinite(score)) return 0.0f;
  if (score <= knots_.front()) return llrs_.front();
  if (score >= knots_.back()) return llrs_.back();
  const auto it = std::upper_bound(knots_.begin(), knots_.end(), score);
  const std::size_t i = static_cast<std::size_t>(it - knots_.begin());
  const float t = (score - knots_[i - 1]) / (knots_[i] - knots_[i - 1]);
  return llrs_[i - 1] + t * (llrs_[i] - llrs_[i - 1]);
}

void ScoreCalibration::serialize(std::string& out) const {
  put_vec(out, knots_);
  put_vec(out, llrs_);
  put_vec(out, impostor_llrs_);
  put_vec(out, genuine_llrs_);
}

Expected<ScoreCalibration> ScoreCalibration::deserialize(std::string_view& in) {
  ScoreCalibration c;
  if (!get_vec(in, c.knots_) || !get_vec(in, c.llrs_) || !get_vec(in, c.impostor_llrs_) ||
      !get_vec(in, c.genuine_llrs_) || c.knots_.size() != c.llrs_.size()) {
    return corruption("score calibration record is truncated or inconsistent");
  }
  return c;
}

}  // namespace tunggal
