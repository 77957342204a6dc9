// `tunggal gen --stats`: the statistics that keep the model honest are computed from the real
// matcher and, when present, the real FVC2002 data.
#include "datasets/population_stats.h"

#include <gtest/gtest.h>

#include "fvc_data_dir.h"

namespace tunggal::datasets {
namespace {

TEST(PopulationStats, GeneratedSetIsMeasuredLikeAnFvcSet) {
  const Population pop({.seed = 2});
  PopulationStatsOptions o;
  o.generated_fingers = 12;
  o.generated_impostors = 500;
  auto s = population_stats(pop, o);
  ASSERT_TRUE(s.has_value()) << s.status().to_string();
  EXPECT_TRUE(s->fvc.empty());
  const SetStatistics& g = s->generated;
  EXPECT_EQ(g.fingers, 12u);
  EXPECT_EQ(g.impressions, 96u);
  EXPECT_EQ(g.genuine.n, 12u * 28u);  // every two of 8 impressions, as FVC
  EXPECT_EQ(g.impostor.n, 500u);
  EXPECT_GT(g.minutiae.p50, 20.0);
  EXPECT_GT(g.nearest.p50, 12.0);  // FVC2002: 18-22 px at 500 ppi
  EXPECT_LT(g.nearest.p50, 32.0);
  EXPECT_GT(g.genuine.p50, g.impostor.p99);
  EXPECT_GT(s->face_genuine.p50, 0.5);
  EXPECT_LT(std::abs(s->face_impostor.p50), 0.05);
  const std::string report = format_population_stats(*s);
  EXPECT_NE(report.find("| generated (seed 2) | 12 | 96 |"), std::string::npos) << report;
}

TEST(PopulationStats, ReadsFvcSetsWhenGiven) {
  const auto dir = tunggal::testing::fvc_data_dir();
  if (dir.empty()) GTEST_SKIP() << tunggal::testing::kNoFvcMessage;
  PopulationStatsOptions o;
  o.fvc_dir = dir / "DB1_B";
  o.generated_fingers = 10;
  o.generated_impostors = 100;
  auto s = population_stats(Population({.seed = 2}), o);
  ASSERT_TRUE(s.has_value()) << s.status().to_string();
  ASSERT_EQ(s->fvc.size(), 1u);
  EXPECT_EQ(s->fvc[0].name, "DB1_B");
  EXPECT_EQ(s->fvc[0].genuine.n, 280u);
  EXPECT_EQ(s->fvc[0].impostor.n, 2880u);
  EXPECT_NEAR(s->fvc[0].minutiae.mean, 34.0, 0.1);  // docs/population.md
}

TEST(PopulationStats, MissingFvcFolderIsAnError) {
  PopulationStatsOptions o;
  o.fvc_dir = "/nonexistent/fvc";
  auto s = population_stats(Population({.seed = 2}), o);
  ASSERT_FALSE(s.has_value());
  EXPECT_NE(s.error().message().find("/nonexistent/fvc"), std::string::npos) << s.error().message();
}

}  // namespace
}  // namespace tunggal::datasets
