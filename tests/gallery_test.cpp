#include <cmath>
#include <numbers>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "engine/gallery.h"

using namespace tunggal;

namespace {

FingerTemplate make_finger(FingerPosition p, int n, int seed) {
  FingerTemplate f;
  f.position = p;
  f.width = 400;
  f.height = 500;
  for (int i = 0; i < n; ++i) {
    Minutia m;
    m.x = static_cast<std::uint16_t>((seed * 31 + i * 17) % 400);
    m.y = static_cast<std::uint16_t>((seed * 7 + i * 29) % 500);
    m.angle = static_cast<float>(i) * 2.0f * std::numbers::pi_v<float> / 256.0f * 3.0f;
    m.type = i % 2 ? MinutiaType::kBifurcation : MinutiaType::kRidgeEnding;
    m.quality = static_cast<std::uint8_t>(i % 101);
    f.minutiae.push_back(m);
  }
  return f;
}

}  // namespace

TEST(Gallery, StoresFingersCompactlyAndRebuildsThem) {
  Gallery g(8);
  std::vector<FingerTemplate> fingers = {make_finger(FingerPosition::kRightIndex, 40, 1),
                                         make_finger(FingerPosition::kLeftThumb, 35, 2)};
  std::vector<float> face = {1, 2, 3, 4, 5, 6, 7, 8};
  g.put(SubjectId{7}, fingers, *FaceEmbedding::make(face));
  EXPECT_EQ(g.size(), 1u);
  EXPECT_EQ(g.finger_mask(SubjectId{7}), (1u << 1) | (1u << 5));
  auto back = g.finger(SubjectId{7}, FingerPosition::kRightIndex);
  ASSERT_TRUE(back);
  ASSERT_EQ(back->minutiae.size(), 40u);
  for (std::size_t i = 0; i < 40; ++i) {
    const auto& a = fingers[0].minutiae[i];
    const auto& b = back->minutiae[i];
    EXPECT_EQ(a.x, b.x);
    EXPECT_EQ(a.y, b.y);
    EXPECT_NEAR(a.angle, b.angle, 2 * std::numbers::pi / 256);
    EXPECT_EQ(a.type, b.type);
    EXPECT_NEAR(a.quality, b.quality, 2);
  }
  EXPECT_FALSE(g.finger(SubjectId{7}, FingerPosition::kLeftIndex));
  EXPECT_FALSE(g.finger(SubjectId{8}, FingerPosition::kRightIndex));

  auto probe = *FaceEmbedding::make(face);
  EXPECT_NEAR(g.face_cosine(SubjectId{7}, probe.values()), 1.0f, 2e-3);
  // 2 fingers (12 + 6n bytes) + 8 fp16 face values.
  EXPECT_LT(g.memory_bytes(), 12u + 240u + 12u + 210u + 16u + 200u);
}

TEST(Gallery, ReplaceRemoveAndNoFace) {
  Gallery g(4);
  std::vector<FingerTemplate> one = {make_finger(FingerPosition::kRightThumb, 10, 3)};
  g.put(SubjectId{1}, one, std::nullopt);
  EXPECT_TRUE(std::isnan(g.face_cosine(SubjectId{1}, std::vector<float>{1, 0, 0, 0})));
  g.put(SubjectId{1}, one, *FaceEmbedding::make(std::vector<float>{1, 0, 0, 0}));
  EXPECT_EQ(g.size(), 1u);
  EXPECT_TRUE(g.has_face(SubjectId{1}));
  EXPECT_TRUE(g.remove(SubjectId{1}));
  EXPECT_FALSE(g.remove(SubjectId{1}));
  EXPECT_EQ(g.size(), 0u);
}

TEST(Gallery, ConcurrentReadersSeeWholeEntries) {
  Gallery g(4);
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (std::uint64_t i = 1; i <= 2000; ++i) {
      std::vector<FingerTemplate> f = {make_finger(FingerPosition::kRightIndex, 20, static_cast<int>(i))};
      g.put(SubjectId{i}, f, std::nullopt);
    }
    stop = true;
  });
  int torn = 0;
  while (!stop) {
    for (std::uint64_t i = 1; i <= 2000; i += 97) {
      auto f = g.finger(SubjectId{i}, FingerPosition::kRightIndex);
      if (f && f->minutiae.size() != 20u) ++torn;
    }
  }
  writer.join();
  EXPECT_EQ(torn, 0);
  EXPECT_EQ(g.size(), 2000u);
}

// Faces are stored in fp16 and converted with F16C where the CPU has it: the values read back and
// the face cosine must be exactly those of the plain (software) _Float16 conversion, for every
// dimension (tails that are not a multiple of 8) and for values that round (ties, tiny ones).
TEST(Gallery, FaceHalfPrecisionIsExactlyTheSoftwareConversion) {
  for (int dim : {8, 37, 512}) {
    SCOPED_TRACE("dimension " + std::to_string(dim));
    std::vector<float> raw(static_cast<std::size_t>(dim));
    for (int i = 0; i < dim; ++i) raw[static_cast<std::size_t>(i)] = std::sin(0.7f * static_cast<float>(i) + 0.3f);
    raw[1] = 1e-6f;                   // a subnormal half after normalisation
    raw[2] = 1.0f + 1.0f / 2048.0f;   // halfway between two halves before normalisation
    raw[3] = -3.0f;
    auto face = FaceEmbedding::make(raw);
    ASSERT_TRUE(face);
    Gallery g(dim);
    g.put(SubjectId{5}, {}, *face);

    std::vector<float> expected(static_cast<std::size_t>(dim)), got(static_cast<std::size_t>(dim));
    float cosine = 0.0f;
    std::vector<float> probe(static_cast<std::size_t>(dim));
    for (int i = 0; i < dim; ++i) probe[static_cast<std::size_t>(i)] = std::cos(0.3f * static_cast<float>(i));
    for (int i = 0; i < dim; ++i) {
      const auto k = static_cast<std::size_t>(i);
      expected[k] = static_cast<float>(static_cast<_Float16>(face->values()[k]));
      cosine += expected[k] * probe[k];
    }
    ASSERT_TRUE(g.face(SubjectId{5}, got));
    for (int i = 0; i < dim; ++i) EXPECT_EQ(got[static_cast<std::size_t>(i)], expected[static_cast<std::size_t>(i)]) << i;
    EXPECT_EQ(g.face_cosine(SubjectId{5}, probe), cosine);
  }
}
