#pragma once
#include <cstdint>

namespace tunggal {

enum class MinutiaType : std::uint8_t { kOther = 0, kRidgeEnding = 1, kBifurcation = 2 };

// One minutia in pixel coordinates of its image (origin top-left, y down). The angle is in radians
// in [0, 2π), measured counter-clockwise from the x axis, as ISO/IEC 19794-2 defines it (the record
// stores it in units of 2π/256). Quality 0..100, 0 meaning "not reported".
struct Minutia {
  std::uint16_t x = 0;
  std::uint16_t y = 0;
  float angle = 0.0f;
  MinutiaType type = MinutiaType::kOther;
  std::uint8_t quality = 0;

  bool operator==(const Minutia&) const = default;
};

}  // namespace tunggal
