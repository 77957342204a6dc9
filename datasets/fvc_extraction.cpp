#include "datasets/fvc_extraction.h"

#include <tbb/parallel_for.h>

#include <chrono>
#include <optional>

#include "core/process_usage.h"

namespace tunggal::datasets {
Expected<FvcExtraction> extract_fvc_set(const FvcSet& set, const ingest::MinutiaeExtractor& extractor) {
  FvcExtraction r;
  r.set = set;
  const std::size_t n = set.impressions.size();
  for (const auto& imp : set.impressions)
    if (imp.tif_path.empty()) return not_found(imp.iso_path.string() + ": no image beside the record to extract from");
  std::vector<std::optional<Expected<ingest::Extraction>>> out(n);
  const double cpu0 = process_cpu_seconds();
  const auto t0 = std::chrono::steady_clock::now();
  tbb::parallel_for(std::size_t{0}, n, [&](std::size_t i) { out[i].emplace(extractor.extract_file(set.impressions[i].tif_path)); });
  r.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.cpu_seconds = process_cpu_seconds() - cpu0;
  double minutiae = 0, provided = 0, quality = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const auto& e = *out[i];
    if (!e) return e.error();
    provided += double(set.impressions[i].finger_template.minutiae.size());
    r.set.impressions[i].finger_template = e->finger_template;
    r.rejected += e->rejected;
    minutiae += double(e->finger_template.minutiae.size());
    quality += e->image_quality;
  }
  if (n) {
    r.mean_minutiae = minutiae / double(n);
    r.provided_mean_minutiae = provided / double(n);
    r.mean_image_quality = quality / double(n);
  }
  r.images_per_cpu_second = r.cpu_seconds > 0 ? double(n) / r.cpu_seconds : 0.0;
  return r;
}

}  // namespace tunggal::datasets
