#include "matcher/detail/finger_code_model.h"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>

#include "matcher/detail/angles.h"
#include "matcher/detail/linear_algebra.h"
#include "matcher/detail/synthetic_finger.h"

namespace tunggal::matcher::detail {
namespace {

constexpr int kNs = PreparedTemplate::kNs;
constexpr int kNd = PreparedTemplate::kNd;
constexpr int kMw = PreparedTemplate::kMaskWords;
constexpr int kMaxDesc = kNs * kNs * kNd;
constexpr int kMaxProjection = 128;

// A second capture of a training finger, remembering which original minutia each kept one is
// (`source[i]` = index in t.minutiae): any rotation, a shift, jitter, missed minutiae, a cut-off
// part of the print (partial overlap) and a few spurious minutiae (source -1).
FingerTemplate training_impression(const FingerTemplate& t, std::uint64_t seed, std::vector<int>& source) {
  SplitMix rng(seed);
  const float r = kTwoPi * rng.uniform();
  const float tx = 40.0f * (rng.uniform() - 0.5f), ty = 40.0f * (rng.uniform() - 0.5f);
  const float jitter = 1.0f + 2.0f * rng.uniform();
  const float cut_dir = kTwoPi * rng.uniform(), cut_at = 60.0f + 200.0f * rng.uniform();
  const float cx = t.width / 2.0f, cy = t.height / 2.0f;
  FingerTemplate o = t;
  o.minutiae.clear();
  source.clear();
  for (std::size_t i = 0; i < t.minutiae.size(); ++i) {
    const auto& m = t.minutiae[i];
    const float dx = m.x - cx, dy = m.y - cy;
    if (rng.uniform() < 0.1f || dx * std::cos(cut_dir) + dy * std::sin(cut_dir) > cut_at) continue;
    const float x = cx + dx * std::cos(r) + dy * std::sin(r) + tx + jitter * rng.normal();
    const float y = cy - dx * std::sin(r) + dy * std::cos(r) + ty + jitter * rng.normal();
    if (x < 0 || y < 0 || x > t.width - 1 || y > t.height - 1) continue;
    Minutia q = m;
    q.x = static_cast<std::uint16_t>(std::lround(x));
    q.y = static_cast<std::uint16_t>(std::lround(y));
    float a = std::fmod(m.angle + r + 0.12f * jitter * rng.normal() + 2 * kTwoPi, kTwoPi);
    q.angle = a >= kTwoPi ? 0.0f : a;
    o.minutiae.push_back(q);
    source.push_back(static_cast<int>(i));
  }
  for (int s = 0; s < 3; ++s) {
    Minutia q;
    q.x = static_cast<std::uint16_t>(t.width * (0.2f + 0.6f * rng.uniform()));
    q.y = static_cast<std::uint16_t>(t.height * (0.2f + 0.6f * rng.uniform()));
    q.angle = std::min(kTwoPi * rng.uniform(), std::nextafter(kTwoPi, 0.0f));
    o.minutiae.push_back(q);
    source.push_back(-1);
  }
  return o;
}

}  // namespace

FingerCodeModel::FingerCodeModel(const FingerCodeOptions& opt) : opt_(opt) {
  opt_.blocks = std::clamp(opt_.blocks, 1, kNs);
  opt_.dimension = std::max(opt_.dimension, 1);
  // Pooling blocks whose cells all lie outside the cylinder's circle (the corners) never hold a
  // valid cell: leave them out.
  const int nb = opt_.blocks * opt_.blocks;
  std::vector<std::uint64_t> masks(std::size_t(nb) * kMw, 0);
  std::vector<bool> used(nb, false);
  for (int i = 0; i < kNs; ++i)
    for (int j = 0; j < kNs; ++j) {
      const int c = i * kNs + j;
      const float u = i + 0.5f - kNs / 2.0f, v = j + 0.5f - kNs / 2.0f;
      if (u * u + v * v > (kNs / 2.0f) * (kNs / 2.0f)) continue;
      const int q = (i * opt_.blocks / kNs) * opt_.blocks + (j * opt_.blocks / kNs);
      masks[std::size_t(q) * kMw + c / 64] |= std::uint64_t{1} << (c % 64);
      used[q] = true;
    }
  for (int q = 0; q < nb; ++q)
    if (used[q]) {
      block_masks_.insert(block_masks_.end(), &masks[std::size_t(q) * kMw], &masks[std::size_t(q) * kMw] + kMw);
      ++blocks_used_;
    }
  desc_ = blocks_used_ * kNd;
  opt_.projection = std::clamp(opt_.projection, 1, std::min(desc_, kMaxProjection));
  opt_.soft_words = std::max(opt_.soft_words, 1);
  words_ = opt_.aggregation == CodeAggregation::kVlad ? std::max(1, opt_.dimension / opt_.projection)
                                                      : opt_.dimension;
  if (opt_.aggregation == CodeAggregation::kVlad) opt_.dimension = words_ * opt_.projection;
  train();
}

void FingerCodeModel::train() {
  const FingerMatcher matcher;
  const int d = desc_, p = opt_.projection;
  std::vector<float> all;    // pooled descriptors of every training cylinder
  std::vector<float> diffs;  // differences of corresponding cylinders of two captures
  std::vector<float> da(d), db(d);
  std::vector<int> source;
  for (int f = 0; f < opt_.train_fingers; ++f) {
    const int n = 25 + (f * 7) % 40;
    // A square frame large enough that no rotation pushes minutiae out.
    const FingerTemplate ta = synthetic_finger(opt_.seed + 1000 + std::uint64_t(f), n, 560, 560);
    const FingerTemplate tb = training_impression(ta, opt_.seed * 31 + std::uint64_t(f), source);
    auto a = matcher.prepare(ta);
    auto b = matcher.prepare(tb);
    if (!a || !b) continue;
    std::vector<int> cyl_of(ta.minutiae.size(), -1);
    for (int c = 0; c < a->cylinder_count(); ++c) {
      cyl_of[a->minutiae()[a->cylinder_minutia(c)].source_index] = c;
      pool(*a, c, da.data());
      all.insert(all.end(), da.begin(), da.end());
    }
    for (int c = 0; c < b->cylinder_count(); ++c) {
      pool(*b, c, db.data());
      all.insert(all.end(), db.begin(), db.end());
      const int src = source[b->minutiae()[b->cylinder_minutia(c)].source_index];
      if (src < 0 || cyl_of[src] < 0) continue;
      pool(*a, cyl_of[src], da.data());
      for (int k = 0; k < d; ++k) diffs.push_back(da[k] - db[k]);
    }
  }
  const std::size_t na = all.size() / d, nd = std::max<std::size_t>(1, diffs.size() / d);

  // Mean, total scatter St and within-pair scatter Sw (a pair difference has twice the variance).
  mean_desc_.assign(d, 0.0f);
  std::vector<double> mu(d, 0.0), st(std::size_t(d) * d, 0.0), sw(std::size_t(d) * d, 0.0);
  for (std::size_t i = 0; i < na; ++i)
    for (int k = 0; k < d; ++k) mu[k] += all[i * d + k];
  for (int k = 0; k < d; ++k) mean_desc_[k] = float(mu[k] /= double(std::max<std::size_t>(na, 1)));
  // Lower triangles of the scatter matrices, accumulated in parallel chunks (this is most of the
  // training time).
  auto scatter = [&](const std::vector<float>& x, std::size_t rows, const std::vector<double>* centre, double w,
                     std::vector<double>& out) {
    constexpr std::size_t kChunks = 8;
    std::vector<std::vector<double>> part(kChunks);
    tbb::parallel_for(std::size_t(0), kChunks, [&](std::size_t ch) {
      std::vector<double>& acc = part[ch];
      acc.assign(std::size_t(d) * d, 0.0);
      std::vector<double> xc(d);
      for (std::size_t i = ch; i < rows; i += kChunks) {
        for (int k = 0; k < d; ++k) xc[k] = x[i * d + k] - (centre ? (*centre)[k] : 0.0);
        for (int k = 0; k < d; ++k) {
          const double xk = w * xc[k];
          double* row = &acc[std::size_t(k) * d];
          for (int l = 0; l <= k; ++l) row[l] += xk * xc[l];
        }
      }
    });
    for (const auto& pc : part)
      for (std::size_t k = 0; k < out.size(); ++k) out[k] += pc[k];
  };
  scatter(all, na, &mu, 1.0, st);
  scatter(diffs, diffs.size() / d, nullptr, 0.5, sw);
  for (int k = 0; k < d; ++k)
    for (int l = 0; l <= k; ++l) {
      st[std::size_t(k) * d + l] = st[std::size_t(l) * d + k] = st[std::size_t(k) * d + l] / double(std::max<std::size_t>(na, 1));
      sw[std::size_t(k) * d + l] = sw[std::size_t(l) * d + k] = sw[std::size_t(k) * d + l] / double(nd);
    }

  // Whitening of the noise: W1 = Λ^{-1/2} Uᵀ for Sw = U Λ Uᵀ (PCA mode: of St), regularised so
  // that directions without noise in training do not explode.
  const SymmetricEigen e1 = symmetric_eigen(opt_.lda ? sw : st, d);
  double trace = 0;
  for (double v : e1.values) trace += std::max(v, 0.0);
  const double eps = 0.05 * trace / d + 1e-12;
  std::vector<double> w1(std::size_t(d) * d);
  for (int r = 0; r < d; ++r)
    for (int k = 0; k < d; ++k)
      w1[std::size_t(r) * d + k] = e1.vectors[std::size_t(r) * d + k] / std::sqrt(std::max(e1.values[r], 0.0) + eps);
  proj_.assign(std::size_t(p) * d, 0.0f);
  if (opt_.lda) {
    // Most discriminant directions: eigenvectors of W1 St W1ᵀ.
    std::vector<double> m(std::size_t(d) * d, 0.0), tmp(std::size_t(d) * d, 0.0);
    for (int r = 0; r < d; ++r) {  // tmp = W1 St (rows of St are contiguous)
      double* t = &tmp[std::size_t(r) * d];
      for (int k = 0; k < d; ++k) {
        const double w = w1[std::size_t(r) * d + k];
        const double* srow = &st[std::size_t(k) * d];
        for (int l = 0; l < d; ++l) t[l] += w * srow[l];
      }
    }
    for (int r = 0; r < d; ++r)  // m = tmp W1ᵀ
      for (int c = 0; c <= r; ++c) {
        double s = 0;
        const double* t = &tmp[std::size_t(r) * d];
        const double* w = &w1[std::size_t(c) * d];
        for (int l = 0; l < d; ++l) s += t[l] * w[l];
        m[std::size_t(r) * d + c] = m[std::size_t(c) * d + r] = s;
      }
    const SymmetricEigen e2 = symmetric_eigen(m, d);
    for (int r = 0; r < p; ++r) {
      std::vector<double> row(d, 0.0);
      for (int j = 0; j < d; ++j) {
        const double e = e2.vectors[std::size_t(r) * d + j];
        const double* w = &w1[std::size_t(j) * d];
        for (int k = 0; k < d; ++k) row[k] += e * w[k];
      }
      for (int k = 0; k < d; ++k) proj_[std::size_t(r) * d + k] = float(row[k]);
    }
  } else {
    for (int r = 0; r < p; ++r)
      for (int k = 0; k < d; ++k) proj_[std::size_t(r) * d + k] = float(w1[std::size_t(r) * d + k]);
  }

  proj_t_.assign(std::size_t(d) * p, 0.0f);
  for (int r = 0; r < p; ++r)
    for (int k = 0; k < d; ++k) proj_t_[std::size_t(k) * p + r] = proj_[std::size_t(r) * d + k];

  // Codebook on the projected training cylinders.
  std::vector<float> y(na * p);
  tbb::parallel_for(std::size_t(0), na, [&](std::size_t i) { project(&all[i * d], &y[i * p]); });
  centroids_ = kmeans(y, static_cast<int>(na), p, words_, opt_.kmeans_iterations, opt_.seed + 7);
  centroid_norm2_.assign(words_, 0.0f);
  for (int w = 0; w < words_; ++w)
    for (int k = 0; k < p; ++k) centroid_norm2_[w] += centroids_[std::size_t(w) * p + k] * centroids_[std::size_t(w) * p + k];

  mean_contribution_.assign(opt_.dimension, 0.0f);
  std::vector<double> acc(opt_.dimension, 0.0);
  std::vector<float> one(opt_.dimension);
  for (std::size_t i = 0; i < na; ++i) {
    std::fill(one.begin(), one.end(), 0.0f);
    accumulate(&y[i * p], one.data());
    for (int k = 0; k < opt_.dimension; ++k) acc[k] += one[k];
  }
  for (int k = 0; k < opt_.dimension; ++k) mean_contribution_[k] = float(acc[k] / double(std::max<std::size_t>(na, 1)));
}

void FingerCodeModel::pool(const PreparedTemplate& t, int c, float* out) const {
  const std::uint64_t* bits = t.cylinder_bits(c);
  const std::uint64_t* mask = t.cylinder_mask(c);
  const int nb = blocks_used_;
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

void FingerCodeModel::project(const float* x, float* out) const {
  float centred[kMaxDesc];
  for (int k = 0; k < desc_; ++k) centred[k] = x[k] - mean_desc_[k];
  for (int r = 0; r < opt_.projection; ++r) {
    const float* w = &proj_[std::size_t(r) * desc_];
    float s = 0;
    for (int k = 0; k < desc_; ++k) s += w[k] * centred[k];
    out[r] = s;
  }
}

void FingerCodeModel::accumulate(const float* y, float* acc) const {
  const int p = opt_.projection;
  float y2 = 0;
  for (int k = 0; k < p; ++k) y2 += y[k] * y[k];
  thread_local std::vector<float> d2;
  d2.resize(words_);
  for (int w = 0; w < words_; ++w) {
    const float* c = &centroids_[std::size_t(w) * p];
    float s = 0;
    for (int k = 0; k < p; ++k) s += c[k] * y[k];
    d2[w] = std::max(0.0f, centroid_norm2_[w] - 2.0f * s + y2);
  }
  if (opt_.aggregation == CodeAggregation::kVlad) {
    const int w = static_cast<int>(std::min_element(d2.begin(), d2.end()) - d2.begin());
    for (int k = 0; k < p; ++k) acc[w * p + k] += y[k] - centroids_[std::size_t(w) * p + k];
    return;
  }
  // The soft_words nearest words (soft_words is small: a partial selection).
  constexpr int kMaxSoft = 16;
  const int m = std::min({opt_.soft_words, kMaxSoft, words_});
  int best[kMaxSoft];
  float bd[kMaxSoft];
  int have = 0;
  for (int w = 0; w < words_; ++w) {
    if (have == m && d2[w] >= bd[m - 1]) continue;
    int i = have < m ? have++ : m - 1;
    while (i > 0 && bd[i - 1] > d2[w]) {
      bd[i] = bd[i - 1];
      best[i] = best[i - 1];
      --i;
    }
    bd[i] = d2[w];
    best[i] = w;
  }
  const float inv = 1.0f / (2.0f * opt_.soft_sigma * opt_.soft_sigma);
  float wsum = 0, wt[kMaxSoft];
  for (int i = 0; i < have; ++i) wsum += (wt[i] = std::exp(-(bd[i] - bd[0]) * inv));
  for (int i = 0; i < have; ++i) acc[best[i]] += wt[i] / wsum;
}

// The per-cylinder work of encode() (pool, project, aggregate), compiled once for the baseline
// ISA and once for AVX2+FMA+POPCNT; chosen at run time like the matcher's kernels.
struct FingerCodeKernels {
  [[gnu::always_inline]] static inline void run(const FingerCodeModel& m, const PreparedTemplate& t, float* acc) {
    const int p = m.opt_.projection, d = m.desc_, nb = m.blocks_used_;
    const float a = m.opt_.prior_weight, pa = m.opt_.prior_density * m.opt_.prior_weight;
    const bool vlad = m.opt_.aggregation == CodeAggregation::kVlad;
    alignas(64) float x[kMaxDesc];
    alignas(64) float y[kMaxProjection];
    for (int c = 0; c < t.cylinder_count(); ++c) {
      const std::uint64_t* bits = t.cylinder_bits(c);
      const std::uint64_t* mask = t.cylinder_mask(c);
      for (int q = 0; q < nb; ++q) {
        const std::uint64_t* bm = &m.block_masks_[std::size_t(q) * kMw];
        int valid = 0;
        for (int w = 0; w < kMw; ++w) valid += std::popcount(mask[w] & bm[w]);
        const float inv = 1.0f / (float(valid) + a);
        for (int k = 0; k < kNd; ++k) {
          int set = 0;
          for (int w = 0; w < kMw; ++w) set += std::popcount(bits[k * kMw + w] & bm[w]);
          x[q * kNd + k] = (float(set) + pa) * inv - m.mean_desc_[q * kNd + k];
        }
      }
      for (int r = 0; r < p; ++r) y[r] = 0.0f;
      for (int k = 0; k < d; ++k) {
        const float xk = x[k];
        const float* row = &m.proj_t_[std::size_t(k) * p];
        for (int r = 0; r < p; ++r) y[r] += row[r] * xk;
      }
      if (!vlad) {
        m.accumulate(y, acc);
        continue;
      }
      int best = 0;
      float bd = 0;
      for (int w = 0; w < m.words_; ++w) {
        const float* cw = &m.centroids_[std::size_t(w) * p];
        float s = 0;
        for (int r = 0; r < p; ++r) s += (y[r] - cw[r]) * (y[r] - cw[r]);
        if (w == 0 || s < bd) bd = s, best = w;
      }
      const float* cw = &m.centroids_[std::size_t(best) * p];
      float* aw = acc + std::size_t(best) * p;
      for (int r = 0; r < p; ++r) aw[r] += y[r] - cw[r];
    }
  }
};

namespace {

__attribute__((target("avx2,fma,popcnt"))) void run_avx2(const FingerCodeModel& m, const PreparedTemplate& t,
                                                         float* acc) {
  FingerCodeKernels::run(m, t, acc);
}
void run_baseline(const FingerCodeModel& m, const PreparedTemplate& t, float* acc) { FingerCodeKernels::run(m, t, acc); }

using RunFn = void (*)(const FingerCodeModel&, const PreparedTemplate&, float*);
RunFn pick_kernel() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("popcnt"))
    return run_avx2;
  return run_baseline;
}

}  // namespace

void FingerCodeModel::encode(const PreparedTemplate& t, std::span<float> out) const {
  static const RunFn kernel = pick_kernel();
  const int dim = opt_.dimension;
  std::fill(out.begin(), out.end(), 0.0f);
  const int nc = t.cylinder_count();
  kernel(*this, t, out.data());
  double norm = 0;
  for (int r = 0; r < dim; ++r) {
    float v = out[r] - float(nc) * mean_contribution_[r];
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
