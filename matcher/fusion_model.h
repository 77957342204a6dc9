#pragma once
// Multi-finger + face score fusion with a calibrated false-match model.
//
// Each modality's raw score becomes a log10 likelihood ratio (ScoreCalibration); the identity's
// evidence is the sum of the LLRs of the fingers compared and the face (independence of
// impostor scores across fingers and face is the standard assumption of LLR sum fusion: Nandakumar,
// Chen, Dass & Jain, "Likelihood ratio-based biometric score fusion", IEEE TPAMI 2008).
//
// The engine needs more than an LLR: a threshold that meets a target false-positive
// identification rate (FPIR) at the current gallery size. So the model also keeps the impostor
// distribution of the summed LLR for every combination (k fingers compared, face or not), obtained
// by numerically convolving the per-modality impostor LLR distributions, and reports an
// identity score that means the same thing whatever was compared:
//
//     score = -log10 P(an impostor, compared on the same modalities, sums to >= this LLR)
//
// With N enrolled subjects, FPIR ≈ N · 10^-score (union bound), so a duplicate threshold for a
// target FPIR is simply log10(N / FPIR).
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/finger_position.h"
#include "core/status.h"
#include "matcher/score_calibration.h"

namespace tunggal {

struct FusedScore {
  float llr = 0.0f;    // summed log10 likelihood ratio
  float score = 0.0f;  // -log10 impostor tail probability (the identity score the verdict uses)
  int fingers = 0;     // finger pairs compared
  bool face = false;   // face compared
};

class FusionModel {
 public:
  static constexpr float kMaxScore = 60.0f;

  FusionModel() = default;
  // Either calibration may be empty (modality not available); at least one must be fitted.
  static Expected<FusionModel> build(ScoreCalibration finger, ScoreCalibration face);

  // finger_scores: raw matcher similarity per slot (position-1), NaN where not compared;
  // face_score: cosine, NaN where not compared.
  FusedScore fuse(const std::array<float, kFingerCount>& finger_scores, float face_score) const;
  FusedScore fuse_llr(float llr_sum, int fingers, bool face) const;

  // P(impostor summed LLR >= llr) and P(genuine summed LLR < llr) for k fingers (+ face).
  double impostor_tail(float llr, int fingers, bool face) const;
  double genuine_below(float llr, int fingers, bool face) const;
  // The LLR at which the impostor tail for this configuration falls to `fmr`.
  float llr_for_fmr(double fmr, int fingers, bool face) const;

  // Duplicate/review thresholds in score units for a target FPIR at a gallery size.
  static float threshold_for_fpir(double fpir, std::uint64_t gallery_size);

  const ScoreCalibration& finger_calibration() const { return finger_; }
  const ScoreCalibration& face_calibration() const { return face_; }
  bool has_finger_model() const { return !finger_.empty(); }
  bool has_face_model() const { return !face_.empty(); }

  std::string serialize() const;
  static Expected<FusionModel> deserialize(std::string_view bytes);

 private:
  // A distribution of summed LLR on a grid of step kStep starting at `base`.
  struct Pmf {
    double base = 0.0;
    std::vector<double> p;      // probability per bin
    std::vector<double> upper;  // upper[i] = P(X >= bin i)
    std::vector<double> lower;  // lower[i] = P(X < bin i)
  };
  static constexpr double kStep = 0.02;
  static Pmf histogram(const std::vector<float>& llrs, std::optional<float> floor_at);
  static Pmf convolve(const Pmf& a, const Pmf& b);
  static void finish(Pmf& pmf);
  static double tail_above(const Pmf& pmf, double x);
  static double mass_below(const Pmf& pmf, double x);
  const Pmf& impostor(int fingers, bool face) const { return impostor_[fingers][face ? 1 : 0]; }
  const Pmf& genuine(int fingers, bool face) const { return genuine_[fingers][face ? 1 : 0]; }

  ScoreCalibration finger_, face_;
  std::array<std::array<Pmf, 2>, kFingerCount + 1> impostor_{};
  std::array<std::array<Pmf, 2>, kFingerCount + 1> genuine_{};
};

}  // namespace tunggal
