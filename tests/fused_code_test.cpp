// The fused finger-code vector: the indexed positions' codes side by side, zeros where a position
// has none, so that its inner product with another is the sum of the per-position similarities.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <numeric>
#include <vector>

#include "engine/engine_options.h"
#include "engine/index_factory.h"
#include "matcher/finger_code.h"

namespace tunggal {
namespace {

std::vector<float> constant_code(float v) {
  return std::vector<float>(static_cast<std::size_t>(matcher::finger_code_dimension()), v);
}

const std::vector<int> kFour = {0, 1, 5, 6};  // right thumb and index, left thumb and index

TEST(FusedCode, SlotsSideBySideWithZerosForTheMissing) {
  const auto d = static_cast<std::size_t>(matcher::finger_code_dimension());
  std::array<std::vector<float>, kFingerCount> codes;
  codes[0] = constant_code(1.0f);
  codes[5] = constant_code(3.0f);
  codes[9] = constant_code(9.0f);  // not one of the four: left out
  const std::vector<float> v = fused_code(codes, kFour);
  ASSERT_EQ(v.size(), d * 4);
  EXPECT_EQ(v[0], 1.0f);
  EXPECT_EQ(v[d - 1], 1.0f);
  EXPECT_EQ(v[d], 0.0f);
  EXPECT_EQ(v[2 * d], 3.0f);
  EXPECT_EQ(v[4 * d - 1], 0.0f);
}

TEST(FusedCode, TheEngineFusesTheIndexedFourOrAllTen) {
  EngineOptions o;
  o.fused_fingers = 4;
  std::vector<int> four;
  for (FingerPosition p : kIndexedFingers) four.push_back(finger_slot(p));
  EXPECT_EQ(fused_slots(o), four);
  EXPECT_EQ(fused_code_dimension(o), matcher::finger_code_dimension() * 4);
  o.fused_fingers = 8;
  const std::vector<int> eight = fused_slots(o);
  EXPECT_EQ(eight.size(), 8u);
  EXPECT_EQ(std::count(eight.begin(), eight.end(), finger_slot(FingerPosition::kRightLittle)), 0);
  EXPECT_EQ(std::count(eight.begin(), eight.end(), finger_slot(FingerPosition::kLeftLittle)), 0);
  EXPECT_EQ(fused_code_dimension(o), 2048) << "a power of two: the compressed index pads to one";
  o.fused_fingers = 10;
  EXPECT_EQ(fused_slots(o).size(), 10u);
  EXPECT_EQ(fused_code_dimension(o), matcher::finger_code_dimension() * 10);
  o.fused_finger_codes = false;
  o.finger_code_lists = true;
  EXPECT_EQ(coded_slots(o).size(), 4u) << "the lists need the indexed four only";
}

TEST(FusedCode, InnerProductIsTheSumOfThePerFingerOnes) {
  std::array<std::vector<float>, kFingerCount> a, b;
  for (int s : kFour) {
    a[static_cast<std::size_t>(s)] = constant_code(0.5f + static_cast<float>(s));
    b[static_cast<std::size_t>(s)] = constant_code(1.0f);
  }
  b[1].clear();  // a finger the other side lacks adds nothing
  const std::vector<float> fa = fused_code(a, kFour), fb = fused_code(b, kFour);
  float expected = 0.0f;
  for (int s : kFour) {
    const auto& x = a[static_cast<std::size_t>(s)];
    const auto& y = b[static_cast<std::size_t>(s)];
    if (!y.empty()) expected += std::inner_product(x.begin(), x.end(), y.begin(), 0.0f);
  }
  EXPECT_FLOAT_EQ(std::inner_product(fa.begin(), fa.end(), fb.begin(), 0.0f), expected);
}

TEST(FusedCode, NoCodeAtAllOrAWrongLengthGivesNothing) {
  std::array<std::vector<float>, kFingerCount> none;
  EXPECT_TRUE(fused_code(none, kFour).empty());
  none[1] = std::vector<float>(7, 1.0f);  // not a finger code: ignored
  EXPECT_TRUE(fused_code(none, kFour).empty());
}

}  // namespace
}  // namespace tunggal
