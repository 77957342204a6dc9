#include "core/finger_position.h"

namespace tunggal {

std::optional<FingerPosition> finger_from_code(int code) {
  if (code < 0 || code > 10) return std::nullopt;
  return static_cast<FingerPosition>(code);
}

std::string_view finger_name(FingerPosition p) {
  static constexpr std::string_view kNames[] = {
      "unknown finger", "right thumb", "right index", "right middle", "right ring", "right little",
      "left thumb",     "left index",  "left middle",  "left ring",    "left little"};
  const auto i = static_cast<unsigned>(p);
  return i < 11 ? kNames[i] : "invalid finger";
}

}  // namespace tunggal
