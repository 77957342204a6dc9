// Ridge response: how much of the normalised image the contextual Gabor filter kept, locally. The
// filter is tuned to the local orientation and period, so on ridges it passes most of the (unit)
// variance the normalisation gave every foreground pixel, while speckle, smudge and background
// texture, which have no one orientation and period, come out weak. Contrast alone cannot tell them
// apart: the block-deviation segmentation lets background speckle through (DB2_B 109_1).
#include <opencv2/imgproc.hpp>

#include <algorithm>

#include "ingest/detail/extraction_stages.h"

namespace tunggal::ingest::detail {
namespace {

constexpr int kStep = 4;        // grid cell, pixels
constexpr double kSigma = 2.0;  // cells: an 8 px Gaussian, about one ridge period

}  // namespace

float RidgeResponse::at(int x, int y) const {
  return relative.at<float>(std::min(y / step, relative.rows - 1), std::min(x / step, relative.cols - 1));
}

RidgeResponse ridge_response(const cv::Mat& enhanced, const cv::Mat& mask) {
  RidgeResponse r;
  r.step = kStep;
  const int gw = (enhanced.cols + kStep - 1) / kStep, gh = (enhanced.rows + kStep - 1) / kStep;
  cv::Mat e2 = enhanced.mul(enhanced), m;
  mask.convertTo(m, CV_32F);
  // Padded to whole cells so that every cell averages exactly kStep x kStep pixels.
  cv::copyMakeBorder(e2, e2, 0, gh * kStep - e2.rows, 0, gw * kStep - e2.cols, cv::BORDER_CONSTANT, 0);
  cv::copyMakeBorder(m, m, 0, gh * kStep - m.rows, 0, gw * kStep - m.cols, cv::BORDER_CONSTANT, 0);
  cv::Mat es, ms;
  cv::resize(e2, es, cv::Size(gw, gh), 0, 0, cv::INTER_AREA);
  cv::resize(m, r.foreground, cv::Size(gw, gh), 0, 0, cv::INTER_AREA);
  // Normalised convolution: the mean over the foreground only, so that the background's zeros do not
  // pull the outline down.
  cv::GaussianBlur(es, es, cv::Size(0, 0), kSigma, kSigma, cv::BORDER_CONSTANT);
  cv::GaussianBlur(r.foreground, ms, cv::Size(0, 0), kSigma, kSigma, cv::BORDER_CONSTANT);
  r.relative.create(gh, gw, CV_32F);
  std::vector<float> inside;
  for (int y = 0; y < gh; ++y)
    for (int x = 0; x < gw; ++x) {
      const bool fg = r.foreground.at<float>(y, x) >= 0.5f;
      const float v = fg && ms.at<float>(y, x) > 1e-3f ? es.at<float>(y, x) / ms.at<float>(y, x) : 0.0f;
      r.relative.at<float>(y, x) = v;
      if (fg) inside.push_back(v);
    }
  // Relative to the print's own median: sensors and the clipping of the normalisation differ.
  if (!inside.empty()) {
    std::nth_element(inside.begin(), inside.begin() + std::ptrdiff_t(inside.size() / 2), inside.end());
    r.median = inside[inside.size() / 2];
    if (r.median > 0) r.relative /= r.median;
  }
  return r;
}

bool peel_weak_outline(cv::Mat& mask, const RidgeResponse& r, float min_relative, int min_width) {
  const int gh = r.relative.rows, gw = r.relative.cols;
  // Cells a flood from the background may enter: background and weak foreground. Components of
  // them that touch the background are the weak outline; weak cells enclosed by strong ones (a
  // crease, a scar, a dry patch inside the print) stay foreground.
  cv::Mat passable(gh + 2, gw + 2, CV_8U, cv::Scalar(1)), fg(gh, gw, CV_8U);
  for (int y = 0; y < gh; ++y)
    for (int x = 0; x < gw; ++x) {
      fg.at<std::uint8_t>(y, x) = r.foreground.at<float>(y, x) >= 0.5f;
      passable.at<std::uint8_t>(y + 1, x + 1) = !fg.at<std::uint8_t>(y, x) || r.relative.at<float>(y, x) < min_relative;
    }
  cv::Mat labels;
  const int n = cv::connectedComponents(passable, labels, 8, CV_32S);
  std::vector<std::uint8_t> outside(std::size_t(n), 0);
  for (int y = 0; y < gh + 2; ++y)
    for (int x = 0; x < gw + 2; ++x) {
      const bool bg = y == 0 || x == 0 || y == gh + 1 || x == gw + 1 || !fg.at<std::uint8_t>(y - 1, x - 1);
      if (bg && passable.at<std::uint8_t>(y, x)) outside[std::size_t(labels.at<int>(y, x))] = 1;
    }
  cv::Mat drop(gh, gw, CV_8U);
  for (int y = 0; y < gh; ++y)
    for (int x = 0; x < gw; ++x)
      drop.at<std::uint8_t>(y, x) = fg.at<std::uint8_t>(y, x) && passable.at<std::uint8_t>(y + 1, x + 1) &&
                                    outside[std::size_t(labels.at<int>(y + 1, x + 1))];
  // Only whole weak areas go: a strip along the outline narrower than `min_width` cells is the
  // print's own edge (weaker because the window straddles it) and stays.
  if (min_width > 1)
    cv::morphologyEx(drop, drop, cv::MORPH_OPEN, cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(min_width, min_width)));
  if (!cv::countNonZero(drop)) return false;
  cv::Mat keep = fg & (drop == 0);
  // A smooth outline again: strands one or two cells wide between peeled areas are not a finger.
  cv::morphologyEx(keep, keep, cv::MORPH_OPEN, cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(5, 5)));
  keep_largest_filled(keep);
  // Cells -> pixels with a smooth outline (bilinear, then threshold), as the first pass does.
  cv::Mat kf, up;
  keep.convertTo(kf, CV_32F);
  cv::resize(kf, up, cv::Size(gw * r.step, gh * r.step), 0, 0, cv::INTER_LINEAR);
  cv::Mat inside = up(cv::Rect(0, 0, mask.cols, mask.rows)) > 0.5f;
  mask.setTo(0, inside == 0);
  return true;
}

}  // namespace tunggal::ingest::detail
