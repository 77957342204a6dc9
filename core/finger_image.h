#pragma once
#include <cstdint>
#include <vector>

#include "core/finger_position.h"

namespace tunggal {

// One finger as the station or a scanned card delivers it: the encoded image file (PNG, TIFF,
// BMP, JPEG or PGM bytes, 8-bit greyscale), not yet decoded. It only travels from a door (the
// server's submit path, batch import) to the ingest layer, which extracts a FingerTemplate from
// it before anything reaches the engine (ingest/enrollment_images.h); the engine refuses an
// enrollment that still carries one. Kept as bytes so that core needs no image library.
struct FingerImage {
  FingerPosition position = FingerPosition::kUnknown;
  std::vector<std::uint8_t> encoded;
  std::uint16_t resolution_ppi = 500;  // of the scan; the extractor resamples to 500 ppi

  bool operator==(const FingerImage&) const = default;
};

// Scan resolutions the extractor accepts (ppi).
inline constexpr int kMinImagePpi = 250;
inline constexpr int kMaxImagePpi = 2000;

}  // namespace tunggal
