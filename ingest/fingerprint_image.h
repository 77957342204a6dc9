#pragma once
// Fingerprint images in: the file or bytes a station or a scanned card delivers, decoded into an
// 8-bit greyscale raster the extractor works on. OpenCV decodes (TIFF, PNG, BMP, JPEG, PGM), but
// only after the header has been read by our own code: the declared size and bit depth are checked
// against ImageLimits first, so a decompression bomb or a 16-bit scan is refused before a single
// pixel buffer is allocated.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"

namespace tunggal::ingest {

struct ImageLimits {
  std::size_t max_file_bytes = 32u << 20;  // a 4096x4096 8-bit TIFF is 16 MiB
  int max_side = 4096;                     // a 10-print card slap at 500 ppi is ~1600 px wide
  int min_side = 64;                       // below ~3 mm at 500 ppi there is nothing to extract
};

// 8-bit greyscale, row-major, stride == width.
struct GreyImage {
  int width = 0;
  int height = 0;
  std::vector<std::uint8_t> pixels;
  std::string format;  // "TIFF", "PNG", "BMP", "JPEG", "PGM" (empty when built in memory)
};

// What the file's header declares, read without decoding.
struct ImageHeader {
  std::string format;
  int width = 0;
  int height = 0;
  int bits_per_sample = 0;
  int samples_per_pixel = 0;  // 1 grey, 3 colour, 4 colour + alpha
  // TIFF tiles (0 when the file is in strips or another format): OpenCV allocates a 4-byte RGBA
  // buffer per tile, whatever the image size, so a tile is held to the same side limit.
  int tile_width = 0;
  int tile_height = 0;
};

// Reads the header only. Fails (kMalformedRecord) when the bytes are not one of the supported
// formats or the header is truncated or inconsistent, or ambiguous: wherever OpenCV's decoder could
// read a different size than this reader (a repeated TIFF tag, a JPEG marker without length, a PGM
// comment ended by CR), the file is refused rather than trusted. A JPEG is walked to its end (its
// segments and entropy-coded data, not decoded) and refused (kInvalidArgument) when it holds more
// than 100 scans: each makes the decoder walk the whole image again (a CPU bomb).
Expected<ImageHeader> read_image_header(std::span<const std::uint8_t> bytes);

// Header check against the limits, then decode. Colour images are converted to grey; anything but
// 8 bits per sample is refused (kInvalidArgument) with the depth found. As a second guard, should the
// header reader ever disagree with the decoder, every pixel buffer OpenCV allocates while decoding
// is capped at max_side^2 x 4 bytes (detail/capped_decode.h).
Expected<GreyImage> decode_fingerprint_image(std::span<const std::uint8_t> bytes, const ImageLimits& limits = {});
// Same from a file, refusing files larger than limits.max_file_bytes before reading them.
Expected<GreyImage> read_fingerprint_image(const std::filesystem::path& path, const ImageLimits& limits = {});

// 8-bit greyscale PNG of the image (for the adjudicator's SVG picture).
Expected<std::vector<std::uint8_t>> encode_png(const GreyImage& image);

}  // namespace tunggal::ingest
