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
//
// Quality. A worn or badly captured finger scores low against its own earlier print, so a low
// score from it is weak evidence, while the same low score from two clear prints is strong
// evidence of two different fingers. The finger LLR is therefore conditioned on the pair's
// quality (Nandakumar et al. 2008, section 4: the likelihood ratio of the score *and* the
// quality): a finger pair is "poor" when either impression's quality is known and at most
// poor_quality_at_most, and a poor pair is calibrated on poor pairs only. The impostor
// distribution of the summed LLR is then kept per (good fingers, poor fingers, face): an identity
// score means the same whatever mix of qualities was compared.
//
// The face's strength beyond its calibration data comes from an extreme-value tail (face_tail.h),
// reported separately (face_tail_score): it is not added into the LLR sum, because a face cannot
// tell twins apart; the engine uses it only to send a face-led case to REVIEW.
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/finger_position.h"
#include "core/status.h"
#include "matcher/face_tail.h"
#include "matcher/score_calibration.h"

namespace tunggal {

struct FusedScore {
  float llr = 0.0f;    // summed log10 likelihood ratio
  float score = 0.0f;  // -log10 impostor tail probability (the identity score the verdict uses)
  int fingers = 0;     // finger pairs compared
  int poor_fingers = 0;  // of which poor-quality pairs
  bool face = false;   // face compared
  float finger_llr = 0.0f;  // the fingers' share of llr
};

class FusionModel {
 public:
  static constexpr float kMaxScore = 60.0f;
  static constexpr int kDefaultPoorQuality = 40;

  FusionModel() = default;
  // Either calibration may be empty (modality not available); at least one must be fitted.
  // finger_poor (optional): the calibration of poor-quality finger pairs; without it every pair
  // uses `finger` (the model of stored calibrations older than the quality classes).
  // face_tail (optional): the face's extreme-value impostor tail.
  static Expected<FusionModel> build(ScoreCalibration finger, ScoreCalibration face,
                                     ScoreCalibration finger_poor = {}, FaceTail face_tail = {},
                                     int poor_quality_at_most = kDefaultPoorQuality);

  // Whether a finger pair with these impression qualities (0..100, 0 = not reported) is poor.
  bool poor_pair(int quality_a, int quality_b) const;
  // A finger's LLR given its pair's quality class.
  float finger_llr(float score, bool poor) const;

  // finger_scores: raw matcher similarity per slot (position-1), NaN where not compared;
  // face_score: cosine, NaN where not compared; poor_fingers: bit slot set for a poor pair.
  FusedScore fuse(const std::array<float, kFingerCount>& finger_scores, float face_score,
                  std::uint16_t poor_fingers = 0) const;
  FusedScore fuse_llr(float llr_sum, int fingers, bool face, int poor_fingers = 0) const;

  // The face alone on the identity-score scale from the extreme-value tail (0 without one).
  float face_tail_score(float cosine) const { return face_tail_.score(cosine); }

  // P(impostor summed LLR >= llr) for `fingers` finger pairs of which `poor_fingers` poor (+ face),
  // and P(genuine summed LLR < llr) for k good fingers (+ face).
  double impostor_tail(float llr, int fingers, bool face, int poor_fingers = 0) const;
  double genuine_below(float llr, int fingers, bool face) const;
  // The LLR at which the impostor tail for this configuration falls to `fmr`.
  float llr_for_fmr(double fmr, int fingers, bool face) const;

  // Duplicate/review thresholds in score units for a target FPIR at a gallery size.
  static float threshold_for_fpir(double fpir, std::uint64_t gallery_size);

  const ScoreCalibration& finger_calibration() const { return finger_; }
  const ScoreCalibration& poor_finger_calibration() const { return finger_poor_; }
  const ScoreCalibration& face_calibration() const { return face_; }
  const FaceTail& face_tail() const { return face_tail_; }
  bool has_finger_model() const { return !finger_.empty(); }
  bool has_face_model() const { return !face_.empty(); }
  bool has_quality_classes() const { return !finger_poor_.empty(); }
  int poor_quality_at_most() const { return poor_quality_; }

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
  // The impostor distribution with `poor` of the `fingers` pairs poor: built on first use (most
  // mixes never occur) and kept.
  const Pmf& impostor_mixed(int fingers, int poor, bool face) const;

  ScoreCalibration finger_, face_, finger_poor_;
  FaceTail face_tail_;
  int poor_quality_ = kDefaultPoorQuality;
  Pmf poor_impostor_;  // one poor pair's impostor LLR
  std::array<std::array<Pmf, 2>, kFingerCount + 1> impostor_{};
  std::array<std::array<Pmf, 2>, kFingerCount + 1> genuine_{};
  struct MixedCache;
  std::shared_ptr<MixedCache> mixed_;  // shared by copies: its content follows from the calibrations
};

}  // namespace tunggal
