#include "core/enrollment.h"

#include <cmath>
#include <numbers>

#include <fmt/format.h>

namespace tunggal {

const FingerTemplate* Enrollment::finger(FingerPosition p) const {
  for (const auto& f : fingers) {
    if (f.position == p) return &f;
  }
  return nullptr;
}

Status validate(const Enrollment& e, FingerImages images) {
  if (e.id.empty()) return invalid_argument("enrollment id is empty");
  if (e.id.value.size() > 128) return invalid_argument("enrollment id is longer than 128 characters");
  if (e.site.empty()) return invalid_argument(fmt::format("enrollment {}: site is empty", e.id.value));
  if (e.nik.empty()) return invalid_argument(fmt::format("enrollment {}: NIK is missing", e.id.value));
  if (!e.finger_images.empty() && images == FingerImages::kTemplatesOnly) {
    return invalid_argument(fmt::format(
        "enrollment {}: {} finger image(s) not extracted; images are turned into templates at the door "
        "(ingest::extract_finger_images), the engine takes templates only",
        e.id.value, e.finger_images.size()));
  }
  if (e.fingers.size() + e.finger_images.size() > kFingerCount) {
    return invalid_argument(fmt::format("enrollment {}: {} fingers; at most 10", e.id.value,
                                        e.fingers.size() + e.finger_images.size()));
  }
  bool seen[kFingerCount] = {};
  for (const auto& f : e.fingers) {
    if (!is_known_finger(f.position)) {
      return invalid_argument(fmt::format("enrollment {}: finger with position code {} (must be 1–10)",
                                          e.id.value, static_cast<int>(f.position)));
    }
    const int s = finger_slot(f.position);
    if (seen[s]) {
      return invalid_argument(fmt::format("enrollment {}: {} appears twice", e.id.value, finger_name(f.position)));
    }
    seen[s] = true;
    for (const auto& m : f.minutiae) {
      if ((f.width && m.x >= f.width) || (f.height && m.y >= f.height)) {
        return invalid_argument(fmt::format("enrollment {}: {} has a minutia at ({}, {}) outside its {}x{} frame",
                                            e.id.value, finger_name(f.position), m.x, m.y, f.width, f.height));
      }
      if (!(m.angle >= 0.0f && m.angle < 2.0f * std::numbers::pi_v<float> + 1e-4f)) {
        return invalid_argument(fmt::format("enrollment {}: {} has a minutia angle {} outside [0, 2π)",
                                            e.id.value, finger_name(f.position), m.angle));
      }
    }
  }
  for (const auto& f : e.finger_images) {
    if (!is_known_finger(f.position)) {
      return invalid_argument(fmt::format("enrollment {}: finger image with position code {} (must be 1–10)",
                                          e.id.value, static_cast<int>(f.position)));
    }
    const int s = finger_slot(f.position);
    if (seen[s]) {
      return invalid_argument(fmt::format("enrollment {}: {} appears twice", e.id.value, finger_name(f.position)));
    }
    seen[s] = true;
    if (f.encoded.empty()) {
      return invalid_argument(fmt::format("enrollment {}: {}: the image is empty", e.id.value, finger_name(f.position)));
    }
    if (f.resolution_ppi < kMinImagePpi || f.resolution_ppi > kMaxImagePpi) {
      return invalid_argument(fmt::format("enrollment {}: {}: image resolution {} ppi outside {}..{}", e.id.value,
                                          finger_name(f.position), f.resolution_ppi, kMinImagePpi, kMaxImagePpi));
    }
  }
  return Status::ok();
}

}  // namespace tunggal
