#pragma once
// Turns one modality's raw similarity score into a calibrated log10 likelihood ratio
// log10 p(s | same source) / p(s | different sources).
//
// Method: pool-adjacent-violators (PAV) isotonic regression of the genuine posterior over the
// sorted scores, then division by the prior odds (Zadrozny & Elkan 2002; Brümmer & du Preez 2006,
// "Application-independent evaluation of speaker detection"). One pseudo-sample of each class is
// added at both ends so that no score maps to an infinite LLR: evidence is bounded by the amount
// of data that supports it.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"

namespace tunggal {

class ScoreCalibration {
 public:
  ScoreCalibration() = default;
  static Expected<ScoreCalibration> fit(std::span<const float> genuine, std::span<const float> impostor);

  // Monotone non-decreasing in score; linear between the PAV blocks' centres.
  float llr(float score) const;
  float min_llr() const { return llrs_.empty() ? 0.0f : llrs_.front(); }
  float max_llr() const { return llrs_.empty() ? 0.0f : llrs_.back(); }
  bool empty() const { return knots_.empty(); }

  // The samples the calibration was fitted on, mapped to LLR; used to build the fused impostor and
  // genuine distributions.
  const std::vector<float>& impostor_llrs() const { return impostor_llrs_; }
  const std::vector<float>& genuine_llrs() const { return genuine_llrs_; }

  void serialize(std::string& out) const;
  static Expected<ScoreCalibration> deserialize(std::string_view& in);

 private:
  std::vector<float> knots_;  // block centre scores, increasing
  std::vector<float> llrs_;   // LLR at each knot, non-decreasing
  std::vector<float> impostor_llrs_;
  std::vector<float> genuine_llrs_;
};

}  // namespace tunggal
