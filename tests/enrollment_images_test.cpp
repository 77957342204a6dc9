// Fingers delivered as images (issue 9 item 2): the ingest layer's extraction step that every door
// runs before the engine, the structural rules for images, and their wire form.
#include <gtest/gtest.h>

#include "datasets/population.h"
#include "ingest/enrollment_images.h"
#include "server/wire_codec.h"
#include "tests/synthetic_print.h"

namespace tunggal::ingest {
namespace {

using tunggal::testing::blank_png;
using tunggal::testing::synthetic_print;
using tunggal::testing::synthetic_print_png;
using tunggal::testing::truncated_png;

FingerImage image_at(FingerPosition p, std::vector<std::uint8_t> bytes, std::uint16_t ppi = 500) {
  FingerImage f;
  f.position = p;
  f.encoded = std::move(bytes);
  f.resolution_ppi = ppi;
  return f;
}

// A generated enrollment whose right index and left thumb are replaced by images.
Enrollment with_images(std::uint64_t identity, std::vector<std::uint8_t> right_index,
                       std::vector<std::uint8_t> left_thumb) {
  const datasets::Population pop(datasets::PopulationConfig{.seed = 5});
  Enrollment e = pop.capture(identity, 0);
  std::erase_if(e.fingers, [](const FingerTemplate& f) {
    return f.position == FingerPosition::kRightIndex || f.position == FingerPosition::kLeftThumb;
  });
  e.finger_images.push_back(image_at(FingerPosition::kRightIndex, std::move(right_index)));
  e.finger_images.push_back(image_at(FingerPosition::kLeftThumb, std::move(left_thumb)));
  return e;
}

TEST(EnrollmentImages, SyntheticPrintsPassTheQualityGate) {
  // The always-running server and import tests rely on these being enrollable.
  const MinutiaeExtractor ex;
  for (std::uint32_t seed : {1u, 2u, 3u, 4u}) {
    auto t = extract_finger(image_at(FingerPosition::kLeftIndex, synthetic_print_png(seed)), ex);
    ASSERT_TRUE(t) << t.error().message();
    EXPECT_EQ(t->position, FingerPosition::kLeftIndex);
    EXPECT_GE(t->minutiae.size(), 12u);
    EXPECT_EQ(t->width, 320);
    EXPECT_EQ(t->height, 360);
    EXPECT_GT(t->quality, 0);
  }
}

TEST(EnrollmentImages, ImagesBecomeTemplatesAndTheEngineCheckPasses) {
  const MinutiaeExtractor ex;
  Enrollment e = with_images(1, synthetic_print_png(1), synthetic_print_png(2));
  const std::size_t templates = e.fingers.size();
  // Not yet extracted: the engine's check refuses it, the door's accepts it.
  const Status engine_check = validate(e);
  ASSERT_FALSE(engine_check);
  EXPECT_NE(engine_check.message().find("not extracted"), std::string::npos) << engine_check.message();
  ASSERT_TRUE(validate(e, FingerImages::kImagesAllowed));

  ASSERT_TRUE(extract_finger_images(e, ex));
  EXPECT_TRUE(e.finger_images.empty());
  EXPECT_EQ(e.fingers.size(), templates + 2);
  ASSERT_NE(e.finger(FingerPosition::kRightIndex), nullptr);
  ASSERT_NE(e.finger(FingerPosition::kLeftThumb), nullptr);
  EXPECT_GE(e.finger(FingerPosition::kRightIndex)->minutiae.size(), 12u);
  EXPECT_TRUE(validate(e));
}

TEST(EnrollmentImages, BadImagesFailTheEnrollmentWithTheFingerAndReasonAndLeaveItUnchanged) {
  const MinutiaeExtractor ex;
  struct Case {
    std::vector<std::uint8_t> bytes;
    std::string reason;
  };
  std::vector<std::uint8_t> junk(4000, 0x5a);
  const std::vector<Case> cases = {
      {truncated_png(1), "PNG"},               // corrupt / truncated
      {blank_png(), "quality check"},          // decodes, but no fingerprint
      {junk, "left thumb"},                    // not an image format at all
  };
  for (const Case& c : cases) {
    Enrollment e = with_images(2, synthetic_print_png(3), c.bytes);
    const Enrollment before = e;
    const Status s = extract_finger_images(e, ex);
    ASSERT_FALSE(s);
    EXPECT_NE(s.message().find(e.id.value), std::string::npos) << s.message();
    EXPECT_NE(s.message().find("left thumb"), std::string::npos) << s.message();
    EXPECT_NE(s.message().find(c.reason), std::string::npos) << s.message();
    EXPECT_EQ(e.finger_images, before.finger_images);
    EXPECT_EQ(e.fingers, before.fingers);
  }
}

TEST(EnrollmentImages, DecompressionBombIsRefusedBeforeDecoding) {
  const MinutiaeExtractor ex;
  // A real PNG whose header claims 60000 x 60000 pixels (3.6 GB decoded): refused from the header.
  auto png = synthetic_print_png(1);
  ASSERT_GT(png.size(), 24u);
  for (int k : {16, 20}) {  // IHDR width and height, big-endian
    png[k] = 0, png[k + 1] = 0, png[k + 2] = 0xea, png[k + 3] = 0x60;
  }
  Enrollment e = with_images(3, synthetic_print_png(2), png);
  const Status s = extract_finger_images(e, ex);
  ASSERT_FALSE(s);
  EXPECT_NE(s.message().find("refused before decoding"), std::string::npos) << s.message();
}

TEST(EnrollmentImages, StructuralRulesForImages) {
  Enrollment e = with_images(4, synthetic_print_png(1), synthetic_print_png(2));
  {
    Enrollment twice = e;  // a position both as template and as image
    twice.finger_images[0].position = twice.fingers[0].position;
    const Status s = validate(twice, FingerImages::kImagesAllowed);
    ASSERT_FALSE(s);
    EXPECT_NE(s.message().find("appears twice"), std::string::npos) << s.message();
  }
  {
    Enrollment empty = e;
    empty.finger_images[0].encoded.clear();
    EXPECT_FALSE(validate(empty, FingerImages::kImagesAllowed));
  }
  {
    Enrollment low = e;
    low.finger_images[0].resolution_ppi = 100;
    const Status s = validate(low, FingerImages::kImagesAllowed);
    ASSERT_FALSE(s);
    EXPECT_NE(s.message().find("100 ppi"), std::string::npos) << s.message();
  }
}

TEST(EnrollmentImages, ResolutionOtherThan500IsResampledAndRecorded) {
  const MinutiaeExtractor ex;
  // The same print scanned at 1000 ppi: twice the pixels; minutiae come back in its own pixels.
  const GreyImage g = synthetic_print(1);
  GreyImage big;
  big.width = 2 * g.width, big.height = 2 * g.height;
  big.pixels.resize(std::size_t(big.width) * big.height);
  for (int y = 0; y < big.height; ++y)
    for (int x = 0; x < big.width; ++x) big.pixels[std::size_t(y) * big.width + x] = g.pixels[std::size_t(y / 2) * g.width + x / 2];
  auto png = encode_png(big);
  ASSERT_TRUE(png);
  auto at500 = extract_finger(image_at(FingerPosition::kRightThumb, synthetic_print_png(1)), ex);
  auto at1000 = extract_finger(image_at(FingerPosition::kRightThumb, *png, 1000), ex);
  ASSERT_TRUE(at500) << at500.error().message();
  ASSERT_TRUE(at1000) << at1000.error().message();
  EXPECT_EQ(at1000->resolution_x, 394);  // pixels per cm
  EXPECT_EQ(at1000->width, big.width);
  // Roughly the same minutiae, at twice the coordinates.
  EXPECT_NEAR(double(at1000->minutiae.size()), double(at500->minutiae.size()), 0.3 * at500->minutiae.size());
  int near = 0;
  for (const Minutia& m : at500->minutiae)
    for (const Minutia& b : at1000->minutiae)
      if (std::hypot(2.0 * m.x - b.x, 2.0 * m.y - b.y) <= 8.0) {
        ++near;
        break;
      }
  EXPECT_GE(near, int(at500->minutiae.size() * 7 / 10));
}

TEST(EnrollmentImages, BatchExtractionAnswersPerEnrollment) {
  const MinutiaeExtractor ex;
  std::vector<Enrollment> batch = {with_images(5, synthetic_print_png(1), synthetic_print_png(2)),
                                   with_images(6, synthetic_print_png(3), truncated_png(4)),
                                   datasets::Population(datasets::PopulationConfig{.seed = 5}).capture(7, 0)};
  const auto st = extract_finger_images(batch, ex);
  ASSERT_EQ(st.size(), 3u);
  EXPECT_TRUE(st[0]) << st[0].message();
  EXPECT_FALSE(st[1]);
  EXPECT_TRUE(st[2]) << st[2].message();
  EXPECT_TRUE(batch[0].finger_images.empty());
  EXPECT_EQ(batch[1].finger_images.size(), 2u);
}

TEST(EnrollmentImages, WireFormCarriesImagesAndRefusesImagePlusMinutiae) {
  Enrollment e = with_images(8, synthetic_print_png(1), synthetic_print_png(2));
  e.finger_images[1].resolution_ppi = 1000;
  e.id = EnrollmentId{"site-a/e8"};
  wire::Enrollment w;
  server::enrollment_to_wire(e, &w);
  auto back = server::enrollment_from_wire(w, "site-a", "site-a/e8");
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(back->finger_images, e.finger_images);
  EXPECT_EQ(back->fingers, e.fingers);

  // An image and minutiae in one finger: which one is meant is unclear, so refused.
  for (auto& f : *w.mutable_fingers())
    if (!f.image().empty()) {
      f.add_x(1), f.add_y(1), f.add_angle(0.5f);
      break;
    }
  auto both = server::enrollment_from_wire(w, "site-a", "site-a/e8");
  ASSERT_FALSE(both);
  EXPECT_NE(both.error().message().find("both an image and minutiae"), std::string::npos) << both.error().message();
}

}  // namespace
}  // namespace tunggal::ingest
