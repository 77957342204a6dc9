#include "core/face_embedding.h"

#include <cmath>
#include <string>

namespace tunggal {

namespace {

// The checks both constructors apply, returning the squared norm of an acceptable vector.
Expected<double> checked_norm2(std::span<const float> values) {
  if (values.empty()) return invalid_argument("face embedding is empty");
  if (values.size() > 4096) {
    return invalid_argument("face embedding has " + std::to_string(values.size()) +
                            " dimensions; at most 4096 are accepted");
  }
  double norm2 = 0.0;
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (!std::isfinite(values[i])) {
      return invalid_argument("face embedding component " + std::to_string(i) + " is NaN or infinite");
    }
    norm2 += static_cast<double>(values[i]) * values[i];
  }
  return norm2;
}

}  // namespace

Expected<FaceEmbedding> FaceEmbedding::make(std::span<const float> values) {
  auto checked = checked_norm2(values);
  if (!checked) return checked.error();
  const double norm2 = *checked;
  if (norm2 < 1e-12) return invalid_argument("face embedding is a zero vector");
  FaceEmbedding e;
  const double inv = 1.0 / std::sqrt(norm2);
  e.v_.resize(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) e.v_[i] = static_cast<float>(values[i] * inv);
  return e;
}

Expected<FaceEmbedding> FaceEmbedding::from_unit(std::span<const float> values) {
  auto checked = checked_norm2(values);
  if (!checked) return checked.error();
  const double norm2 = *checked;
  if (std::abs(norm2 - 1.0) > 1e-3) {
    return invalid_argument("face embedding is not unit length (squared norm " + std::to_string(norm2) + ")");
  }
  FaceEmbedding e;
  e.v_.assign(values.begin(), values.end());
  return e;
}

float FaceEmbedding::cosine(const FaceEmbedding& other) const {
  if (other.v_.size() != v_.size()) return 0.0f;
  double s = 0.0;
  for (std::size_t i = 0; i < v_.size(); ++i) s += static_cast<double>(v_[i]) * other.v_[i];
  return static_cast<float>(s);
}

}  // namespace tunggal
