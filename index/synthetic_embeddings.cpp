#include "index/synthetic_embeddings.h"

#include <cmath>
#include <random>

#include <tbb/parallel_for.h>

#include "index/detail/vector_checks.h"

namespace tunggal::index {
namespace {

bool power_of_two(int n) { return n > 0 && (n & (n - 1)) == 0; }

void hadamard(std::span<float> x) {  // orthonormal fast Walsh-Hadamard transform
  const std::size_t n = x.size();
  for (std::size_t h = 1; h < n; h <<= 1) {
    for (std::size_t i = 0; i < n; i += h << 1) {
      for (std::size_t j = i; j < i + h; ++j) {
        const float a = x[j], b = x[j + h];
        x[j] = a + b;
        x[j + h] = a - b;
      }
    }
  }
  const float s = 1.0f / std::sqrt(static_cast<float>(n));
  for (float& v : x) v *= s;
}

void normalise(std::span<float> x) {
  double n2 = 0;
  for (float v : x) n2 += static_cast<double>(v) * v;
  const float inv = static_cast<float>(1.0 / std::sqrt(n2));
  for (float& v : x) v *= inv;
}

// Effective dimension of a spectrum of variances: (sum v)^2 / sum v^2.
double effective_dimension(const std::vector<double>& var) {
  double s = 0, s2 = 0;
  for (double v : var) { s += v; s2 += v * v; }
  return s * s / s2;
}

}  // namespace

SyntheticEmbeddings::SyntheticEmbeddings(const EmbeddingModel& model) : model_(model) {
  const int d = model.dimension;
  // Power law var_j = (j+1)^-a; bisect a so the effective dimension matches.
  auto spectrum_for = [d](double a) {
    std::vector<double> v(d);
    for (int j = 0; j < d; ++j) v[j] = std::pow(j + 1.0, -a);
    return v;
  };
  double lo = 0, hi = 8;
  const double target = std::min<double>(model.effective_dimension, d);
  for (int it = 0; it < 60; ++it) {
    const double mid = (lo + hi) / 2;
    (effective_dimension(spectrum_for(mid)) > target ? lo : hi) = mid;
  }
  const auto var = spectrum_for((lo + hi) / 2);
  spectrum_.resize(d);
  for (int j = 0; j < d; ++j) spectrum_[j] = static_cast<float>(std::sqrt(var[j]));
  std::mt19937_64 rng(model.seed ^ 0x5151);
  signs_.resize(2 * static_cast<std::size_t>(d));
  for (float& s : signs_) s = (rng() & 1) ? 1.0f : -1.0f;
}

void SyntheticEmbeddings::shaped_gaussian(std::uint64_t stream, std::span<float> out) const {
  std::mt19937_64 rng(detail::mix_id(model_.seed * 0x9E3779B97F4A7C15ULL + stream));
  std::normal_distribution<float> g;
  const int d = model_.dimension;
  for (int j = 0; j < d; ++j) out[j] = g(rng) * spectrum_[j];
  if (power_of_two(d)) {
    for (int round = 0; round < 2; ++round) {
      for (int j = 0; j < d; ++j) out[j] *= signs_[round * d + j];
      hadamard(out);
    }
  } else {
    // No fast rotation for this dimension: random signs keep the spectrum (what the cosine
    // distributions depend on) but leave it axis-aligned, which flatters per-axis quantisers.
    for (int j = 0; j < d; ++j) out[j] *= signs_[j];
  }
}

void SyntheticEmbeddings::identity(std::uint64_t id, std::span<float> out) const {
  shaped_gaussian(id * 2, out);
  normalise(out);
}

void SyntheticEmbeddings::probe(std::uint64_t id, std::uint64_t capture, std::span<float> out) const {
  const int d = model_.dimension;
  identity(id, out);
  std::vector<float> e(d);
  shaped_gaussian(detail::mix_id(id * 2 + 1) + capture, e);
  // Noise orthogonal to the identity, so that the genuine cosine is exactly 1 / sqrt(1 + r^2).
  double along = 0;
  for (int j = 0; j < d; ++j) along += static_cast<double>(e[j]) * out[j];
  for (int j = 0; j < d; ++j) e[j] -= static_cast<float>(along) * out[j];
  normalise(e);
  std::mt19937_64 rng(detail::mix_id(id ^ (capture << 40) ^ model_.seed));
  const double c = std::uniform_real_distribution<double>(model_.genuine_cos_min, model_.genuine_cos_max)(rng);
  const float r = static_cast<float>(std::sqrt(1.0 / (c * c) - 1.0));
  for (int j = 0; j < d; ++j) out[j] += r * e[j];
  normalise(out);
}

std::vector<float> SyntheticEmbeddings::identities(std::uint64_t first, std::size_t n) const {
  const std::size_t d = model_.dimension;
  std::vector<float> rows(n * d);
  tbb::parallel_for(std::size_t{0}, n, [&](std::size_t i) { identity(first + i, std::span(rows).subspan(i * d, d)); });
  return rows;
}

}  // namespace tunggal::index
