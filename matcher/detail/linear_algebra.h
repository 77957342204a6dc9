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

// A learnt linear map y = matrix (x - mean), matrix p x d row-major.
struct LinearProjection {
  std::vector<float> mean;    // d
  std::vector<float> matrix;  // p x d
};

// Linear discriminant analysis from samples (n x d) and differences of pairs of samples of the same
// class (m x d): the p directions that maximise total variance over within-pair variance, scaled
// so that within-pair noise has unit variance (Sw regularised by 5% of its mean eigenvalue).
// With lda == false: PCA whitening of the samples (the differences are ignored).
LinearProjection discriminant_projection(const std::vector<float>& samples, const std::vector<float>& pair_diffs,
                                         int d, int p, bool lda);

// Lloyd's k-means with k-means++ seeding from `seed`: k centroids (k x d) of the n x d points.
// Deterministic for a given input and seed.
std::vector<float> kmeans(const std::vector<float>& points, int n, int d, int k, int iterations,
                          std::uint64_t seed);

}  // namespace tunggal::matcher::detail
