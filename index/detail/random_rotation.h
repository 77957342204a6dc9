#pragma once
// A data-independent random rotation: zero-pad to the next power of two, then three rounds of
// random signs + orthonormal Walsh-Hadamard (the structured rotation of FALCONN / "fast JL").
// O(d log d) per vector. It preserves inner products, makes every component of a unit vector
// ~N(0, 1/d) whatever the embedding's spectrum (so one fixed 8-bit scale fits all components and
// needs no training), and its signs are SimHash bits: P(bit differs) = angle / pi.
#include <cstdint>
#include <span>
#include <vector>

namespace tunggal::index::detail {

class RandomRotation {
 public:
  RandomRotation(int dim, std::uint64_t seed);
  int dimension() const { return dim_; }
  int padded() const { return padded_; }
  void apply(std::span<const float> x, std::span<float> out) const;  // out: padded() floats
  // The inverse (transpose), keeping the first dimension() components: y is padded() floats.
  void invert(std::span<const float> y, std::span<float> out) const;

 private:
  int dim_, padded_;
  std::vector<float> signs_;  // 3 x padded
};

}  // namespace tunggal::index::detail
