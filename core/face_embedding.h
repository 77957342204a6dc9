#pragma once
#include <span>
#include <vector>

#include "core/status.h"

namespace tunggal {

// A face embedding: a unit-length vector whose inner product with another is their cosine
// similarity. The dimension is fixed per gallery (512 by default). Construct through make(),
// which rejects NaN/Inf/zero vectors and normalises the rest, so every instance is valid.
class FaceEmbedding {
 public:
  static constexpr int kDefaultDimension = 512;

  FaceEmbedding() = default;
  static Expected<FaceEmbedding> make(std::span<const float> values);
  // Rebuilds an embedding from values that make() produced earlier (e.g. read back from the
  // store), bit for bit: re-normalising could move the last bit of each component. Still rejects
  // NaN/Inf, empty and zero vectors, and vectors whose norm is not 1 within 1e-3.
  static Expected<FaceEmbedding> from_unit(std::span<const float> values);

  int dimension() const { return static_cast<int>(v_.size()); }
  const std::vector<float>& values() const { return v_; }
  const float* data() const { return v_.data(); }
  bool empty() const { return v_.empty(); }
  float cosine(const FaceEmbedding& other) const;
  bool operator==(const FaceEmbedding&) const = default;

 private:
  std::vector<float> v_;
};

}  // namespace tunggal
