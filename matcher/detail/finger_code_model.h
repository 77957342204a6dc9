#pragma once
// The finger-code model: pooled cylinder descriptors -> random Fourier features -> centred sum over
// the template's cylinders -> signed square root -> L2 normalisation.
//
// Why each step:
// - Pooling: an MCC16b cylinder is 16x16 cells x 6 direction sections of bits, aligned with its
//   minutia (so rotation- and translation-invariant). Mates' cylinders agree only roughly cell by
//   cell (distortion, jitter), so cells are pooled into blocks x blocks spatial blocks per section,
//   each the fraction of set bits among the block's *valid* cells, shrunk towards a prior density
//   where few cells are valid (the border of the print).
// - Random Fourier features (Rahimi & Recht 2007): phi(d) with <phi(a), phi(b)> ~ exp(-|a-b|²/2σ²),
//   so summed codes compare every cylinder of one template with every cylinder of the other
//   (Bo & Sminchisescu 2009, "efficient match kernels").
// - Centring by the mean feature of synthetic cylinders removes what all fingers share, so that
//   impostors' codes are near-orthogonal; the signed square root (Perronnin et al. 2010, "power
//   normalisation") damps templates with many similar cylinders.
// The only learned part is the mean feature, from the built-in synthetic generator
// (synthetic_finger.h), deterministically; the random projection comes from a fixed seed.
#include <cstdint>
#include <span>
#include <vector>

#include "matcher/finger_matcher.h"

namespace tunggal::matcher::detail {

struct FingerCodeOptions {
  int dimension = 256;          // random features = code length
  int blocks = 4;               // spatial pooling: blocks x blocks blocks of the 16x16 cells
  float sigma = 0.9f;           // Gaussian kernel bandwidth on the pooled descriptor
  float prior_density = 0.15f;  // pooled value of a block without valid cells
  float prior_weight = 2.0f;    // in cells: how fast the pooled value leaves the prior
  bool signed_sqrt = true;      // power normalisation after the sum
  int train_fingers = 120;      // synthetic fingers for the mean feature
  std::uint64_t seed = 20261125;
};

class FingerCodeModel {
 public:
  explicit FingerCodeModel(const FingerCodeOptions& opt = {});
  int dimension() const { return opt_.dimension; }
  int descriptor_size() const { return desc_; }
  const FingerCodeOptions& options() const { return opt_; }

  // out.size() == dimension(); L2-normalised, never NaN.
  void encode(const PreparedTemplate& t, std::span<float> out) const;
  // The pooled descriptor of cylinder c (descriptor_size() floats).
  void pool(const PreparedTemplate& t, int c, float* out) const;

 private:
  // Adds (or, with mean == nullptr, accumulates raw) random features of descriptor d to acc.
  void add_features(const float* d, float* acc) const;

  FingerCodeOptions opt_;
  int desc_ = 0;
  std::vector<std::uint64_t> block_masks_;  // per block: kMaskWords words of cell bits
  std::vector<float> w_;                    // dimension x desc_, row-major, already divided by σ
  std::vector<float> b_;                    // dimension phases
  std::vector<float> mean_;                 // dimension: mean feature of synthetic cylinders
};

}  // namespace tunggal::matcher::detail
