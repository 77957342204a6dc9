#pragma once
// Angle helpers shared by the MCC stages. dphi is the paper's dφ(θ1, θ2): the difference of two
// angles brought into [-π, π) (Cappelli et al. 2010, eq. 8).
#include <cmath>
#include <numbers>

namespace tunggal::matcher::detail {

inline constexpr float kPi = std::numbers::pi_v<float>;
inline constexpr float kTwoPi = 2.0f * std::numbers::pi_v<float>;

inline float dphi(float a, float b) {
  float d = a - b;
  if (d < -kPi) d += kTwoPi;
  else if (d >= kPi) d -= kTwoPi;
  // Inputs already in [0,2π) need one fold at most; anything else folds here.
  if (d < -kPi || d >= kPi) d = d - kTwoPi * std::floor((d + kPi) / kTwoPi);
  return d;
}

// The paper's sigmoid Z(v, μ, τ) = 1 / (1 + e^{-τ(v-μ)}) (eq. 23).
inline float sigmoid(float v, float mu, float tau) { return 1.0f / (1.0f + std::exp(-tau * (v - mu))); }

}  // namespace tunggal::matcher::detail
