// Runs the built `tunggal eval fvc` the way a script would and checks its JSON contract.
#include <gtest/gtest.h>

#include "tests/cli_run.h"
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <unistd.h>
#include <string>

#include <nlohmann/json.hpp>

#include "fvc_data_dir.h"

namespace {

using tunggal::testing::CliRun;
CliRun run(const std::string& args) { return tunggal::testing::run_tunggal(args); }

TEST(EvalFvcCli, JsonIsExactlyOneObjectWithTheContractFields) {
  const auto dir = tunggal::testing::fvc_data_dir();
  if (dir.empty()) GTEST_SKIP() << tunggal::testing::kNoFvcMessage;
  const CliRun r = run("eval fvc --json --dir '" + (dir / "DB1_B").string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  nlohmann::json j;
  ASSERT_NO_THROW(j = nlohmann::json::parse(r.out)) << r.out;  // parse() rejects trailing garbage
  ASSERT_TRUE(j.is_object());
  ASSERT_EQ(j["sets"].size(), 1u);
  const auto& s = j["sets"][0];
  EXPECT_EQ(s["name"], "DB1_B");
  EXPECT_EQ(s["genuine"], 280);
  EXPECT_EQ(s["impostor"], 2880);
  for (const char* k : {"eer", "fnmr_at_fmr_1e-2", "fnmr_at_fmr_1e-3", "fnmr_at_fmr_0"}) {
    ASSERT_TRUE(s[k].is_number()) << k;
    EXPECT_GE(s[k].get<double>(), 0.0) << k;
    EXPECT_LE(s[k].get<double>(), 1.0) << k;
  }
  EXPECT_LE(s["fnmr_at_fmr_1e-2"].get<double>(), s["fnmr_at_fmr_1e-3"].get<double>());
  EXPECT_LE(s["fnmr_at_fmr_1e-3"].get<double>(), s["fnmr_at_fmr_0"].get<double>());
  EXPECT_GT(s["comparisons_per_second"].get<double>(), 0.0);
  EXPECT_GT(s["comparisons_per_cpu_second"].get<double>(), 0.0);
}

TEST(EvalFvcCli, FirstImpressionImpostorsAndDetFile) {
  const auto dir = tunggal::testing::fvc_data_dir();
  if (dir.empty()) GTEST_SKIP() << tunggal::testing::kNoFvcMessage;
  const auto svg = std::filesystem::temp_directory_path() / ("eval_fvc_cli_test_" + std::to_string(getpid()) + ".svg");
  const CliRun r = run("eval fvc --json --impostors first --det '" + svg.string() + "' --dir '" +
                    (dir / "DB4_B").string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["sets"][0]["impostor"], 45);
  ASSERT_TRUE(std::filesystem::exists(svg));
  EXPECT_GT(std::filesystem::file_size(svg), 500u);
  std::filesystem::remove(svg);
}

TEST(EvalFvcCli, BootstrapGivesIntervalsBesideTheEers) {
  const auto dir = tunggal::testing::fvc_data_dir();
  if (dir.empty()) GTEST_SKIP() << tunggal::testing::kNoFvcMessage;
  const CliRun r = run("eval fvc --json --extract --bootstrap 200 --dir '" + (dir / "DB4_B").string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["bootstrap"]["draws"], 200);
  EXPECT_EQ(j["bootstrap"]["unit"], "finger");
  const auto& s = j["sets"][0];
  ASSERT_EQ(s["eer_interval_95"].size(), 2u);
  EXPECT_LE(s["eer_interval_95"][0].get<double>(), s["eer"].get<double>());
  EXPECT_GE(s["eer_interval_95"][1].get<double>(), s["eer"].get<double>());
  const auto& x = j["extract"][0];
  ASSERT_EQ(x["eer_interval_95"].size(), 2u);
  EXPECT_LE(x["eer_interval_95"][0].get<double>(), x["eer_interval_95"][1].get<double>());
  const auto& d = x["eer_difference"];
  EXPECT_LE(d["interval_95"][0].get<double>(), d["median"].get<double>());
  EXPECT_LE(d["median"].get<double>(), d["interval_95"][1].get<double>());
  EXPECT_GE(x["within_1_5x_share"].get<double>(), 0.0);
  EXPECT_LE(x["within_1_5x_share"].get<double>(), 1.0);
}

TEST(EvalFvcCli, GeneratedSetWithMatcherOverridesNeedsNoData) {
  const CliRun r = run("eval fvc --json --generated 5 --option max_nr=12 --option w_r=0.5");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["sets"].size(), 1u);
  EXPECT_EQ(j["sets"][0]["name"], "generated-s11");
  EXPECT_GT(j["sets"][0]["genuine"].get<int>(), 0);
  EXPECT_GT(j["sets"][0]["impostor"].get<int>(), j["sets"][0]["genuine"].get<int>());
  EXPECT_EQ(j["matcher_options"].size(), 2u);
}

TEST(EvalFvcCli, UnknownMatcherOptionIsAUsageError) {
  EXPECT_EQ(run("eval fvc --generated 2 --option no_such_option=1").exit_code, 2);
  EXPECT_EQ(run("eval fvc").exit_code, 2);  // nothing to evaluate
}

TEST(EvalFvcCli, MissingFolderIsReportedNotCrashed) {
  const CliRun r = run("eval fvc --dir /nonexistent/fvc2002");
  EXPECT_EQ(r.exit_code, 3);  // kExitUnavailable
}

TEST(EvalFvcCli, BadImpostorChoiceIsAUsageError) {
  const CliRun r = run("eval fvc --dir /tmp --impostors some");
  EXPECT_EQ(r.exit_code, 2);
}

}  // namespace
