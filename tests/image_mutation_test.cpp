// Mutated image files must never crash the decoder or the extractor, nor make the extractor emit
// what the rest of tunggal cannot use (docs/extraction.md, "Bad input"). A deterministic sweep that
// runs with the suite: a synthetic print in every format the decoder takes, cut at evenly spaced
// lengths and with a few random bytes overwritten, each through decode -> extract -> ISO record.
// The libFuzzer campaign (fuzz/image_fuzz.cpp, scripts/fuzz.sh) searches the same property far
// longer, under ASan and UBSan; this keeps its checks from regressing on every build.
#include <gtest/gtest.h>
#include <fmt/format.h>
#include <opencv2/imgcodecs.hpp>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "ingest/fingerprint_image.h"
#include "ingest/minutiae_extractor.h"
#include "tests/extraction_invariants.h"
#include "tests/png_crc_repair.h"
#include "tests/synthetic_print.h"

namespace tunggal::ingest {
namespace {

using Bytes = std::vector<std::uint8_t>;

struct Outcome {
  int decoded = 0, extracted = 0, accepted = 0;
};

// Decode, extract and write the record of `bytes`; fails the test on anything malformed that comes
// out of a call that reported success (tests/extraction_invariants.h).
void run_one(const MinutiaeExtractor& x, const Bytes& bytes, Outcome& out, const std::string& what) {
  auto img = decode_fingerprint_image(bytes, x.options().limits);
  if (!img) return;
  ++out.decoded;
  ASSERT_EQ(tunggal::testing::decoded_image_violation(*img), "") << what;
  auto r = x.extract(*img);
  if (!r) return;
  ++out.extracted;
  ASSERT_EQ(tunggal::testing::extraction_violation(*img, *r), "") << what;
  out.accepted += !r->rejected;
}

class ImageMutation : public ::testing::TestWithParam<const char*> {};

TEST_P(ImageMutation, TruncatedOrOverwrittenFilesNeverCrashOrYieldBadTemplates) {
  const std::string ext = GetParam();
  const auto print = tunggal::testing::synthetic_print(7, 160, 176, 14);
  const cv::Mat m(print.height, print.width, CV_8U, const_cast<std::uint8_t*>(print.pixels.data()));
  Bytes original;
  ASSERT_TRUE(cv::imencode(ext, m, original)) << ext;
  const MinutiaeExtractor x;
  Outcome out;
  run_one(x, original, out, ext + " as encoded");
  ASSERT_EQ(out.accepted, 1) << "the unmutated " << ext << " must extract, or the sweep tests nothing";

  // Every cut: 64 lengths from nothing to one byte short.
  for (int k = 0; k < 64; ++k) {
    const std::size_t len = original.size() * std::size_t(k) / 64;
    run_one(x, Bytes(original.begin(), original.begin() + std::ptrdiff_t(len)), out,
            ext + " cut to " + std::to_string(len) + " bytes");
  }
  // 1-8 random bytes overwritten, headers included (a third of the mutants hit the first 64 bytes).
  std::mt19937 rng(20261127);
  for (int k = 0; k < 240; ++k) {
    Bytes b = original;
    const int n = 1 + int(rng() % 8);
    std::string where;
    for (int i = 0; i < n; ++i) {
      const std::size_t at = (k % 3 == 0 ? rng() % std::min<std::size_t>(64, b.size()) : rng() % b.size());
      b[at] = std::uint8_t(rng());
      where += fmt::format(" {}", at);
    }
    tunggal::testing::repair_png_crcs(b);  // else libpng stops every PNG mutant at its CRC
    run_one(x, b, out, ext + " mutant " + std::to_string(k) + " (bytes" + where + ")");
  }
  // The sweep must reach past the decoder: a share of the mutants decode and go through extraction.
  EXPECT_GT(out.extracted, 10) << ext << ": decoded " << out.decoded;
  RecordProperty("decoded", out.decoded);
  RecordProperty("accepted", out.accepted);
}

INSTANTIATE_TEST_SUITE_P(EveryFormat, ImageMutation, ::testing::Values(".png", ".tif", ".bmp", ".jpg", ".pgm"),
                         [](const auto& info) { return std::string(info.param).substr(1); });

}  // namespace
}  // namespace tunggal::ingest
