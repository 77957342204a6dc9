#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/face_embedding.h"
#include "core/finger_image.h"
#include "core/finger_template.h"
#include "core/ids.h"
#include "core/nik.h"
#include "core/status.h"

namespace tunggal {

// One capture session at a recording station: up to ten fingers and an optional face, for the
// person who claims this NIK. The engine answers it with a Verdict.
struct Enrollment {
  EnrollmentId id;
  std::string site;              // recording site id, e.g. "3273-KEC-SUKAJADI-01"
  Nik nik;
  std::vector<FingerTemplate> fingers;  // at most one per known position
  // Fingers delivered as images instead of templates (a position appears in `fingers` or here,
  // never both). Only between a door and the ingest layer, which replaces them by templates
  // (ingest/enrollment_images.h): the engine never sees an image.
  std::vector<FingerImage> finger_images;
  std::optional<FaceEmbedding> face;
  std::int64_t capture_time_ms = 0;     // Unix epoch milliseconds, station clock

  const FingerTemplate* finger(FingerPosition p) const;
};

// Whether finger images are acceptable: at a door, before extraction (kImagesAllowed), or not any
// more (kTemplatesOnly: what the engine requires, so an image cannot slip past extraction).
enum class FingerImages : std::uint8_t { kTemplatesOnly, kImagesAllowed };

// Structural checks every door into the engine applies (protocol, CLI, batch import): an id, a
// site, fingers at distinct known positions with coordinates inside their frame; with
// kImagesAllowed, images at known positions not taken by a template, with bytes and a resolution
// in kMinImagePpi..kMaxImagePpi. It does not judge biometric quality; the engine does, and answers
// REJECTED.
Status validate(const Enrollment& e, FingerImages images = FingerImages::kTemplatesOnly);

}  // namespace tunggal
