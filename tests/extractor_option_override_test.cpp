#include "datasets/extractor_option_override.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace tunggal::datasets {
namespace {

TEST(ExtractorOptionOverride, SetsFloatAndIntegerFields) {
  ingest::ExtractorOptions o;
  ASSERT_TRUE(apply_extractor_option("border_margin=8", o));
  ASSERT_TRUE(apply_extractor_option("max_minutiae=64", o));
  EXPECT_FLOAT_EQ(o.border_margin, 8.0f);
  EXPECT_EQ(o.max_minutiae, 64);
  EXPECT_FLOAT_EQ(o.spur_length, ingest::ExtractorOptions{}.spur_length);  // untouched
}

TEST(ExtractorOptionOverride, RejectsWhatItCannotApplyAndSaysWhy) {
  ingest::ExtractorOptions o;
  Status s = apply_extractor_option("max_minutiae=2.5", o);
  EXPECT_FALSE(s);
  EXPECT_NE(s.message().find("integer"), std::string::npos) << s.message();
  s = apply_extractor_option("border_margin=x", o);
  EXPECT_NE(s.message().find("not a number"), std::string::npos) << s.message();
  s = apply_extractor_option("border_margin", o);
  EXPECT_NE(s.message().find("name=value"), std::string::npos) << s.message();
  s = apply_extractor_option("border=8", o);
  EXPECT_NE(s.message().find("known: "), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("border_margin"), std::string::npos) << s.message();
  EXPECT_EQ(o.max_minutiae, ingest::ExtractorOptions{}.max_minutiae);
  const auto names = extractor_option_names();
  EXPECT_NE(std::find(names.begin(), names.end(), "min_mean_coherence"), names.end());
}

}  // namespace
}  // namespace tunggal::datasets
