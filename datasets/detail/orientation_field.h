#pragma once
// Ridge flow of a synthetic finger: a pattern class (Henry's arch / tented arch / loops / whorl)
// and an orientation field that places minutia directions along the ridges.
//
// Loops, whorls and tented arches use the zero-pole model of Sherlock and Monro ("A model for
// interpreting fingerprint topology", Pattern Recognition 26(7), 1993): with cores c_k and deltas
// d_k as points of the plane,
//     θ(z) = θ0 + ½ [ Σ arg(z − c_k) − Σ arg(z − d_k) ]   (mod π),
// which reproduces the ridge topology around each singularity. Plain arches have no singularity;
// they get a smooth bump field (ridges y = −A·exp(−x²/2s²), flatter towards the finger's base).
//
// Why it matters for deduplication: real minutiae are not isotropic. Their directions follow the
// ridge flow, so neighbouring minutiae of *different* people already agree in direction; a model
// with random directions would make impostors unrealistically easy to reject.
//
// Coordinates are finger coordinates in pixels at 500 ppi, origin at the print's centre, y down.
#include <cstdint>

#include "datasets/detail/random.h"

namespace tunggal::datasets::detail {

enum class PatternClass : std::uint8_t { kArch, kTentedArch, kLeftLoop, kRightLoop, kWhorl };

struct OrientationField {
  PatternClass pattern = PatternClass::kArch;
  int cores = 0, deltas = 0;
  float core_x[2] = {}, core_y[2] = {};
  float delta_x[2] = {}, delta_y[2] = {};
  float theta0 = 0;                                  // global ridge direction far from singularities
  float arch_amplitude = 0, arch_width = 1, arch_base = 1;  // plain arch bump

  // Ridge orientation at (x, y), radians modulo π (a direction without sign).
  float orientation(float x, float y) const;
};

// Pattern class frequencies as in large ten-print collections (loops ~65%, whorls ~30%, arches
// ~5%); loops open towards the little finger (ulnar) nine times out of ten, so the side depends on
// the hand. `rng` decides the class, `geometry` the singularities' places (twins share the first,
// not the second).
PatternClass draw_pattern(Rng& rng, bool right_hand);
OrientationField make_orientation_field(PatternClass pattern, Rng& geometry, float half_width, float half_height);

// atan2 with |error| < 1e-4 rad, branch-light: the field is evaluated at every master minutia of
// every finger of every capture.
float fast_atan2(float y, float x);

}  // namespace tunggal::datasets::detail
