#pragma once
// Verification error rates from genuine and impostor similarity scores (higher = more similar),
// computed as the Fingerprint Verification Competitions do (Maio, Maltoni, Cappelli, Wayman, Jain,
// "FVC2000: Fingerprint Verification Competition", IEEE TPAMI 24(3), 2002, Sect. 4):
//   FMR(t)  = fraction of impostor scores >= t,   FNMR(t) = fraction of genuine scores < t;
//   EER: with t1 = max{t : FNMR(t) <= FMR(t)} and t2 = min{t : FNMR(t) >= FMR(t)} over the observed
//        scores, the interval [EERlow, EERhigh] is [FNMR(t1), FMR(t1)] if FNMR(t1)+FMR(t1) <=
//        FMR(t2)+FNMR(t2), else [FMR(t2), FNMR(t2)]; EER is its midpoint;
//   FMR100 / FMR1000 / ZeroFMR: the lowest FNMR over thresholds with FMR <= 1%, <= 0.1%, = 0.
#include <span>
#include <vector>

namespace tunggal::datasets {

struct DetPoint {
  double fmr = 0;
  double fnmr = 0;
  double threshold = 0;
};

struct ErrorRates {
  std::size_t genuine = 0;
  std::size_t impostor = 0;
  double eer = 0;
  double eer_low = 0, eer_high = 0;  // the FVC EER interval; eer is its midpoint
  double eer_threshold = 0;          // the threshold of the side that defined the interval
  double fnmr_at_fmr_1e2 = 0;        // FMR100
  double fnmr_at_fmr_1e3 = 0;        // FMR1000
  double fnmr_at_fmr_0 = 0;          // ZeroFMR
  // The DET curve: one point per distinct threshold, FMR decreasing and FNMR increasing.
  std::vector<DetPoint> det;
};

// Lowest FNMR over thresholds where FMR <= max_fmr (1.0 when no threshold reaches it).
double fnmr_at_fmr(std::span<const float> genuine, std::span<const float> impostor, double max_fmr);

// All of the above. Both spans must be non-empty (otherwise every rate is reported as 0 and det
// stays empty). Scores need not be sorted; NaNs count as the lowest possible score.
ErrorRates compute_error_rates(std::span<const float> genuine, std::span<const float> impostor);

}  // namespace tunggal::datasets
