// The FVC loader, the protocol and the matcher's accuracy on the real FVC2002 sets (issue 3 item
// 2: EER <= 2.5% averaged over DB1_B..DB4_B, no set above 5%). The four sets take about a second
// on 2 cores; skipped when the data is absent.
#include <gtest/gtest.h>

#include "datasets/fvc_protocol.h"
#include "datasets/fvc_set.h"
#include "fvc_data_dir.h"
#include "ingest/minutiae_record.h"
#include "matcher/finger_matcher.h"

namespace tunggal::datasets {
namespace {

class FvcData : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = tunggal::testing::fvc_data_dir();
    if (dir_.empty()) GTEST_SKIP() << tunggal::testing::kNoFvcMessage;
  }
  std::filesystem::path dir_;
};

TEST_F(FvcData, TiffHeaderGivesTheTrueImageSize) {
  auto s1 = read_tiff_size(dir_ / "DB1_B" / "101_1.tif");
  ASSERT_TRUE(s1) << s1.error().to_string();
  EXPECT_EQ(s1->width, 388);
  EXPECT_EQ(s1->height, 374);
  auto s2 = read_tiff_size(dir_ / "DB2_B" / "101_1.tif");
  ASSERT_TRUE(s2) << s2.error().to_string();
  EXPECT_EQ(s2->width, 296);
  EXPECT_EQ(s2->height, 560);
}

TEST_F(FvcData, NonTiffIsRejectedWithAReason) {
  auto s = read_tiff_size(dir_ / "DB1_B" / "101_1.iso");
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message().find("not a TIFF"), std::string::npos) << s.error().message();
}

TEST_F(FvcData, LoaderUnstretchesEveryRecordToItsImage) {
  auto set = load_fvc_set(dir_ / "DB2_B");
  ASSERT_TRUE(set) << set.error().to_string();
  EXPECT_EQ(set->name, "DB2_B");
  ASSERT_EQ(set->impressions.size(), 80u);
  EXPECT_EQ(set->impressions.front().finger, 101);
  EXPECT_EQ(set->impressions.front().impression, 1);
  EXPECT_EQ(set->impressions.back().finger, 110);
  EXPECT_EQ(set->impressions.back().impression, 8);
  for (const auto& im : set->impressions) {
    EXPECT_EQ(im.finger_template.width, 296);
    EXPECT_EQ(im.finger_template.height, 560);
    for (const auto& m : im.finger_template.minutiae) {
      EXPECT_LT(m.x, 296);
      EXPECT_LT(m.y, 560);
    }
  }
  // The stretched record declares 300x400: y grows by 560/400, x shrinks by 296/300.
  auto raw = tunggal::read_minutiae_file(set->impressions.front().iso_path);
  ASSERT_TRUE(raw);
  const auto& r0 = raw->views.front().minutiae.front();
  const auto& u0 = set->impressions.front().finger_template.minutiae.front();
  EXPECT_NEAR(u0.y, r0.y * 560.0 / 400.0, 0.51);
  EXPECT_NEAR(u0.x, r0.x * 296.0 / 300.0, 0.51);
}

TEST_F(FvcData, LoadsAFolderOfSetsOrOneSet) {
  auto all = load_fvc_sets(dir_);
  ASSERT_TRUE(all) << all.error().to_string();
  ASSERT_EQ(all->size(), 4u);
  EXPECT_EQ((*all)[0].name, "DB1_B");
  EXPECT_EQ((*all)[3].name, "DB4_B");
  auto one = load_fvc_sets(dir_ / "DB3_B");
  ASSERT_TRUE(one);
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ(one->front().name, "DB3_B");
  auto none = load_fvc_sets(dir_ / "no_such_set");
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code(), ErrorCode::kNotFound);
}

TEST_F(FvcData, ProtocolPairCounts) {
  auto set = load_fvc_set(dir_ / "DB1_B");
  ASSERT_TRUE(set);
  const FvcPairs all = fvc_pairs(*set, ImpostorPairs::kAllCrossFinger);
  EXPECT_EQ(all.genuine.size(), 280u);
  EXPECT_EQ(all.impostor.size(), 2880u);
  for (const auto& p : all.genuine) EXPECT_EQ(set->impressions[p.a].finger, set->impressions[p.b].finger);
  for (const auto& p : all.impostor) EXPECT_NE(set->impressions[p.a].finger, set->impressions[p.b].finger);
  const FvcPairs first = fvc_pairs(*set, ImpostorPairs::kFirstImpressions);
  EXPECT_EQ(first.genuine.size(), 280u);
  EXPECT_EQ(first.impostor.size(), 45u);
  for (const auto& p : first.impostor) {
    EXPECT_EQ(set->impressions[p.a].impression, 1);
    EXPECT_EQ(set->impressions[p.b].impression, 1);
  }
}

// The accuracy goal of issue 3 item 2, per set and on average. Measured values are in
// docs/accuracy.md; the bounds are the goal itself so that a matcher change that breaks it fails.
TEST_F(FvcData, MatcherMeetsTheFvc2002AccuracyGoal) {
  auto sets = load_fvc_sets(dir_);
  ASSERT_TRUE(sets) << sets.error().to_string();
  const matcher::FingerMatcher m;
  double sum = 0;
  for (const auto& s : *sets) {
    auto r = run_fvc_protocol(s, m);
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_EQ(r->rates.genuine, 280u);
    EXPECT_EQ(r->rates.impostor, 2880u);
    EXPECT_LE(r->rates.eer, 0.05) << s.name;
    sum += r->rates.eer;
    RecordProperty(s.name + "_eer", std::to_string(r->rates.eer));
  }
  EXPECT_LE(sum / sets->size(), 0.025);
}

}  // namespace
}  // namespace tunggal::datasets
