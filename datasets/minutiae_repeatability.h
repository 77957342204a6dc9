#pragma once
// How often a template's minutiae come back in another impression of the same finger: the quantity
// the extractor must raise (issue 9), measured directly instead of through an EER that moves in
// steps of one genuine pair (~0.35 points on FVC2002's 280 pairs a set).
//
// The two impressions of a genuine pair are aligned with a REFERENCE set's templates (FVC2002: the
// SecuGen records): the matcher pairs the reference minutiae, and the rigid motion fitted to those
// pairs (least squares, no scale) maps impression A onto B. The candidate's (our extractor's)
// minutiae of A are then mapped into B; a mapped minutia inside B's overlap (the convex hull of the
// candidate's minutiae of B, shrunk by hull_margin) counts, and it is repeated when the candidate's
// B has a minutia within max_distance and max_angle of it. Both directions of every pair are used.
// Pairs whose reference score is below min_score are skipped (the alignment would be a guess).
// The same alignment serves the reference's own minutiae, so the two rates compare like for like.
#include <array>
#include <cstddef>

#include "core/finger_template.h"
#include "datasets/fvc_set.h"
#include "matcher/finger_matcher.h"

namespace tunggal::datasets {

struct RepeatabilityOptions {
  double min_score = 0.12;    // reference score below which a genuine pair is not aligned
  std::size_t min_pairs = 4;  // matched reference pairs needed for the fit
  double max_distance = 10.0;  // pixels, after alignment
  double max_angle = 0.6;      // radians (~35°), after alignment
  double hull_margin = 10.0;   // pixels inside the other impression's hull
  // Why a minutia did not come back (RepeatabilityStats' classes): a mate within near_distance
  // (and max_angle) is a near miss, i.e. displaced; a minutia of the reference's own record of the
  // same image within support_distance and support_angle "supports" it (the reference saw it too).
  double near_distance = 16.0;
  double support_distance = 8.0;
  double support_angle = 0.52;  // ~30°
};

// Rigid motion of the image plane: p -> R(theta) (p - from) + to.
struct RigidMotion {
  double theta = 0, from_x = 0, from_y = 0, to_x = 0, to_y = 0;
  void apply(double x, double y, double& ox, double& oy) const;
};
// Least-squares rotation and translation taking a[i] to b[i] (Procrustes without scale).
RigidMotion fit_rigid(const std::vector<Minutia>& a, const std::vector<Minutia>& b);

struct RepeatabilityStats {
  std::size_t aligned_pairs = 0;  // genuine pairs (each direction counted once) aligned
  std::size_t skipped_pairs = 0;  // ... too weak a reference match to align
  std::size_t counted = 0;        // minutiae inside the other impression's overlap
  std::size_t repeated = 0;       // ... with a mate there
  // The counted minutiae without a mate, each in one class (they add up to counted - repeated):
  std::size_t near_miss = 0;    // a mate within near_distance: displaced (distortion, jitter)
  std::size_t wrong_angle = 0;  // a minutia within max_distance, none with the angle
  std::size_t missing = 0;      // nothing near; supported by the reference in its own image (or no
                                // reference given): lost in the other impression
  std::size_t unsupported = 0;  // nothing near, and the reference saw nothing there either: likely
                                // false in its own image
  // By ISO minutia quality, in tens (0-9, 10-19, ..., 90-100).
  std::array<std::size_t, 10> counted_by_quality{}, repeated_by_quality{};
  double rate() const { return counted ? double(repeated) / double(counted) : 0; }
  void add(const RepeatabilityStats& o);
};

// Counts `a`'s minutiae mapped by `motion` into `b`'s frame against `b` (one direction of a pair).
// `support`: the reference's record of a's image, for the unsupported class (none: every minutia
// without a mate nearby is `missing`).
void count_repeated(const FingerTemplate& a, const FingerTemplate& b, const RigidMotion& motion,
                    const RepeatabilityOptions& o, RepeatabilityStats& s, const FingerTemplate* support = nullptr);

struct SetRepeatability {
  RepeatabilityStats candidate;  // e.g. our extractor's templates
  RepeatabilityStats reference;  // the reference's own, on the same alignments
};

// Every genuine pair of `reference` (FVC protocol: every two impressions of a finger), both
// directions. `candidate` holds the same impressions in the same order (as from extract_fvc_set).
Expected<SetRepeatability> minutiae_repeatability(const FvcSet& reference, const FvcSet& candidate,
                                                  const matcher::FingerMatcher& m, const RepeatabilityOptions& o = {});

}  // namespace tunggal::datasets
