#include "ingest/enrollment_images.h"

#include <tbb/parallel_for.h>

#include <fmt/format.h>

namespace tunggal::ingest {

Expected<FingerTemplate> extract_finger(const FingerImage& image, const MinutiaeExtractor& extractor) {
  const std::string_view name = finger_name(image.position);
  auto x = extractor.extract_encoded(image.encoded, image.resolution_ppi);
  if (!x) return Status(x.error().code(), fmt::format("{}: {}", name, x.error().message()));
  if (x->rejected)
    return invalid_argument(fmt::format("{}: image rejected by the quality check (image quality {}): {}; recapture",
                                        name, x->image_quality, x->reject_reason));
  FingerTemplate t = std::move(x->finger_template);
  t.position = image.position;
  return t;
}

Status adopt_extracted(Enrollment& e, std::span<const Expected<FingerTemplate>> results) {
  if (results.size() != e.finger_images.size())
    return invalid_argument(fmt::format("enrollment {}: {} extraction results for {} images", e.id.value,
                                        results.size(), e.finger_images.size()));
  for (const auto& r : results)
    if (!r) return Status(r.error().code(), fmt::format("enrollment {}: {}", e.id.value, r.error().message()));
  Enrollment out = e;
  out.finger_images.clear();
  for (const auto& r : results) out.fingers.push_back(*r);
  if (Status s = validate(out); !s) return s;
  e = std::move(out);
  return Status::ok();
}

Status extract_finger_images(Enrollment& e, const MinutiaeExtractor& extractor) {
  if (Status s = validate(e, FingerImages::kImagesAllowed); !s) return s;
  std::vector<Expected<FingerTemplate>> results;
  results.reserve(e.finger_images.size());
  for (const FingerImage& img : e.finger_images) results.push_back(extract_finger(img, extractor));
  return adopt_extracted(e, results);
}

std::vector<Status> extract_finger_images(std::span<Enrollment> batch, const MinutiaeExtractor& extractor) {
  std::vector<Status> status(batch.size(), Status::ok());
  // One flat list of (enrollment, image) so that a batch of few enrollments with many fingers
  // still spreads over every core.
  std::vector<std::pair<std::size_t, std::size_t>> work;
  std::vector<std::vector<Expected<FingerTemplate>>> results(batch.size());
  for (std::size_t i = 0; i < batch.size(); ++i) {
    status[i] = validate(batch[i], FingerImages::kImagesAllowed);
    if (!status[i]) continue;
    results[i].resize(batch[i].finger_images.size(), Expected<FingerTemplate>(FingerTemplate{}));
    for (std::size_t j = 0; j < batch[i].finger_images.size(); ++j) work.emplace_back(i, j);
  }
  tbb::parallel_for(std::size_t{0}, work.size(), [&](std::size_t k) {
    const auto [i, j] = work[k];
    results[i][j] = extract_finger(batch[i].finger_images[j], extractor);
  }, tbb::simple_partitioner{});
  for (std::size_t i = 0; i < batch.size(); ++i)
    if (status[i]) status[i] = adopt_extracted(batch[i], results[i]);
  return status;
}

}  // namespace tunggal::ingest
