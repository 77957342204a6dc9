// `tunggal import --images`: a directory of NIK_FINGER files or a CSV manifest, extracted in
// parallel before Engine::import; unusable files are reported as skipped (exit 1), the rest is
// imported and can be found again by its prints.
#include <gtest/gtest.h>

#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "ingest/enrollment_images.h"
#include "tests/cli_run.h"
#include "tests/engine_fixture.h"
#include "tests/fvc_data_dir.h"
#include "tests/synthetic_print.h"

namespace tunggal {
namespace {

using tunggal::testing::make_temp_dir;
using tunggal::testing::run_tunggal;
using tunggal::testing::synthetic_print_png;
using tunggal::testing::truncated_png;

constexpr const char* kNikA = "3273014501900001";
constexpr const char* kNikB = "3273011203850002";
constexpr const char* kNikC = "3273012207770003";

void write_file(const std::filesystem::path& p, const std::vector<std::uint8_t>& bytes) {
  std::ofstream out(p, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
}

class ImportImagesCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = make_temp_dir("import-images");
    data_ = root_ / "data";
    images_ = root_ / "images";
    std::filesystem::create_directories(images_);
    // The gallery exists already (with the tests' calibrated model), so the command does not
    // spend seconds calibrating a new one.
    auto e = Engine::open(testing::test_engine_options(data_), testing::test_fusion_model());
    ASSERT_TRUE(e) << e.error().to_string();
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  // Top candidate of an identify with these prints (as the door would extract them).
  SubjectId top_subject(std::vector<FingerImage> prints) {
    auto engine = Engine::open(testing::test_engine_options(data_));
    EXPECT_TRUE(engine) << engine.error().to_string();
    if (!engine) return {};
    Enrollment probe;
    probe.id = EnrollmentId{"probe"};
    probe.site = "test";
    probe.nik = *Nik::parse(kNikC);
    probe.finger_images = std::move(prints);
    const Status s = ingest::extract_finger_images(probe, ingest::MinutiaeExtractor{});
    EXPECT_TRUE(s) << s.message();
    auto v = (*engine)->identify(probe);
    EXPECT_TRUE(v) << v.error().to_string();
    if (!v || v->candidates.empty()) return {};
    return v->candidates[0].subject;
  }
  std::uint64_t gallery_size() {
    auto engine = Engine::open(testing::test_engine_options(data_));
    return engine ? (*engine)->stats().gallery_size : 0;
  }

  std::filesystem::path root_, data_, images_;
};

std::vector<FingerImage> synthetic_prints(std::uint32_t seed0) {
  std::vector<FingerImage> out;
  for (int f = 1; f <= 4; ++f)
    out.push_back(FingerImage{static_cast<FingerPosition>(f), synthetic_print_png(seed0 + f), 500});
  return out;
}

TEST_F(ImportImagesCliTest, DirectoryOfImagesIsImportedAndBadFilesAreSkippedWithReasons) {
  for (int f = 1; f <= 4; ++f) {
    write_file(images_ / fmt::format("{}_{}.png", kNikA, f), synthetic_print_png(100 + f));
    write_file(images_ / fmt::format("{}_{}.png", kNikB, f), synthetic_print_png(200 + f));
    write_file(images_ / fmt::format("{}_{}.png", kNikC, f), f == 3 ? truncated_png(3) : synthetic_print_png(300 + f));
  }
  write_file(images_ / "scan-0001.png", synthetic_print_png(9));      // not NIK_FINGER
  write_file(images_ / "notes.txt", std::vector<std::uint8_t>(10, 'x'));  // not an image: ignored
  const auto r = run_tunggal(fmt::format("import --data-dir {} --images {} --json", data_.string(), images_.string()));
  ASSERT_EQ(r.exit_code, 1) << r.out;  // something was skipped
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["imported"], 2);
  EXPECT_EQ(j["images"], 8);
  ASSERT_EQ(j["skipped"], 2);
  const std::string reasons = j["skipped_reasons"].dump();
  EXPECT_NE(reasons.find("scan-0001.png: not named NIK_FINGER"), std::string::npos) << reasons;
  EXPECT_NE(reasons.find(std::string("import/") + kNikC), std::string::npos) << reasons;
  EXPECT_NE(reasons.find("right middle"), std::string::npos) << reasons;
  EXPECT_EQ(gallery_size(), 2u);
  // Each imported person is found by the same prints, and the two are different subjects.
  const SubjectId a = top_subject(synthetic_prints(100));
  const SubjectId b = top_subject(synthetic_prints(200));
  EXPECT_TRUE(a.valid());
  EXPECT_TRUE(b.valid());
  EXPECT_NE(a, b);
}

TEST_F(ImportImagesCliTest, ManifestWithResolutionAndRelativePaths) {
  std::filesystem::create_directories(images_ / "cards");
  std::ofstream m(images_ / "manifest.csv");
  m << "# scanned cards, batch 7\nid,nik,finger,image,ppi\n";
  for (int f = 1; f <= 4; ++f) {
    write_file(images_ / "cards" / fmt::format("a{}.png", f), synthetic_print_png(100 + f));
    m << "card-a," << kNikA << "," << f << ",cards/a" << f << ".png,\n";
  }
  m << "card-b," << kNikB << ",11,cards/a1.png,500\n";  // no finger 11
  m.close();
  const auto r = run_tunggal(
      fmt::format("import --data-dir {} --images {} --json", data_.string(), (images_ / "manifest.csv").string()));
  ASSERT_EQ(r.exit_code, 1) << r.out;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["imported"], 1);
  EXPECT_EQ(j["images"], 4);
  EXPECT_NE(j["skipped_reasons"].dump().find("manifest.csv:7: finger '11'"), std::string::npos) << r.out;
  EXPECT_TRUE(top_subject(synthetic_prints(100)).valid());
}

TEST_F(ImportImagesCliTest, UsageErrors) {
  EXPECT_EQ(run_tunggal(fmt::format("import --data-dir {}", data_.string())).exit_code, 2);
  EXPECT_EQ(run_tunggal(fmt::format("import --data-dir {} --images {}", data_.string(), (root_ / "nope").string())).exit_code, 2);
  std::ofstream(images_ / "bad.csv") << "nik,finger\n";
  const auto r = run_tunggal(fmt::format("import --data-dir {} --images {}", data_.string(), (images_ / "bad.csv").string()), true);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("header"), std::string::npos) << r.out;
}

TEST_F(ImportImagesCliTest, FvcImpressionsAreFoundAfterImport) {
  const auto fvc = testing::fvc_data_dir();
  if (fvc.empty()) GTEST_SKIP() << testing::kNoFvcMessage;
  const auto db1 = fvc / "DB1_B";
  if (!std::filesystem::exists(db1 / "101_1.tif")) GTEST_SKIP() << "FVC2002 DB1_B/101_1.tif not found in " << db1;
  // Person A: FVC fingers 101..104 (impression 1) as fingers 1..4; person B: 105..108.
  for (int f = 1; f <= 4; ++f) {
    std::filesystem::copy_file(db1 / fmt::format("{}_1.tif", 100 + f), images_ / fmt::format("{}_{}.tif", kNikA, f));
    std::filesystem::copy_file(db1 / fmt::format("{}_1.tif", 104 + f), images_ / fmt::format("{}_{}.tif", kNikB, f));
  }
  const auto r = run_tunggal(fmt::format("import --data-dir {} --images {} --json", data_.string(), images_.string()));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(nlohmann::json::parse(r.out)["imported"], 2);
  auto impressions = [&](int first, int impression) {
    std::vector<FingerImage> out;
    for (int f = 0; f < 4; ++f) {
      std::ifstream in(db1 / fmt::format("{}_{}.tif", first + f, impression), std::ios::binary);
      out.push_back(FingerImage{static_cast<FingerPosition>(f + 1),
                                {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()}, 500});
    }
    return out;
  };
  // Second impressions find their own person.
  const SubjectId a = top_subject(impressions(101, 2));
  const SubjectId b = top_subject(impressions(105, 2));
  EXPECT_TRUE(a.valid());
  EXPECT_TRUE(b.valid());
  EXPECT_NE(a, b);
}

}  // namespace
}  // namespace tunggal
