// Ridge frequency by the oriented x-signature of Hong, Wan & Jain (1998): in a window centred on a
// block and aligned with the local ridges, the grey levels summed along the ridge direction form a
// sinusoid across the ridges whose peak spacing is the local ridge period. Blocks without a clear
// period (creases, scars, noise) take the period interpolated from their neighbours.
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>

#include "ingest/detail/extraction_stages.h"

namespace tunggal::ingest::detail {
namespace {

constexpr int kAcross = 40;  // window length across the ridges: 3-5 periods at 500 ppi
constexpr int kAlong = 16;   // window length along the ridges
constexpr float kMinPeriod = 4.0f, kMaxPeriod = 16.0f;

// Mean spacing of the ridges (minima of the signature: ridges are negative), 0 when unclear.
float signature_period(const float* s, int n) {
  float sm[kAcross];
  for (int i = 0; i < n; ++i) sm[i] = (s[std::max(i - 1, 0)] + 2 * s[i] + s[std::min(i + 1, n - 1)]) * 0.25f;
  int first = -1, last = -1, count = 0;
  float depth = 0;
  for (int i = 1; i + 1 < n; ++i)
    if (sm[i] < sm[i - 1] && sm[i] <= sm[i + 1] && sm[i] < 0) {
      if (first < 0) first = i;
      last = i;
      ++count;
      depth -= sm[i];
    }
  if (count < 2) return 0;
  // A shallow signature is noise, not ridges.
  if (depth / count < 0.3f) return 0;
  const float p = float(last - first) / float(count - 1);
  return p >= kMinPeriod && p <= kMaxPeriod ? p : 0.0f;
}

}  // namespace

RidgeFrequency ridge_frequency(const cv::Mat& normalised, const cv::Mat& mask, const OrientationField& of,
                               const ExtractorOptions& o) {
  const int b = o.block_size;
  const int gw = (normalised.cols + b - 1) / b, gh = (normalised.rows + b - 1) / b;
  cv::Mat period(gh, gw, CV_32F, cv::Scalar(0)), valid(gh, gw, CV_32F, cv::Scalar(0));
  std::vector<float> found;
  int fg_blocks = 0;
  float sig[kAcross];
  for (int gy = 0; gy < gh; ++gy)
    for (int gx = 0; gx < gw; ++gx) {
      const int cx = std::min(gx * b + b / 2, normalised.cols - 1), cy = std::min(gy * b + b / 2, normalised.rows - 1);
      if (!mask.at<std::uint8_t>(cy, cx)) continue;
      ++fg_blocks;
      const float t = of.ridge_angle(cx, cy);
      const float tx = std::cos(t), ty = std::sin(t);  // along the ridge
      const float nx = -ty, ny = tx;                   // across
      for (int k = 0; k < kAcross; ++k) {
        float sum = 0;
        int cnt = 0;
        for (int d = 0; d < kAlong; ++d) {
          const float u = float(k - kAcross / 2), v = float(d - kAlong / 2);
          const int x = int(std::lround(cx + u * nx + v * tx)), y = int(std::lround(cy + u * ny + v * ty));
          if (x < 0 || y < 0 || x >= normalised.cols || y >= normalised.rows) continue;
          sum += normalised.at<float>(y, x);
          ++cnt;
        }
        sig[k] = cnt ? sum / float(cnt) : 0.0f;
      }
      const float p = signature_period(sig, kAcross);
      if (p > 0) {
        period.at<float>(gy, gx) = p;
        valid.at<float>(gy, gx) = 1;
        found.push_back(p);
      }
    }
  RidgeFrequency rf;
  rf.valid_fraction = fg_blocks ? float(found.size()) / float(fg_blocks) : 0.0f;
  if (found.empty()) {
    rf.median_period = 9.0f;  // typical adult ridge period at 500 ppi (~0.46 mm)
  } else {
    std::nth_element(found.begin(), found.begin() + found.size() / 2, found.end());
    rf.median_period = found[found.size() / 2];
  }
  // Normalised convolution: fills the gaps and smooths single-block outliers.
  cv::Mat num, den;
  cv::GaussianBlur(period, num, cv::Size(0, 0), 1.5);
  cv::GaussianBlur(valid, den, cv::Size(0, 0), 1.5);
  for (int y = 0; y < gh; ++y)
    for (int x = 0; x < gw; ++x) {
      const float d = den.at<float>(y, x);
      float p = d > 0.05f ? num.at<float>(y, x) / d : rf.median_period;
      p = std::clamp(p, std::max(kMinPeriod, 0.7f * rf.median_period), std::min(kMaxPeriod, 1.4f * rf.median_period));
      period.at<float>(y, x) = p;
    }
  cv::Mat up;
  cv::resize(period, up, cv::Size(gw * b, gh * b), 0, 0, cv::INTER_LINEAR);
  rf.period = up(cv::Rect(0, 0, normalised.cols, normalised.rows)).clone();
  return rf;
}

}  // namespace tunggal::ingest::detail
