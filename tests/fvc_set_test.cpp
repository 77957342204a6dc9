// The FVC loader's pieces that need no FVC data: the TIFF header reader on hand-made headers
// (both byte orders, SHORT and LONG sizes, every way a header can be broken) and unstretching.
#include "datasets/fvc_set.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace tunggal::datasets {
namespace {

class TiffHeader : public ::testing::Test {
 protected:
  std::filesystem::path write(const std::vector<std::uint8_t>& bytes) {
    const auto p = std::filesystem::temp_directory_path() /
                   ("fvc_set_test_" + std::to_string(getpid()) + "_" + std::to_string(files_.size()) + ".tif");
    std::ofstream(p, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
    files_.push_back(p);
    return p;
  }
  void TearDown() override {
    for (const auto& f : files_) std::filesystem::remove(f);
  }
  std::vector<std::filesystem::path> files_;
};

// Little-endian header, IFD at 8 with two entries: width SHORT 388, height SHORT 374.
std::vector<std::uint8_t> le_header() {
  return {'I', 'I', 42, 0, 8, 0, 0, 0,             // header
          2, 0,                                    // 2 entries
          0, 1, 3, 0, 1, 0, 0, 0, 0x84, 1, 0, 0,   // 256 ImageWidth SHORT 1 -> 388
          1, 1, 3, 0, 1, 0, 0, 0, 0x76, 1, 0, 0,   // 257 ImageLength SHORT 1 -> 374
          0, 0, 0, 0};
}

TEST_F(TiffHeader, LittleEndianShortSizes) {
  auto s = read_tiff_size(write(le_header()));
  ASSERT_TRUE(s) << s.error().to_string();
  EXPECT_EQ(s->width, 388);
  EXPECT_EQ(s->height, 374);
}

TEST_F(TiffHeader, BigEndianLongSizes) {
  const std::vector<std::uint8_t> be = {'M', 'M', 0, 42, 0, 0, 0, 8,
                                        0, 2,
                                        1, 0, 0, 4, 0, 0, 0, 1, 0, 0, 1, 0x28,  // width LONG 296
                                        1, 1, 0, 4, 0, 0, 0, 1, 0, 0, 2, 0x30,  // height LONG 560
                                        0, 0, 0, 0};
  auto s = read_tiff_size(write(be));
  ASSERT_TRUE(s) << s.error().to_string();
  EXPECT_EQ(s->width, 296);
  EXPECT_EQ(s->height, 560);
}

TEST_F(TiffHeader, BrokenHeadersAreRejectedWithTheReason) {
  auto expect_error = [&](std::vector<std::uint8_t> bytes, const std::string& says) {
    auto s = read_tiff_size(write(bytes));
    ASSERT_FALSE(s) << "accepted a header that should say: " << says;
    EXPECT_NE(s.error().message().find(says), std::string::npos) << s.error().message();
  };
  expect_error({'I', 'I', 42}, "too short");
  expect_error({'P', 'K', 3, 4, 0, 0, 0, 0}, "neither II nor MM");
  expect_error({'I', 'I', 43, 0, 8, 0, 0, 0}, "magic 43");
  auto far = le_header();
  far[4] = 0xff;  // IFD offset 255, past the end
  expect_error(far, "lies past the end");
  auto many = le_header();
  many[8] = 200;  // 200 entries do not fit
  expect_error(many, "overruns the file");
  auto no_height = le_header();
  no_height[22] = 9;  // tag 257 -> 265: no height at all
  expect_error(no_height, "0 image");
  auto ascii = le_header();
  ascii[12] = 2;  // width stored as ASCII
  expect_error(ascii, "has type 2");
  auto missing = read_tiff_size("/nonexistent/fvc/101_1.tif");
  EXPECT_FALSE(missing);
}

TEST(Unstretch, ScalesEachAxisAndStaysInsideTheFrame) {
  FingerTemplate t;
  t.width = 300;
  t.height = 400;
  t.minutiae = {{150, 200, 1.0f, MinutiaType::kRidgeEnding, 0}, {299, 399, 2.0f, MinutiaType::kBifurcation, 0},
                {0, 0, 0.0f, MinutiaType::kOther, 0}};
  const FingerTemplate u = unstretch(t, {296, 560});
  EXPECT_EQ(u.width, 296);
  EXPECT_EQ(u.height, 560);
  EXPECT_EQ(u.minutiae[0].x, 148);  // 150 * 296/300
  EXPECT_EQ(u.minutiae[0].y, 280);  // 200 * 560/400
  EXPECT_LT(u.minutiae[1].x, 296);
  EXPECT_LT(u.minutiae[1].y, 560);
  EXPECT_EQ(u.minutiae[2].x, 0);
  EXPECT_FLOAT_EQ(u.minutiae[0].angle, 1.0f);  // angles as recorded
  EXPECT_EQ(u.minutiae[1].type, MinutiaType::kBifurcation);
  // A template without a frame is returned unchanged rather than divided by zero.
  FingerTemplate none = t;
  none.width = 0;
  EXPECT_EQ(unstretch(none, {296, 560}), none);
}

TEST(LoadFvcSet, FolderWithoutRecordsSaysWhatIsMissing) {
  const auto dir = std::filesystem::temp_directory_path() / ("fvc_set_test_empty_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  auto s = load_fvc_set(dir);
  auto all = load_fvc_sets(dir);
  std::filesystem::remove_all(dir);
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message().find("no NNN_K.iso"), std::string::npos) << s.error().message();
  ASSERT_FALSE(all);
  EXPECT_EQ(all.error().code(), ErrorCode::kNotFound);
}

}  // namespace
}  // namespace tunggal::datasets
