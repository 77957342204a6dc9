#pragma once
// A probe: one enrollment made ready for 1:N search. Every finger is cleaned and turned into MCC
// cylinders once (matcher::FingerMatcher::prepare) and into a finger code, and
// the enrollment is judged usable or REJECTED with a reason the station can act on.
#include <array>
#include <optional>
#include <string>
#include <vector>

#include "core/enrollment.h"
#include "core/finger_position.h"
#include "engine/engine_options.h"
#include "matcher/finger_matcher.h"

namespace tunggal {

struct Probe {
  Enrollment enrollment;
  // Per slot (position-1): the prepared finger, absent when not captured or unusable.
  std::array<std::optional<matcher::PreparedTemplate>, kFingerCount> fingers;
  // Per slot: the finger code for positions that have a finger-code index (empty otherwise).
  std::array<std::vector<float>, kFingerCount> codes;
  // Per slot: the impression quality the station reported (0 = not reported or not captured);
  // with the enrolled print's, it picks the finger's calibration class (FusionModel::poor_pair).
  std::array<std::uint8_t, kFingerCount> quality{};
  std::vector<std::string> finger_notes;  // why a captured finger was not usable
  int usable_fingers = 0;
  bool has_face() const { return enrollment.face.has_value(); }
  // Non-empty: the probe is REJECTED and this is the reason.
  std::string reject_reason;
  // Reprocessing a gallery member: its own subject. The cascade ranks it like any candidate (so
  // the others reaching full matching are exactly those of a plain search) but does not score
  // it: a self-match compares all ten fingers (no early exit for a mate) and tells nothing.
  SubjectId self;
};

// Positions that carry a finger-code index (the cascade's finger candidate sources).
inline constexpr std::array<FingerPosition, 4> kIndexedFingers = kPrimaryFingers;

// The mean reported impression quality of the probe's indexed fingers that are usable (0 when
// none reports one): what the capture says of itself, which sets how deep the cascade searches.
float indexed_finger_quality(const Probe& probe);

// Prepares every finger (in parallel) and decides rejection: fewer than
// options.min_usable_fingers usable fingers without a usable face, or fewer than
// options.min_fingers_with_face with one, or a face of the wrong dimension.
Probe make_probe(Enrollment enrollment, const matcher::FingerMatcher& matcher,
                 const EngineOptions& options);

}  // namespace tunggal
