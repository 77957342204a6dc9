// libFuzzer target for the image decoding alone (header reader, then OpenCV behind the allocation
// cap): the part of image_fuzz that sees the raw bytes, at hundreds of times its speed, since it
// skips the extraction. Run: ./scripts/fuzz.sh image_decode_fuzz 600
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "ingest/fingerprint_image.h"
#include "tests/png_crc_repair.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // PNG chunk CRCs recomputed, or libpng refuses nearly every mutant before the inflater.
  std::vector<std::uint8_t> bytes(data, data + size);
  tunggal::testing::repair_png_crcs(bytes);
  using namespace tunggal::ingest;
  ImageLimits limits;
  limits.max_side = 1024;
  limits.max_file_bytes = 1u << 20;
  auto header = read_image_header(bytes);
  auto image = decode_fingerprint_image(bytes, limits);
  if (!image) return 0;
  // Whatever decodes must be what the header said, within the limits, with a buffer of that size.
  if (!header || header->width != image->width || header->height != image->height) __builtin_trap();
  if (image->width < limits.min_side || image->height < limits.min_side || image->width > limits.max_side ||
      image->height > limits.max_side)
    __builtin_trap();
  if (image->pixels.size() != std::size_t(image->width) * image->height) __builtin_trap();
  return 0;
}
