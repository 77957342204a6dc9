#pragma once
// Counter-based randomness for the synthetic population.
//
// Every random quantity of the population is drawn from a stream whose key is a hash of *where*
// it is used: (seed, identity, capture, finger, purpose). Nothing depends on the order in which
// identities are generated, so identity i can be produced alone, in parallel, or twice, and is
// always the same — the property that lets a 1M gallery be generated on the fly instead of stored.
//
// SplitMix64 (Steele, Lea, Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014)
// is both the key hash (its finaliser) and the stream: one multiply-xorshift per 64 bits, which
// matters because capture() must run at >= 10,000 identities/s.
#include <cmath>
#include <cstdint>

namespace tunggal::datasets::detail {

// 128-bit products for multiply-shift ranges (GCC/Clang; __extension__ silences -Wpedantic).
__extension__ typedef unsigned __int128 u128;

// SplitMix64's finaliser: a bijective avalanche of 64 bits.
inline constexpr std::uint64_t mix64(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Purposes, so that two uses of the same (seed, identity, ...) never share a stream.
enum class Stream : std::uint64_t {
  kTraits = 1, kFingerMaster, kPattern, kImpression, kCaptureTraits, kFaceIdentity, kFaceTwinBase,
  kFaceNoise, kNik, kSite, kProbeSet, kTwin,
};

inline constexpr std::uint64_t key(std::uint64_t seed, Stream s, std::uint64_t a = 0, std::uint64_t b = 0,
                                   std::uint64_t c = 0) {
  std::uint64_t h = mix64(seed ^ 0x6a09e667f3bcc909ULL);
  h = mix64(h ^ (static_cast<std::uint64_t>(s) * 0x9e3779b97f4a7c15ULL));
  h = mix64(h ^ (a + 0x3c6ef372fe94f82bULL));
  h = mix64(h ^ (b + 0xa54ff53a5f1d36f1ULL));
  return mix64(h ^ (c + 0x510e527fade682d1ULL));
}

class Rng {
 public:
  explicit Rng(std::uint64_t k) : s_(k) {}

  std::uint64_t next() {
    s_ += 0x9e3779b97f4a7c15ULL;
    return mix64(s_);
  }
  // [0, 1) with 24 bits: enough for geometry in pixels, and exactly reproducible.
  float uniform() { return static_cast<float>(next() >> 40) * 0x1p-24f; }
  float uniform(float lo, float hi) { return lo + (hi - lo) * uniform(); }
  double uniform_double() { return static_cast<double>(next() >> 11) * 0x1p-53; }
  bool bernoulli(double p) { return uniform_double() < p; }
  // Uniform integer in [0, n), n > 0 (Lemire's multiply-shift; bias < 2^-64·n, irrelevant here).
  std::uint64_t below(std::uint64_t n) {
    return static_cast<std::uint64_t>((static_cast<u128>(next()) * n) >> 64);
  }
  int uniform_int(int lo, int hi) { return lo + static_cast<int>(below(static_cast<std::uint64_t>(hi - lo + 1))); }
  // Approximately standard normal: Irwin-Hall sum of four 16-bit uniforms from one 64-bit draw,
  // rescaled to unit variance (support ±3.46σ). Five times cheaper than Box-Muller; the shapes we
  // feed it (position jitter, 512-d face noise, whose cosines depend only on second moments by the
  // central limit theorem) do not need Gaussian tails.
  float normal() {
    const std::uint64_t r = next();
    const float s = static_cast<float>((r & 0xffff) + ((r >> 16) & 0xffff) + ((r >> 32) & 0xffff) + (r >> 48));
    return (s * (1.0f / 65536.0f) - 2.0f) * 1.7320508f;
  }
  float normal(float mean, float sd) { return mean + sd * normal(); }

 private:
  std::uint64_t s_;
};

}  // namespace tunggal::datasets::detail
