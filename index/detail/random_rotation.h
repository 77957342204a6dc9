#pragma once
// A data-independent random rotation: zero-pad, then three rounds of random signs + orthonormal
// Walsh-Hadamard (the structured rotation of FALCONN / "fast JL"). O(d log d) per vector. It
// preserves inner products, makes every component of a unit vector ~N(0, 1/d) whatever the
// embedding's spectrum (so one fixed 8-bit scale fits all components and needs no training), and
// its signs are SimHash bits: P(bit differs) = angle / pi.
//
// Padding. A Hadamard transform needs a power of two, and padding to the next one cost the
// engine's fused finger-code index (10 x 256 = 2,560 floats) 4,096 stored components per
// identity. Padding::kCompact pads a dimension above 512 only to the next multiple of 512; when
// that is not a power of two, each round transforms two overlapping power-of-two windows, the
// first W and the last W components (W the largest power of two not above the padded length),
// each after its own random signs. Every step is orthonormal, so the whole is a rotation, and
// after the first round every output depends on every input. Dimensions whose compact padding
// is a power of two (512, 1,024, 2,048, ...) get exactly the power-of-two rotation, bit for bit,
// so their stored codes are unchanged.
#include <cstdint>
#include <span>
#include <vector>

namespace tunggal::index::detail {

enum class Padding {
  kPowerOfTwo,  // the next power of two (at least 64): what shards saved before compact padding use
  kCompact,     // above 512: the next multiple of 512 (two windows per round when not a power of two)
};

class RandomRotation {
 public:
  RandomRotation(int dim, std::uint64_t seed, Padding padding = Padding::kCompact);
  int dimension() const { return dim_; }
  int padded() const { return padded_; }
  // Whether padded() is a power of two (one window per round, the original rotation).
  bool single_window() const { return window_ == padded_; }
  void apply(std::span<const float> x, std::span<float> out) const;  // out: padded() floats
  // The inverse (transpose), keeping the first dimension() components: y is padded() floats.
  void invert(std::span<const float> y, std::span<float> out) const;

  std::size_t memory_bytes() const { return signs_.size() * sizeof(float); }
  // The padded length for `dim` under `padding`.
  static int padded_length(int dim, Padding padding);

 private:
  int dim_, padded_, window_;
  // Per round: signs before the first window's transform, then (two windows only) signs before
  // the second's; padded() each.
  std::vector<float> signs_;
};

}  // namespace tunggal::index::detail
