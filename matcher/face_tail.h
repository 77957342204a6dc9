#pragma once
// The impostor tail of face similarity beyond the calibration data, by extreme-value theory.
//
// The PAV calibration (score_calibration.h) can not give a face more evidence than its impostor
// sample supports: with ~24,000 impostor cosines no face LLR exceeds ~4.4, so a face cosine of 0.6
// (about 13 standard deviations above the impostor mean) counts no more than one of 0.2. At a
// gallery of a million that is the difference between noise and a near-certain match.
//
// Method: peaks over threshold. Above a high threshold u (the (1 - tail_fraction) quantile of the
// impostor cosines) the exceedances follow a generalised Pareto distribution (Pickands 1975;
// Balkema & de Haan 1974), fitted by probability-weighted moments (Hosking & Wallis,
// "Parameter and quantile estimation for the generalized Pareto distribution", Technometrics
// 1987). P(impostor cosine > x) = ζ·(1 + ξ(x-u)/σ)^(-1/ξ), ζ the fraction above u.
// A fitted ξ < 0 (a bounded tail, as cosines of random directions are) would put a finite
// endpoint on impostor similarity and call everything beyond it impossible; we do not extrapolate
// that far and use the exponential tail (ξ = 0, σ = mean excess) instead, which is heavier than
// any bounded tail: conservative.
//
// What this tail does NOT know: look-alikes. Twins' faces are as close as one person's two photos,
// so an extreme face score means "this person or a look-alike", never more (the engine caps
// decisions resting on the face alone at REVIEW: EngineOptions::face_led_review).
#include <span>
#include <string>
#include <string_view>

#include "core/status.h"

namespace tunggal {

class FaceTail {
 public:
  FaceTail() = default;
  // Needs at least 50 exceedances (tail_fraction x impostor count).
  static Expected<FaceTail> fit(std::span<const float> impostor, double tail_fraction = 0.01);

  bool empty() const { return zeta_ <= 0.0f; }
  // P(an impostor's cosine > x); 1 when empty or below the threshold (no claim there).
  double tail(float x) const;
  // -log10 tail(x), at most kMaxScore: the face's strength alone on the identity-score scale.
  float score(float x) const;
  static constexpr float kMaxScore = 60.0f;

  float threshold() const { return u_; }
  float exceed_fraction() const { return zeta_; }
  float shape() const { return xi_; }
  float scale() const { return sigma_; }

  void serialize(std::string& out) const;
  static Expected<FaceTail> deserialize(std::string_view& in);

 private:
  float u_ = 0.0f, zeta_ = 0.0f, xi_ = 0.0f, sigma_ = 1.0f;
};

}  // namespace tunggal
