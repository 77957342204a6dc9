#include "index/detail/random_rotation.h"

#include <algorithm>
#include <cmath>
#include <random>

namespace tunggal::index::detail {

namespace {

constexpr int kRounds = 3;

int next_power_of_two(int dim) {
  int p = 64;
  while (p < dim) p *= 2;
  return p;
}

void hadamard(float* x, int n) {  // orthonormal and its own inverse
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

int RandomRotation::padded_length(int dim, Padding padding) {
  const int pow2 = next_power_of_two(dim);
  if (padding == Padding::kPowerOfTwo || dim <= 512) return pow2;
  return std::min(pow2, (dim + 511) / 512 * 512);
}

RandomRotation::RandomRotation(int dim, std::uint64_t seed, Padding padding)
    : dim_(dim), padded_(padded_length(dim, padding)), window_(64) {
  while (window_ * 2 <= padded_) window_ *= 2;
  // The first kRounds x padded signs are drawn as the power-of-two rotation draws them, so that a
  // single-window rotation is that rotation exactly.
  std::mt19937_64 rng(seed ^ 0xA5A5F00DULL);
  signs_.resize((single_window() ? 1 : 2) * kRounds * static_cast<std::size_t>(padded_));
  for (float& s : signs_) s = (rng() & 1) ? 1.0f : -1.0f;
}

void RandomRotation::apply(std::span<const float> x, std::span<float> out) const {
  std::copy_n(x.data(), dim_, out.data());
  std::fill(out.begin() + dim_, out.begin() + padded_, 0.0f);
  const std::size_t p = static_cast<std::size_t>(padded_);
  for (int round = 0; round < kRounds; ++round) {
    const float* s = signs_.data() + round * p;
    for (std::size_t j = 0; j < p; ++j) out[j] *= s[j];
    hadamard(out.data(), window_);
    if (single_window()) continue;
    const float* s2 = signs_.data() + (kRounds + round) * p;
    for (std::size_t j = 0; j < p; ++j) out[j] *= s2[j];
    hadamard(out.data() + (padded_ - window_), window_);
  }
}

void RandomRotation::invert(std::span<const float> y, std::span<float> out) const {
  std::vector<float> t(y.begin(), y.begin() + padded_);
  const std::size_t p = static_cast<std::size_t>(padded_);
  for (int round = kRounds - 1; round >= 0; --round) {
    if (!single_window()) {
      hadamard(t.data() + (padded_ - window_), window_);
      const float* s2 = signs_.data() + (kRounds + round) * p;
      for (std::size_t j = 0; j < p; ++j) t[j] *= s2[j];
    }
    hadamard(t.data(), window_);
    const float* s = signs_.data() + round * p;
    for (std::size_t j = 0; j < p; ++j) t[j] *= s[j];
  }
  std::copy_n(t.data(), dim_, out.data());
}

}  // namespace tunggal::index::detail
