// `tunggal eval pairing` as a script runs it: its JSON, the extractor overrides taking effect, and
// the usage errors.
#include <gtest/gtest.h>

#include <cmath>

#include <nlohmann/json.hpp>

#include "fvc_data_dir.h"
#include "tests/cli_run.h"

namespace {

using tunggal::testing::run_tunggal;

TEST(EvalPairingCli, JsonPerSetAndOverridesTakeEffect) {
  const auto dir = tunggal::testing::fvc_data_dir();
  if (dir.empty()) GTEST_SKIP() << tunggal::testing::kNoFvcMessage;
  const std::string set = " --dir '" + (dir / "DB4_B").string() + "'";
  const auto r = run_tunggal("eval pairing --json" + set);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_TRUE(j.is_array());
  ASSERT_EQ(j.size(), 1u);
  const auto& s = j[0];
  EXPECT_EQ(s["name"], "DB4_B");
  EXPECT_EQ(s["images"], 80);
  // Our extractor against SecuGen's on the same images: most minutiae pair up, none is flipped
  // wholesale (an angle-convention error would pair almost nothing and flip the rest).
  EXPECT_GT(s["recall"].get<double>(), 0.6);
  EXPECT_GT(s["precision"].get<double>(), 0.6);
  EXPECT_LT(s["flipped"].get<double>(), 0.05 * s["near"].get<double>());
  EXPECT_LT(std::abs(s["mean_angle_deg"].get<double>()), 5.0);
  // A wider border margin leaves fewer minutiae of ours.
  const auto wide = run_tunggal("eval pairing --json --extractor-option border_margin=30" + set);
  ASSERT_EQ(wide.exit_code, 0) << wide.out;
  EXPECT_LT(nlohmann::json::parse(wide.out)[0]["ours_per_image"].get<double>(), s["ours_per_image"].get<double>());
}

TEST(EvalPairingCli, UsageErrorsSaySo) {
  const auto bad = run_tunggal("eval pairing --dir . --extractor-option border=8", true);
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.out.find("unknown extractor option 'border'"), std::string::npos) << bad.out;
  const auto missing = run_tunggal("eval pairing --dir /nonexistent/fvc", true);
  EXPECT_EQ(missing.exit_code, 3) << missing.out;
}

}  // namespace
