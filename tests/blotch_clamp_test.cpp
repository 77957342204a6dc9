// Blotch clamping (ingest/detail/blotch_clamp.cpp): every grey level is clamped to the local
// median ± k robust deviations, interpolated between grid nodes. The medians come from
// histograms; they must be exactly what sorting gives, or the extractor's minutiae (and the
// FVC2002 figures in docs/extraction.md) would move.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "ingest/detail/extraction_stages.h"

namespace tunggal::ingest::detail {
namespace {

constexpr int kStep = 16, kHalf = 12;  // blotch_clamp.cpp's grid and window

// Median and robust deviation at one grid node, by sorting the window: the definition.
std::pair<float, float> node_by_sorting(const cv::Mat& grey, int cx, int cy, float k) {
  std::vector<int> v;
  for (int y = std::max(0, cy - kHalf); y <= std::min(grey.rows - 1, cy + kHalf); ++y)
    for (int x = std::max(0, cx - kHalf); x <= std::min(grey.cols - 1, cx + kHalf); ++x) v.push_back(grey.at<std::uint8_t>(y, x));
  std::vector<int> s = v;
  std::sort(s.begin(), s.end());
  const int m = s[s.size() / 2];
  std::vector<int> d;
  for (int x : v) d.push_back(std::abs(x - m));
  std::sort(d.begin(), d.end());
  return {float(m), k * std::max(1.0f, 1.4826f * float(d[d.size() / 2]))};
}

cv::Mat random_print(int w, int h, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> noise(-25, 25), spot(0, 99);
  cv::Mat g(h, w, CV_8U);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      int v = 128 + int(60 * std::sin(0.7 * x + 0.2 * y)) + noise(rng);
      if (spot(rng) < 3) v = 5;  // dark dots
      g.at<std::uint8_t>(y, x) = std::uint8_t(std::clamp(v, 0, 255));
    }
  return g;
}

TEST(BlotchClamp, GridNodesAreTheSortedMedianAndDeviation) {
  for (auto [w, h, seed] : {std::tuple{100, 80, 1u}, std::tuple{296, 560, 2u}, std::tuple{71, 67, 3u}}) {
    const cv::Mat g = random_print(w, h, seed);
    const float k = 1.5f;
    const cv::Mat out = clamp_blotches(g, k);
    ASSERT_EQ(out.size(), g.size());
    ASSERT_EQ(out.type(), CV_32F);
    // At a grid node the interpolation weights are 1 and 0: the output is the grey level clamped
    // to that node's median ± deviation, exactly.
    for (int y = 0; y < h; y += kStep)
      for (int x = 0; x < w; x += kStep) {
        const auto [m, s] = node_by_sorting(g, x, y, k);
        const float want = std::clamp(float(g.at<std::uint8_t>(y, x)), m - s, m + s);
        ASSERT_EQ(out.at<float>(y, x), want) << w << "x" << h << " at " << x << "," << y;
      }
  }
}

TEST(BlotchClamp, DarkBlotchesAreLiftedAndTheRidgeModulationIsKept) {
  cv::Mat g(200, 200, CV_8U);
  for (int y = 0; y < g.rows; ++y)
    for (int x = 0; x < g.cols; ++x) g.at<std::uint8_t>(y, x) = std::uint8_t(128 + 40 * std::sin(0.7 * x));
  cv::circle(g, {100, 100}, 4, cv::Scalar(0), -1);  // a blotch far darker than any ridge
  const cv::Mat out = clamp_blotches(g, 1.5f);
  double lo = 0, hi = 0;
  cv::minMaxLoc(out(cv::Rect(96, 96, 9, 9)), &lo, &hi);
  // Ridges span 88..168 (median 128, robust deviation ~42 at k 1.5): the blotch's 0 comes up to
  // within a few tens of grey levels of the darkest ridge (measured 50).
  EXPECT_GT(lo, 40.0) << "the blotch was not lifted towards the ridges' level";
  // Away from the blotch the ridges' own range survives (clamping flattens only their peaks).
  cv::minMaxLoc(out(cv::Rect(20, 20, 30, 30)), &lo, &hi);
  EXPECT_GT(hi - lo, 50.0);
}

}  // namespace
}  // namespace tunggal::ingest::detail
