#pragma once
// Reads a fingerprint image file (TIFF, PNG, BMP, JPEG: whatever OpenCV's imgcodecs reads) and
// re-encodes it as 8-bit greyscale PNG, the one raster format every SVG viewer embeds. Used for the
// adjudicator's picture (tunggal match --svg). OpenCV stays inside the .cpp.
#include <cstdint>
#include <filesystem>
#include <vector>

#include "core/status.h"

namespace tunggal::datasets {

struct PngImage {
  int width = 0;
  int height = 0;
  std::vector<std::uint8_t> png;  // the encoded PNG file
};

Expected<PngImage> load_image_as_png(const std::filesystem::path& path);

}  // namespace tunggal::datasets
