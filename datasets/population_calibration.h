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
};

struct CalibrationSamples {
  std::vector<float> finger_genuine, finger_impostor, face_genuine, face_impostor;
};

// The raw scores (what the model is fitted on; also what docs/ plots).
CalibrationSamples calibration_samples(const Population& population, const matcher::FingerMatcher& matcher,
                                       const CalibrationOptions& options);

Expected<FusionModel> calibrate_fusion(const Population& population, const matcher::FingerMatcher& matcher,
                                       const CalibrationOptions& options = {});

}  // namespace tunggal::datasets
