// The Gabor filter's inner loop has an AVX2 build and a baseline build (picked at run time); the
// extractor's minutiae must not depend on which one the machine runs.
#include "ingest/detail/gabor_filter_patch.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

namespace tunggal::ingest::detail {
namespace {

TEST(GaborFilterPatch, BothBuildsGiveTheSameBitsAndTheDotProduct) {
  std::mt19937 rng(7);
  std::normal_distribution<float> g(0.0f, 1.0f);
  for (int n : {9, 10, 17, 19, 24, 33}) {  // odd and even row counts, strides of 1 to 5 vectors
    const int stride = (n + kGaborLanes - 1) / kGaborLanes * kGaborLanes;
    const std::size_t pitch = std::size_t(stride) + 13;  // image rows wider than the kernel
    std::vector<float> image(pitch * n), w(std::size_t(stride) * n, 0.0f);
    for (float& v : image) v = g(rng);
    double expected = 0;
    for (int y = 0; y < n; ++y)
      for (int x = 0; x < n; ++x) {  // zero weights beyond n, as GaborBank pads them
        w[std::size_t(y) * stride + x] = g(rng);
        expected += double(image[y * pitch + x]) * w[std::size_t(y) * stride + x];
      }
    const float generic = gabor_filter_patch_generic(image.data(), pitch, w.data(), stride, n);
    EXPECT_NEAR(generic, expected, 1e-3 * n) << "rows " << n;
    if (!gabor_filter_has_avx2()) continue;
    const float avx2 = gabor_filter_patch_avx2(image.data(), pitch, w.data(), stride, n);
    std::uint32_t a, b;
    std::memcpy(&a, &generic, 4);
    std::memcpy(&b, &avx2, 4);
    EXPECT_EQ(a, b) << "rows " << n << ": " << generic << " vs " << avx2;
  }
  if (!gabor_filter_has_avx2()) GTEST_SKIP() << "no AVX2 on this CPU: only the baseline build was checked";
}

}  // namespace
}  // namespace tunggal::ingest::detail
