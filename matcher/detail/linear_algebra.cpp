#include "matcher/detail/linear_algebra.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

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
