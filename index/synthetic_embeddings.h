#pragma once
// Generated embeddings with a face-like genuine/impostor structure, for `tunggal eval index`,
// bench/index_bench.cpp and tests (self-contained so the index can be measured without the
// population generator).
//
// Why not uniform random vectors: trained face embeddings are anisotropic. Their impostor cosines
// spread with a standard deviation of roughly 0.06-0.1 (uniform 512-d vectors give 0.044), which
// is what an effective dimension of ~100-250 produces. Identities here are x = R * D * z with
// z ~ N(0, I), a power-law spectrum D tuned to the requested effective dimension, and R a random
// rotation (two rounds of random signs + Walsh-Hadamard when dim is a power of two) so that no
// axis is special. A probe of identity i is normalize(x_i / |x_i| + r * e) with e drawn from the
// same spectrum, made orthogonal to x_i and unit, and r chosen so that the genuine cosine is
// uniform in [cos_min, cos_max].
#include <cstdint>
#include <span>
#include <vector>

namespace tunggal::index {

struct EmbeddingModel {
  int dimension = 512;
  double effective_dimension = 160;  // 1 / E[impostor cosine^2]; 160 -> impostor sd ~0.08
  double genuine_cos_min = 0.5, genuine_cos_max = 0.8;
  std::uint64_t seed = 42;
};

class SyntheticEmbeddings {
 public:
  explicit SyntheticEmbeddings(const EmbeddingModel& model);
  int dimension() const { return model_.dimension; }
  // The enrolled (gallery) vector of identity `id`, unit length; deterministic in (seed, id).
  void identity(std::uint64_t id, std::span<float> out) const;
  // A fresh capture of identity `id` (capture number `capture` >= 1), unit length.
  void probe(std::uint64_t id, std::uint64_t capture, std::span<float> out) const;
  // Rows for ids [first, first + n), row-major, computed in parallel.
  std::vector<float> identities(std::uint64_t first, std::size_t n) const;

 private:
  void shaped_gaussian(std::uint64_t stream, std::span<float> out) const;  // R * D * z, not normalised
  EmbeddingModel model_;
  std::vector<float> spectrum_;  // per-component standard deviation
  std::vector<float> signs_;     // 2 x dim random signs for the rotation
};

}  // namespace tunggal::index
