#include "datasets/image_png.h"

#include <opencv2/imgcodecs.hpp>

#include <system_error>

namespace tunggal::datasets {

Expected<PngImage> load_image_as_png(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return not_found("image " + path.string() + " does not exist");
  cv::Mat img;
  try {
    img = cv::imread(path.string(), cv::IMREAD_GRAYSCALE);
  } catch (const cv::Exception& e) {
    return malformed("cannot decode image " + path.string() + ": " + e.what());
  }
  if (img.empty()) return malformed("cannot decode image " + path.string() + " (not an image format OpenCV reads)");
  PngImage r;
  r.width = img.cols;
  r.height = img.rows;
  try {
    if (!cv::imencode(".png", img, r.png)) return io_error("cannot encode " + path.string() + " as PNG");
  } catch (const cv::Exception& e) {
    return io_error("cannot encode " + path.string() + " as PNG: " + e.what());
  }
  return r;
}

}  // namespace tunggal::datasets
