#pragma once
// Calibrates the engine's fusion model (matcher/fusion_model.h) on a labelled development
// population: genuine finger pairs are two captures of the same finger, impostor pairs the same
// position of two different people; genuine faces two captures of one person, impostor faces two
// people. A real deployment calibrates on its own labelled data the same way; evaluations must
// use a population with a different seed from the one they measure on.
#include <cstdint>

#include "core/status.h"
#include "datasets/population.h"
#include "matcher/finger_matcher.h"
#include "matcher/fusion_model.h"

namespace tunggal::datasets {

struct CalibrationOptions {
  std::uint64_t identities = 300;    // genuine pairs: about identities x 10 fingers
  int impostor_partners = 8;         // impostor pairs per identity and finger position
  bool fingers = true;
  bool face = true;
  // Poor-quality finger pairs (FusionModel::poor_pair) are rare in a natural population (a few
  // percent), too few to calibrate them alone: this many more identities, all with worn fingers
  // (PopulationConfig::damaged_rate = 1, another seed), add poor pairs only: their genuine pairs
  // and their probes against the natural population's prints. A stratified sample: the poor
  // class is calibrated conditionally, so its share in the sample does not bias it. 0 = none.
  std::uint64_t worn_identities = 150;
  int poor_quality_at_most = FusionModel::kDefaultPoorQuality;
  // The face's extreme-value tail is fitted above this upper fraction of impostor cosines.
  double face_tail_fraction = 0.01;
};

struct CalibrationSamples {
  // Finger pairs are split by quality class: good (both impressions above the poor bound or of
  // unknown quality) and poor.
  std::vector<float> finger_genuine, finger_impostor, face_genuine, face_impostor;
  std::vector<float> finger_genuine_poor, finger_impostor_poor;
  // The face impostors without look-alike twin pairs: what the face's extreme-value tail is fitted
  // on. Its question is how close an *unrelated* face can come; a twin is as close as the person
  // (one twin pair among 24,000 impostor cosines made the whole fitted tail heavy, shape 0.6), and
  // telling twins apart is the fingers' job (EngineOptions::face_led_min_finger_llr). A deployment's
  // development set must likewise leave its known twins and relatives out of this fit.
  std::vector<float> face_impostor_unrelated;
};

// The raw scores (what the model is fitted on; also what docs/ plots).
CalibrationSamples calibration_samples(const Population& population, const matcher::FingerMatcher& matcher,
                                       const CalibrationOptions& options);

Expected<FusionModel> calibrate_fusion(const Population& population, const matcher::FingerMatcher& matcher,
                                       const CalibrationOptions& options = {});

}  // namespace tunggal::datasets
