#pragma once
// Constants and unit conversions shared by the ISO/IEC 19794-2:2005 and ANSI/INCITS 378-2004
// readers and writers.
#include <cmath>
#include <cstdint>
#include <numbers>

#include "core/minutia.h"

namespace tunggal::detail {

inline constexpr std::uint8_t kMagic[8] = {'F', 'M', 'R', 0, ' ', '2', '0', 0};
inline constexpr std::size_t kIsoHeaderBytes = 24;       // ISO 19794-2:2005 §7.3 record header
inline constexpr std::size_t kAnsiHeaderBytes = 26;      // ANSI 378-2004 §6.4 with 2-byte length
inline constexpr std::size_t kAnsiLongHeaderBytes = 30;  // ... with 0x0000 + 4-byte length
inline constexpr std::size_t kViewHeaderBytes = 4;       // position, view/impression, quality, count
inline constexpr std::size_t kMinutiaBytes = 6;
inline constexpr std::size_t kExtendedLengthBytes = 2;
inline constexpr std::uint16_t kMaxCoordinate = 0x3FFF;  // 14-bit x and y

// Minutia type in the top two bits of the x field (both standards): 01 ridge ending,
// 10 bifurcation, 00 other; 11 is reserved.
inline constexpr bool type_from_bits(unsigned bits, MinutiaType& out) {
  switch (bits) {
    case 0: out = MinutiaType::kOther; return true;
    case 1: out = MinutiaType::kRidgeEnding; return true;
    case 2: out = MinutiaType::kBifurcation; return true;
    default: return false;
  }
}
inline constexpr unsigned type_to_bits(MinutiaType t) {
  switch (t) {
    case MinutiaType::kRidgeEnding: return 1;
    case MinutiaType::kBifurcation: return 2;
    default: return 0;
  }
}

// Angles: core keeps radians in [0, 2π). ISO stores units of 2π/256 (one byte, always valid);
// ANSI stores units of 2 degrees, valid 0..179.
inline constexpr double kTwoPi = 2.0 * std::numbers::pi;
inline float iso_units_to_radians(std::uint8_t a) { return static_cast<float>(a * (kTwoPi / 256.0)); }
inline float ansi_units_to_radians(std::uint8_t a) { return static_cast<float>(a * (kTwoPi / 180.0)); }

// Rounds to the nearest unit and wraps, so 359.5° becomes ISO 0, not 256. NaN maps to 0.
inline unsigned radians_to_units(float radians, unsigned units_per_turn) {
  if (!std::isfinite(radians)) return 0;
  double turns = static_cast<double>(radians) / kTwoPi;
  turns -= std::floor(turns);
  auto u = static_cast<unsigned>(std::lround(turns * units_per_turn));
  return u % units_per_turn;
}

}  // namespace tunggal::detail
