#include "ingest/fingerprint_image.h"

#include "ingest/detail/capped_decode.h"

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include <fstream>
#include <system_error>

namespace tunggal::ingest {

Expected<GreyImage> decode_fingerprint_image(std::span<const std::uint8_t> bytes, const ImageLimits& limits) {
  if (bytes.size() > limits.max_file_bytes)
    return invalid_argument("image of " + std::to_string(bytes.size()) + " bytes exceeds the limit of " +
                            std::to_string(limits.max_file_bytes) + " bytes");
  auto h = read_image_header(bytes);
  if (!h) return h.error();
  const std::string size = std::to_string(h->width) + "x" + std::to_string(h->height);
  if (h->width <= 0 || h->height <= 0) return malformed(h->format + " declares an empty image (" + size + ")");
  if (h->width > limits.max_side || h->height > limits.max_side)
    return invalid_argument(h->format + " declares " + size + " pixels, above the limit of " +
                            std::to_string(limits.max_side) + " per side; refused before decoding");
  if (h->width < limits.min_side || h->height < limits.min_side)
    return invalid_argument(h->format + " image of " + size + " pixels is too small for a fingerprint (at least " +
                            std::to_string(limits.min_side) + " per side)");
  if (h->bits_per_sample != 8)
    return invalid_argument(h->format + " image has " + std::to_string(h->bits_per_sample) +
                            " bits per sample; fingerprint images must be 8-bit greyscale");
  if (h->samples_per_pixel < 1 || h->samples_per_pixel > 4)
    return malformed(h->format + " declares " + std::to_string(h->samples_per_pixel) + " samples per pixel");
  if (h->tile_width < 0 || h->tile_height < 0 || h->tile_width > limits.max_side || h->tile_height > limits.max_side)
    return invalid_argument(h->format + " declares tiles of " + std::to_string(h->tile_width) + "x" +
                            std::to_string(h->tile_height) + " pixels, above the limit of " +
                            std::to_string(limits.max_side) + " per side; refused before decoding");
  const std::size_t side = std::size_t(limits.max_side);
  auto g = detail::decode_with_allocation_cap(bytes, side * side * 4, h->format);
  if (!g) return g.error();
  if (g->width != h->width || g->height != h->height)
    return malformed(h->format + " decoded to " + std::to_string(g->width) + "x" + std::to_string(g->height) +
                     " but its header declares " + size);
  return g;
}

Expected<GreyImage> read_fingerprint_image(const std::filesystem::path& path, const ImageLimits& limits) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return not_found("image " + path.string() + " does not exist");
  const auto n = std::filesystem::file_size(path, ec);
  if (ec) return io_error("cannot stat " + path.string() + ": " + ec.message());
  if (n > limits.max_file_bytes)
    return invalid_argument(path.string() + ": file of " + std::to_string(n) + " bytes exceeds the limit of " +
                            std::to_string(limits.max_file_bytes) + " bytes");
  std::ifstream in(path, std::ios::binary);
  std::vector<std::uint8_t> bytes(n);
  if (!in.read(reinterpret_cast<char*>(bytes.data()), std::streamsize(n)))
    return io_error("cannot read " + path.string());
  auto g = decode_fingerprint_image(bytes, limits);
  if (!g) return Status(g.error().code(), path.string() + ": " + g.error().message());
  return g;
}

Expected<std::vector<std::uint8_t>> encode_png(const GreyImage& image) {
  if (image.width <= 0 || image.height <= 0 || image.pixels.size() != std::size_t(image.width) * image.height)
    return invalid_argument("encode_png: image buffer does not match its size");
  std::vector<std::uint8_t> out;
  try {
    const cv::Mat m(image.height, image.width, CV_8U, const_cast<std::uint8_t*>(image.pixels.data()));
    if (!cv::imencode(".png", m, out)) return io_error("cannot encode the image as PNG");
  } catch (const cv::Exception& e) {
    return io_error(std::string("cannot encode the image as PNG: ") + e.what());
  }
  return out;
}

}  // namespace tunggal::ingest
