// Blotch clamping before the normalisation. On a faint print with dark blotches (residue on the
// platen, ink or sweat dots: DB2_B 109_8), the blotches are the darkest grey levels by far and
// rule the local mean and variance, the gradients of the orientation field and the Gabor
// responses: the filters follow the dots rather than the faint ridges between them, and the
// minutiae come from the dots. The median and the median absolute deviation of a window are not
// moved by a minority of blotches, so clamping every grey level to median ± k robust deviations
// flattens the blotches to the level of the ridges and leaves the ridge modulation itself alone.
// Whether a print needs it is decided by the caller (the clamped image must give a clearer ridge
// flow), since on a clean print the clamp only squares the ridges' profile.
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <array>
#include <cmath>

#include "ingest/detail/extraction_stages.h"

namespace tunggal::ingest::detail {
namespace {

constexpr int kStep = 16;    // grid of the robust statistics, pixels (8: 4x the time, within noise on FVC2002)
constexpr int kHalf = 12;    // window half-width: a 25 px window, ~3 ridge periods at 500 ppi
constexpr int kSample = 1;   // every pixel of the window (every second one measured worse on DB1_B)

// The n/2-th smallest of the counted values (what std::nth_element at n/2 gives), from a
// histogram of 8-bit values: O(n + 256) instead of two partial sorts per grid node, which made
// this stage ~10% of a DB2_B extraction (perf, session 10).
int histogram_nth(const std::array<int, 256>& hist, int nth) {
  int seen = 0;
  for (int v = 0; v < 256; ++v) {
    seen += hist[static_cast<std::size_t>(v)];
    if (seen > nth) return v;
  }
  return 255;
}

}  // namespace

cv::Mat clamp_blotches(const cv::Mat& grey, float k) {
  const int gw = (grey.cols + kStep - 1) / kStep + 1, gh = (grey.rows + kStep - 1) / kStep + 1;
  cv::Mat med(gh, gw, CV_32F), dev(gh, gw, CV_32F);
  for (int gy = 0; gy < gh; ++gy)
    for (int gx = 0; gx < gw; ++gx) {
      const int cx = std::min(gx * kStep, grey.cols - 1), cy = std::min(gy * kStep, grey.rows - 1);
      std::array<int, 256> hist{};
      int n = 0;
      for (int y = std::max(0, cy - kHalf); y <= std::min(grey.rows - 1, cy + kHalf); y += kSample) {
        const std::uint8_t* r = grey.ptr<std::uint8_t>(y);
        for (int x = std::max(0, cx - kHalf); x <= std::min(grey.cols - 1, cx + kHalf); x += kSample, ++n) ++hist[r[x]];
      }
      const int m = histogram_nth(hist, n / 2);
      std::array<int, 256> deviations{};  // |v - m| for every counted v
      for (int v = 0; v < 256; ++v) deviations[static_cast<std::size_t>(std::abs(v - m))] += hist[static_cast<std::size_t>(v)];
      med.at<float>(gy, gx) = float(m);
      // At least one grey level: a flat window (background) must not clamp sensor noise to nothing.
      dev.at<float>(gy, gx) = k * std::max(1.0f, 1.4826f * float(histogram_nth(deviations, n / 2)));
    }
  // Bilinear between the grid nodes (node g sits at pixel g * kStep).
  cv::Mat out(grey.size(), CV_32F);
  for (int y = 0; y < grey.rows; ++y) {
    const int y0 = y / kStep;
    const float ty = float(y % kStep) / kStep;
    const std::uint8_t* src = grey.ptr<std::uint8_t>(y);
    const float *m0 = med.ptr<float>(y0), *m1 = med.ptr<float>(y0 + 1);
    const float *d0 = dev.ptr<float>(y0), *d1 = dev.ptr<float>(y0 + 1);
    float* dst = out.ptr<float>(y);
    for (int x = 0; x < grey.cols; ++x) {
      const int x0 = x / kStep;
      const float tx = float(x % kStep) / kStep;
      auto at = [&](const float* r0, const float* r1) {
        const float a = r0[x0] * (1 - tx) + r0[x0 + 1] * tx;
        const float b = r1[x0] * (1 - tx) + r1[x0 + 1] * tx;
        return a * (1 - ty) + b * ty;
      };
      const float mv = at(m0, m1), sv = at(d0, d1);
      dst[x] = std::clamp(float(src[x]), mv - sv, mv + sv);
    }
  }
  return out;
}

}  // namespace tunggal::ingest::detail
