#pragma once
// Non-linear skin distortion of one impression: the plastic distortion model of
//   R. Cappelli, D. Maio, D. Maltoni, "Modelling plastic distortion in fingerprint images",
//   ICAPR 2001, LNCS 2013.
// A finger pressed on glass and pushed sideways does not move rigidly: the close-contact region
// (a disc of radius r1 around the contact centre c) sticks to the glass and is not distorted; far
// from it the skin follows a rigid motion (rotation θ about c, translation d); between the two a
// "brake" function blends the two smoothly:
//     v' = v + Δ(v) · brake(|v − c| − r1, k),   Δ(v) = R_θ(v − c) + c + d − v,
//     brake(s, k) = 0 for s ≤ 0, 1 − exp(−s² / 2k²) otherwise.
// This is what makes genuine minutiae pairs drift apart by 10-20 px at the print's periphery while
// the centre agrees: the realistic failure mode of rigid-alignment matchers.
#include <cmath>

namespace tunggal::datasets::detail {

struct PlasticDistortion {
  float cx = 0, cy = 0;   // contact centre, finger coordinates
  float r1 = 1e9f;        // close-contact radius (px); default: no distortion
  float k = 1;            // brake scale (px)
  float theta = 0;        // rigid rotation of the external region (radians)
  float dx = 0, dy = 0;   // rigid translation of the external region (px)
  float cos_t = 1, sin_t = 0;

  void set_rotation(float t) {
    theta = t;
    cos_t = std::cos(t);
    sin_t = std::sin(t);
  }

  // Maps (x, y) in place; returns the local rotation the skin underwent there (radians), which
  // turns the minutia's direction too.
  float apply(float& x, float& y) const {
    const float ux = x - cx, uy = y - cy;
    const float s = std::sqrt(ux * ux + uy * uy) - r1;
    if (s <= 0.0f) return 0.0f;
    const float b = 1.0f - std::exp(-s * s / (2.0f * k * k));
    const float rx = cos_t * ux - sin_t * uy + dx - ux;
    const float ry = sin_t * ux + cos_t * uy + dy - uy;
    x += b * rx;
    y += b * ry;
    return b * theta;
  }
};

}  // namespace tunggal::datasets::detail
