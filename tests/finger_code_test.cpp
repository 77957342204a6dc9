// Finger codes (matcher/finger_code.h): fixed size, unit length, never NaN, deterministic,
// invariant to rigid motion, and closer for mates than for impostors — on synthetic fingers and
// on a few real FVC2002 fingers.
#include "matcher/finger_code.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <map>
#include <numeric>

#include "datasets/fvc_set.h"
#include "matcher/detail/synthetic_finger.h"
#include "tests/fvc_data_dir.h"

namespace tunggal::matcher {
namespace {

using detail::synthetic_finger;
using detail::synthetic_impression;

float dot(const std::vector<float>& a, const std::vector<float>& b) {
  return std::inner_product(a.begin(), a.end(), b.begin(), 0.0f);
}

PreparedTemplate prep(const FingerTemplate& t) {
  auto p = FingerMatcher{}.prepare(t);
  EXPECT_TRUE(p.has_value()) << p.status().to_string();
  return std::move(p).value();
}

TEST(FingerCode, FixedDimensionUnitLengthNoNaN) {
  const int d = finger_code_dimension();
  EXPECT_GT(d, 0);
  EXPECT_LE(d, 256);
  for (std::uint64_t s = 0; s < 20; ++s) {
    const auto c = make_finger_code(prep(synthetic_finger(s, 10 + int(s) * 4)));
    ASSERT_EQ(static_cast<int>(c.size()), d);
    for (float v : c) ASSERT_TRUE(std::isfinite(v));
    EXPECT_NEAR(dot(c, c), 1.0f, 1e-4f);
  }
}

TEST(FingerCode, EmptyTemplateGivesValidLowInformationCode) {
  const auto c = make_finger_code(PreparedTemplate{});
  ASSERT_EQ(static_cast<int>(c.size()), finger_code_dimension());
  for (float v : c) ASSERT_TRUE(std::isfinite(v));
  EXPECT_NEAR(dot(c, c), 1.0f, 1e-4f);
}

TEST(FingerCode, SpanOverloadRejectsWrongSizeAndMatchesVectorOverload) {
  const auto p = prep(synthetic_finger(3));
  std::vector<float> small(7, -1.0f);
  const Status st = make_finger_code(p, small);
  EXPECT_FALSE(st.is_ok());
  EXPECT_NE(st.message().find("floats"), std::string::npos) << st.message();
  EXPECT_EQ(small, std::vector<float>(7, -1.0f));
  std::vector<float> out(static_cast<std::size_t>(finger_code_dimension()));
  ASSERT_TRUE(make_finger_code(p, out).is_ok());
  EXPECT_EQ(out, make_finger_code(p));
}

TEST(FingerCode, Deterministic) {
  const auto p = prep(synthetic_finger(42));
  EXPECT_EQ(make_finger_code(p), make_finger_code(p));
  EXPECT_EQ(make_finger_code(p), make_finger_code(prep(synthetic_finger(42))));
}

TEST(FingerCode, RotatedAndTranslatedCopyHasNearlyTheSameCode) {
  const auto base = synthetic_finger(7);
  const auto c0 = make_finger_code(prep(base));
  float impostor_max = -1;
  for (std::uint64_t s = 100; s < 140; ++s)
    impostor_max = std::max(impostor_max, dot(c0, make_finger_code(prep(synthetic_finger(s)))));
  for (float deg : {17.0f, 45.0f, 90.0f, 180.0f, 233.0f, 359.0f}) {
    // Exact rigid motion (up to pixel rounding), minutiae kept inside the frame.
    const auto c = make_finger_code(prep(synthetic_impression(base, 1, deg, 4.0f, -3.0f)));
    const float sim = dot(c0, c);
    EXPECT_GT(sim, 0.8f) << deg << " degrees";
    EXPECT_GT(sim, impostor_max + 0.3f) << deg << " degrees";
  }
}

// Rank-1 identification with codes alone on noisy partial synthetic impressions (chance: 1/60):
// the true mate must beat all 59 impostors for a good share of the probes.
TEST(FingerCode, SeparatesNoisySyntheticMatesFromImpostors) {
  constexpr int kFingers = 60;
  std::vector<std::vector<float>> gallery, probes;
  for (int f = 0; f < kFingers; ++f) {
    const auto base = synthetic_finger(5000 + f, 45);
    gallery.push_back(make_finger_code(prep(synthetic_impression(base, 2 * f, 10.0f * f, 10, -6, 2.0f, 0.15f, 3))));
    probes.push_back(make_finger_code(prep(synthetic_impression(base, 2 * f + 1, -25.0f * f, -8, 12, 2.0f, 0.15f, 3))));
  }
  int rank1 = 0;
  double genuine = 0, impostor = 0;
  for (int p = 0; p < kFingers; ++p) {
    int best = -1;
    float best_s = -2;
    for (int g = 0; g < kFingers; ++g) {
      const float s = dot(probes[p], gallery[g]);
      (g == p ? genuine : impostor) += s;
      if (s > best_s) best_s = s, best = g;
    }
    rank1 += best == p;
  }
  genuine /= kFingers;
  impostor /= double(kFingers) * (kFingers - 1);
  EXPECT_GE(rank1, kFingers * 2 / 3) << "rank1 " << rank1 << ", mean genuine " << genuine << ", mean impostor " << impostor;
  EXPECT_GT(genuine, impostor + 0.2) << "mean genuine " << genuine << ", mean impostor " << impostor;
}

// Real prints: FVC2002 DB1_B, 10 fingers x 8 impressions. For each probe impression the
// codes of its 7 mates must on average outscore the 72 impostor impressions, and most of its 3
// nearest codes must be mates (chance: 7/79).
TEST(FingerCode, SeparatesFvc2002MatesFromImpostors) {
  const auto dir = testing::fvc_data_dir();
  if (dir.empty()) GTEST_SKIP() << testing::kNoFvcMessage;
  struct Item {
    int finger;
    std::vector<float> code;
  };
  auto set = datasets::load_fvc_set(dir / "DB1_B");
  ASSERT_TRUE(set.has_value()) << set.status().to_string();
  std::vector<Item> items;
  const FingerMatcher m;
  for (const auto& imp : set->impressions)
    if (auto p = m.prepare(imp.finger_template)) items.push_back({imp.finger, make_finger_code(*p)});
  ASSERT_GE(items.size(), 70u);
  double genuine = 0, impostor = 0;
  int ng = 0, ni = 0, mates_in_top3 = 0;
  for (std::size_t a = 0; a < items.size(); ++a) {
    std::vector<std::pair<float, bool>> ranked;
    for (std::size_t b = 0; b < items.size(); ++b) {
      if (a == b) continue;
      const float s = dot(items[a].code, items[b].code);
      const bool mate = items[a].finger == items[b].finger;
      (mate ? genuine : impostor) += s;
      ++(mate ? ng : ni);
      ranked.push_back({s, mate});
    }
    std::sort(ranked.begin(), ranked.end(), [](auto x, auto y) { return x.first > y.first; });
    for (int r = 0; r < 3; ++r) mates_in_top3 += ranked[r].second;
  }
  genuine /= ng;
  impostor /= ni;
  std::cout << "FVC2002 DB1_B: mean genuine " << genuine << ", mean impostor " << impostor << ", mates in top 3: "
            << mates_in_top3 << " of " << 3 * items.size() << "\n";
  EXPECT_GT(genuine, impostor + 0.1) << "mean genuine " << genuine << ", mean impostor " << impostor;
  EXPECT_GE(mates_in_top3, static_cast<int>(0.8 * 3 * items.size()));
}

}  // namespace
}  // namespace tunggal::matcher
