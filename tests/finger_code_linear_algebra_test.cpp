// The finger-code model's training algebra: eigenpairs satisfy A v = λ v, k-means finds
// well-separated clusters, both deterministically.
#include "matcher/detail/linear_algebra.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "matcher/detail/synthetic_finger.h"

namespace tunggal::matcher::detail {
namespace {

TEST(FingerCodeLinearAlgebra, EigenpairsOfRandomSymmetricMatrices) {
  for (int n : {1, 2, 5, 40, 130}) {
    SplitMix rng(n);
    std::vector<double> a(std::size_t(n) * n);
    for (int i = 0; i < n; ++i)
      for (int j = 0; j <= i; ++j) a[std::size_t(i) * n + j] = a[std::size_t(j) * n + i] = rng.normal();
    const SymmetricEigen e = symmetric_eigen(a, n);
    ASSERT_EQ(e.values.size(), std::size_t(n));
    for (int r = 0; r < n; ++r) {
      if (r > 0) EXPECT_GE(e.values[r - 1], e.values[r]);
      double norm = 0, err = 0;
      for (int i = 0; i < n; ++i) {
        double av = 0;
        for (int k = 0; k < n; ++k) av += a[std::size_t(i) * n + k] * e.vectors[std::size_t(r) * n + k];
        err = std::max(err, std::fabs(av - e.values[r] * e.vectors[std::size_t(r) * n + i]));
        norm += e.vectors[std::size_t(r) * n + i] * e.vectors[std::size_t(r) * n + i];
      }
      EXPECT_NEAR(norm, 1.0, 1e-9) << "n=" << n << " r=" << r;
      EXPECT_LT(err, 1e-8) << "n=" << n << " r=" << r;
    }
  }
}

TEST(FingerCodeLinearAlgebra, KmeansFindsSeparatedClustersDeterministically) {
  SplitMix rng(3);
  const int k = 5, d = 3, per = 50;
  std::vector<float> x;
  for (int c = 0; c < k; ++c)
    for (int i = 0; i < per; ++i)
      for (int j = 0; j < d; ++j) x.push_back(10.0f * c * (j + 1) + 0.3f * rng.normal());
  const auto c1 = kmeans(x, k * per, d, k, 20, 9);
  EXPECT_EQ(c1, kmeans(x, k * per, d, k, 20, 9));
  // Every true centre has a centroid within 0.2.
  for (int c = 0; c < k; ++c) {
    float best = 1e9f;
    for (int w = 0; w < k; ++w) {
      float s = 0;
      for (int j = 0; j < d; ++j) s += std::pow(c1[std::size_t(w) * d + j] - 10.0f * c * (j + 1), 2.0f);
      best = std::min(best, std::sqrt(s));
    }
    EXPECT_LT(best, 0.2f) << "cluster " << c;
  }
}

}  // namespace
}  // namespace tunggal::matcher::detail
