// Binarisation and thinning. Zhang & Suen (1984) is our own implementation (a 256-entry table per
// sub-iteration) rather than cv::ximgproc::thinning: Debian's libopencv-contrib-dev 4.6 has it, but
// it rescans the whole image with Mat arithmetic per iteration, and its result still carries the
// two-pixel staircases that ours removes afterwards.
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
  std::vector<cv::Point> del;
  for (bool changed = true; changed;) {
    changed = false;
    for (const auto* table : {&t.step1, &t.step2}) {
      del.clear();
      for (int y = 1; y + 1 < img.rows; ++y) {
        const std::uint8_t *u = img.ptr<std::uint8_t>(y - 1), *m = img.ptr<std::uint8_t>(y), *d = img.ptr<std::uint8_t>(y + 1);
        for (int x = 1; x + 1 < img.cols; ++x)
          if (m[x] && (*table)[code_at(u, m, d, x)]) del.emplace_back(x, y);
      }
      for (const auto& p : del) img.at<std::uint8_t>(p) = 0;
      changed |= !del.empty();
    }
  }
  // Sequential pass: deleting simple points one at a time never changes the topology.
  for (int y = 1; y + 1 < img.rows; ++y) {
    const std::uint8_t *u = img.ptr<std::uint8_t>(y - 1), *d = img.ptr<std::uint8_t>(y + 1);
    std::uint8_t* m = img.ptr<std::uint8_t>(y);
    for (int x = 1; x + 1 < img.cols; ++x)
      if (m[x] && t.simple[code_at(u, m, d, x)]) m[x] = 0;
  }
}

}  // namespace tunggal::ingest::detail
