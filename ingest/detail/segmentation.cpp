// Foreground segmentation by block variance, then local normalisation (zero mean, unit variance in a
// window of about two ridge periods) so that later stages see the same contrast on a dry and on a
// wet print.
#include <opencv2/imgproc.hpp>

#include "ingest/detail/extraction_stages.h"

namespace tunggal::ingest::detail {

// A finger is one blob, and specks of dust or latent residue elsewhere are not fingerprint.
void keep_largest_filled(cv::Mat& grid) {
  cv::Mat labels, stats, centroids;
  const int n = cv::connectedComponentsWithStats(grid, labels, stats, centroids, 8, CV_32S);
  if (n <= 1) return;
  int best = 1;
  for (int i = 2; i < n; ++i)
    if (stats.at<int>(i, cv::CC_STAT_AREA) > stats.at<int>(best, cv::CC_STAT_AREA)) best = i;
  grid = (labels == best) / 255;
  // Holes: background not reachable from the grid's border.
  cv::Mat bg;
  cv::copyMakeBorder(grid, bg, 1, 1, 1, 1, cv::BORDER_CONSTANT, 0);
  cv::floodFill(bg, cv::Point(0, 0), 2);
  grid = (bg(cv::Rect(1, 1, grid.cols, grid.rows)) != 2) / 255;
}

cv::Mat normalise(const cv::Mat& f, const cv::Mat& mask, const ExtractorOptions& o) {
  const int b = o.block_size;
  const cv::Size nwin(b + 1, b + 1);
  cv::Mat m, m2;
  cv::blur(f, m, nwin, cv::Point(-1, -1), cv::BORDER_REFLECT);
  cv::blur(f.mul(f), m2, nwin, cv::Point(-1, -1), cv::BORDER_REFLECT);
  cv::Mat out(f.size(), CV_32F);
  for (int y = 0; y < f.rows; ++y) {
    const float* fp = f.ptr<float>(y);
    const float* mp = m.ptr<float>(y);
    const float* m2p = m2.ptr<float>(y);
    const std::uint8_t* mk = mask.ptr<std::uint8_t>(y);
    float* op = out.ptr<float>(y);
    for (int x = 0; x < f.cols; ++x) {
      // A floor on the deviation keeps flat patches inside the finger from being amplified to noise.
      const float sd = std::sqrt(std::max(m2p[x] - mp[x] * mp[x], 16.0f));
      op[x] = mk[x] ? std::clamp((fp[x] - mp[x]) / sd, -3.0f, 3.0f) : 0.0f;
    }
  }
  return out;
}

Segmentation segment_and_normalise(const cv::Mat& grey, const ExtractorOptions& o) {
  Segmentation s;
  cv::Mat f;
  grey.convertTo(f, CV_32F);
  const int b = o.block_size;
  // Pixel noise (capacitive sensors) would pass for contrast: smooth it away before measuring.
  cv::Mat smooth;
  cv::GaussianBlur(f, smooth, cv::Size(0, 0), 1.0);
  // Standard deviation in a block-sized window around every pixel, sampled every kStep pixels: a
  // finer grid than the blocks keeps the outline within a few pixels of the finger's.
  constexpr int kStep = 4;
  const cv::Size win(b + 1, b + 1);
  cv::Mat m, m2;
  cv::blur(smooth, m, win, cv::Point(-1, -1), cv::BORDER_REFLECT);
  cv::blur(smooth.mul(smooth), m2, win, cv::Point(-1, -1), cv::BORDER_REFLECT);
  const int gw = (f.cols + kStep - 1) / kStep, gh = (f.rows + kStep - 1) / kStep;
  cv::Mat sd(gh, gw, CV_32F);
  for (int gy = 0; gy < gh; ++gy)
    for (int gx = 0; gx < gw; ++gx) {
      const int x = std::min(gx * kStep + kStep / 2, f.cols - 1), y = std::min(gy * kStep + kStep / 2, f.rows - 1);
      sd.at<float>(gy, gx) = std::sqrt(std::max(0.0f, m2.at<float>(y, x) - m.at<float>(y, x) * m.at<float>(y, x)));
    }
  // The threshold follows the print's own contrast (a fraction of the 90th percentile of the
  // deviation: sensors differ several-fold), never below the absolute floor that tells a flat
  // image from a print.
  std::vector<float> all(sd.begin<float>(), sd.end<float>());
  std::nth_element(all.begin(), all.begin() + std::ptrdiff_t(all.size() * 9 / 10), all.end());
  const float threshold = std::max(o.min_block_stddev, o.relative_block_stddev * all[all.size() * 9 / 10]);
  cv::Mat grid = (sd > threshold) / 255;
  // Close the gaps between ridges' blocks, drop specks, then pull the outline in by half a window:
  // a window straddling the finger's edge sees the edge itself as contrast.
  const int cells = std::max(1, b / kStep);
  const cv::Mat k = cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(2 * cells + 1, 2 * cells + 1));
  cv::morphologyEx(grid, grid, cv::MORPH_CLOSE, k);
  cv::morphologyEx(grid, grid, cv::MORPH_OPEN, k);
  keep_largest_filled(grid);
  cv::erode(grid, grid, cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(cells + 1, cells + 1)));
  // Block grid -> pixels with a smooth outline (bilinear, then threshold).
  cv::Mat gf, up;
  grid.convertTo(gf, CV_32F);
  cv::resize(gf, up, cv::Size(gw * kStep, gh * kStep), 0, 0, cv::INTER_LINEAR);
  s.mask = up(cv::Rect(0, 0, f.cols, f.rows)) > 0.5f;
  s.mask /= 255;
  s.foreground_fraction = float(cv::countNonZero(s.mask)) / float(f.total());

  s.normalised = normalise(f, s.mask, o);
  return s;
}

}  // namespace tunggal::ingest::detail
