#pragma once
// From scored candidates to one of the four answers. Thresholds come from the fusion model's
// calibrated identity score (-log10 impostor tail) and the gallery size, never from hand-set numbers.
#include <cstdint>
#include <limits>
#include <vector>

#include "core/verdict.h"

namespace tunggal {

struct Thresholds {
  float duplicate = 0.0f;  // score >= duplicate: DUPLICATE
  float review = 0.0f;     // review <= score < duplicate: REVIEW
  // A candidate with face_led_score >= this is kept as REVIEW whatever its score (infinite: off).
  float face_led = std::numeric_limits<float>::infinity();
  double target_fpir = 0.0;
  double review_fpir = 0.0;
  std::uint64_t gallery_size = 0;
};

// FPIR ≈ N · 10^-score, so the threshold for a rate r at gallery size N is log10(N / r).
Thresholds thresholds_for(double target_fpir, double review_fpir, std::uint64_t gallery_size);

// Picks the verdict from candidates sorted best first; keeps those at or above the review
// threshold, and face-led ones (Candidate::face_led_score >= t.face_led; at most max_kept).
// DUPLICATE needs the score itself at the duplicate threshold. Does not decide REJECTED: that is
// the probe's business.
Verdict decide(EnrollmentId enrollment, std::vector<Candidate> candidates, const Thresholds& t,
               int max_kept);

}  // namespace tunggal
