// Orientation field from averaged squared gradients (Kass & Witkin 1987; Bazen & Gerez 2002): the
// doubled-angle gradient vector (Gx²-Gy², 2GxGy) averages without the 180° ambiguity cancelling it
// out, and its length over the energy is the coherence. The averaging is done on a 4x coarser grid
// (a Gaussian of σ = 7 px is smooth at that scale) and interpolated back: ~10x cheaper, same field.
#include <opencv2/imgproc.hpp>

#include <cmath>
#include <numbers>

#include "ingest/detail/extraction_stages.h"

namespace tunggal::ingest::detail {

float OrientationField::ridge_angle(int x, int y) const {
  float t = 0.5f * std::atan2(sin2.at<float>(y, x), cos2.at<float>(y, x));
  if (t < 0) t += std::numbers::pi_v<float>;
  return t;
}

OrientationField orientation_field(const cv::Mat& normalised, const ExtractorOptions& o) {
  constexpr int kScale = 4;
  // A fresh buffer: blurring into a header of `normalised` would blur the image the later stages use.
  cv::Mat gx, gy, src;
  if (o.gradient_sigma > 0) cv::GaussianBlur(normalised, src, cv::Size(0, 0), o.gradient_sigma);
  else src = normalised;
  cv::Sobel(src, gx, CV_32F, 1, 0, 3);
  cv::Sobel(src, gy, CV_32F, 0, 1, 3);
  cv::Mat a = gx.mul(gx) - gy.mul(gy), b = 2 * gx.mul(gy), e = gx.mul(gx) + gy.mul(gy);
  const cv::Size small((normalised.cols + kScale - 1) / kScale, (normalised.rows + kScale - 1) / kScale);
  const double sigma = o.orientation_sigma / kScale;
  for (cv::Mat* m : {&a, &b, &e}) {
    cv::resize(*m, *m, small, 0, 0, cv::INTER_AREA);
    cv::GaussianBlur(*m, *m, cv::Size(0, 0), sigma, sigma, cv::BORDER_REFLECT);
  }
  // The gradient is normal to the ridges: ridge doubled angle = gradient doubled angle + π, i.e.
  // the doubled-angle vector negated.
  OrientationField of;
  cv::Mat c2(small, CV_32F), s2(small, CV_32F), coh(small, CV_32F);
  for (int y = 0; y < small.height; ++y)
    for (int x = 0; x < small.width; ++x) {
      const float av = a.at<float>(y, x), bv = b.at<float>(y, x), ev = e.at<float>(y, x);
      const float len = std::sqrt(av * av + bv * bv);
      c2.at<float>(y, x) = len > 0 ? -av / len : 1.0f;
      s2.at<float>(y, x) = len > 0 ? -bv / len : 0.0f;
      coh.at<float>(y, x) = ev > 1e-6f ? len / ev : 0.0f;
    }
  const cv::Size full = normalised.size();
  cv::resize(c2, of.cos2, full, 0, 0, cv::INTER_LINEAR);
  cv::resize(s2, of.sin2, full, 0, 0, cv::INTER_LINEAR);
  cv::resize(coh, of.coherence, full, 0, 0, cv::INTER_LINEAR);
  return of;
}

}  // namespace tunggal::ingest::detail
