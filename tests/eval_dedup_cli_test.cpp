// Runs the built `tunggal eval dedup` and `tunggal demo` the way a script or a newcomer would:
// the JSON contract of issue 5 (fields other tools read) and a demo that catches duplicates.
#include <gtest/gtest.h>

#include "tests/cli_run.h"
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

#include <nlohmann/json.hpp>

namespace {

using tunggal::testing::CliRun;
CliRun run(const std::string& args) { return tunggal::testing::run_tunggal(args); }

TEST(EvalDedupCli, JsonCarriesTheContractFieldsAndCatchesTheMates) {
  const CliRun r = run("eval dedup --gallery 300 --probes 40 --mated-rate 0.25 --seed 3 --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  nlohmann::json j;
  ASSERT_NO_THROW(j = nlohmann::json::parse(r.out)) << r.out;
  for (const char* f : {"gallery", "probes", "mated_probes", "fnir", "fpir", "enrollments_per_second", "latency_p50_ms",
                        "latency_p99_ms", "bytes_per_identity", "cascade_loss"})
    EXPECT_TRUE(j.contains(f)) << f;
  EXPECT_EQ(j["gallery"], 300);
  EXPECT_EQ(j["probes"], 40);
  EXPECT_EQ(j["mated_probes"], 10);
  EXPECT_LE(j["fnir"].get<double>(), 0.1);  // 10 fingers + face: at most one mate missed
  EXPECT_EQ(j["fpir"].get<double>(), 0.0);
  EXPECT_GT(j["enrollments_per_second"].get<double>(), 0.0);
  EXPECT_GT(j["bytes_per_identity"].get<double>(), 0.0);
}

TEST(EvalDedupCli, BadOptionsAreUsageErrors) {
  EXPECT_EQ(run("eval dedup --gallery 10 --modalities iris --json").exit_code, 2);
  EXPECT_EQ(run("eval dedup --gallery 10 --mated-rate 2 --json").exit_code, 2);
}

}  // namespace
