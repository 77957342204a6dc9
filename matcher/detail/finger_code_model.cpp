#include "matcher/detail/finger_code_model.h"

#include <algorithm>
#include <bit>
#include <cmath>

#include "matcher/detail/angles.h"
#include "matcher/detail/synthetic_finger.h"

namespace tunggal::matcher::detail {
namespace {

constexpr int kNs = PreparedTemplate::kNs;
constexpr int kNd = PreparedTemplate::kNd;
constexpr int kMw = PreparedTemplate::kMaskWords;

}  // namespace

FingerCodeModel::FingerCodeModel(const FingerCodeOptions& opt) : opt_(opt) {
  opt_.blocks = std::clamp(opt_.blocks, 1, kNs);
  opt_.dimension = std::max(opt_.dimension, 1);
  const int nb = opt_.blocks * opt_.blocks;
  desc_ = nb * kNd;
  block_masks_.assign(std::size_t(nb) * kMw, 0);
  for (int i = 0; i < kNs; ++i)
    for (int j = 0; j < kNs; ++j) {
      const int c = i * kNs + j;
      const int q = (i * opt_.blocks / kNs) * opt_.blocks + (j * opt_.blocks / kNs);
      block_masks_[std::size_t(q) * kMw + c / 64] |= std::uint64_t{1} << (c % 64);
    }

  SplitMix rng(opt_.seed);
  const std::size_t d = std::size_t(opt_.dimension);
  w_.resize(d * desc_);
  b_.resize(d);
  for (auto& x : w_) x = rng.normal() / opt_.sigma;
  for (auto& x : b_) x = rng.uniform() * kTwoPi;

  // Mean feature over the cylinders of synthetic fingers (various sizes and minutiae counts).
  mean_.assign(d, 0.0f);
  std::vector<double> acc(d, 0.0);
  std::vector<float> desc(desc_), feat(d);
  std::size_t count = 0;
  const FingerMatcher matcher;
  for (int f = 0; f < opt_.train_fingers; ++f) {
    const int n = 25 + (f * 7) % 40;
    const auto p = matcher.prepare(synthetic_finger(opt_.seed + 1000 + f, n));
    if (!p) continue;
    for (int c = 0; c < p->cylinder_count(); ++c) {
      pool(*p, c, desc.data());
      std::fill(feat.begin(), feat.end(), 0.0f);
      add_features(desc.data(), feat.data());
      for (std::size_t k = 0; k < d; ++k) acc[k] += feat[k];
      ++count;
    }
  }
  if (count > 0)
    for (std::size_t k = 0; k < d; ++k) mean_[k] = static_cast<float>(acc[k] / double(count));
}

void FingerCodeModel::pool(const PreparedTemplate& t, int c, float* out) const {
  const std::uint64_t* bits = t.cylinder_bits(c);
  const std::uint64_t* mask = t.cylinder_mask(c);
  const int nb = opt_.blocks * opt_.blocks;
  const float a = opt_.prior_weight, pa = opt_.prior_density * opt_.prior_weight;
  for (int q = 0; q < nb; ++q) {
    const std::uint64_t* bm = &block_masks_[std::size_t(q) * kMw];
    int valid = 0;
    for (int w = 0; w < kMw; ++w) valid += std::popcount(mask[w] & bm[w]);
    const float inv = 1.0f / (float(valid) + a);
    for (int k = 0; k < kNd; ++k) {
      int set = 0;
      for (int w = 0; w < kMw; ++w) set += std::popcount(bits[k * kMw + w] & bm[w]);
      out[q * kNd + k] = (float(set) + pa) * inv;
    }
  }
}

void FingerCodeModel::add_features(const float* d, float* acc) const {
  const int dim = opt_.dimension;
  for (int r = 0; r < dim; ++r) {
    const float* w = &w_[std::size_t(r) * desc_];
    float s = b_[r];
    for (int k = 0; k < desc_; ++k) s += w[k] * d[k];
    acc[r] += std::cos(s);
  }
}

void FingerCodeModel::encode(const PreparedTemplate& t, std::span<float> out) const {
  const int dim = opt_.dimension;
  std::fill(out.begin(), out.end(), 0.0f);
  const int nc = t.cylinder_count();
  float desc[kNs * kNs * kNd];
  for (int c = 0; c < nc; ++c) {
    pool(t, c, desc);
    add_features(desc, out.data());
  }
  double norm = 0;
  for (int r = 0; r < dim; ++r) {
    float v = out[r] - float(nc) * mean_[r];
    if (opt_.signed_sqrt) v = std::copysign(std::sqrt(std::fabs(v)), v);
    out[r] = v;
    norm += double(v) * v;
  }
  if (!(norm > 1e-12) || !std::isfinite(norm)) {
    // No usable cylinder: a constant unit vector, equally (and weakly) similar to everything.
    std::fill(out.begin(), out.end(), 1.0f / std::sqrt(float(dim)));
    return;
  }
  const float inv = static_cast<float>(1.0 / std::sqrt(norm));
  for (int r = 0; r < dim; ++r) out[r] *= inv;
}

}  // namespace tunggal::matcher::detail
