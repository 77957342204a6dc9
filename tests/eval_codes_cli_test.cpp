// Runs the built `tunggal eval codes` the way a script would and checks its JSON contract and
// that the figures it reports are consistent (rates in [0,1], monotone in K).
#include <gtest/gtest.h>

#include "tests/cli_run.h"
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

#include <nlohmann/json.hpp>

#include "matcher/finger_code.h"

namespace {

using tunggal::testing::CliRun;
CliRun run(const std::string& args) { return tunggal::testing::run_tunggal(args); }

TEST(EvalCodesCli, GeneratedGalleryJsonContractAndConsistentRates) {
  const CliRun r = run("eval codes --json --skip-fvc --gallery 60 --probes 30");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  nlohmann::json j;
  ASSERT_NO_THROW(j = nlohmann::json::parse(r.out)) << r.out;
  EXPECT_EQ(j["code"]["version"], tunggal::matcher::finger_code_version());
  EXPECT_EQ(j["code"]["dimension"], tunggal::matcher::finger_code_dimension());
  const auto& g = j["generated"];
  EXPECT_EQ(g["gallery"], 60);
  EXPECT_EQ(g["probes"], 30);
  ASSERT_EQ(g["per_finger"].size(), 4u);
  for (const auto& f : g["per_finger"]) {
    EXPECT_GE(f["hit_at_5pct"].get<double>(), f["hit_at_1pct"].get<double>());
    EXPECT_LE(f["hit_at_20pct"].get<double>(), 1.0);
  }
  // Four fingers' codes summed find most mates first among 60 (chance: 1/60).
  EXPECT_GT(g["fused_score_sum"]["rank1"].get<double>(), 0.5) << g["fused_score_sum"].dump();
  double last_pen = 0, last_hit = 0;
  ASSERT_FALSE(g["four_fingers_union"].empty());
  for (const auto& u : g["four_fingers_union"]) {
    const double pen = u["penetration"].get<double>(), hit = u["hit_rate"].get<double>();
    EXPECT_GE(pen, last_pen);
    EXPECT_GE(hit, last_hit);
    EXPECT_LE(pen, 1.0);
    EXPECT_LE(hit, 1.0);
    last_pen = pen;
    last_hit = hit;
  }
}

TEST(EvalCodesCli, ProbesAreCentredUnlessAskedNotTo) {
  // 150 identities: above the 100 codes a centre needs before it is used.
  nlohmann::json on, off;
  const CliRun a = run("eval codes --json --skip-fvc --gallery 150 --probes 60");
  const CliRun b = run("eval codes --json --skip-fvc --gallery 150 --probes 60 --no-centre");
  ASSERT_EQ(a.exit_code, 0) << a.out;
  ASSERT_EQ(b.exit_code, 0) << b.out;
  ASSERT_NO_THROW(on = nlohmann::json::parse(a.out));
  ASSERT_NO_THROW(off = nlohmann::json::parse(b.out));
  EXPECT_EQ(on["generated"]["probe_codes_centred"], true);
  EXPECT_EQ(off["generated"]["probe_codes_centred"], false);
  // Centring changes what the probes find (the direction of the change is measured in
  // docs/finger_codes.md at 10,000 identities, not here).
  EXPECT_NE(on["generated"]["per_finger"].dump(), off["generated"]["per_finger"].dump());
}

// --fused-index ranks the gallery as the engine's fused list does, over 4 and over 10 fingers;
// ten fingers' evidence puts at least as many mates first among 300 as four.
TEST(EvalCodesCli, FusedIndexRanksOverFourAndTenFingers) {
  const CliRun r = run("eval codes --json --skip-fvc --gallery 300 --probes 60 --fused-index");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  nlohmann::json j;
  ASSERT_NO_THROW(j = nlohmann::json::parse(r.out)) << r.out;
  const auto& f = j["generated"]["fused_index"];
  ASSERT_TRUE(f.contains("four_fingers") && f.contains("ten_fingers")) << j["generated"].dump();
  EXPECT_GT(f["four_fingers"]["rank1"].get<double>(), 0.5);
  EXPECT_GE(f["ten_fingers"]["rank1"].get<double>(), f["four_fingers"]["rank1"].get<double>());
  // Quality-adaptive depth keeps the average list at 1% of the gallery whatever the policy, and
  // a higher "poor" bound flags at least as many probes.
  const auto& adaptive = f["four_fingers_quality_adaptive_1pct"];
  ASSERT_FALSE(adaptive.empty()) << f.dump();
  double flagged_at_25 = -1;
  for (const auto& a : adaptive) {
    EXPECT_LE(a["mean_penetration"].get<double>(), 0.01 + 1e-9) << a.dump();
    EXPECT_GE(a["hit_rate"].get<double>(), 0.0);
    EXPECT_LE(a["hit_rate"].get<double>(), 1.0);
    if (a["poor_below_quality"].get<double>() == 25) flagged_at_25 = a["poor_probes"].get<double>();
    else EXPECT_GE(a["poor_probes"].get<double>(), flagged_at_25) << a.dump();
  }
  EXPECT_FALSE(run("eval codes --json --skip-fvc --gallery 60 --probes 10").out.find("fused_index") != std::string::npos)
      << "only when asked";
}

TEST(EvalCodesCli, MissingFvcDirectoryIsReportedAsUnavailable) {
  const CliRun r = run("eval codes --skip-generated --fvc-dir /nonexistent/fvc2002");
  EXPECT_EQ(r.exit_code, 3) << r.out;
}

}  // namespace
