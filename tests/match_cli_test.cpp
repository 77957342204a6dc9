// Runs the built `tunggal match` on FVC2002 records the way an adjudicator's script would.
#include <gtest/gtest.h>

#include "tests/cli_run.h"
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "fvc_data_dir.h"

namespace {

using tunggal::testing::CliRun;
CliRun run(const std::string& args) { return tunggal::testing::run_tunggal(args); }

class MatchCli : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto dir = tunggal::testing::fvc_data_dir();
    if (dir.empty()) GTEST_SKIP() << tunggal::testing::kNoFvcMessage;
    db_ = dir / "DB1_B";
  }
  std::string f(const std::string& name) const { return "'" + (db_ / name).string() + "'"; }
  std::filesystem::path db_;
};

TEST_F(MatchCli, MateScoresHigherThanNonMateAndPairsAreReported) {
  const CliRun mate = run("match --json --a " + f("101_1.iso") + " --b " + f("101_2.iso") + " --tif-a " +
                          f("101_1.tif") + " --tif-b " + f("101_2.tif"));
  ASSERT_EQ(mate.exit_code, 0) << mate.out;
  const auto jm = nlohmann::json::parse(mate.out);
  const CliRun other = run("match --json --a " + f("101_1.iso") + " --b " + f("102_1.iso") + " --tif-a " +
                           f("101_1.tif") + " --tif-b " + f("102_1.tif"));
  ASSERT_EQ(other.exit_code, 0) << other.out;
  const auto jo = nlohmann::json::parse(other.out);
  EXPECT_GT(jm["score"].get<double>(), 0.2);
  EXPECT_LT(jo["score"].get<double>(), 0.1);
  EXPECT_GT(jm["pairs"].size(), 3u);
}

TEST_F(MatchCli, SvgShowsBothImagesAndTheScore) {
  const auto svg = std::filesystem::temp_directory_path() / ("match_cli_test_" + std::to_string(getpid()) + ".svg");
  const CliRun r = run("match --a " + f("101_1.iso") + " --b " + f("101_2.iso") + " --tif-a " + f("101_1.tif") +
                       " --tif-b " + f("101_2.tif") + " --svg '" + svg.string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(r.out.rfind("score 0.", 0), 0u) << r.out;
  std::ifstream in(svg);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string s = ss.str();
  std::filesystem::remove(svg);
  std::size_t images = 0;
  for (auto p = s.find("data:image/png;base64,iVBOR"); p != std::string::npos; p = s.find("data:image/png;base64,iVBOR", p + 1))
    ++images;  // "iVBOR" is the base64 of the PNG signature
  EXPECT_EQ(images, 2u);
  EXPECT_NE(s.find("388x374"), std::string::npos);  // minutiae mapped onto the true image frame
  EXPECT_NE(s.find("<title>pair "), std::string::npos);
}

TEST_F(MatchCli, UnreadableInputIsAUsageErrorNotACrash) {
  // Neither a minutiae record nor an image (an image would be extracted: ImagesAreExtractedOnTheFly).
  EXPECT_EQ(run("match --a '" + std::string(TUNGGAL_SOURCE_DIR) + "/README.md' --b " + f("101_2.iso")).exit_code, 2);
  EXPECT_EQ(run("match --a " + f("101_1.iso") + " --b " + f("101_2.iso") + " --tif-a " + f("101_1.iso")).exit_code, 2);
  EXPECT_EQ(run("match --a /nonexistent.iso --b " + f("101_2.iso")).exit_code, 2);
}

}  // namespace

// Images instead of records: minutiae extracted on the fly, also against a SecuGen record (our
// directions follow the same ISO convention).
TEST_F(MatchCli, ImagesAreExtractedOnTheFly) {
  const CliRun mate = run("match --json --a " + f("101_1.tif") + " --b " + f("101_2.tif"));
  ASSERT_EQ(mate.exit_code, 0) << mate.out;
  const CliRun other = run("match --json --a " + f("101_1.tif") + " --b " + f("102_1.tif"));
  ASSERT_EQ(other.exit_code, 0) << other.out;
  const double sm = nlohmann::json::parse(mate.out)["score"].get<double>();
  const double so = nlohmann::json::parse(other.out)["score"].get<double>();
  EXPECT_GT(sm, 0.2);
  EXPECT_LT(so, 0.1);
  const CliRun mixed = run("match --json --a " + f("101_1.tif") + " --b " + f("101_2.iso") + " --tif-b " + f("101_2.tif"));
  ASSERT_EQ(mixed.exit_code, 0) << mixed.out;
  EXPECT_GT(nlohmann::json::parse(mixed.out)["score"].get<double>(), so);
}
