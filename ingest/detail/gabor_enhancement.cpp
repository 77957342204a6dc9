// Contextual enhancement with even-symmetric Gabor filters (Hong, Wan & Jain 1998): each pixel is
// filtered with the kernel tuned to its ridge orientation and period, which joins broken ridges and
// separates touching ones. Kernels are precomputed per (period, orientation) bin and applied only
// inside the foreground, pixel by pixel: cheaper than filtering the whole image once per bin.
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numbers>

#include "ingest/detail/extraction_stages.h"

namespace tunggal::ingest::detail {
namespace {

typedef float Lanes __attribute__((vector_size(8 * sizeof(float))));
static_assert(sizeof(Lanes) == GaborBank::kLanes * sizeof(float));

// The body of both builds of gabor_filter_patch: sum of products in 8 lanes, two rows at a time so
// that two chains of vector adds run side by side. No fused multiply-add (ISO C++ mode:
// -ffp-contract=off) and the same order of additions per lane in every build, so AVX2 and the
// baseline (each 8-lane vector as two SSE halves) give the same bits.
[[gnu::always_inline]] inline float filter_patch_body(const float* patch, std::size_t pitch, const float* w, int stride,
                                                      int rows) {
  Lanes even{}, odd{};
  int dy = 0;
  for (; dy + 1 < rows; dy += 2, patch += 2 * pitch, w += 2 * stride)
    for (int dx = 0; dx < stride; dx += GaborBank::kLanes) {
      Lanes p0, w0, p1, w1;  // unaligned loads
      std::memcpy(&p0, patch + dx, sizeof p0);
      std::memcpy(&w0, w + dx, sizeof w0);
      std::memcpy(&p1, patch + pitch + dx, sizeof p1);
      std::memcpy(&w1, w + stride + dx, sizeof w1);
      even += p0 * w0;
      odd += p1 * w1;
    }
  if (dy < rows)
    for (int dx = 0; dx < stride; dx += GaborBank::kLanes) {
      Lanes p0, w0;
      std::memcpy(&p0, patch + dx, sizeof p0);
      std::memcpy(&w0, w + dx, sizeof w0);
      even += p0 * w0;
    }
  const Lanes sum = even + odd;
  float acc = 0;
  for (int l = 0; l < GaborBank::kLanes; ++l) acc += sum[l];
  return acc;
}

}  // namespace

float gabor_filter_patch_generic(const float* patch, std::size_t pitch, const float* w, int stride, int rows) {
  return filter_patch_body(patch, pitch, w, stride, rows);
}

__attribute__((target("avx2"))) float gabor_filter_patch_avx2(const float* patch, std::size_t pitch, const float* w,
                                                               int stride, int rows) {
  return filter_patch_body(patch, pitch, w, stride, rows);
}

bool gabor_filter_has_avx2() {
  static const bool has = __builtin_cpu_supports("avx2");
  return has;
}

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
      // Rows padded with zeros to whole vectors of kLanes (enhance() reads them whole).
      k.stride = (n + kLanes - 1) / kLanes * kLanes;
      std::vector<float> padded(std::size_t(n) * k.stride, 0.0f);
      for (int row = 0; row < n; ++row)
        std::copy_n(k.w.begin() + std::ptrdiff_t(row) * n, n, padded.begin() + std::ptrdiff_t(row) * k.stride);
      k.w = std::move(padded);
    }
  }
}

cv::Mat GaborBank::enhance(const cv::Mat& normalised, const cv::Mat& mask, const OrientationField& of,
                           const RidgeFrequency& rf, int step) const {
  const int R = max_radius_;
  step = std::max(1, step);
  cv::Mat padded;
  // kLanes more columns on the right: a kernel row is read whole, zero weights included.
  cv::copyMakeBorder(normalised, padded, R, R, R, R + kLanes, cv::BORDER_CONSTANT, 0);
  const cv::Size grid((normalised.cols + step - 1) / step, (normalised.rows + step - 1) / step);
  cv::Mat out(grid, CV_32F, cv::Scalar(0));
  const float bins_per_rad = float(kOrientations) / std::numbers::pi_v<float>;
  const bool avx2 = gabor_filter_has_avx2();
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
      // kLanes independent partial sums: the compiler turns the inner loop into vector multiplies
      // and adds (a single running sum is a chain of dependent scalar adds it may not reorder).
      // No fused multiply-add (ISO C++ mode: -ffp-contract=off), so the result does not depend
      // on the instruction set.
      const float* patch = padded.ptr<float>(y + R - k.radius) + (x + R - k.radius);
      const float acc = avx2 ? gabor_filter_patch_avx2(patch, padded.step1(), k.w.data(), k.stride, n)
                             : gabor_filter_patch_generic(patch, padded.step1(), k.w.data(), k.stride, n);
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
