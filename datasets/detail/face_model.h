#pragma once
// Face embeddings of synthetic identities.
//
// A face recogniser maps every photo of a person to a unit vector near that person's own
// direction; photos of different people are nearly orthogonal (at 512-d, random unit vectors have
// cosine ~N(0, 1/√512 ≈ 0.044)). We model exactly that:
//     identity vector f_i ~ N(0, I_d)                       (a random direction)
//     capture        e   = normalize(f_i + σ·n),  n ~ N(0, I_d),  σ² per capture
// so two captures of one person have cosine ≈ 1/√((1+σa²)(1+σb²)). σ² ~ U(0.25, 0.95) gives the
// genuine cosines 0.5-0.8 of a modern recogniser on ID-card photos; a poor photo (low_quality)
// has σ² ~ U(1.5, 3), cosine 0.3-0.5 with a good one.
// Twins and look-alikes: a pair shares a base direction b: f = √ρ·b + √(1-ρ)·u_i with
// ρ ~ U(0.85, 0.97), so the twins' captures have cosine ≈ ρ × (their genuine cosine) ~ 0.5-0.75:
// as close as the same person's, which only the fingers can resolve.
#include <cstdint>
#include <vector>

namespace tunggal::datasets::detail {

struct FaceTwin {
  bool is_twin = false;
  std::uint64_t pair = 0;  // shared by both twins
  float rho = 0;           // identity-vector cosine of the two
};

// Writes the capture's (unnormalised) embedding into `out` (resized to `dimension`).
void face_capture(std::uint64_t seed, std::uint64_t identity, int capture, int dimension, const FaceTwin& twin,
                  bool poor_photo, std::vector<float>& out);

}  // namespace tunggal::datasets::detail
