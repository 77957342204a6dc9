#include "datasets/matcher_option_override.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace tunggal::datasets {
namespace {

TEST(MatcherOptionOverride, SetsFloatAndIntegerFields) {
  matcher::MatcherOptions o;
  ASSERT_TRUE(apply_matcher_option("max_nr=31", o));
  ASSERT_TRUE(apply_matcher_option("omega=70.5", o));
  ASSERT_TRUE(apply_matcher_option("tau_rho1=-1", o));
  EXPECT_EQ(o.max_nr, 31);
  EXPECT_FLOAT_EQ(o.omega, 70.5f);
  EXPECT_FLOAT_EQ(o.tau_rho1, -1.0f);
  EXPECT_EQ(o.n_rel, matcher::MatcherOptions{}.n_rel);  // untouched
}

TEST(MatcherOptionOverride, RejectsWhatItCannotApplyAndSaysWhy) {
  matcher::MatcherOptions o;
  const auto before = o.max_nr;
  Status s = apply_matcher_option("max_nr=2.5", o);
  EXPECT_FALSE(s);
  EXPECT_NE(s.message().find("integer"), std::string::npos) << s.message();
  s = apply_matcher_option("omega=7x", o);
  EXPECT_FALSE(s);
  EXPECT_NE(s.message().find("not a number"), std::string::npos) << s.message();
  s = apply_matcher_option("radius", o);
  EXPECT_FALSE(s);
  EXPECT_NE(s.message().find("name=value"), std::string::npos) << s.message();
  s = apply_matcher_option("radus=60", o);
  EXPECT_FALSE(s);
  EXPECT_NE(s.message().find("known: radius"), std::string::npos) << s.message();
  EXPECT_FALSE(apply_matcher_option("omega=nan", o));
  EXPECT_EQ(o.max_nr, before);
  const auto names = matcher_option_names();
  EXPECT_NE(std::find(names.begin(), names.end(), "max_direction_diff"), names.end());
}

}  // namespace
}  // namespace tunggal::datasets
