#pragma once
// Our extractor's minutiae against a reference extractor's on the same images (FVC2002: the
// SecuGen records shipped with the TIFFs), for diagnosis: which minutiae we miss, which we invent,
// and whether the paired ones sit where the reference puts them (position offset, angle error, a
// 180° flip, type swaps). A per-set EER cannot show any of this; a pairing report shows it at once.
//
// Pairing is one-to-one and greedy by distance: every (reference, ours) pair within max_distance
// is a candidate, shortest first; a pair counts as "paired" when its angles also agree within
// max_angle. "Near" pairs ignore the angle, to tell direction errors from missing minutiae.
#include <cstddef>
#include <vector>

#include "core/finger_template.h"

namespace tunggal::datasets {

struct PairingOptions {
  double max_distance = 8.0;     // pixels
  double max_angle = 0.5236;     // radians (30°)
};

struct PairingStats {
  std::size_t images = 0;
  std::size_t reference = 0;      // reference minutiae
  std::size_t ours = 0;           // our minutiae
  std::size_t near = 0;           // one-to-one pairs within max_distance, any angle
  std::size_t paired = 0;         // ... of which the angles agree within max_angle
  std::size_t flipped = 0;        // ... of which the angles differ by 180° ± max_angle
  std::size_t same_type = 0;      // paired with the same type (ending/bifurcation)
  double sum_dx = 0, sum_dy = 0;  // ours - reference over the paired, pixels
  double sum_distance = 0;        // over the paired
  double sum_angle = 0;           // signed ours - reference over the paired, radians (systematic turn)
  double sum_abs_angle = 0;
  // Where the unpaired are: inside the other side's convex hull shrunk by max_distance (then it is
  // an error of the extraction, not of the area covered) or near/outside its edge.
  std::size_t ours_unpaired_inside = 0, ours_unpaired_edge = 0;
  std::size_t reference_unpaired_inside = 0, reference_unpaired_edge = 0;

  double recall() const { return reference ? double(paired) / double(reference) : 0; }
  double precision() const { return ours ? double(paired) / double(ours) : 0; }
  void add(const PairingStats& o);
};

// Pairs `ours` against `reference` (same image, same pixel frame).
PairingStats pair_minutiae(const FingerTemplate& reference, const FingerTemplate& ours, const PairingOptions& o = {});

}  // namespace tunggal::datasets
