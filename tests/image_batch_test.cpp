// load_image_enrollment (import --images): the listing is checked before any file is read, so an
// oversized or contradictory enrollment costs no memory. The files named here do not exist: had a
// single one been opened, the error would be kIoError about it, not the structural refusal.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ingest/image_batch.h"

namespace tunggal::ingest {
namespace {

ImageFile listed(int position, const std::string& name) {
  ImageFile f;
  f.id = "card-1";
  f.nik = "3273011505900001";
  f.position = static_cast<FingerPosition>(position);
  f.path = "/nonexistent/tunggal-image-batch-test/" + name;
  return f;
}

TEST(ImageBatch, MoreThanTenFingersAreRefusedBeforeAnyFileIsRead) {
  // What a 1,000-line manifest under one id looks like, short of the 32 GB of reads.
  std::vector<ImageFile> files;
  for (int i = 0; i < 1000; ++i) files.push_back(listed(1 + i % 10, std::to_string(i) + ".png"));
  auto e = load_image_enrollment(files, "site-a");
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().code(), ErrorCode::kInvalidArgument) << e.error().message();
  EXPECT_NE(e.error().message().find("1000 finger images listed; at most 10"), std::string::npos)
      << e.error().message();
}

TEST(ImageBatch, RepeatedFingerIsRefusedBeforeAnyFileIsRead) {
  auto e = load_image_enrollment(std::vector<ImageFile>{listed(2, "a.png"), listed(3, "b.png"), listed(2, "c.png")},
                                 "site-a");
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().code(), ErrorCode::kInvalidArgument) << e.error().message();
  EXPECT_NE(e.error().message().find("right index appears twice"), std::string::npos) << e.error().message();
}

TEST(ImageBatch, UnknownPositionAndBadHeaderAreRefusedBeforeAnyFileIsRead) {
  auto pos = load_image_enrollment(std::vector<ImageFile>{listed(11, "a.png")}, "site-a");
  ASSERT_FALSE(pos);
  EXPECT_EQ(pos.error().code(), ErrorCode::kInvalidArgument) << pos.error().message();
  auto site = load_image_enrollment(std::vector<ImageFile>{listed(1, "a.png")}, "");
  ASSERT_FALSE(site);
  EXPECT_EQ(site.error().code(), ErrorCode::kInvalidArgument) << site.error().message();
}

TEST(ImageBatch, AWellFormedListingReachesTheFiles) {
  // The control: with the listing in order, the missing file is what fails.
  auto e = load_image_enrollment(std::vector<ImageFile>{listed(1, "a.png")}, "site-a");
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().code(), ErrorCode::kIoError) << e.error().message();
}

}  // namespace
}  // namespace tunggal::ingest
