#pragma once
// The extractor's stages (see ingest/minutiae_extractor.h for the pipeline). Internal: OpenCV types
// are fine here because only ingest/*.cpp include this header.
#include <opencv2/core.hpp>

#include <vector>

#include "core/minutia.h"
#include "ingest/detail/gabor_filter_patch.h"
#include "ingest/minutiae_extractor.h"

namespace tunggal::ingest::detail {

// --- segmentation.cpp ---
struct Segmentation {
  cv::Mat mask;        // CV_8U, 1 = fingerprint foreground, 0 = background
  cv::Mat normalised;  // CV_32F, locally zero-mean unit-variance; ridges negative, 0 in background
  float foreground_fraction = 0;
};
Segmentation segment_and_normalise(const cv::Mat& grey, const ExtractorOptions& o);
// Local normalisation of the grey levels `f` (CV_32F) over a window of about two ridge periods:
// zero mean, unit variance, clipped to ±3; 0 outside `mask`.
cv::Mat normalise(const cv::Mat& f, const cv::Mat& mask, const ExtractorOptions& o);
// Grey levels (CV_8U in, CV_32F out) clamped to the local median ± k robust deviations (1.4826 x the
// median absolute deviation, ~25 px windows on an 8 px grid): blotches far darker than the ridges
// around them no longer rule the normalisation and the gradients (blotch_clamp.cpp).
cv::Mat clamp_blotches(const cv::Mat& grey, float k);
// Keeps the largest 8-connected component of a 0/1 CV_8U grid and fills its holes.
void keep_largest_filled(cv::Mat& grid);

// --- orientation_field.cpp ---
struct OrientationField {
  cv::Mat cos2, sin2;  // CV_32F per pixel: doubled ridge angle (ridge direction θ in [0, π), y down)
  cv::Mat coherence;   // CV_32F per pixel, 0 (isotropic) .. 1 (parallel ridges)
  float ridge_angle(int x, int y) const;  // θ in [0, π)
};
OrientationField orientation_field(const cv::Mat& normalised, const ExtractorOptions& o);

// --- ridge_frequency.cpp ---
struct RidgeFrequency {
  cv::Mat period;  // CV_32F per pixel: ridge-to-ridge distance in pixels
  float median_period = 0;
  float valid_fraction = 0;  // of foreground blocks whose x-signature showed a clear period
};
RidgeFrequency ridge_frequency(const cv::Mat& normalised, const cv::Mat& mask, const OrientationField& of,
                               const ExtractorOptions& o);

// --- gabor_enhancement.cpp ---
// Even-symmetric Gabor filters tuned per pixel to the local orientation and period (Hong et al.
// 1998), precomputed for kOrientations x kPeriods. Returns CV_32F: ridges negative.
class GaborBank {
 public:
  GaborBank(float across_factor, float along_factor);
  // Lanes of the filter's inner loop: each kernel row is padded with zeros to a multiple of this,
  // and the products are summed in kLanes independent partial sums (gabor_enhancement.cpp).
  static constexpr int kLanes = kGaborLanes;
  // `step` > 1 filters only every step-th pixel of every step-th row and interpolates the rest:
  // enough for measuring the orientation on the output (averaged over ~10 px), step² cheaper.
  cv::Mat enhance(const cv::Mat& normalised, const cv::Mat& mask, const OrientationField& of,
                  const RidgeFrequency& rf, int step = 1) const;

 private:
  static constexpr int kOrientations = 16;
  static constexpr float kMinPeriod = 4.0f, kMaxPeriod = 16.0f, kPeriodStep = 0.5f;
  static constexpr int kPeriods = int((kMaxPeriod - kMinPeriod) / kPeriodStep) + 1;
  struct Kernel {
    int radius = 0;
    int stride = 0;        // row length in w: 2r+1 rounded up to a multiple of kLanes
    std::vector<float> w;  // (2r+1) rows of `stride` weights, zeros beyond 2r+1
  };
  std::vector<Kernel> kernels_;  // [period][orientation]
  int max_radius_ = 0;
};

// --- ridge_response.cpp ---
// Local energy of the Gabor response over the foreground (a Gaussian of ~one ridge period, on a
// grid of `step` px cells), relative to the print's median: ~1 on clear ridges, well below on
// speckle, smudge and texture that only passed the contrast test.
struct RidgeResponse {
  cv::Mat relative;    // CV_32F per cell; 0 in the background
  cv::Mat foreground;  // CV_32F per cell: fraction of the cell inside the mask
  float median = 0;    // absolute energy of the median foreground cell
  int step = 4;
  float at(int x, int y) const;  // pixel coordinates
};
RidgeResponse ridge_response(const cv::Mat& enhanced, const cv::Mat& mask);
// Second segmentation pass: removes from `mask` the foreground whose response is below
// `min_relative` AND that is connected to the background through such weak foreground, i.e. peels
// a weak outline inwards and leaves weak patches enclosed by the print alone. Returns whether
// anything was removed.
bool peel_weak_outline(cv::Mat& mask, const RidgeResponse& r, float min_relative, int min_width);

// --- thinning.cpp ---
// Ridge pixels (enhanced < 0 inside the mask) as CV_8U 0/1.
cv::Mat binarise(const cv::Mat& enhanced, const cv::Mat& mask);
// Zhang & Suen (1984) parallel thinning in place, followed by removal of the staircase pixels it
// leaves so that every skeleton pixel inside a ridge has exactly two neighbours.
void thin(cv::Mat& binary);

// --- minutiae_detection.cpp ---
struct Candidate {
  int x = 0, y = 0;         // pixels at 500 ppi
  MinutiaType type = MinutiaType::kOther;
  float angle = 0;          // radians, image coordinates (y down), [0, 2π)
  float quality = 0;        // 0..1
  bool removed = false;
};
// Distance of every pixel from the background of `mask` (CV_32F, one pixel wider on every side:
// pixel (x, y) is at (x + 1, y + 1)), for the border rule and the minutiae's quality. Computed once
// per print: every skeleton of the print (minutiae_recovery.cpp) shares it.
cv::Mat background_distance(const cv::Mat& mask);
// Crossing number on the skeleton, directions from ridge tracing snapped to the orientation field,
// then false-minutia removal. Quality = local coherence x distance from the background
// (`background`, from background_distance of the print's mask).
std::vector<Candidate> detect_minutiae(const cv::Mat& skeleton, const cv::Mat& background, const OrientationField& of,
                                       const ExtractorOptions& o);

// --- minutiae_recovery.cpp ---
// Minutiae of the skeletons of `enhanced` binarised at thresholds shifted by ±o.recover_shift x its
// local magnitude that have no minutia of `found` within o.recover_radius, with their quality
// scaled by o.recover_quality (nothing when o.recover_shift is 0).
// `background` is background_distance(mask), as detect_minutiae takes it.
std::vector<Candidate> recover_minutiae(const cv::Mat& enhanced, const cv::Mat& mask, const cv::Mat& background,
                                        const OrientationField& field, const std::vector<Candidate>& found,
                                        const ExtractorOptions& o);

}  // namespace tunggal::ingest::detail
