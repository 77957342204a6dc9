#pragma once
// The little dense linear algebra the finger-code model trains with (matrices of ~100 x 100,
// once per process): symmetric eigendecomposition and deterministic k-means. Row-major storage.
#include <cstdint>
#include <vector>

namespace tunggal::matcher::detail {

// Eigenvalues (descending) and eigenvectors (row i of `vectors` is the i-th, unit length) of a
// symmetric n x n matrix (Householder tridiagonalisation + implicit QL), dependency-free.
struct SymmetricEigen {
  std::vector<double> values;
  std::vector<double> vectors;
};
SymmetricEigen symmetric_eigen(std::vector<double> a, int n);

// Lloyd's k-means with k-means++ seeding from `seed`: k centroids (k x d) of the n x d points.
// Deterministic for a given input and seed.
std::vector<float> kmeans(const std::vector<float>& points, int n, int d, int k, int iterations,
                          std::uint64_t seed);

}  // namespace tunggal::matcher::detail
