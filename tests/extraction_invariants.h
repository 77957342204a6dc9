#pragma once
// What the rest of tunggal relies on from a decoded image and its extraction, whatever bytes they
// came from: a pixel buffer of the image's size; an image quality in 0..100; every minutia inside
// the image, with an angle in [0, 2π) and a quality in 1..100; a rejection with a reason; and an
// accepted template that its own ISO/IEC 19794-2 writer takes and whose record reads back with the
// same minutiae. Checked by the mutation sweep (tests/image_mutation_test.cpp) and by the image
// fuzzer (fuzz/image_fuzz.cpp), which traps on it.
#include <cstddef>
#include <numbers>
#include <string>

#include <fmt/format.h>

#include "ingest/fingerprint_image.h"
#include "ingest/minutiae_extractor.h"
#include "ingest/minutiae_record.h"

namespace tunggal::testing {

// The first property `image` breaks, empty when none.
inline std::string decoded_image_violation(const ingest::GreyImage& image) {
  if (image.width <= 0 || image.height <= 0 || image.pixels.size() != std::size_t(image.width) * image.height)
    return fmt::format("decoded pixel buffer of {} bytes for {}x{}", image.pixels.size(), image.width, image.height);
  return {};
}

// The first property `r`, extracted from `image`, breaks; empty when none.
inline std::string extraction_violation(const ingest::GreyImage& image, const ingest::Extraction& r) {
  if (r.image_quality < 0 || r.image_quality > 100) return fmt::format("image quality {}", r.image_quality);
  for (const Minutia& m : r.finger_template.minutiae) {
    if (m.x >= image.width || m.y >= image.height)
      return fmt::format("minutia at {},{} outside the image", m.x, m.y);
    if (!(m.angle >= 0.0f && m.angle < 2 * std::numbers::pi_v<float>)) return fmt::format("minutia angle {}", m.angle);
    if (m.quality < 1 || m.quality > 100) return fmt::format("minutia quality {}", m.quality);
  }
  if (r.rejected) return r.reject_reason.empty() ? "rejected without a reason" : "";
  auto record = write_iso19794_2(make_minutiae_record(r.finger_template));
  if (!record) return fmt::format("the ISO writer refuses the template: {}", record.error().message());
  auto back = read_iso19794_2(*record);
  if (!back) return fmt::format("the ISO record does not read back: {}", back.error().message());
  if (back->views.size() != 1 || back->views[0].minutiae.size() != r.finger_template.minutiae.size())
    return "the ISO record reads back with other minutiae";
  return {};
}

}  // namespace tunggal::testing
