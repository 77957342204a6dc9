// Writes the seed corpus of image_fuzz: synthetic prints (tests/synthetic_print.h) of a few sizes,
// encoded in every format the decoder takes, so that the fuzzer starts from files that reach the
// extractor rather than having to discover a PNG header. Usage: image_fuzz_seeds DIR
#include <opencv2/imgcodecs.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/synthetic_print.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
    return 2;
  }
  const std::filesystem::path dir = argv[1];
  std::filesystem::create_directories(dir);
  int written = 0;
  const struct { int w, h; } sizes[] = {{96, 96}, {128, 160}, {200, 180}};
  const char* formats[] = {".png", ".tif", ".bmp", ".jpg", ".pgm"};
  for (std::uint32_t seed = 1; seed <= 3; ++seed)
    for (const auto& s : sizes) {
      const auto g = tunggal::testing::synthetic_print(seed, s.w, s.h, 6);
      const cv::Mat m(g.height, g.width, CV_8U, const_cast<std::uint8_t*>(g.pixels.data()));
      for (const char* f : formats) {
        std::vector<std::uint8_t> bytes;
        if (!cv::imencode(f, m, bytes)) continue;
        const auto name = "print" + std::to_string(seed) + "_" + std::to_string(s.w) + "x" + std::to_string(s.h) + f;
        std::ofstream(dir / name, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
        ++written;
      }
    }
  std::printf("%d seeds in %s\n", written, dir.c_str());
  return 0;
}
