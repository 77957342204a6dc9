#include "matcher/detail/linear_algebra.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include <tbb/parallel_for.h>

#include "matcher/detail/synthetic_finger.h"

namespace tunggal::matcher::detail {

// Householder reduction to tridiagonal form (tred2) and the implicit QL algorithm (tql2), as in
// EISPACK and its JAMA port: O(n³) with a small constant, unlike Jacobi's many sweeps.
SymmetricEigen symmetric_eigen(std::vector<double> a, int n) {
  std::vector<double>& V = a;  // becomes the eigenvectors, one per column
  auto v = [&](int i, int j) -> double& { return V[std::size_t(i) * n + j]; };
  std::vector<double> d(n), e(n);
  for (int j = 0; j < n; ++j) d[j] = v(n - 1, j);
  for (int i = n - 1; i > 0; --i) {
    double scale = 0.0, h = 0.0;
    for (int k = 0; k < i; ++k) scale += std::fabs(d[k]);
    if (scale == 0.0) {
      e[i] = d[i - 1];
      for (int j = 0; j < i; ++j) {
        d[j] = v(i - 1, j);
        v(i, j) = 0.0;
        v(j, i) = 0.0;
      }
    } else {
      for (int k = 0; k < i; ++k) {
        d[k] /= scale;
        h += d[k] * d[k];
      }
      double f = d[i - 1];
      double g = std::sqrt(h);
      if (f > 0) g = -g;
      e[i] = scale * g;
      h -= f * g;
      d[i - 1] = f - g;
      for (int j = 0; j < i; ++j) e[j] = 0.0;
      for (int j = 0; j < i; ++j) {
        f = d[j];
        v(j, i) = f;
        g = e[j] + v(j, j) * f;
        for (int k = j + 1; k <= i - 1; ++k) {
          g += v(k, j) * d[k];
          e[k] += v(k, j) * f;
        }
        e[j] = g;
      }
      f = 0.0;
      for (int j = 0; j < i; ++j) {
        e[j] /= h;
        f += e[j] * d[j];
      }
      const double hh = f / (h + h);
      for (int j = 0; j < i; ++j) e[j] -= hh * d[j];
      for (int j = 0; j < i; ++j) {
        f = d[j];
        g = e[j];
        for (int k = j; k <= i - 1; ++k) v(k, j) -= (f * e[k] + g * d[k]);
        d[j] = v(i - 1, j);
        v(i, j) = 0.0;
      }
    }
    d[i] = h;
  }
  for (int i = 0; i < n - 1; ++i) {
    v(n - 1, i) = v(i, i);
    v(i, i) = 1.0;
    const double h = d[i + 1];
    if (h != 0.0) {
      for (int k = 0; k <= i; ++k) d[k] = v(k, i + 1) / h;
      for (int j = 0; j <= i; ++j) {
        double g = 0.0;
        for (int k = 0; k <= i; ++k) g += v(k, i + 1) * v(k, j);
        for (int k = 0; k <= i; ++k) v(k, j) -= g * d[k];
      }
    }
    for (int k = 0; k <= i; ++k) v(k, i + 1) = 0.0;
  }
  for (int j = 0; j < n; ++j) {
    d[j] = v(n - 1, j);
    v(n - 1, j) = 0.0;
  }
  if (n > 0) v(n - 1, n - 1) = 1.0;
  if (n > 0) e[0] = 0.0;

  // tql2, rotating rows of the transposed eigenvector matrix (contiguous, vectorisable).
  std::vector<double> vt(std::size_t(n) * n);
  for (int i = 0; i < n; ++i)
    for (int k = 0; k < n; ++k) vt[std::size_t(i) * n + k] = v(k, i);
  for (int i = 1; i < n; ++i) e[i - 1] = e[i];
  if (n > 0) e[n - 1] = 0.0;
  double f = 0.0, tst1 = 0.0;
  const double eps = std::ldexp(1.0, -52);
  for (int l = 0; l < n; ++l) {
    tst1 = std::max(tst1, std::fabs(d[l]) + std::fabs(e[l]));
    int m = l;
    while (m < n) {
      if (std::fabs(e[m]) <= eps * tst1) break;
      ++m;
    }
    if (m == n) m = n - 1;
    if (m > l) {
      for (int iter = 0; iter < 200; ++iter) {
        double g = d[l];
        double p = (d[l + 1] - g) / (2.0 * e[l]);
        double r = std::hypot(p, 1.0);
        if (p < 0) r = -r;
        d[l] = e[l] / (p + r);
        d[l + 1] = e[l] * (p + r);
        const double dl1 = d[l + 1];
        double h = g - d[l];
        for (int i = l + 2; i < n; ++i) d[i] -= h;
        f += h;
        p = d[m];
        double c = 1.0, c2 = c, c3 = c;
        const double el1 = e[l + 1];
        double s = 0.0, s2 = 0.0;
        for (int i = m - 1; i >= l; --i) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i];
          h = c * p;
          r = std::hypot(p, e[i]);
          e[i + 1] = s * r;
          s = e[i] / r;
          c = p / r;
          p = c * d[i] - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]);
          double* vi = &vt[std::size_t(i) * n];
          double* vi1 = &vt[std::size_t(i + 1) * n];
          for (int k = 0; k < n; ++k) {
            const double t1 = vi1[k];
            vi1[k] = s * vi[k] + c * t1;
            vi[k] = c * vi[k] - s * t1;
          }
        }
        p = -s * s2 * c3 * el1 * e[l] / dl1;
        e[l] = s * p;
        d[l] = c * p;
        if (!(std::fabs(e[l]) > eps * tst1)) break;
      }
    }
    d[l] += f;
    e[l] = 0.0;
  }

  std::vector<int> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](int x, int y) { return d[x] > d[y]; });
  SymmetricEigen out;
  out.values.resize(n);
  out.vectors.resize(std::size_t(n) * n);
  for (int r = 0; r < n; ++r) {
    out.values[r] = d[order[r]];
    std::copy_n(&vt[std::size_t(order[r]) * n], n, &out.vectors[std::size_t(r) * n]);
  }
  return out;
}

namespace {

// acc (lower triangle, d x d) += w x xᵀ: the hot loop of training, compiled for AVX2+FMA too.
[[gnu::always_inline]] inline void add_outer(double* acc, const double* x, double w, int d) {
  for (int k = 0; k < d; ++k) {
    const double xk = w * x[k];
    double* row = &acc[std::size_t(k) * d];
    for (int l = 0; l <= k; ++l) row[l] += xk * x[l];
  }
}
__attribute__((target("avx2,fma"))) void add_outer_avx2(double* acc, const double* x, double w, int d) {
  add_outer(acc, x, w, d);
}
void add_outer_baseline(double* acc, const double* x, double w, int d) { add_outer(acc, x, w, d); }
using ScatterFn = void (*)(double*, const double*, double, int);
ScatterFn pick_scatter() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") ? add_outer_avx2 : add_outer_baseline;
}

}  // namespace

LinearProjection discriminant_projection(const std::vector<float>& all, const std::vector<float>& diffs, int d, int p,
                                         bool lda) {
  const std::size_t na = all.size() / d, nd = std::max<std::size_t>(1, diffs.size() / d);
  // Mean, total scatter St and within-pair scatter Sw (a pair difference has twice the variance).
  LinearProjection out;
  out.mean.assign(d, 0.0f);
  std::vector<double> mu(d, 0.0), st(std::size_t(d) * d, 0.0), sw(std::size_t(d) * d, 0.0);
  for (std::size_t i = 0; i < na; ++i)
    for (int k = 0; k < d; ++k) mu[k] += all[i * d + k];
  for (int k = 0; k < d; ++k) out.mean[k] = float(mu[k] /= double(std::max<std::size_t>(na, 1)));
  // Lower triangles of the scatter matrices, accumulated in parallel chunks (this is most of the
  // training time).
  auto scatter = [&](const std::vector<float>& x, std::size_t rows, const std::vector<double>* centre, double w,
                     std::vector<double>& out) {
    constexpr std::size_t kChunks = 8;
    static const ScatterFn add_rows = pick_scatter();
    std::vector<std::vector<double>> part(kChunks);
    tbb::parallel_for(std::size_t(0), kChunks, [&](std::size_t ch) {
      std::vector<double>& acc = part[ch];
      acc.assign(std::size_t(d) * d, 0.0);
      std::vector<double> xc(d);
      for (std::size_t i = ch; i < rows; i += kChunks) {
        for (int k = 0; k < d; ++k) xc[k] = x[i * d + k] - (centre ? (*centre)[k] : 0.0);
        add_rows(acc.data(), xc.data(), w, d);
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
  const SymmetricEigen e1 = symmetric_eigen(lda ? sw : st, d);
  double trace = 0;
  for (double v : e1.values) trace += std::max(v, 0.0);
  const double eps = 0.05 * trace / d + 1e-12;
  std::vector<double> w1(std::size_t(d) * d);
  for (int r = 0; r < d; ++r)
    for (int k = 0; k < d; ++k)
      w1[std::size_t(r) * d + k] = e1.vectors[std::size_t(r) * d + k] / std::sqrt(std::max(e1.values[r], 0.0) + eps);
  out.matrix.assign(std::size_t(p) * d, 0.0f);
  if (lda) {
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
      for (int k = 0; k < d; ++k) out.matrix[std::size_t(r) * d + k] = float(row[k]);
    }
  } else {
    for (int r = 0; r < p; ++r)
      for (int k = 0; k < d; ++k) out.matrix[std::size_t(r) * d + k] = float(w1[std::size_t(r) * d + k]);
  }

  return out;
}

std::vector<float> kmeans(const std::vector<float>& x, int n, int d, int k, int iterations, std::uint64_t seed) {
  std::vector<float> c(std::size_t(k) * d, 0.0f);
  if (n == 0 || k == 0) return c;
  SplitMix rng(seed);
  auto dist2 = [&](const float* a, const float* b) {
    float s = 0;
    for (int j = 0; j < d; ++j) s += (a[j] - b[j]) * (a[j] - b[j]);
    return s;
  };
  // k-means++ seeding.
  std::vector<float> best(n, std::numeric_limits<float>::max());
  int pick = static_cast<int>(rng.next() % std::uint64_t(n));
  for (int cent = 0; cent < k; ++cent) {
    std::copy_n(&x[std::size_t(pick) * d], d, &c[std::size_t(cent) * d]);
    double total = 0;
    for (int i = 0; i < n; ++i) {
      best[i] = std::min(best[i], dist2(&x[std::size_t(i) * d], &c[std::size_t(cent) * d]));
      total += best[i];
    }
    double r = rng.uniform() * total;
    pick = n - 1;
    for (int i = 0; i < n; ++i) {
      r -= best[i];
      if (r <= 0) {
        pick = i;
        break;
      }
    }
  }
  std::vector<int> assign(n, 0);
  std::vector<double> sum(std::size_t(k) * d);
  std::vector<int> count(k);
  for (int it = 0; it < iterations; ++it) {
    for (int i = 0; i < n; ++i) {
      float bd = std::numeric_limits<float>::max();
      for (int cent = 0; cent < k; ++cent) {
        const float dd = dist2(&x[std::size_t(i) * d], &c[std::size_t(cent) * d]);
        if (dd < bd) bd = dd, assign[i] = cent;
      }
    }
    std::fill(sum.begin(), sum.end(), 0.0);
    std::fill(count.begin(), count.end(), 0);
    for (int i = 0; i < n; ++i) {
      ++count[assign[i]];
      for (int j = 0; j < d; ++j) sum[std::size_t(assign[i]) * d + j] += x[std::size_t(i) * d + j];
    }
    for (int cent = 0; cent < k; ++cent) {
      if (count[cent] == 0) {  // an empty cluster restarts at a random point
        const int i = static_cast<int>(rng.next() % std::uint64_t(n));
        std::copy_n(&x[std::size_t(i) * d], d, &c[std::size_t(cent) * d]);
        continue;
      }
      for (int j = 0; j < d; ++j) c[std::size_t(cent) * d + j] = float(sum[std::size_t(cent) * d + j] / count[cent]);
    }
  }
  return c;
}

}  // namespace tunggal::matcher::detail
