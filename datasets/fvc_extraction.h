#pragma once
// Our extractor on an FVC set's images: the set with every impression's template replaced by the
// minutiae tunggal extracts from its TIFF, for `tunggal eval fvc --extract` and the regression test.
#include <cstddef>

#include "core/status.h"
#include "datasets/fvc_set.h"
#include "ingest/minutiae_extractor.h"

namespace tunggal::datasets {

struct FvcExtraction {
  FvcSet set;                   // same impressions, templates from our extractor
  std::size_t rejected = 0;     // images the extractor rejected for quality (kept, scored as found)
  double mean_minutiae = 0;     // per image, ours
  double provided_mean_minutiae = 0;
  double mean_image_quality = 0;
  double cpu_seconds = 0;       // process CPU time of the extraction (all threads, OpenCV's included)
  double wall_seconds = 0;
  double images_per_cpu_second = 0;  // "images per second per core"
};

// Extracts every impression in parallel (TBB). Fails when an impression has no image or an image
// cannot be decoded (the message names the file).
Expected<FvcExtraction> extract_fvc_set(const FvcSet& set, const ingest::MinutiaeExtractor& extractor);

}  // namespace tunggal::datasets
