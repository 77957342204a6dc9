// The extractor on images with known content (synthetic ridges with one planted minutia), on every
// kind of bad input the issue lists, and on real FVC2002 prints (skipped without the data).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numbers>
#include <random>

#include "datasets/fvc_extraction.h"
#include "datasets/fvc_protocol.h"
#include "datasets/fvc_set.h"
#include "datasets/minutiae_pairing.h"
#include "ingest/minutiae_extractor.h"
#include "ingest/minutiae_record.h"
#include "matcher/finger_matcher.h"
#include "tests/fvc_data_dir.h"

namespace tunggal::ingest {
namespace {

constexpr double kPi = std::numbers::pi;

// Parallel ridges of period T at angle `tilt`, with a phase singularity at (x0, y0): the phase
// winds by 2π around it, so one ridge more passes on one side than on the other, i.e. exactly one
// ridge ending or bifurcation sits at (x0, y0). Inside an elliptic "finger" on a light background.
GreyImage planted_minutia(int w, int h, double x0, double y0, double period = 9.0, double tilt = 0.3) {
  GreyImage g;
  g.width = w, g.height = h;
  g.pixels.resize(std::size_t(w) * h);
  const double c = std::cos(tilt), s = std::sin(tilt);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      const double across = -(x - x0) * s + (y - y0) * c;
      const double phase = 2 * kPi * across / period + std::atan2(y - y0, x - x0);
      const double ex = (x - w / 2.0) / (0.45 * w), ey = (y - h / 2.0) / (0.45 * h);
      const bool inside = ex * ex + ey * ey < 1.0;
      g.pixels[std::size_t(y) * w + x] = std::uint8_t(inside ? 128 + 90 * std::cos(phase) : 235);
    }
  return g;
}

GreyImage flat(int w, int h, std::uint8_t v) {
  GreyImage g;
  g.width = w, g.height = h;
  g.pixels.assign(std::size_t(w) * h, v);
  return g;
}

TEST(MinutiaeExtractor, FindsThePlantedMinutiaAndLittleElse) {
  const MinutiaeExtractor ex;
  for (const auto& [x0, y0] : {std::pair{150.0, 140.0}, std::pair{120.0, 170.0}}) {
    auto e = ex.extract(planted_minutia(300, 300, x0, y0));
    ASSERT_TRUE(e) << e.error().message();
    const auto& ms = e->finger_template.minutiae;
    int near = 0;
    for (const auto& m : ms) near += std::hypot(m.x - x0, m.y - y0) <= 8.0;
    EXPECT_EQ(near, 1) << "planted at " << x0 << "," << y0 << "; found " << ms.size() << " minutiae";
    // Perfect parallel ridges elsewhere: nothing else should be found.
    EXPECT_LE(ms.size(), 2u);
    EXPECT_EQ(e->finger_template.width, 300);
    EXPECT_EQ(e->finger_template.resolution_x, 197);
    EXPECT_GT(e->mean_coherence, 0.6f);
    EXPECT_NEAR(e->ridge_period, 9.0f, 1.0f);
    // Too few minutiae to match: a synthetic patch is not an enrollable print.
    EXPECT_TRUE(e->rejected);
  }
}

TEST(MinutiaeExtractor, BlankAndFlatImagesAreRejected) {
  const MinutiaeExtractor ex;
  for (std::uint8_t v : {0, 128, 255}) {
    auto e = ex.extract(flat(300, 300, v));
    ASSERT_TRUE(e) << e.error().message();
    EXPECT_TRUE(e->rejected);
    EXPECT_NE(e->reject_reason.find("fingerprint area"), std::string::npos) << e->reject_reason;
    EXPECT_TRUE(e->finger_template.minutiae.empty());
  }
}

TEST(MinutiaeExtractor, NoiseIsNotAFingerprint) {
  const MinutiaeExtractor ex;
  GreyImage g = flat(320, 320, 0);
  std::mt19937 rng(7);
  for (auto& p : g.pixels) p = std::uint8_t(rng() & 255);
  auto e = ex.extract(g);
  ASSERT_TRUE(e) << e.error().message();
  EXPECT_TRUE(e->rejected);
  EXPECT_LT(e->image_quality, 20);
}

// A print (parallel ridges in an ellipse, one minutia planted at its centre as in planted_minutia)
// with background speckle beside it: dark dots on the light
// background, as dust or latent residue leave them (DB2_B 109_1). The speckle has the contrast of a
// print, so the block-deviation segmentation takes it as foreground.
GreyImage print_with_speckle(std::uint32_t seed) {
  constexpr int w = 320, h = 320;
  GreyImage g;
  g.width = w, g.height = h;
  g.pixels.assign(std::size_t(w) * h, 235);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      const double ex = (x - 120.0) / 95.0, ey = (y - 160.0) / 140.0;
      if (ex * ex + ey * ey < 1.0)
        g.pixels[std::size_t(y) * w + x] = std::uint8_t(
            128 + 90 * std::cos(2 * kPi * (-(x - 120) * 0.3 + (y - 160) * 0.95) / 9.0 + std::atan2(y - 160.0, x - 120.0)));
      else if (x > 150 && u(rng) < 0.05)  // 2x2 dots right of the print, touching it
        for (int dy = 0; dy < 2 && y + dy < h; ++dy)
          for (int dx = 0; dx < 2 && x + dx < w; ++dx) g.pixels[std::size_t(y + dy) * w + x + dx] = 120;
    }
  return g;
}

int minutiae_outside_print(const Extraction& e) {
  int n = 0;
  for (const auto& m : e.finger_template.minutiae) {
    const double ex = (m.x - 120.0) / 95.0, ey = (m.y - 160.0) / 140.0;
    n += ex * ex + ey * ey > 1.1 * 1.1;
  }
  return n;
}

TEST(MinutiaeExtractor, ResponsePassPeelsBackgroundSpeckle) {
  ExtractorOptions peel;
  peel.outline_min_response = 0.3f;
  const MinutiaeExtractor plain, peeled(peel);
  int before = 0, after = 0;
  for (std::uint32_t seed : {1u, 2u, 3u}) {
    const GreyImage g = print_with_speckle(seed);
    auto a = plain.extract(g), b = peeled.extract(g);
    ASSERT_TRUE(a && b);
    before += minutiae_outside_print(*a);
    after += minutiae_outside_print(*b);
    // The print itself stays: its one minutia is still found.
    int planted = 0;
    for (const auto& m : b->finger_template.minutiae) planted += std::hypot(m.x - 120.0, m.y - 160.0) <= 8.0;
    EXPECT_EQ(planted, 1) << "seed " << seed;
  }
  // Without the second pass the speckle is foreground and its skeleton yields minutiae.
  EXPECT_GT(before, 3) << "the speckle no longer passes the contrast segmentation: the test shows nothing";
  EXPECT_EQ(after, 0);
}

TEST(MinutiaeExtractor, BufferThatDoesNotMatchItsSizeIsAnError) {
  const MinutiaeExtractor ex;
  GreyImage g = flat(100, 100, 0);
  g.pixels.resize(50);
  EXPECT_FALSE(ex.extract(g));
  GreyImage empty;
  EXPECT_FALSE(ex.extract(empty));
}

std::vector<std::uint8_t> png_of(const GreyImage& g) {
  auto p = encode_png(g);
  EXPECT_TRUE(p);
  return p ? *p : std::vector<std::uint8_t>{};
}

TEST(FingerprintImage, DecodesPngRoundTrip) {
  const GreyImage g = planted_minutia(200, 240, 100, 120);
  auto d = decode_fingerprint_image(png_of(g));
  ASSERT_TRUE(d) << d.error().message();
  EXPECT_EQ(d->width, 200);
  EXPECT_EQ(d->height, 240);
  EXPECT_EQ(d->format, "PNG");
  EXPECT_EQ(d->pixels, g.pixels);
}

TEST(FingerprintImage, EmptyAndUnknownBytesAreErrors) {
  EXPECT_FALSE(decode_fingerprint_image({}));
  const std::vector<std::uint8_t> text = {'h', 'e', 'l', 'l', 'o', ' ', 'w', 'o', 'r', 'l', 'd'};
  auto r = decode_fingerprint_image(text);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("not a supported image format"), std::string::npos);
  const MinutiaeExtractor ex;
  EXPECT_FALSE(ex.extract_encoded(text));
}

TEST(FingerprintImage, TruncatedFilesAreErrors) {
  const auto png = png_of(planted_minutia(200, 200, 100, 100));
  for (std::size_t n : {std::size_t(4), std::size_t(20), std::size_t(33), png.size() / 2, png.size() - 13}) {
    std::vector<std::uint8_t> cut(png.begin(), png.begin() + std::ptrdiff_t(n));
    EXPECT_FALSE(decode_fingerprint_image(cut)) << "PNG cut to " << n << " of " << png.size() << " bytes";
  }
}

// A little-endian TIFF header with one IFD: width, height, bits per sample, samples per pixel.
std::vector<std::uint8_t> tiff_header(std::uint32_t w, std::uint32_t h, std::uint16_t bps, std::uint16_t spp) {
  std::vector<std::uint8_t> b = {'I', 'I', 42, 0, 8, 0, 0, 0, 4, 0};
  auto entry = [&](std::uint16_t tag, std::uint16_t type, std::uint32_t v) {
    for (std::uint8_t x : {std::uint8_t(tag), std::uint8_t(tag >> 8), std::uint8_t(type), std::uint8_t(0),
                           std::uint8_t(1), std::uint8_t(0), std::uint8_t(0), std::uint8_t(0), std::uint8_t(v),
                           std::uint8_t(v >> 8), std::uint8_t(v >> 16), std::uint8_t(v >> 24)})
      b.push_back(x);
  };
  entry(256, 4, w);
  entry(257, 4, h);
  entry(258, 3, bps);
  entry(277, 3, spp);
  for (int i = 0; i < 4; ++i) b.push_back(0);  // no next IFD
  return b;
}

TEST(FingerprintImage, HugeDimensionsAreRefusedBeforeDecoding) {
  // A decompression bomb: 60000 x 60000 declared in a 66-byte file.
  auto r = decode_fingerprint_image(tiff_header(60000, 60000, 8, 1));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(r.error().message().find("refused before decoding"), std::string::npos) << r.error().message();
  // Same for PNG: patch the IHDR of a real file.
  auto png = png_of(flat(100, 100, 7));
  png[16] = 0x7f;  // width 0x7f000064
  auto p = decode_fingerprint_image(png);
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().code(), ErrorCode::kInvalidArgument);
}

TEST(FingerprintImage, WrongBitDepthIsRefused) {
  auto r = decode_fingerprint_image(tiff_header(400, 400, 16, 1));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("16 bits per sample"), std::string::npos) << r.error().message();
  auto png = png_of(flat(100, 100, 7));
  png[24] = 16;
  EXPECT_FALSE(decode_fingerprint_image(png));
  auto one_bit = decode_fingerprint_image(tiff_header(400, 400, 1, 1));
  EXPECT_FALSE(one_bit);
}

TEST(FingerprintImage, TooSmallImageIsRefused) {
  auto r = decode_fingerprint_image(png_of(flat(20, 300, 9)));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("too small"), std::string::npos);
}

TEST(FingerprintImage, MissingFileIsNotFound) {
  auto r = read_fingerprint_image("/nonexistent/finger.tif");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kNotFound);
}

// Our directions follow ISO/IEC 19794-2 as the SecuGen records do: where both extractors found a
// minutia at the same place (within 6 px), the directions agree (within 30°) in most cases.
// Measured on these 8 images before the 180° convention fix: almost none agreed.
TEST(MinutiaeExtractorFvc, DirectionsAgreeWithTheProvidedRecords) {
  const auto dir = testing::fvc_data_dir();
  if (dir.empty()) GTEST_SKIP() << testing::kNoFvcMessage;
  auto set = datasets::load_fvc_set(dir / "DB1_B");
  ASSERT_TRUE(set) << set.error().message();
  const MinutiaeExtractor ex;
  int colocated = 0, agree = 0;
  for (std::size_t i = 0; i < set->impressions.size(); i += 10) {
    const auto& imp = set->impressions[i];
    auto e = ex.extract_file(imp.tif_path);
    ASSERT_TRUE(e) << e.error().message();
    for (const auto& m : e->finger_template.minutiae)
      for (const auto& p : imp.finger_template.minutiae) {
        if (std::hypot(double(m.x) - p.x, double(m.y) - p.y) > 6.0) continue;
        ++colocated;
        double d = std::fmod(std::fabs(double(m.angle) - p.angle), 2 * kPi);
        d = std::min(d, 2 * kPi - d);
        agree += d < kPi / 6;
        break;
      }
  }
  ASSERT_GT(colocated, 50);
  EXPECT_GT(double(agree) / colocated, 0.8) << agree << " of " << colocated;
}

// Real prints whose ridges are broken into dots (DB4's synthetic noise, DB3's capacitive sensor)
// have a low mean coherence (0.25..0.29) but are fingerprints all the same: rejecting them as "no
// ridge structure" scored 28 genuine pairs 0 and doubled DB4's EER.
TEST(MinutiaeExtractorFvc, NoisyButRealPrintsAreNotRejected) {
  const auto dir = testing::fvc_data_dir();
  if (dir.empty()) GTEST_SKIP() << testing::kNoFvcMessage;
  const MinutiaeExtractor ex;
  for (const char* f : {"DB4_B/108_3.tif", "DB4_B/108_5.tif", "DB3_B/107_8.tif", "DB3_B/110_3.tif"}) {
    auto e = ex.extract_file(dir / f);
    ASSERT_TRUE(e) << f << ": " << e.error().message();
    EXPECT_LT(e->mean_coherence, 0.30f) << f << " is no longer a low-coherence print";
    EXPECT_FALSE(e->rejected) << f << ": " << e->reject_reason;
    EXPECT_GE(e->finger_template.minutiae.size(), 12u) << f;
  }
}

// The image quality must not call usable prints unusable: the engine refuses fingers below its
// min_finger_quality (10). On DB3_B (capacitive, the set of lowest coherence) the former
// calibration put 24 of 80 prints below 10, most of which match well; the current one puts 11.
TEST(MinutiaeExtractorFvc, ImageQualityKeepsUsablePrintsAboveTheEngineFloor) {
  const auto dir = testing::fvc_data_dir();
  if (dir.empty()) GTEST_SKIP() << testing::kNoFvcMessage;
  auto set = datasets::load_fvc_set(dir / "DB3_B");
  ASSERT_TRUE(set) << set.error().message();
  const MinutiaeExtractor ex;
  auto x = datasets::extract_fvc_set(*set, ex);
  ASSERT_TRUE(x) << x.error().message();
  int below = 0;
  for (const auto& imp : x->set.impressions) below += imp.finger_template.quality < 10;
  EXPECT_LE(below, 16) << "of " << x->set.impressions.size() << " DB3_B prints below quality 10";
  EXPECT_GT(x->mean_image_quality, 25.0);
}

// Regression on real prints: our minutiae on one FVC2002 set, matched with our matcher, must keep
// the set's EER under a stated bound (measured values in docs/extraction.md).
TEST(MinutiaeExtractorFvc, Db1EerStaysBounded) {
  const auto dir = testing::fvc_data_dir();
  if (dir.empty()) GTEST_SKIP() << testing::kNoFvcMessage;
  auto set = datasets::load_fvc_set(dir / "DB1_B");
  ASSERT_TRUE(set) << set.error().message();
  const MinutiaeExtractor ex;
  auto x = datasets::extract_fvc_set(*set, ex);
  ASSERT_TRUE(x) << x.error().message();
  // SecuGen finds 34 per image on DB1_B; we measured 35.
  EXPECT_GT(x->mean_minutiae, 20.0);
  EXPECT_LT(x->mean_minutiae, 60.0);
  EXPECT_LE(x->rejected, 8u);
  const matcher::FingerMatcher m;
  auto r = datasets::run_fvc_protocol(x->set, m, datasets::ImpostorPairs::kAllCrossFinger,
                                      datasets::UnpreparableTemplate::kScoreZero);
  ASSERT_TRUE(r) << r.error().message();
  // Measured 1.85% (2.50% with one enhancement pass; provided SecuGen templates: 1.43%); the bound
  // leaves room for tuning, not for a broken stage.
  EXPECT_LT(r->rates.eer, 0.04) << "DB1_B EER with our extractor";
}

// EER of one FVC2002 set with our extractor at options `o` and our matcher (FVC's protocol).
double extracted_eer(const datasets::FvcSet& set, const ExtractorOptions& o) {
  const matcher::FingerMatcher m;
  auto x = datasets::extract_fvc_set(set, MinutiaeExtractor(o));
  EXPECT_TRUE(x) << x.error().message();
  if (!x) return 1.0;
  auto r = datasets::run_fvc_protocol(x->set, m, datasets::ImpostorPairs::kAllCrossFinger,
                                      datasets::UnpreparableTemplate::kScoreZero);
  EXPECT_TRUE(r) << r.error().message();
  return r ? r->rates.eer : 1.0;
}

// The second enhancement pass (ExtractorOptions::refine_orientation) on the set it helps most:
// DB2_B's faint, blotched prints (finger 109) pull the first field off the ridges.
TEST(MinutiaeExtractorFvc, RefinedOrientationLowersDb2Eer) {
  const auto dir = testing::fvc_data_dir();
  if (dir.empty()) GTEST_SKIP() << testing::kNoFvcMessage;
  auto set = datasets::load_fvc_set(dir / "DB2_B");
  ASSERT_TRUE(set) << set.error().message();
  auto eer = [&](const ExtractorOptions& o) { return extracted_eer(*set, o); };
  ExtractorOptions one_pass;
  one_pass.refine_orientation = 0;
  const double refined = eer(ExtractorOptions{}), plain = eer(one_pass);
  // Measured 1.78% with the second pass, 2.50% without (provided SecuGen templates: 0.49%); the
  // re-measured period does not change DB2_B.
  EXPECT_LT(refined, 0.022) << "DB2_B EER with the refined orientation";
  EXPECT_LT(refined, plain);
}

// ... and the ridge period re-measured on the first pass's output (refine_frequency), on the set
// it helps most: DB4_B's ridges are broken into dots, which fool the x-signature of the raw image.
TEST(MinutiaeExtractorFvc, RefinedFrequencyLowersDb4Eer) {
  const auto dir = testing::fvc_data_dir();
  if (dir.empty()) GTEST_SKIP() << testing::kNoFvcMessage;
  auto set = datasets::load_fvc_set(dir / "DB4_B");
  ASSERT_TRUE(set) << set.error().message();
  auto eer = [&](const ExtractorOptions& o) { return extracted_eer(*set, o); };
  ExtractorOptions field_only;
  field_only.refine_frequency = 0;
  ASSERT_GT(ExtractorOptions{}.refine_frequency, 0) << "re-measuring the period is on by default";
  const double refined = eer(ExtractorOptions{}), plain = eer(field_only);
  // Measured 1.48% with the period re-measured, 2.50% without (one pass: 1.81%; provided: 1.06%).
  EXPECT_LT(refined, 0.02) << "DB4_B EER with the refined ridge period";
  EXPECT_LT(refined, plain);
}

// Blotch clamping (ExtractorOptions::blotch_clip) on the set it was made for: DB2_B 109_8 is a
// faint print under dark blotches, which ruled its normalisation and field and drew ridges through
// the dots. The clamp is used only where it makes the ridge flow clearer, so most prints are
// extracted as before.
TEST(MinutiaeExtractorFvc, BlotchClampLowersDb2Eer) {
  const auto dir = testing::fvc_data_dir();
  if (dir.empty()) GTEST_SKIP() << testing::kNoFvcMessage;
  auto set = datasets::load_fvc_set(dir / "DB2_B");
  ASSERT_TRUE(set) << set.error().message();
  ASSERT_GT(ExtractorOptions{}.blotch_clip, 0) << "blotch clamping is on by default";
  ExtractorOptions off;
  off.blotch_clip = 0;
  const double clamped = extracted_eer(*set, ExtractorOptions{}), plain = extracted_eer(*set, off);
  // Measured 1.43% with the clamp, 1.78% without (provided SecuGen templates: 0.49%).
  EXPECT_LT(clamped, 0.016) << "DB2_B EER with blotches clamped";
  EXPECT_LT(clamped, plain);
}

// Ridge endings placed beyond the skeleton's tip (ExtractorOptions::ending_offset): an ending in
// one impression that is a bifurcation in another (the ridge touched its neighbour) then lies near
// its fork instead of ~7 px short of it. Measured on the set it helps most, DB4_B (dotted ridges
// that end and join differently from one impression to the next).
TEST(MinutiaeExtractorFvc, EndingOffsetRaisesGenuineScores) {
  const auto dir = testing::fvc_data_dir();
  if (dir.empty()) GTEST_SKIP() << testing::kNoFvcMessage;
  auto set = datasets::load_fvc_set(dir / "DB4_B");
  ASSERT_TRUE(set) << set.error().message();
  ASSERT_GT(ExtractorOptions{}.ending_offset, 0) << "the offset is on by default";
  auto mean_genuine = [&](const ExtractorOptions& o) {
    auto x = datasets::extract_fvc_set(*set, MinutiaeExtractor(o));
    EXPECT_TRUE(x) << x.error().message();
    if (!x) return 0.0;
    auto r = datasets::run_fvc_protocol(x->set, matcher::FingerMatcher{}, datasets::ImpostorPairs::kFirstImpressions,
                                        datasets::UnpreparableTemplate::kScoreZero);
    EXPECT_TRUE(r) << r.error().message();
    double sum = 0;
    for (float g : r->genuine_scores) sum += g;
    return r->genuine_scores.empty() ? 0.0 : sum / double(r->genuine_scores.size());
  };
  ExtractorOptions at_tip;
  at_tip.ending_offset = 0;
  const double offset = mean_genuine(ExtractorOptions{}), tip = mean_genuine(at_tip);
  // Measured 0.212 against 0.186 (+14%); DB1, DB2 +5%, DB3 +9%.
  EXPECT_GT(offset, 1.08 * tip) << "mean genuine score on DB4_B, endings beyond the tip vs at it";
}

// Minutiae recovered at shifted binarisation thresholds (ExtractorOptions::recover_shift,
// ingest/detail/minutiae_recovery.cpp) are added to the main skeleton's, never instead of them, and
// a good share of them are minutiae the SecuGen records have too: recall against the provided
// records rises. Uncapped (max_minutiae 128) so that every recovered minutia is counted.
TEST(MinutiaeExtractorFvc, RecoveredMinutiaeAreAddedAndRaiseRecall) {
  const auto dir = testing::fvc_data_dir();
  if (dir.empty()) GTEST_SKIP() << testing::kNoFvcMessage;
  auto set = datasets::load_fvc_set(dir / "DB1_B");
  ASSERT_TRUE(set) << set.error().message();
  ASSERT_GT(ExtractorOptions{}.recover_shift, 0) << "recovery is on by default";
  ExtractorOptions with, without;
  with.max_minutiae = without.max_minutiae = 128;
  without.recover_shift = 0;
  auto a = datasets::extract_fvc_set(*set, MinutiaeExtractor(with));
  auto b = datasets::extract_fvc_set(*set, MinutiaeExtractor(without));
  ASSERT_TRUE(a && b);
  datasets::PairingStats pa, pb;
  std::size_t kept = 0, main_minutiae = 0;
  for (std::size_t i = 0; i < set->impressions.size(); ++i) {
    const auto& ours = a->set.impressions[i].finger_template.minutiae;
    for (const Minutia& m : b->set.impressions[i].finger_template.minutiae) {
      ++main_minutiae;
      kept += std::find(ours.begin(), ours.end(), m) != ours.end();
    }
    pa.add(datasets::pair_minutiae(set->impressions[i].finger_template, a->set.impressions[i].finger_template));
    pb.add(datasets::pair_minutiae(set->impressions[i].finger_template, b->set.impressions[i].finger_template));
  }
  EXPECT_EQ(kept, main_minutiae) << "every minutia of the main skeleton is kept";
  EXPECT_GT(pa.ours, pb.ours + set->impressions.size()) << "more than one minutia a print recovered";
  // Measured on DB1_B: recall 0.781 -> 0.832; 45% of the recovered minutiae pair with a SecuGen
  // one (docs/extraction.md, "Eleventh version").
  EXPECT_GT(pa.recall(), pb.recall() + 0.03);
  EXPECT_GT(double(pa.paired - pb.paired), 0.2 * double(pa.ours - pb.ours)) << "share of the recovered that pair";
}

// The quality gate (fewer than min_minutiae: recapture) counts the main skeleton's minutiae only:
// a print too poor to show 12 of its own is not let through by recovered ones. On DB1_B and DB3_B
// the prints rejected are exactly those rejected without recovery (2 and 5).
TEST(MinutiaeExtractorFvc, RecoveredMinutiaeDoNotLetPoorPrintsThroughTheGate) {
  const auto dir = testing::fvc_data_dir();
  if (dir.empty()) GTEST_SKIP() << testing::kNoFvcMessage;
  ExtractorOptions without;
  without.recover_shift = 0;
  const MinutiaeExtractor with_recovery, plain(without);
  int rejected = 0;
  for (const char* name : {"DB1_B", "DB3_B"}) {
    auto set = datasets::load_fvc_set(dir / name);
    ASSERT_TRUE(set) << set.error().message();
    for (const auto& imp : set->impressions) {
      auto a = with_recovery.extract_file(imp.tif_path);
      auto b = plain.extract_file(imp.tif_path);
      ASSERT_TRUE(a && b);
      EXPECT_EQ(a->rejected, b->rejected) << imp.tif_path;
      if (a->rejected) EXPECT_EQ(a->reject_reason, b->reject_reason) << imp.tif_path;
      rejected += a->rejected;
    }
  }
  EXPECT_GT(rejected, 0) << "the sets hold prints the gate rejects";
}

// The defaults (recovery plus max_minutiae 40) against the extractor before them, on DB1_B, the
// set where the gain was steadiest across the settings measured (docs/extraction.md, "Eleventh
// version").
TEST(MinutiaeExtractorFvc, RecoveryAndTheCapLowerDb1Eer) {
  const auto dir = testing::fvc_data_dir();
  if (dir.empty()) GTEST_SKIP() << testing::kNoFvcMessage;
  auto set = datasets::load_fvc_set(dir / "DB1_B");
  ASSERT_TRUE(set) << set.error().message();
  ExtractorOptions before;
  before.recover_shift = 0;
  before.max_minutiae = 128;
  const double now = extracted_eer(*set, ExtractorOptions{}), then = extracted_eer(*set, before);
  // Measured 1.06% against 1.43% (provided SecuGen templates: 1.43%).
  EXPECT_LT(now, then) << "DB1_B EER with recovered minutiae and the cap of 40";
}

// The clamp's decision on single prints: taken on the blotched 109_8, not on a clean impression of
// the same finger, and never on the image the noise test rejects.
TEST(MinutiaeExtractorFvc, BlotchClampIsTakenOnBlotchedPrintsOnly) {
  const auto dir = testing::fvc_data_dir();
  if (dir.empty()) GTEST_SKIP() << testing::kNoFvcMessage;
  const MinutiaeExtractor ex;
  auto blotched = ex.extract_file(dir / "DB2_B" / "109_8.tif");
  auto clean = ex.extract_file(dir / "DB2_B" / "109_2.tif");
  ASSERT_TRUE(blotched && clean);
  EXPECT_TRUE(blotched->blotches_clamped);
  EXPECT_FALSE(clean->blotches_clamped);
  EXPECT_FALSE(blotched->rejected);
}

}  // namespace
}  // namespace tunggal::ingest
