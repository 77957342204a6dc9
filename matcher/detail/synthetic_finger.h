#pragma once
// A small, deterministic generator of plausible minutiae sets, used to train the finger-code model
// (no real data may be used for that: FVC2002 is what the model is evaluated on) and by tests.
// Minutiae lie at least 9 px apart inside an elliptic print area, with directions following a
// smooth, seed-dependent ridge-flow field plus noise, like real ridge flow.
#include <cstdint>

#include "core/finger_template.h"

namespace tunggal::matcher::detail {

// A 500 ppi finger of about n minutiae in a w x h frame.
FingerTemplate synthetic_finger(std::uint64_t seed, int n = 40, int w = 400, int h = 500);

// Another impression of `t`: rotated by `degrees` about the frame centre, translated, each minutia
// jittered (Gaussian, `jitter` px; direction jitter 0.1 rad per 1 px), a fraction `drop` removed
// and `spurious` random minutiae added. Minutiae pushed out of the frame are lost.
FingerTemplate synthetic_impression(const FingerTemplate& t, std::uint64_t seed, float degrees, float tx,
                                    float ty, float jitter = 0.0f, float drop = 0.0f, int spurious = 0);

// Portable uniform [0,1) and standard normal draws from a 64-bit state (SplitMix64), so generated
// data and models are identical on every platform and standard library.
class SplitMix {
 public:
  explicit SplitMix(std::uint64_t seed) : s_(seed) {}
  std::uint64_t next();
  float uniform();  // [0, 1)
  float normal();   // N(0, 1), Box-Muller

 private:
  std::uint64_t s_;
};

}  // namespace tunggal::matcher::detail
