#include "index/detail/random_rotation.h"

#include <algorithm>
#include <cmath>
#include <random>

namespace tunggal::index::detail {

RandomRotation::RandomRotation(int dim, std::uint64_t seed) : dim_(dim), padded_(64) {
  while (padded_ < dim) padded_ *= 2;
  std::mt19937_64 rng(seed ^ 0xA5A5F00DULL);
  signs_.resize(3 * static_cast<std::size_t>(padded_));
  for (float& s : signs_) s = (rng() & 1) ? 1.0f : -1.0f;
}

namespace {

void hadamard(std::span<float> x, int n) {  // orthonormal and its own inverse
  for (int h = 1; h < n; h <<= 1) {
    for (int i = 0; i < n; i += h << 1) {
      for (int j = i; j < i + h; ++j) {
        const float a = x[j], b = x[j + h];
        x[j] = a + b;
        x[j + h] = a - b;
      }
    }
  }
  const float norm = 1.0f / std::sqrt(static_cast<float>(n));
  for (int j = 0; j < n; ++j) x[j] *= norm;
}

}  // namespace

void RandomRotation::apply(std::span<const float> x, std::span<float> out) const {
  std::copy_n(x.data(), dim_, out.data());
  std::fill(out.begin() + dim_, out.begin() + padded_, 0.0f);
  for (int round = 0; round < 3; ++round) {
    const float* s = signs_.data() + round * padded_;
    for (int j = 0; j < padded_; ++j) out[j] *= s[j];
    hadamard(out, padded_);
  }
}

void RandomRotation::invert(std::span<const float> y, std::span<float> out) const {
  std::vector<float> t(y.begin(), y.begin() + padded_);
  for (int round = 2; round >= 0; --round) {
    hadamard(t, padded_);
    const float* s = signs_.data() + round * padded_;
    for (int j = 0; j < padded_; ++j) t[j] *= s[j];
  }
  std::copy_n(t.data(), dim_, out.data());
}

}  // namespace tunggal::index::detail
