#pragma once
// Minutiae extraction from a fingerprint image, the classic pipeline of Hong, Wan & Jain (1998)
// with the stages named as in the literature (each lives in ingest/detail/):
//
//   segmentation (block variance) -> normalisation (blotches clamped where that clears the ridge
//   flow) -> orientation field (smoothed gradient moments,
//   Bazen & Gerez 2002) -> ridge frequency (oriented x-signature) -> contextual Gabor enhancement
//   (twice: the second pass tuned to the field and period re-measured on the first's output) ->
//   binarisation
//   -> thinning (Zhang & Suen 1984) -> minutiae by crossing number -> false-minutia removal
//   (border, spurs, short ridges, bridges, broken-ridge and close pairs) -> minutiae recovered at
//   shifted binarisation thresholds -> quality, and the best max_minutiae kept.
//
// Geometry of the result: pixels of the image as given (origin top-left, y down), angles in the
// ISO/IEC 19794-2 convention (counter-clockwise from the x axis). The work is done at 500 ppi:
// images of another resolution are resampled first and the minutiae mapped back.
//
//   MinutiaeExtractor ex;
//   Expected<Extraction> e = ex.extract_file("101_1.tif");
//   if (e && !e->rejected) write_iso19794_2(make_minutiae_record(e->finger_template));
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>

#include "core/finger_template.h"
#include "core/status.h"
#include "ingest/fingerprint_image.h"

namespace tunggal::ingest {

struct ExtractorOptions {
  int resolution_ppi = 500;          // of the input images (FVC2002 and KTP-el stations: 500)
  ImageLimits limits;
  // Everything below is in pixels at 500 ppi.
  int block_size = 16;               // segmentation and frequency blocks
  float min_block_stddev = 8.0f;     // grey levels: blocks flatter than this are background
  // ... and blocks below this fraction of the image's 90th percentile (0.3 halves DB4's EER but
  // costs DB1 as much: off until measured on more data)
  float relative_block_stddev = 0.0f;
  // Second segmentation pass on the Gabor response (ingest/detail/ridge_response.cpp): the outline
  // is peeled inwards where the local response energy is below this fraction of the print's median,
  // in areas at least outline_peel_width px wide (narrower: the print's own edge). 0: off; 0.2-0.4
  // measured within noise on FVC2002, DB3 worse at 0.3 and above (docs/extraction.md).
  float outline_min_response = 0.0f;
  float outline_peel_width = 20.0f;
  // Minutiae where the relative response is below this are dropped (0: off; measured no better).
  float minutia_min_response = 0.0f;
  // Exponent of min(1, relative response) in a minutia's quality (0: off); only changes which
  // minutiae max_minutiae keeps.
  float response_quality = 0.0f;
  // Blotches (residue on the platen, ink, sweat dots: DB2_B 109_8) are the darkest grey levels of a
  // faint print and rule its local mean, variance and gradients, so the filters follow the dots,
  // not the faint ridges between them. The grey levels are clamped to the local median ± this many
  // robust deviations (1.4826 x the median absolute deviation over ~3 ridge periods) before the
  // normalisation, and the clamped image is used when it raises the print's mean orientation
  // coherence by at least blotch_min_coherence_gain (on a clean print the clamp only squares the
  // ridges' profile). 0: off. FVC2002 EER DB1 1.85 -> 1.56%, DB2 1.78 -> 1.43%, DB3 2.90 -> 2.85%,
  // DB4 1.48 -> 1.44% (docs/extraction.md, seventh version).
  float blotch_clip = 1.5f;
  float blotch_min_coherence_gain = 0.03f;
  float orientation_sigma = 10.0f;   // Gaussian window of the gradient moments (7: +0.6 pt mean EER)
  float gradient_sigma = 0.0f;       // Gaussian pre-smoothing of the image before the gradients (0: none)
  // Enhance twice: the orientation field re-measured on the first Gabor pass's output tunes the
  // second pass (and gives the minutiae their angles). 0: one pass; 1: the first pass at every
  // pixel; N > 1: at every N-th pixel and row (2: ~+25% time; 3 aliases DB4's 7.5 px ridges).
  // With refine_frequency the ridge period is re-measured on the first pass's output as well.
  // Measured in docs/extraction.md (sixth version): mean EER on FVC2002 2.77% (one pass) -> 2.68%
  // (field) -> 2.00% (field and period).
  int refine_orientation = 2;
  int refine_frequency = 1;
  float gabor_sigma_factor = 0.5f;   // Gabor envelope sigma across the ridges, fraction of the period
  float gabor_along_factor = 0.5f;   // ... and along the ridges (0.8 measured worse on FVC2002)
  float border_margin = 12.0f;       // minutiae closer than this to the background are dropped
  float spur_length = 12.0f;         // an ending this close along its ridge to a bifurcation: spur
  float short_ridge_length = 16.0f;  // two endings joined by a ridge this short: fragment
  float bridge_length = 12.0f;       // two bifurcations joined this closely: bridge
  float broken_ridge_gap = 12.0f;    // two facing endings this close: one broken ridge
  float min_distance = 6.0f;         // any two minutiae closer than this: both dropped (cluster)
  float field_direction_weight = 1.0f;  // minutia direction: 1 = the orientation field's, 0 = the traced ridge's
  // A ridge ending is placed this far beyond the tip of its skeleton, along its direction, i.e. into
  // the valley in front of it, towards the valley's fork where ISO/IEC 19794-2 locates a ridge
  // ending. An ending in one impression is often a bifurcation in the other (the ridge touched its
  // neighbour); the fork then sits ~7 px beyond the tip, which put those minutiae 10-16 px apart
  // after alignment. 4 px: mean genuine score +5% (DB1, DB2) to +14% (DB4), repeated fraction up on
  // every FVC2002 set, EER 1.56/1.43/2.85/1.44% -> 1.43/1.25/2.50/1.43% (docs/extraction.md,
  // eighth version). 0: at the tip, as before.
  float ending_offset = 4.0f;
  float cloud_radius = 20.0f;        // a minutia with more than max_cloud others within this radius
  int max_cloud = 0;                 // ... sits in noise, not in ridges, and is dropped (0: off)
  // Minutiae recovered from the enhanced image binarised at thresholds shifted by ± recover_shift x
  // its local magnitude, where none of the main skeleton's lies within recover_radius px; their
  // quality is scaled by recover_quality so that max_minutiae mostly drops them first
  // (detail/minutiae_recovery.cpp). 0: off. With max_minutiae 40: EER on FVC2002 DB1/DB2/DB3/DB4
  // 1.43/1.25/2.50/1.43% -> 1.06/0.70/2.50/1.06% (docs/extraction.md, eleventh version).
  float recover_shift = 0.3f;
  float recover_radius = 10.0f;
  float recover_quality = 0.3f;
  float recover_min_magnitude = 0.5f;  // ... only where |enhanced| is at least this x the print's median
  float min_minutia_quality = 0.0f;  // 0..1: drop minutiae below (dropping any measured worse: MCC wants many)
  // Keep the best by quality (ISO allows 255). 40 bites on FVC2002's largest prints (DB2_B, ~110,000
  // px² of ridges) and on prints rich in recovered minutiae, which mostly rank last: DB2_B's EER with
  // recovery was 1.78% uncapped and 0.70% capped at 40 (docs/extraction.md, eleventh version).
  int max_minutiae = 40;
  // Quality gate: below these the result is rejected (the station must recapture).
  int min_minutiae = 12;
  float min_foreground_fraction = 0.10f;
  // Uniform noise measures 0.05; real FVC2002 prints go down to 0.25 (DB3's capacitive sensor, DB4's
  // dotted ridges): 0.30 rejected 4 usable prints, i.e. 28 genuine pairs scored 0 (docs/extraction.md).
  float min_mean_coherence = 0.20f;
};

// Where the time went, for measurements (thread CPU is not needed: the stages are single-threaded).
struct ExtractionTimings {
  double segmentation_ms = 0, orientation_ms = 0, frequency_ms = 0, enhancement_ms = 0, thinning_ms = 0,
         minutiae_ms = 0, total_ms = 0;
};

struct Extraction {
  // Minutiae with their quality (1..100), the image size and resolution, and `quality` = the image
  // quality below. Position unknown: the caller knows which finger it is.
  FingerTemplate finger_template;
  // Overall image quality 0..100, NFIQ-like (docs/extraction.md): the product of the usable-area,
  // ridge-clarity (mean orientation coherence) and minutiae-count terms, scaled to 100.
  int image_quality = 0;
  // NFIQ-style level 1 (excellent) .. 5 (poor) from image_quality: >=80, >=60, >=40, >=20, else 5.
  int nfiq_level = 5;
  // Recapture needed: too little fingerprint area, no ridge structure (blank or not a fingerprint)
  // or too few reliable minutiae. `reject_reason` says which, for the operator.
  bool rejected = false;
  std::string reject_reason;
  float foreground_fraction = 0;  // of the image area
  float mean_coherence = 0;       // over the foreground, 0..1
  float ridge_period = 0;         // median, pixels at 500 ppi
  bool blotches_clamped = false;  // ExtractorOptions::blotch_clip was applied to this print
  ExtractionTimings timings;
};

class MinutiaeExtractor {
 public:
  explicit MinutiaeExtractor(ExtractorOptions options = {});
  ~MinutiaeExtractor();
  MinutiaeExtractor(MinutiaeExtractor&&) noexcept;
  MinutiaeExtractor& operator=(MinutiaeExtractor&&) noexcept;

  const ExtractorOptions& options() const;

  // Errors only for unusable calls (an image buffer that does not match its size); a bad image is
  // a result with `rejected` set. Thread-safe: one extractor may serve many threads.
  Expected<Extraction> extract(const GreyImage& image) const;
  // The same for an image scanned at `resolution_ppi` instead of options().resolution_ppi (images
  // of one batch may come from different scanners).
  Expected<Extraction> extract(const GreyImage& image, int resolution_ppi) const;
  // Decode (with the header checks of fingerprint_image.h), then extract.
  Expected<Extraction> extract_encoded(std::span<const std::uint8_t> bytes) const;
  Expected<Extraction> extract_encoded(std::span<const std::uint8_t> bytes, int resolution_ppi) const;
  Expected<Extraction> extract_file(const std::filesystem::path& path) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tunggal::ingest
