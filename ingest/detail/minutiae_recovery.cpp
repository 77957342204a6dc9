// Minutiae recovered from the enhanced image binarised at two shifted thresholds.
//
// The skeleton comes from the enhanced image's sign. Where two ridges almost touch, or a ridge
// almost breaks, that sign decides by a hair whether a minutia is there at all, and the other
// impression of the finger often decides the other way. Binarised a little below and a little
// above zero (by `recover_shift` x the local magnitude of the enhanced image), the ridges thin out
// or swell, and such minutiae appear. A minutia of either shifted skeleton with no minutia of the
// main skeleton within `recover_radius` is added with its quality x `recover_quality`, so it
// usually ranks below the main ones and `max_minutiae` usually drops it first on a print that is
// already rich (not always: a main minutia near the background or in a blur can rank lower).
//
// Why adding helps: the MCC matcher loses far more from a missing minutia than it gains from the
// absence of a false one (docs/extraction.md, "what the matcher minds"). Against the SecuGen
// records of FVC2002 about a third of the recovered minutiae have a SecuGen minutia beside them,
// and with max_minutiae 40 the mean EER drops from 1.65% to 1.33% (docs/extraction.md, eleventh
// version).
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "ingest/detail/extraction_stages.h"

namespace tunggal::ingest::detail {
namespace {

bool within(const Candidate& a, const Candidate& b, float r) {
  const float dx = float(a.x - b.x), dy = float(a.y - b.y);
  return dx * dx + dy * dy <= r * r;
}

}  // namespace

std::vector<Candidate> recover_minutiae(const cv::Mat& enhanced, const cv::Mat& mask, const cv::Mat& background,
                                        const OrientationField& field, const std::vector<Candidate>& found,
                                        const ExtractorOptions& o) {
  std::vector<Candidate> recovered;
  if (o.recover_shift <= 0) return recovered;
  // The local magnitude: |enhanced| averaged over a Gaussian of 8 px (about a ridge period), so the
  // shift is the same fraction of the ridges' contrast in clear and in faint parts of the print.
  cv::Mat mag;
  cv::GaussianBlur(cv::abs(enhanced), mag, cv::Size(), 8.0);
  // Where the enhanced ridges fade (at the print's edge, where the filters run off the print, and
  // in smudges) a shifted threshold breaks them into endings that are not there: on a synthetic
  // print of perfect ridges, 7 such endings along its outline (tests/minutiae_extractor_test.cpp,
  // FindsThePlantedMinutiaAndLittleElse). Recovered minutiae are taken only where the magnitude is
  // at least recover_min_magnitude x the print's median.
  std::vector<float> mv;
  for (int y = 0; y < mag.rows; y += 4)
    for (int x = 0; x < mag.cols; x += 4)
      if (mask.at<std::uint8_t>(y, x)) mv.push_back(mag.at<float>(y, x));
  float median_mag = 0;
  if (!mv.empty()) {
    std::nth_element(mv.begin(), mv.begin() + mv.size() / 2, mv.end());
    median_mag = mv[mv.size() / 2];
  }
  for (const float sign : {1.0f, -1.0f}) {  // the threshold raised (thicker ridges), then lowered
    const cv::Mat shifted = enhanced - sign * o.recover_shift * mag;
    cv::Mat skeleton = binarise(shifted, mask);
    thin(skeleton);
    for (Candidate& c : detect_minutiae(skeleton, background, field, o)) {
      if (mag.at<float>(c.y, c.x) < o.recover_min_magnitude * median_mag) continue;
      const auto near = [&](const Candidate& m) { return within(c, m, o.recover_radius); };
      if (std::any_of(found.begin(), found.end(), near) || std::any_of(recovered.begin(), recovered.end(), near))
        continue;
      c.quality *= o.recover_quality;
      recovered.push_back(c);
    }
  }
  return recovered;
}

}  // namespace tunggal::ingest::detail
