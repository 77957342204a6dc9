// Binarisation and thinning. Zhang & Suen (1984) is our own implementation (a 256-entry table per
// sub-iteration) rather than cv::ximgproc::thinning: Debian's libopencv-contrib-dev 4.6 has it, but
// it rescans the whole image with Mat arithmetic per iteration, and its result still carries the
// two-pixel staircases that ours removes afterwards.
#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

#include "ingest/detail/extraction_stages.h"

namespace tunggal::ingest::detail {
namespace {

// Neighbour code: bit i set when ring pixel i is set, ring order P2..P9 = N, NE, E, SE, S, SW, W, NW.
constexpr int kDx[8] = {0, 1, 1, 1, 0, -1, -1, -1};
constexpr int kDy[8] = {-1, -1, 0, 1, 1, 1, 0, -1};

int transitions(int code) {  // A(P1): 0 -> 1 patterns in the ring
  int a = 0;
  for (int i = 0; i < 8; ++i) a += !((code >> i) & 1) && ((code >> ((i + 1) & 7)) & 1);
  return a;
}

struct Tables {
  std::array<std::uint8_t, 256> step1{}, step2{}, simple{};
  Tables() {
    for (int c = 0; c < 256; ++c) {
      const int b = __builtin_popcount(unsigned(c));
      auto p = [&](int n) { return (c >> (n - 2)) & 1; };  // P2..P9 as in the paper
      const bool base = b >= 2 && b <= 6 && transitions(c) == 1;
      step1[c] = base && !(p(2) && p(4) && p(6)) && !(p(4) && p(6) && p(8));
      step2[c] = base && !(p(2) && p(4) && p(8)) && !(p(2) && p(6) && p(8));
      // 8-simple and not an end point: the set neighbours form one 8-connected group (ring pixels
      // are adjacent when their offsets differ by at most one in x and y) and a 4-neighbour is
      // background, so deleting the pixel changes neither connectivity nor holes.
      int comps = 0;
      unsigned seen = 0;
      for (int s = 0; s < 8; ++s) {
        if (!((c >> s) & 1) || (seen >> s) & 1) continue;
        ++comps;
        int stack[8], top = 0;
        stack[top++] = s;
        seen |= 1u << s;
        while (top) {
          const int u = stack[--top];
          for (int v = 0; v < 8; ++v)
            if ((c >> v) & 1 && !((seen >> v) & 1) && std::abs(kDx[u] - kDx[v]) <= 1 && std::abs(kDy[u] - kDy[v]) <= 1) {
              seen |= 1u << v;
              stack[top++] = v;
            }
        }
      }
      const bool four_bg = !p(2) || !p(4) || !p(6) || !p(8);
      simple[c] = b >= 2 && comps == 1 && four_bg;
    }
  }
};
const Tables& tables() {
  static const Tables t;
  return t;
}

// Neighbour code of pixel x in row m, with u and d the rows above and below: the 8 loads of the
// ring without recomputing row addresses (the thinning's scans are most of its time).
inline int code_at(const std::uint8_t* u, const std::uint8_t* m, const std::uint8_t* d, int x) {
  return int(u[x] != 0) | int(u[x + 1] != 0) << 1 | int(m[x + 1] != 0) << 2 | int(d[x + 1] != 0) << 3 |
         int(d[x] != 0) << 4 | int(d[x - 1] != 0) << 5 | int(m[x - 1] != 0) << 6 | int(u[x - 1] != 0) << 7;
}

}  // namespace

cv::Mat binarise(const cv::Mat& enhanced, const cv::Mat& mask) {
  cv::Mat b(enhanced.size(), CV_8U, cv::Scalar(0));
  for (int y = 1; y + 1 < b.rows; ++y) {
    const float* e = enhanced.ptr<float>(y);
    const std::uint8_t* m = mask.ptr<std::uint8_t>(y);
    std::uint8_t* o = b.ptr<std::uint8_t>(y);
    for (int x = 1; x + 1 < b.cols; ++x) o[x] = m[x] && e[x] < 0 ? 1 : 0;
  }
  return b;
}

void thin(cv::Mat& img) {
  const Tables& t = tables();
  const int h = img.rows, w = img.cols;
  // A pixel's deletability under a table changes only if its 3x3 neighbourhood changed since the
  // last sub-iteration with the same table, two sub-iterations ago: rows with no deletion within
  // one row of them in the last two sub-iterations are skipped. Ridges thickened by a shifted threshold
  // (minutiae_recovery.cpp) need many sub-iterations, but after the first few only the widest
  // blobs are still being peeled. Decisions within a sub-iteration are still taken on the image as
  // it was before it, so the skeleton is the one full rescans give (tests/thinning_test.cpp).
  std::vector<char> changed_rows(std::size_t(h), 1), prev_rows(std::size_t(h), 1), scan(std::size_t(h), 1);
  std::vector<cv::Point> del;
  for (int idle = 0; idle < 2;) {
    for (const auto* table : {&t.step1, &t.step2}) {
      for (int y = 1; y + 1 < h; ++y)
        scan[y] = changed_rows[y - 1] | changed_rows[y] | changed_rows[y + 1] | prev_rows[y - 1] | prev_rows[y] |
                  prev_rows[y + 1];
      del.clear();
      for (int y = 1; y + 1 < h; ++y) {
        if (!scan[y]) continue;
        const std::uint8_t *u = img.ptr<std::uint8_t>(y - 1), *m = img.ptr<std::uint8_t>(y), *d = img.ptr<std::uint8_t>(y + 1);
        for (int x = 1; x + 1 < w; ++x)
          if (m[x] && (*table)[code_at(u, m, d, x)]) del.emplace_back(x, y);
      }
      prev_rows.swap(changed_rows);
      std::fill(changed_rows.begin(), changed_rows.end(), 0);
      for (const auto& p : del) img.at<std::uint8_t>(p) = 0, changed_rows[std::size_t(p.y)] = 1;
      idle = del.empty() ? idle + 1 : 0;
      if (idle == 2) break;
    }
  }
  // Sequential pass: deleting simple points one at a time never changes the topology.
  for (int y = 1; y + 1 < h; ++y) {
    const std::uint8_t *u = img.ptr<std::uint8_t>(y - 1), *d = img.ptr<std::uint8_t>(y + 1);
    std::uint8_t* m = img.ptr<std::uint8_t>(y);
    for (int x = 1; x + 1 < w; ++x)
      if (m[x] && t.simple[code_at(u, m, d, x)]) m[x] = 0;
  }
}

}  // namespace tunggal::ingest::detail
