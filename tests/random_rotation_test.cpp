// The hash shard's random rotation (index/detail/random_rotation.h): a rotation at every padding,
// the original one bit for bit where compact padding is a power of two, and a hash shard over a
// non-power-of-two dimension that stores its compact padding, saves it as its own format and still
// reads shards saved with power-of-two padding.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <random>

#include "index/detail/binary_io.h"
#include "index/detail/hash_sq8_shard.h"
#include "index/detail/random_rotation.h"
#include "index/detail/snapshot_format.h"

namespace tunggal::index::detail {
namespace {

std::vector<float> unit_gaussian(int dim, std::mt19937_64& rng) {
  std::normal_distribution<float> n;
  std::vector<float> v(dim);
  double s = 0;
  for (float& x : v) s += double(x = n(rng)) * x;
  for (float& x : v) x = float(x / std::sqrt(s));
  return v;
}

double dot(std::span<const float> a, std::span<const float> b) {
  double s = 0;
  for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i) s += double(a[i]) * b[i];
  return s;
}

TEST(RandomRotation, CompactPaddingIsTheNextMultipleOf512AbovePowersOfTwoOnlyWhenShorter) {
  EXPECT_EQ(RandomRotation::padded_length(256, Padding::kCompact), 256);
  EXPECT_EQ(RandomRotation::padded_length(512, Padding::kCompact), 512);
  EXPECT_EQ(RandomRotation::padded_length(600, Padding::kCompact), 1024);  // 1,024 either way
  EXPECT_EQ(RandomRotation::padded_length(1100, Padding::kCompact), 1536);
  EXPECT_EQ(RandomRotation::padded_length(2048, Padding::kCompact), 2048);
  EXPECT_EQ(RandomRotation::padded_length(2560, Padding::kCompact), 2560);  // ten finger codes
  EXPECT_EQ(RandomRotation::padded_length(2560, Padding::kPowerOfTwo), 4096);
  EXPECT_EQ(RandomRotation::padded_length(20, Padding::kCompact), 64);
}

TEST(RandomRotation, PreservesInnerProductsAndInvertsAtEveryPadding) {
  std::mt19937_64 rng(5);
  for (int dim : {100, 512, 1100, 2560}) {
    for (Padding padding : {Padding::kPowerOfTwo, Padding::kCompact}) {
      const RandomRotation rot(dim, 77, padding);
      for (int t = 0; t < 5; ++t) {
        const auto a = unit_gaussian(dim, rng), b = unit_gaussian(dim, rng);
        std::vector<float> ra(rot.padded()), rb(rot.padded()), back(dim);
        rot.apply(a, ra);
        rot.apply(b, rb);
        EXPECT_NEAR(dot(ra, ra), 1.0, 1e-4) << dim;
        EXPECT_NEAR(dot(ra, rb), dot(a, b), 1e-4) << dim;
        rot.invert(ra, back);
        for (int k = 0; k < dim; ++k) ASSERT_NEAR(back[k], a[k], 1e-5) << dim << " component " << k;
      }
    }
  }
}

TEST(RandomRotation, CompactPaddingThatIsAPowerOfTwoIsTheOriginalRotation) {
  std::mt19937_64 rng(6);
  for (int dim : {256, 512, 1024, 2048}) {
    const RandomRotation compact(dim, 1234, Padding::kCompact), pow2(dim, 1234, Padding::kPowerOfTwo);
    ASSERT_TRUE(compact.single_window());
    const auto x = unit_gaussian(dim, rng);
    std::vector<float> a(compact.padded()), b(pow2.padded());
    compact.apply(x, a);
    pow2.apply(x, b);
    EXPECT_EQ(a, b) << dim;  // stored codes of these dimensions do not change
  }
}

TEST(RandomRotation, TwoWindowsSpreadEveryInputOverEveryOutput) {
  // The fixed 8-bit scale of the hash shard assumes every rotated component ~N(0, 1/padded); a
  // finger's code sitting in one end of the fused vector (the others missing) must spread too.
  const RandomRotation rot(2560, 1234, Padding::kCompact);
  ASSERT_FALSE(rot.single_window());
  for (int block : {0, 9}) {  // the first and the last finger's 256 components
    std::mt19937_64 rng(block);
    std::vector<float> x(2560, 0.0f);
    const auto part = unit_gaussian(256, rng);
    std::copy(part.begin(), part.end(), x.begin() + block * 256);
    std::vector<float> r(rot.padded());
    rot.apply(x, r);
    for (int quarter = 0; quarter < 4; ++quarter) {  // energy lands evenly, not in one window
      double e = 0;
      for (int k = quarter * 640; k < (quarter + 1) * 640; ++k) e += double(r[k]) * r[k];
      EXPECT_NEAR(e, 0.25, 0.06) << "finger block " << block << ", quarter " << quarter;
    }
    float peak = 0;
    for (float v : r) peak = std::max(peak, std::abs(v));
    EXPECT_LT(peak, 5.5f / std::sqrt(2560.0f));  // the shard's clipping point
  }
}

TEST(RandomRotation, SignBitsDifferInProportionToTheAngle) {
  // SimHash: P(sign differs) = angle / pi, which the Hamming shortlist relies on.
  const RandomRotation rot(2560, 99, Padding::kCompact);
  std::mt19937_64 rng(8);
  for (double cosine : {0.0, 0.5, 0.8}) {
    double differ = 0, total = 0;
    for (int t = 0; t < 20; ++t) {
      const auto a = unit_gaussian(2560, rng), noise = unit_gaussian(2560, rng);
      std::vector<float> b(2560);
      const double along = dot(noise, a);
      std::vector<float> orth(2560);
      double on = 0;
      for (int k = 0; k < 2560; ++k) on += double(orth[k] = float(noise[k] - along * a[k])) * orth[k];
      for (int k = 0; k < 2560; ++k) b[k] = float(cosine * a[k] + std::sqrt(1 - cosine * cosine) * orth[k] / std::sqrt(on));
      std::vector<float> ra(rot.padded()), rb(rot.padded());
      rot.apply(a, ra);
      rot.apply(b, rb);
      for (int k = 0; k < rot.padded(); ++k) differ += (ra[k] > 0) != (rb[k] > 0);
      total += rot.padded();
    }
    EXPECT_NEAR(differ / total, std::acos(cosine) / M_PI, 0.01) << "cosine " << cosine;
  }
}

// A hash shard over the ten finger codes' 2,560 floats, saved and read back through the shard file.
struct ShardFile {
  ShardFile() : path(std::filesystem::temp_directory_path() / ("tunggal_rotation_" + std::to_string(::getpid()) + ".bin")) {}
  ~ShardFile() { std::filesystem::remove(path); }
  std::filesystem::path path;
};

void check_round_trip(Padding padding, ShardFormat expected_format, std::size_t max_bytes_per_row) {
  constexpr int kDim = 2560, kRows = 4096;  // one full page
  HashParams params;
  params.shortlist_per_million = 100000;
  std::mt19937_64 rng(11);
  std::vector<float> rows;
  std::vector<std::uint64_t> ids(kRows);
  std::iota(ids.begin(), ids.end(), 1);
  for (int i = 0; i < kRows; ++i) {
    const auto v = unit_gaussian(kDim, rng);
    rows.insert(rows.end(), v.begin(), v.end());
  }
  auto shard = make_hash_sq8_shard(kDim, params, padding);
  shard->add(ids, rows);
  EXPECT_EQ(shard->format(), expected_format);
  EXPECT_LT(shard->memory_bytes() / kRows, max_bytes_per_row);

  // Probes: noisy copies (cosine ~0.6) of 40 rows; each must come back first, with its score.
  std::vector<float> q;
  for (int i = 0; i < 40; ++i) {
    const auto noise = unit_gaussian(kDim, rng);
    std::vector<float> p(kDim);
    double n = 0;
    for (int k = 0; k < kDim; ++k) n += double(p[k] = 0.6f * rows[std::size_t(i * 100) * kDim + k] + 0.8f * noise[k]) * p[k];
    for (float& x : p) x = float(x / std::sqrt(n));
    q.insert(q.end(), p.begin(), p.end());
  }
  ShardHits before;
  shard->search(q, 5, 1, before);
  for (int i = 0; i < 40; ++i) {
    EXPECT_EQ(before.ids[std::size_t(i) * 5], ids[std::size_t(i) * 100]) << "probe " << i;
    EXPECT_NEAR(before.scores[std::size_t(i) * 5], 0.6, 0.05) << "probe " << i;
  }

  ShardFile file;
  ASSERT_TRUE(shard->save(file.path).is_ok());
  std::ifstream f(file.path, std::ios::binary);
  BinaryReader r(f, file.path.string());
  std::uint32_t magic = 0, version = 0, format = 0;
  std::int32_t dim = 0;
  for (Status s : {r.pod(magic), r.pod(version), r.pod(format), r.pod(dim)}) ASSERT_TRUE(s.is_ok());
  EXPECT_EQ(format, static_cast<std::uint32_t>(expected_format));
  auto loaded = load_hash_sq8_shard(kDim, params, static_cast<ShardFormat>(format), r);
  ASSERT_TRUE(loaded.has_value()) << loaded.status().to_string();
  ShardHits after;
  (*loaded)->search(q, 5, 1, after);
  EXPECT_EQ(after.ids, before.ids);
  EXPECT_EQ(after.scores, before.scores);
  EXPECT_EQ((*loaded)->format(), expected_format);
}

TEST(HashSq8Shard, TenFingerCodesStoreTheirCompactPaddingAndReadBack) {
  // 2,560 bits + 2,560 codes + the id: 2,888 B a row, against 4,616 padded to 4,096.
  check_round_trip(Padding::kCompact, ShardFormat::kHashSq8Compact, 2950);
}

TEST(HashSq8Shard, ShardsSavedWithPowerOfTwoPaddingStillLoad) {
  check_round_trip(Padding::kPowerOfTwo, ShardFormat::kHashSq8, 4650);
}

}  // namespace
}  // namespace tunggal::index::detail
