#include "matcher/detail/finger_code_model.h"

#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

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
constexpr int kMaxProjection = 256;

// A second capture of a training finger, remembering which original minutia each kept one is
// (`source[i]` = index in t.minutiae, -1 for a spurious one). The noise follows what captures do
// (and what datasets/detail/impression.h models): partial contact (an off-centre ellipse, one
// capture in ten a tip touch), plastic distortion away from the contact centre (Cappelli, Maio,
// Maltoni, ICAPR 2001), 8-20% missed minutiae plus 35% in the contact's faded outer ring, 5-15%
// spurious ones, jitter of 1-2 px and 4-7 degrees, then any rotation and a shift.
FingerTemplate training_impression(const FingerTemplate& t, std::uint64_t seed, std::vector<int>& source) {
  SplitMix rng(seed);
  const float cx = t.width / 2.0f, cy = t.height / 2.0f;
  // Contact ellipse (the print itself spans 0.38 w x 0.42 h semi-axes, see synthetic_finger).
  const bool tip = rng.uniform() < 0.1f;
  const float scale = tip ? 0.35f + 0.15f * rng.uniform() : 0.6f + 0.35f * rng.uniform();
  const float ex = 0.38f * t.width * scale, ey = 0.42f * t.height * scale;
  const float ecx = cx + 0.38f * t.width * (1 - scale) * (2 * rng.uniform() - 1);
  const float ecy = cy + 0.42f * t.height * (1 - scale) * (2 * rng.uniform() - 1);
  // Plastic distortion: rigid motion of the skin outside a close-contact disc, braked smoothly.
  const float r1 = 40.0f + 40.0f * rng.uniform(), kb = 60.0f;
  const float dth = 0.09f * (2 * rng.uniform() - 1), ddx = 8.0f * (2 * rng.uniform() - 1),
              ddy = 8.0f * (2 * rng.uniform() - 1);
  const float miss = 0.08f + 0.12f * rng.uniform();
  const float jitter = 1.0f + 1.1f * rng.uniform(), ajit = (4.0f + 3.0f * rng.uniform()) * kPi / 180.0f;
  const float r = kTwoPi * rng.uniform();
  const float tx = 40.0f * (rng.uniform() - 0.5f), ty = 40.0f * (rng.uniform() - 0.5f);
  auto wrap = [](float a) {
    a = std::fmod(a + 4 * kTwoPi, kTwoPi);
    return a >= kTwoPi ? 0.0f : a;
  };
  auto place = [&](float x, float y, float a, Minutia& q) {
    // Rigid motion about the frame centre; ISO angles are counter-clockwise like the rotation.
    const float dx = x - cx, dy = y - cy;
    const float px = cx + dx * std::cos(r) + dy * std::sin(r) + tx;
    const float py = cy - dx * std::sin(r) + dy * std::cos(r) + ty;
    if (px < 0 || py < 0 || px > t.width - 1 || py > t.height - 1) return false;
    q.x = static_cast<std::uint16_t>(std::lround(px));
    q.y = static_cast<std::uint16_t>(std::lround(py));
    q.angle = wrap(a + r);
    return true;
  };
  FingerTemplate o = t;
  o.minutiae.clear();
  source.clear();
  int in_contact = 0;
  for (std::size_t i = 0; i < t.minutiae.size(); ++i) {
    const auto& m = t.minutiae[i];
    const float u = (m.x - ecx) / ex, v = (m.y - ecy) / ey, e2 = u * u + v * v;
    if (e2 > 1.0f) continue;
    ++in_contact;
    if (rng.uniform() < miss + (e2 > 0.7f ? 0.35f : 0.0f)) continue;
    float x = m.x, y = m.y, a = m.angle;
    const float ux = x - ecx, uy = y - ecy, sd = std::sqrt(ux * ux + uy * uy) - r1;
    if (sd > 0) {
      const float b = 1.0f - std::exp(-sd * sd / (2 * kb * kb));
      x += b * (std::cos(dth) * ux - std::sin(dth) * uy + ddx - ux);
      y += b * (std::sin(dth) * ux + std::cos(dth) * uy + ddy - uy);
      a -= b * dth;  // y down: a screen-clockwise turn of the skin lowers the ISO angle
    }
    Minutia q = m;
    if (!place(x + jitter * rng.normal(), y + jitter * rng.normal(), a + ajit * rng.normal(), q)) continue;
    o.minutiae.push_back(q);
    source.push_back(static_cast<int>(i));
  }
  const int spurious = static_cast<int>(std::lround(in_contact * (0.05f + 0.1f * rng.uniform())));
  for (int s = 0; s < spurious; ++s) {
    const float ang = kTwoPi * rng.uniform(), rad = std::sqrt(rng.uniform());
    Minutia q;
    if (!place(ecx + ex * rad * std::cos(ang), ecy + ey * rad * std::sin(ang), kTwoPi * rng.uniform(), q)) continue;
    o.minutiae.push_back(q);
    source.push_back(-1);
  }
  return o;
}

// Training finger f: a synthetic finger and a second capture of it (`source` maps the capture's
// minutiae to the finger's). One definition, so that every stage that revisits the training
// fingers sees the same ones.
struct TrainingPair {
  FingerTemplate a, b;
};
TrainingPair training_pair(std::uint64_t seed, int f, std::vector<int>& source) {
  const int n = 25 + (f * 7) % 40;
  // A square frame large enough that no rotation pushes minutiae out.
  FingerTemplate a = synthetic_finger(seed + 1000 + std::uint64_t(f), n, 560, 560);
  FingerTemplate b = training_impression(a, seed * 31 + std::uint64_t(f), source);
  return {std::move(a), std::move(b)};
}

// Scales `v` to unit length; a vector with no length left (no usable cylinder, or exactly the
// mean) becomes the constant unit vector, equally and weakly similar to everything.
void normalise_or_constant(std::span<float> v) {
  double norm = 0;
  for (float x : v) norm += double(x) * x;
  if (!(norm > 1e-12) || !std::isfinite(norm)) {
    std::fill(v.begin(), v.end(), 1.0f / std::sqrt(float(v.size())));
    return;
  }
  const float inv = static_cast<float>(1.0 / std::sqrt(norm));
  for (float& x : v) x *= inv;
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
  for (const auto w : masks) cells_in_circle_ += std::popcount(w);
  for (int q = 0; q < nb; ++q)
    if (used[q]) {
      block_masks_.insert(block_masks_.end(), &masks[std::size_t(q) * kMw], &masks[std::size_t(q) * kMw] + kMw);
      ++blocks_used_;
    }
  desc_ = blocks_used_ * kNd;
  opt_.projection = std::clamp(opt_.projection, 1, std::min(desc_, kMaxProjection));
  opt_.soft_words = std::max(opt_.soft_words, 1);
  if (!opt_.code_lda) opt_.words = opt_.aggregation == CodeAggregation::kVlad ? std::max(1, opt_.dimension / opt_.projection)
                                                                            : opt_.dimension;
  words_ = std::max(1, opt_.words);
  raw_dim_ = opt_.aggregation == CodeAggregation::kVlad ? words_ * opt_.projection : words_;
  if (!opt_.code_lda) opt_.dimension = raw_dim_;
  opt_.dimension = std::min(opt_.dimension, raw_dim_);
  // Isolated: while it waits in the training's parallel_for, this thread runs only the training's
  // own tasks. The shipped model is built on first use inside a function-local static
  // (finger_code.cpp), usually from a TBB task; unisolated, the waiting thread could take a sibling
  // task that reaches the same static and wait on its own initialisation forever (reproduced by
  // tests/finger_code_first_use_test.cpp).
  tbb::this_task_arena::isolate([this] { train(); });
}

void FingerCodeModel::train() {
  const FingerMatcher matcher;
  const int d = desc_, p = opt_.projection;
  std::vector<float> all;    // pooled descriptors of every training cylinder
  std::vector<float> diffs;  // differences of corresponding cylinders of two captures
  // Per training finger (in parallel, concatenated in order so the model does not depend on the
  // scheduling): descriptors of both captures' cylinders and differences of corresponding ones.
  struct Part {
    std::vector<float> all, diffs;
  };
  std::vector<Part> parts(std::size_t(std::max(opt_.train_fingers, 0)));
  tbb::parallel_for(0, opt_.train_fingers, [&](int f) {
    std::vector<float> da(d), db(d);
    std::vector<int> source;
    Part& part = parts[std::size_t(f)];
    const TrainingPair pair = training_pair(opt_.seed, f, source);
    const FingerTemplate& ta = pair.a;
    const FingerTemplate& tb = pair.b;
    auto a = matcher.prepare(ta);
    auto b = matcher.prepare(tb);
    if (!a || !b) return;
    std::vector<int> cyl_of(ta.minutiae.size(), -1);
    for (int c = 0; c < a->cylinder_count(); ++c) {
      cyl_of[a->minutiae()[a->cylinder_minutia(c)].source_index] = c;
      pool(*a, c, da.data());
      part.all.insert(part.all.end(), da.begin(), da.end());
    }
    for (int c = 0; c < b->cylinder_count(); ++c) {
      pool(*b, c, db.data());
      part.all.insert(part.all.end(), db.begin(), db.end());
      const int src = source[b->minutiae()[b->cylinder_minutia(c)].source_index];
      if (src < 0 || cyl_of[src] < 0) continue;
      pool(*a, cyl_of[src], da.data());
      for (int k = 0; k < d; ++k) part.diffs.push_back(da[k] - db[k]);
    }
  });
  for (const Part& part : parts) {
    all.insert(all.end(), part.all.begin(), part.all.end());
    diffs.insert(diffs.end(), part.diffs.begin(), part.diffs.end());
  }
  const std::size_t na = all.size() / d;

  const LinearProjection lp = discriminant_projection(all, diffs, d, p, opt_.lda);
  mean_desc_ = lp.mean;
  proj_ = lp.matrix;
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

  mean_contribution_.assign(raw_dim_, 0.0f);
  std::vector<double> acc(raw_dim_, 0.0);
  std::vector<float> one(raw_dim_);
  for (std::size_t i = 0; i < na; ++i) {
    std::fill(one.begin(), one.end(), 0.0f);
    accumulate(&y[i * p], one.data());
    for (int k = 0; k < raw_dim_; ++k) acc[k] += one[k];
  }
  for (int k = 0; k < raw_dim_; ++k) mean_contribution_[k] = float(acc[k] / double(std::max<std::size_t>(na, 1)));

  if (opt_.post_centre) {
    // The normalised codes of two captures of every training finger share a common direction
    // (the signed square root and L2 undo the centring above); remove their mean.
    std::vector<std::vector<double>> sums(std::size_t(std::max(opt_.train_fingers, 0)));
    tbb::parallel_for(0, opt_.train_fingers, [&](int f) {
      std::vector<int> source;
      const TrainingPair pair = training_pair(opt_.seed, f, source);
      std::vector<float> c(static_cast<std::size_t>(raw_dim_));
      auto& s = sums[std::size_t(f)];
      s.assign(std::size_t(raw_dim_) + 1, 0.0);
      for (const FingerTemplate* t : {&pair.a, &pair.b}) {
        auto p = matcher.prepare(*t);
        if (!p) continue;
        encode_raw(*p, c);
        for (int k = 0; k < raw_dim_; ++k) s[std::size_t(k)] += c[std::size_t(k)];
        s[std::size_t(raw_dim_)] += 1;
      }
    });
    std::vector<double> total(std::size_t(raw_dim_) + 1, 0.0);
    for (const auto& s : sums)
      for (std::size_t k = 0; k < s.size(); ++k) total[k] += s[k];
    post_mean_.assign(std::size_t(raw_dim_), 0.0f);
    for (int k = 0; k < raw_dim_; ++k) post_mean_[std::size_t(k)] = float(total[std::size_t(k)] / std::max(1.0, total.back()));
  }

  if (!opt_.code_lda) return;
  // Second stage: which directions of the aggregated code stay put between two captures of one
  // finger (LDA on pairs of captures of synthetic fingers), the "PCA + whitening" step that
  // Jégou & Chum (ECCV 2012) found to help aggregated codes most.
  const int nf = opt_.code_train_fingers;
  std::vector<float> codes(std::size_t(nf) * 2 * raw_dim_, 0.0f);
  std::vector<std::uint8_t> ok(nf, 0);
  tbb::parallel_for(0, nf, [&](int f) {
    std::vector<int> src;
    const FingerTemplate t = synthetic_finger(opt_.seed + 50000 + std::uint64_t(f), 25 + (f * 13) % 45, 560, 560);
    auto a = matcher.prepare(training_impression(t, opt_.seed * 77 + 2 * std::uint64_t(f), src));
    auto b = matcher.prepare(training_impression(t, opt_.seed * 77 + 2 * std::uint64_t(f) + 1, src));
    if (!a || !b) return;
    encode_raw(*a, std::span<float>(&codes[std::size_t(2 * f) * raw_dim_], std::size_t(raw_dim_)));
    encode_raw(*b, std::span<float>(&codes[std::size_t(2 * f + 1) * raw_dim_], std::size_t(raw_dim_)));
    ok[f] = 1;
  });
  std::vector<float> samples, cdiffs;
  for (int f = 0; f < nf; ++f) {
    if (!ok[f]) continue;
    const float* a = &codes[std::size_t(2 * f) * raw_dim_];
    const float* b = a + raw_dim_;
    samples.insert(samples.end(), a, a + raw_dim_);
    samples.insert(samples.end(), b, b + raw_dim_);
    for (int k = 0; k < raw_dim_; ++k) cdiffs.push_back(a[k] - b[k]);
  }
  code_proj_ = discriminant_projection(samples, cdiffs, raw_dim_, opt_.dimension, true);
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
  // Returns the total weight of the cylinders added.
  [[gnu::always_inline]] static inline float run(const FingerCodeModel& m, const PreparedTemplate& t, float* acc) {
    float total_weight = 0;
    const float gamma = m.opt_.border_weight_gamma;
    const int p = m.opt_.projection, d = m.desc_, nb = m.blocks_used_;
    const float a = m.opt_.prior_weight, pa = m.opt_.prior_density * m.opt_.prior_weight;
    const bool vlad = m.opt_.aggregation == CodeAggregation::kVlad;
    alignas(64) float x[kMaxDesc];
    alignas(64) float y[kMaxProjection];
    alignas(64) float xsum[kMaxDesc];
    const bool linear = vlad && m.words_ == 1;
    if (linear)
      for (int k = 0; k < d; ++k) xsum[k] = 0.0f;
    for (int c = 0; c < t.cylinder_count(); ++c) {
      const std::uint64_t* bits = t.cylinder_bits(c);
      const std::uint64_t* mask = t.cylinder_mask(c);
      int all_valid = 0;
      for (int q = 0; q < nb; ++q) {
        const std::uint64_t* bm = &m.block_masks_[std::size_t(q) * kMw];
        int valid = 0;
        for (int w = 0; w < kMw; ++w) valid += std::popcount(mask[w] & bm[w]);
        all_valid += valid;
        const float inv = 1.0f / (float(valid) + a);
        for (int k = 0; k < kNd; ++k) {
          int set = 0;
          for (int w = 0; w < kMw; ++w) set += std::popcount(bits[k * kMw + w] & bm[w]);
          x[q * kNd + k] = (float(set) + pa) * inv - m.mean_desc_[q * kNd + k];
        }
      }
      // Cylinders at the border of the print see only part of their neighbourhood, which another
      // capture with a different contact area sees differently: they may count less.
      const float wgt = gamma == 0.0f ? 1.0f : std::pow(float(all_valid) / float(m.cells_in_circle_), gamma);
      total_weight += wgt;
      if (linear) {  // one word: the code is linear in the cylinders, so project their sum once
        for (int k = 0; k < d; ++k) xsum[k] += wgt * x[k];
        continue;
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
      for (int r = 0; r < p; ++r) aw[r] += wgt * (y[r] - cw[r]);
    }
    if (linear) {
      for (int r = 0; r < p; ++r) acc[r] = -total_weight * m.centroids_[std::size_t(r)];
      for (int k = 0; k < d; ++k) {
        const float xk = xsum[k];
        const float* row = &m.proj_t_[std::size_t(k) * p];
        for (int r = 0; r < p; ++r) acc[r] += row[r] * xk;
      }
    }
    return total_weight;
  }
};

namespace {

__attribute__((target("avx2,fma,popcnt"))) float run_avx2(const FingerCodeModel& m, const PreparedTemplate& t,
                                                          float* acc) {
  return FingerCodeKernels::run(m, t, acc);
}
float run_baseline(const FingerCodeModel& m, const PreparedTemplate& t, float* acc) {
  return FingerCodeKernels::run(m, t, acc);
}

using RunFn = float (*)(const FingerCodeModel&, const PreparedTemplate&, float*);
RunFn pick_kernel() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("popcnt"))
    return run_avx2;
  return run_baseline;
}

}  // namespace

void FingerCodeModel::encode_raw(const PreparedTemplate& t, std::span<float> out) const {
  static const RunFn kernel = pick_kernel();
  const int dim = raw_dim_;
  std::fill(out.begin(), out.end(), 0.0f);
  const float nc = kernel(*this, t, out.data());
  for (int r = 0; r < dim; ++r) {
    float v = out[r] - nc * mean_contribution_[r];
    if (opt_.signed_sqrt) v = std::copysign(std::sqrt(std::fabs(v)), v);
    out[r] = v;
  }
  normalise_or_constant(out);
  if (post_mean_.empty()) return;
  for (int r = 0; r < dim; ++r) out[r] -= post_mean_[std::size_t(r)];
  normalise_or_constant(out);
}

void FingerCodeModel::encode(const PreparedTemplate& t, std::span<float> out) const {
  if (!opt_.code_lda) {
    encode_raw(t, out);
    return;
  }
  thread_local std::vector<float> raw;
  raw.resize(raw_dim_);
  encode_raw(t, raw);
  const int dim = opt_.dimension;
  if (t.cylinder_count() == 0) {
    std::fill(out.begin(), out.end(), 1.0f / std::sqrt(float(dim)));
    return;
  }
  for (int k = 0; k < raw_dim_; ++k) raw[k] -= code_proj_.mean[k];
  for (int r = 0; r < dim; ++r) {
    const float* w = &code_proj_.matrix[std::size_t(r) * raw_dim_];
    float s = 0;
    for (int k = 0; k < raw_dim_; ++k) s += w[k] * raw[k];
    out[r] = s;
  }
  normalise_or_constant(out.first(static_cast<std::size_t>(dim)));
}

}  // namespace tunggal::matcher::detail
