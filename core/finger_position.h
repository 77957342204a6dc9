#pragma once
// Finger positions as coded by ISO/IEC 19794-2 and ANSI/INCITS 378 (Table "finger position"):
// 0 unknown, 1 right thumb … 5 right little, 6 left thumb … 10 left little.
#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace tunggal {

enum class FingerPosition : std::uint8_t {
  kUnknown = 0,
  kRightThumb = 1, kRightIndex = 2, kRightMiddle = 3, kRightRing = 4, kRightLittle = 5,
  kLeftThumb = 6, kLeftIndex = 7, kLeftMiddle = 8, kLeftRing = 9, kLeftLittle = 10,
};

inline constexpr int kFingerCount = 10;

// Index 0..9 for positions 1..10.
inline constexpr int finger_slot(FingerPosition p) { return static_cast<int>(p) - 1; }
inline constexpr FingerPosition finger_at_slot(int slot) { return static_cast<FingerPosition>(slot + 1); }
inline constexpr bool is_known_finger(FingerPosition p) {
  return static_cast<int>(p) >= 1 && static_cast<int>(p) <= 10;
}
std::optional<FingerPosition> finger_from_code(int code);
std::string_view finger_name(FingerPosition p);  // "right index"

// The fingers that carry most identity evidence and are searched first by the cascade:
// index fingers and thumbs (largest, most often well captured).
inline constexpr std::array<FingerPosition, 4> kPrimaryFingers = {
    FingerPosition::kRightIndex, FingerPosition::kLeftIndex, FingerPosition::kRightThumb,
    FingerPosition::kLeftThumb};

}  // namespace tunggal
