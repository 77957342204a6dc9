// Contextual enhancement with even-symmetric Gabor filters (Hong, Wan & Jain 1998): each pixel is
// filtered with the kernel tuned to its ridge orientation and period, which joins broken ridges and
// separates touching ones. Kernels are precomputed per (period, orientation) bin and applied only
// inside the foreground, pixel by pixel: cheaper than filtering the whole image once per bin.
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <numbers>

#include "ingest/detail/extraction_stages.h"

namespace tunggal::ingest::detail {

GaborBank::GaborBank(float across_factor, float along_factor) {
  kernels_.resize(std::size_t(kPeriods) * kOrientations);
  for (int p = 0; p < kPeriods; ++p) {
    const float period = kMinPeriod + kPeriodStep * float(p);
    const float sa = across_factor * period, sl = along_factor * period;
    const int r = int(std::ceil(2.0f * std::max(sa, sl)));
    max_radius_ = std::max(max_radius_, r);
    for (int oi = 0; oi < kOrientations; ++oi) {
      const float t = std::numbers::pi_v<float> * float(oi) / kOrientations;
      const float ct = std::cos(t), st = std::sin(t);
      Kernel& k = kernels_[std::size_t(p) * kOrientations + oi];
      k.radius = r;
      const int n = 2 * r + 1;
      k.w.resize(std::size_t(n) * n);
      std::vector<float> g(k.w.size());
      double sw = 0, sg = 0;
      for (int dy = -r; dy <= r; ++dy)
        for (int dx = -r; dx <= r; ++dx) {
          const float across = -float(dx) * st + float(dy) * ct;
          const float along = float(dx) * ct + float(dy) * st;
          const float env = std::exp(-across * across / (2 * sa * sa) - along * along / (2 * sl * sl));
          const std::size_t i = std::size_t(dy + r) * n + std::size_t(dx + r);
          g[i] = env;
          k.w[i] = env * std::cos(2 * std::numbers::pi_v<float> * across / period);
          sw += k.w[i];
          sg += env;
        }
      // Zero response to a flat patch: subtract the envelope's share of the DC term. Then unit gain
      // on a matching sinusoid, so responses compare across bins.
      double gain = 0;
      for (std::size_t i = 0; i < k.w.size(); ++i) {
        k.w[i] -= float(sw / sg) * g[i];
        gain += std::abs(k.w[i]);
      }
      for (float& w : k.w) w = float(w / gain * 2.0);
    }
  }
}

cv::Mat GaborBank::enhance(const cv::Mat& normalised, const cv::Mat& mask, const OrientationField& of,
                           const RidgeFrequency& rf, int step) const {
  const int R = max_radius_;
  step = std::max(1, step);
  cv::Mat padded;
  cv::copyMakeBorder(normalised, padded, R, R, R, R, cv::BORDER_CONSTANT, 0);
  const cv::Size grid((normalised.cols + step - 1) / step, (normalised.rows + step - 1) / step);
  cv::Mat out(grid, CV_32F, cv::Scalar(0));
  const float bins_per_rad = float(kOrientations) / std::numbers::pi_v<float>;
  for (int gy = 0; gy < grid.height; ++gy) {
    const int y = gy * step;
    const std::uint8_t* mk = mask.ptr<std::uint8_t>(y);
    const float* per = rf.period.ptr<float>(y);
    float* o = out.ptr<float>(gy);
    for (int gx = 0; gx < grid.width; ++gx) {
      const int x = gx * step;
      if (!mk[x]) continue;
      const int oi = int(std::lround(of.ridge_angle(x, y) * bins_per_rad)) % kOrientations;
      const int pi = std::clamp(int(std::lround((per[x] - kMinPeriod) / kPeriodStep)), 0, kPeriods - 1);
      const Kernel& k = kernels_[std::size_t(pi) * kOrientations + oi];
      const int n = 2 * k.radius + 1;
      float acc = 0;
      for (int dy = 0; dy < n; ++dy) {
        const float* row = padded.ptr<float>(y + R - k.radius + dy) + (x + R - k.radius);
        const float* w = k.w.data() + std::size_t(dy) * n;
        float s = 0;
        for (int dx = 0; dx < n; ++dx) s += row[dx] * w[dx];
        acc += s;
      }
      o[gx] = acc;
    }
  }
  if (step == 1) return out;
  cv::Mat full;
  cv::resize(out, full, cv::Size(grid.width * step, grid.height * step), 0, 0, cv::INTER_LINEAR);
  full = full(cv::Rect(0, 0, normalised.cols, normalised.rows)).clone();
  full.setTo(0, mask == 0);
  return full;
}

}  // namespace tunggal::ingest::detail
