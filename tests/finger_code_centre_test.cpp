// The gallery's mean finger code taken off probe codes (matcher/finger_code_centre.h): it must
// find mates better on a population than the raw codes, stay a no-op on tiny galleries, freeze,
// and survive storage; bad input never changes it.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cmath>
#include <vector>

#include "datasets/population.h"
#include "matcher/finger_code.h"
#include "matcher/finger_code_centre.h"
#include "matcher/finger_matcher.h"

namespace tunggal::matcher {
namespace {

std::vector<float> code_of(const FingerTemplate& t) {
  auto p = FingerMatcher{}.prepare(t);
  return p ? make_finger_code(*p) : std::vector<float>{};
}

float dot(const std::vector<float>& a, const std::vector<float>& b) {
  float s = 0;
  for (std::size_t k = 0; k < a.size(); ++k) s += a[k] * b[k];
  return s;
}

double norm(const std::vector<float>& a) { return std::sqrt(double(dot(a, a))); }

TEST(FingerCodeCentre, CentredProbesFindMoreMatesFirst) {
  // Right index fingers of 400 generated identities: gallery = capture 0, probe = capture 1.
  const datasets::Population pop(datasets::PopulationConfig{.seed = 11});
  constexpr int kN = 400;
  std::vector<std::vector<float>> gallery, probes;
  for (int i = 0; i < kN; ++i) {
    const Enrollment g = pop.capture(std::uint64_t(i), 0), q = pop.capture(std::uint64_t(i), 1);
    const FingerTemplate* a = g.finger(FingerPosition::kRightIndex);
    const FingerTemplate* b = q.finger(FingerPosition::kRightIndex);
    std::vector<float> ca = a ? code_of(*a) : std::vector<float>{}, cb = b ? code_of(*b) : std::vector<float>{};
    if (ca.empty() || cb.empty()) continue;
    gallery.push_back(std::move(ca));
    probes.push_back(std::move(cb));
  }
  ASSERT_GT(gallery.size(), 300u);
  FingerCodeCentre centre(finger_code_dimension());
  for (const auto& g : gallery) centre.add(g);
  auto mates_within = [&](bool centred, std::size_t k) {
    int hits = 0;
    for (std::size_t p = 0; p < probes.size(); ++p) {
      const std::vector<float> q = centred ? centre.centre(probes[p]) : probes[p];
      const float mate = dot(q, gallery[p]);
      std::size_t better = 0;
      for (const auto& g : gallery) better += dot(q, g) > mate;
      hits += better < k;
    }
    return hits;
  };
  const int raw1 = mates_within(false, 1), centred1 = mates_within(true, 1);
  const int raw4 = mates_within(false, 4), centred4 = mates_within(true, 4);
  std::printf("right index, %zu probes: rank 1 raw %d, centred %d; top 4 raw %d, centred %d\n", probes.size(), raw1, centred1, raw4, centred4);
  // Measured at this seed (398 probes): rank 1 raw 226, centred 254; top 4 raw 280, centred 309.
  EXPECT_GT(centred1, raw1 + static_cast<int>(probes.size()) / 25) << "rank-1 raw " << raw1 << ", centred " << centred1;
  EXPECT_GT(centred4, raw4) << "top-4 raw " << raw4 << ", centred " << centred4;
}

TEST(FingerCodeCentre, FewCodesLeaveTheProbeAsItIs) {
  const int d = finger_code_dimension();
  FingerCodeCentre centre(d);
  std::vector<float> code(static_cast<std::size_t>(d), 0.0f);
  code[0] = 1.0f;
  for (std::uint64_t i = 0; i + 1 < FingerCodeCentre::kMinCodes; ++i) centre.add(code);
  EXPECT_EQ(centre.centre(code), code);  // 99 codes: not a population yet
  std::vector<float> other(static_cast<std::size_t>(d), 0.0f);
  other[1] = 1.0f;
  centre.add(other);
  const std::vector<float> c = centre.centre(code);
  EXPECT_NE(c, code);
  EXPECT_NEAR(norm(c), 1.0, 1e-5);
  // The mean is 0.99 e0 + 0.01 e1: the centred probe points away from e1.
  EXPECT_LT(c[1], 0.0f);
}

TEST(FingerCodeCentre, FreezesAfterEnoughCodes) {
  const int d = finger_code_dimension();
  FingerCodeCentre centre(d);
  std::vector<float> a(static_cast<std::size_t>(d), 0.0f), b(static_cast<std::size_t>(d), 0.0f);
  a[0] = 1.0f;
  b[1] = 1.0f;
  for (std::uint64_t i = 0; i < FingerCodeCentre::kFreezeAt; ++i) centre.add(i % 2 ? a : b);
  EXPECT_TRUE(centre.frozen());
  const std::vector<float> before = centre.centre(a);
  for (int i = 0; i < 5000; ++i) centre.add(b);  // later enrollments do not move it
  EXPECT_EQ(centre.count(), FingerCodeCentre::kFreezeAt);
  EXPECT_EQ(centre.centre(a), before);
}

TEST(FingerCodeCentre, BadInputNeverChangesIt) {
  const int d = finger_code_dimension();
  FingerCodeCentre centre(d);
  std::vector<float> ok(static_cast<std::size_t>(d), 0.0f);
  ok[2] = 1.0f;
  for (std::uint64_t i = 0; i < FingerCodeCentre::kMinCodes; ++i) centre.add(ok);
  std::vector<float> nan_code = ok;
  nan_code[3] = std::nanf("");
  centre.add(nan_code);
  centre.add(std::vector<float>(static_cast<std::size_t>(d) + 1, 0.5f));
  EXPECT_EQ(centre.count(), FingerCodeCentre::kMinCodes);
  // The probe equal to the mean has no direction left: it searches as it is, never NaN.
  EXPECT_EQ(centre.centre(ok), ok);
  // A wrong-sized probe comes back unchanged.
  const std::vector<float> short_code(3, 0.5f);
  EXPECT_EQ(centre.centre(short_code), short_code);
}

TEST(FingerCodeCentre, StoredAndRestoredItIsTheSameCentre) {
  const int d = finger_code_dimension();
  FingerCodeCentre centre(d);
  std::vector<float> v(static_cast<std::size_t>(d));
  for (std::uint64_t i = 0; i < 150; ++i) {
    for (int k = 0; k < d; ++k) v[std::size_t(k)] = std::sin(float(i * 7 + std::uint64_t(k)));
    centre.add(v);
  }
  const std::string bytes = centre.serialise();
  FingerCodeCentre back(d);
  ASSERT_TRUE(back.restore(bytes));
  EXPECT_EQ(back.count(), 150u);
  EXPECT_EQ(back.frozen(), centre.frozen());
  EXPECT_EQ(back.centre(v), centre.centre(v));

  FingerCodeCentre wrong_dim(d / 2);
  EXPECT_FALSE(wrong_dim.restore(bytes));
  FingerCodeCentre truncated(d);
  EXPECT_FALSE(truncated.restore(bytes.substr(0, bytes.size() - 3)));
  EXPECT_FALSE(truncated.restore("garbage"));
  EXPECT_EQ(truncated.count(), 0u);  // a failed restore leaves it as it was
}

}  // namespace
}  // namespace tunggal::matcher
