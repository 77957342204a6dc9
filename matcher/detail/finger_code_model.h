#pragma once
// The finger-code model: pooled cylinder descriptors -> discriminant projection -> weighted sum
// over the template's cylinders (VLAD with `words` words; the shipped code uses one) -> centring ->
// signed square root -> L2.
//
// Why each step:
// - Pooling: an MCC16b cylinder is 16x16 cells x 6 direction sections of bits, aligned with its
//   minutia (so rotation- and translation-invariant). Mates' cylinders agree only roughly cell by
//   cell (distortion, jitter), so cells are pooled into blocks x blocks spatial blocks per section,
//   each the fraction of set bits among the block's *valid* cells, shrunk towards a prior density
//   where few cells are valid (the border of the print).
// - Projection: linear discriminant analysis on pairs of corresponding cylinders of synthetic
//   captures of the same finger (what varies between two captures of one minutia) against all
//   cylinders (what varies between minutiae), keeping the most discriminant directions, scaled so
//   that the capture noise has unit variance.
// - Aggregation: VLAD (Jégou et al., CVPR 2010): per codebook word, the sum of the residuals of
//   the cylinders assigned to it. Measured (docs/finger_codes.md): fewer words and more projected
//   dimensions were better at every step, down to one word and 256 dimensions, where the code is
//   the LDA-whitened sum of the pooled cylinders (computed as one projection of the sum). Bag of
//   words (Sivic & Zisserman 2003, soft assignment) is the other aggregation, for experiments.
//   Cylinders are weighted by (valid cells / cells in the circle)^γ: border cylinders, which see a
//   different part of their neighbourhood in every capture, count less.
// - Centring by the mean of synthetic cylinders removes what all fingers share, so that impostors'
//   codes are near-orthogonal; the signed square root (Perronnin et al. 2010, "power
//   normalisation") damps what a template repeats.
// Everything learnt comes from the built-in synthetic generator (synthetic_finger.h), with fixed
// seeds: the model is identical in every process and on every machine.
#include <cstdint>
#include <span>
#include <vector>

#include "matcher/detail/linear_algebra.h"
#include "matcher/finger_matcher.h"

namespace tunggal::matcher::detail {

enum class CodeAggregation : int { kBagOfWords = 0, kVlad = 1 };

struct FingerCodeOptions {
  int dimension = 256;           // code length
  int blocks = 8;                // spatial pooling: blocks x blocks blocks of the 16x16 cells
  float prior_density = 0.15f;   // pooled value of a block without valid cells
  float prior_weight = 2.0f;     // in cells: how fast the pooled value leaves the prior
  int projection = 256;          // discriminant directions kept
  bool lda = true;               // false: plain PCA whitening
  CodeAggregation aggregation = CodeAggregation::kVlad;
  int words = 4;                 // VLAD/BoW codebook size when code_lda (else dimension decides)
  bool code_lda = false;         // second stage: LDA of the aggregated code down to `dimension`
  int code_train_fingers = 600;  // synthetic fingers (two captures each) for that stage
  int soft_words = 3;            // BoW: words each cylinder votes for
  float soft_sigma = 1.5f;       // BoW: vote weight exp(-(d² - d²min) / 2σ²), projected units
  float border_weight_gamma = 2;  // cylinder weight (valid cells / cells in the circle)^γ
  bool signed_sqrt = true;       // power normalisation after the sum
  bool post_centre = false;      // subtract the mean normalised code of synthetic captures, L2 again
  int train_fingers = 400;       // synthetic fingers for the projection and the codebook
  int kmeans_iterations = 12;
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
  // Pooled descriptor -> projected (projection floats).
  void project(const float* pooled, float* out) const;

 private:
  void train();
  // The aggregated, normalised first-stage code (raw_dim_ floats).
  void encode_raw(const PreparedTemplate& t, std::span<float> out) const;
  // Adds the unnormalised contribution of one projected descriptor to acc (dimension floats).
  void accumulate(const float* y, float* acc) const;
  friend struct FingerCodeKernels;

  FingerCodeOptions opt_;
  int desc_ = 0, words_ = 0, raw_dim_ = 0, cells_in_circle_ = 0;
  int blocks_used_ = 0;                     // pooling blocks with cells inside the cylinder
  std::vector<std::uint64_t> block_masks_;  // per used block: kMaskWords words of cell bits
  std::vector<float> mean_desc_;            // desc_
  std::vector<float> proj_;                 // projection x desc_
  std::vector<float> proj_t_;               // desc_ x projection (the kernels' layout)
  std::vector<float> centroids_;            // words_ x projection
  std::vector<float> centroid_norm2_;       // words_
  std::vector<float> mean_contribution_;    // raw_dim_: mean accumulate() of training cylinders
  std::vector<float> post_mean_;            // raw_dim_: mean normalised code (post_centre only)
  LinearProjection code_proj_;              // dimension x raw_dim_ (code_lda only)
};

}  // namespace tunggal::matcher::detail
