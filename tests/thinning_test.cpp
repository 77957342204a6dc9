// Thinning (ingest/detail/thinning.cpp) is Zhang & Suen from lookup tables over neighbour codes
// read through row pointers, and skips rows where nothing changed nearby in the last two
// sub-iterations. Its skeleton must be exactly the one the paper's conditions, written out and
// applied to every pixel, give (or the extractor's minutiae and the FVC2002 figures in
// docs/extraction.md would move); and on ridges it must be a skeleton: one pixel wide, connected.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "ingest/detail/extraction_stages.h"
#include "tests/synthetic_print.h"

namespace tunggal::ingest::detail {
namespace {

constexpr int kDx[8] = {0, 1, 1, 1, 0, -1, -1, -1};
constexpr int kDy[8] = {-1, -1, 0, 1, 1, 1, 0, -1};

int code_at(const cv::Mat& m, int x, int y) {
  int c = 0;
  for (int i = 0; i < 8; ++i) c |= int(m.at<std::uint8_t>(y + kDy[i], x + kDx[i]) != 0) << i;
  return c;
}
bool bit(int c, int n) { return (c >> (n - 2)) & 1; }  // P2..P9 as in the paper
int transitions(int c) {
  int a = 0;
  for (int i = 0; i < 8; ++i) a += !((c >> i) & 1) && ((c >> ((i + 1) & 7)) & 1);
  return a;
}
// Zhang & Suen's conditions written out, and the whole image rescanned in every sub-iteration,
// followed by the same sequential removal of simple points (8-simple: the set neighbours form one
// 8-connected group, and a 4-neighbour is background).
bool deletable(int c, int step) {
  const int b = __builtin_popcount(unsigned(c));
  if (b < 2 || b > 6 || transitions(c) != 1) return false;
  if (step == 1) return !(bit(c, 2) && bit(c, 4) && bit(c, 6)) && !(bit(c, 4) && bit(c, 6) && bit(c, 8));
  return !(bit(c, 2) && bit(c, 4) && bit(c, 8)) && !(bit(c, 2) && bit(c, 6) && bit(c, 8));
}
bool simple(int c) {
  if (__builtin_popcount(unsigned(c)) < 2) return false;
  if (bit(c, 2) && bit(c, 4) && bit(c, 6) && bit(c, 8)) return false;
  cv::Mat ring(3, 3, CV_8U, cv::Scalar(0));
  for (int i = 0; i < 8; ++i) ring.at<std::uint8_t>(1 + kDy[i], 1 + kDx[i]) = (c >> i) & 1;
  cv::Mat labels;
  return cv::connectedComponents(ring, labels, 8) == 2;  // background + one group
}
void reference_thin(cv::Mat& img) {
  for (bool changed = true; changed;) {
    changed = false;
    for (int step : {1, 2}) {
      std::vector<cv::Point> del;
      for (int y = 1; y + 1 < img.rows; ++y)
        for (int x = 1; x + 1 < img.cols; ++x)
          if (img.at<std::uint8_t>(y, x) && deletable(code_at(img, x, y), step)) del.emplace_back(x, y);
      for (const auto& p : del) img.at<std::uint8_t>(p) = 0;
      changed |= !del.empty();
    }
  }
  for (int y = 1; y + 1 < img.rows; ++y)
    for (int x = 1; x + 1 < img.cols; ++x)
      if (img.at<std::uint8_t>(y, x) && simple(code_at(img, x, y))) img.at<std::uint8_t>(y, x) = 0;
}

// Ridges of a synthetic print (binarised as the extractor does: dark = ridge), and random blobs.
cv::Mat print_ridges(std::uint32_t seed) {
  const GreyImage g = testing::synthetic_print(seed);
  cv::Mat grey(g.height, g.width, CV_8U, const_cast<std::uint8_t*>(g.pixels.data()));
  cv::Mat f;
  grey.convertTo(f, CV_32F, 1.0, -128.0);
  return binarise(f, cv::Mat(grey.size(), CV_8U, cv::Scalar(1)));
}
cv::Mat blobs(std::uint32_t seed) {
  std::mt19937 rng(seed);
  cv::Mat m(160, 200, CV_8U, cv::Scalar(0));
  std::uniform_int_distribution<int> ux(2, 197), uy(2, 157), ur(1, 12);
  for (int i = 0; i < 40; ++i) cv::circle(m, {ux(rng), uy(rng)}, ur(rng), cv::Scalar(1), -1);
  for (int i = 0; i < 20; ++i) cv::line(m, {ux(rng), uy(rng)}, {ux(rng), uy(rng)}, cv::Scalar(1), 1 + ur(rng) / 3);
  m.row(0).setTo(0), m.row(m.rows - 1).setTo(0), m.col(0).setTo(0), m.col(m.cols - 1).setTo(0);
  return m;
}

// Salt noise of density 1/2: every neighbour code occurs, in every order of deletion.
cv::Mat noise(std::uint32_t seed) {
  std::mt19937 rng(seed);
  cv::Mat m(60, 80, CV_8U, cv::Scalar(0));
  for (int y = 1; y + 1 < m.rows; ++y)
    for (int x = 1; x + 1 < m.cols; ++x) m.at<std::uint8_t>(y, x) = std::uint8_t(rng() & 1);
  return m;
}

int components(const cv::Mat& m) {
  cv::Mat labels;
  return cv::connectedComponents(m, labels, 8) - 1;
}

TEST(Thinning, GivesTheSkeletonOfThePapersConditionsWrittenOut) {
  for (std::uint32_t seed = 1; seed <= 6; ++seed) {
    for (const cv::Mat& input : {print_ridges(seed), blobs(seed), noise(seed)}) {
      cv::Mat fast = input.clone(), slow = input.clone();
      thin(fast);
      reference_thin(slow);
      ASSERT_GT(cv::countNonZero(slow), 0);
      EXPECT_EQ(cv::countNonZero(fast != slow), 0) << "seed " << seed;
    }
  }
}

TEST(Thinning, LeavesOnePixelWideRidgesThatStayConnected) {
  for (std::uint32_t seed = 1; seed <= 6; ++seed) {
    for (const cv::Mat& input : {print_ridges(seed), blobs(seed)}) {
      cv::Mat s = input.clone();
      thin(s);
      // On these inputs no ridge is split or removed: as many 8-connected pieces as before.
      // (Zhang & Suen can erase a 2x2 square or shrink a 2 px thick diagonal; none is here.)
      EXPECT_EQ(components(s), components(input)) << "seed " << seed;
      // One pixel wide: a 2x2 block of set pixels is left only where each of its pixels holds the
      // skeleton together (a crossing of branches), never as a ridge's leftover thickness.
      for (int y = 1; y + 2 < s.rows; ++y)
        for (int x = 1; x + 2 < s.cols; ++x) {
          if (!(s.at<std::uint8_t>(y, x) && s.at<std::uint8_t>(y, x + 1) && s.at<std::uint8_t>(y + 1, x) &&
                s.at<std::uint8_t>(y + 1, x + 1)))
            continue;
          for (const auto& [px, py] : {std::pair{x, y}, {x + 1, y}, {x, y + 1}, {x + 1, y + 1}})
            EXPECT_FALSE(simple(code_at(s, px, py))) << "seed " << seed << " at " << px << "," << py;
        }
    }
  }
}

}  // namespace
}  // namespace tunggal::ingest::detail
