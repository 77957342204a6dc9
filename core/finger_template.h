#pragma once
#include <cstdint>
#include <vector>

#include "core/finger_position.h"
#include "core/minutia.h"

namespace tunggal {

// The minutiae of one finger impression and the frame they were captured in.
// Resolution is in pixels per centimetre, as ISO/IEC 19794-2 records it (197 ≈ 500 ppi).
struct FingerTemplate {
  FingerPosition position = FingerPosition::kUnknown;
  std::uint16_t width = 0;
  std::uint16_t height = 0;
  std::uint16_t resolution_x = 197;
  std::uint16_t resolution_y = 197;
  std::uint8_t quality = 0;  // impression quality 0..100, 0 when unknown
  std::vector<Minutia> minutiae;

  bool operator==(const FingerTemplate&) const = default;
};

}  // namespace tunggal
