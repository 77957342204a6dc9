// The SIMD kernels of the candidate index (index/detail) against scalar references on random
// data: the Hamming scan of stage 1 (every word count the indexes use, row counts that are not a
// multiple of the 8-row block), the shortlist that keeps its closest rows, the 8-bit code scan of
// stage 2 and the exact re-rank's dot products (lengths that are not a multiple of the SIMD width).
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <random>
#include <vector>

#include "index/detail/exact_dot.h"
#include "index/detail/hamming_scan.h"
#include "index/detail/hamming_shortlist.h"
#include "index/detail/sq8_scan.h"

namespace tunggal::index::detail {
namespace {

// rows x words random bits in the blocked layout, rows padded to the 8-row block.
std::vector<std::uint64_t> blocked_bits(std::size_t rows, int words, std::mt19937_64& rng) {
  std::vector<std::uint64_t> b((rows + kHashBlock - 1) / kHashBlock * kHashBlock * words);
  for (auto& w : b) w = rng();
  return b;
}

std::uint32_t reference_distance(const std::vector<std::uint64_t>& b, std::size_t row, int words, const std::uint64_t* q) {
  std::uint32_t d = 0;
  for (int w = 0; w < words; ++w) d += static_cast<std::uint32_t>(std::popcount(b[blocked_at(row, w, words)] ^ q[w]));
  return d;
}

TEST(HammingScan, EmitsExactlyTheRowsBelowTheThresholdWithExactDistances) {
  std::mt19937_64 rng(7);
  for (int words : {1, 2, 4, 6, 8}) {  // 8: face hashes, 4: finger codes, others: the generic path
    for (std::size_t rows : {1u, 7u, 8u, 9u, 63u, 200u, 517u}) {
      const auto bits = blocked_bits(rows, words, rng);
      std::vector<std::uint64_t> q(words);
      for (auto& w : q) w = rng();
      // Threshold near the median distance, so that about half the rows are emitted.
      const std::uint32_t thresh = static_cast<std::uint32_t>(words * 32);
      std::vector<HammingHit> out(rows);
      const std::size_t m = hamming_below(bits.data(), rows, words, q.data(), thresh, 1000, out.data());
      std::vector<HammingHit> want;
      for (std::size_t r = 0; r < rows; ++r) {
        const std::uint32_t d = reference_distance(bits, r, words, q.data());
        if (d < thresh) want.push_back({d, static_cast<std::uint32_t>(1000 + r)});
      }
      ASSERT_EQ(m, want.size()) << words << " words, " << rows << " rows, kernel " << hamming_kernel_name();
      for (std::size_t i = 0; i < m; ++i) {
        EXPECT_EQ(out[i].row, want[i].row) << words << " words, " << rows << " rows";
        EXPECT_EQ(out[i].dist, want[i].dist) << words << " words, " << rows << " rows";
      }
    }
  }
}

TEST(HammingShortlist, KeepsEveryRowCloserThanTheDepthNearest) {
  std::mt19937_64 rng(11);
  for (std::size_t depth : {1u, 10u, 100u}) {
    // Distances with many ties (0..64), fed in chunks the way the scan emits them.
    std::vector<HammingHit> all(5000);
    for (std::size_t i = 0; i < all.size(); ++i) all[i] = {static_cast<std::uint32_t>(rng() % 65), static_cast<std::uint32_t>(i)};
    HammingShortlist s(depth, 64);
    std::vector<HammingHit> chunk;
    for (std::size_t at = 0; at < all.size(); at += 37) {
      chunk.clear();
      for (std::size_t i = at; i < std::min(all.size(), at + 37); ++i) {
        if (all[i].dist < s.threshold()) chunk.push_back(all[i]);
      }
      s.add(chunk.data(), chunk.size());
    }
    std::vector<std::uint32_t> sorted;
    for (const auto& h : all) sorted.push_back(h.dist);
    std::sort(sorted.begin(), sorted.end());
    const std::uint32_t kth = sorted[depth - 1];  // distance of the depth-th nearest
    const auto& kept = s.hits();
    ASSERT_GE(kept.size(), depth);
    std::size_t closer = 0;
    for (const auto& h : kept) {
      EXPECT_LE(h.dist, kth) << "a row farther than the depth-th nearest was kept";
      EXPECT_EQ(all[h.row].dist, h.dist);
      closer += h.dist < kth;
    }
    // Every row strictly closer than the depth-th nearest is there.
    EXPECT_EQ(closer, static_cast<std::size_t>(std::count_if(sorted.begin(), sorted.end(), [&](auto d) { return d < kth; })));
  }
}

TEST(Sq8Scan, RawScoresEqualTheScalarSum) {
  std::mt19937_64 rng(3);
  for (int dim_pad : {64, 256, 512}) {
    for (std::size_t n : {1u, 3u, 4u, 5u, 13u}) {  // the kernel takes 4 codes at a time
      std::vector<std::uint8_t> codes(n * dim_pad);
      for (auto& c : codes) c = static_cast<std::uint8_t>(rng());
      std::vector<std::int8_t> q(dim_pad);
      for (auto& v : q) v = static_cast<std::int8_t>(static_cast<int>(rng() % 255) - 127);
      std::vector<std::int32_t> raw(n);
      scan_codes(codes.data(), n, dim_pad, q.data(), raw.data());
      for (std::size_t i = 0; i < n; ++i) {
        std::int32_t want = 0;
        for (int j = 0; j < dim_pad; ++j) want += static_cast<std::int32_t>(codes[i * dim_pad + j]) * q[j];
        EXPECT_EQ(raw[i], want) << dim_pad << " x " << n << ", code " << i << ", kernel " << scan_kernel_name();
      }
    }
  }
}

TEST(ExactDot, DotAndNormEqualTheDoublePrecisionReference) {
  std::mt19937_64 rng(5);
  std::normal_distribution<float> g(0.0f, 0.05f);
  for (std::size_t dim : {1u, 15u, 16u, 17u, 31u, 33u, 100u, 256u, 512u, 515u}) {
    std::vector<float> q(dim), v(dim);
    for (auto& x : q) x = g(rng);
    for (auto& x : v) x = 3.0f * g(rng);
    const DotNorm got = dot_and_norm(q.data(), v.data(), dim), want = dot_and_norm_portable(q.data(), v.data(), dim);
    EXPECT_NEAR(got.dot, want.dot, 1e-5f * (1.0f + std::abs(want.dot))) << dim << ", kernel " << dot_kernel_name();
    EXPECT_NEAR(got.norm2, want.norm2, 1e-5f * want.norm2) << dim << ", kernel " << dot_kernel_name();
  }
  const std::vector<float> q(40, 0.1f), zero(40, 0.0f);
  EXPECT_EQ(cosine_to_unit(q.data(), zero.data(), 40), 0.0f);
  EXPECT_NEAR(cosine_to_unit(q.data(), q.data(), 40), 0.1f * 40 * 0.1f / std::sqrt(40 * 0.01f), 1e-6f);
}

}  // namespace
}  // namespace tunggal::index::detail
