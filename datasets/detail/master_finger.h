#pragma once
// A finger's master minutiae: the ground truth every impression of that finger is drawn from.
//
// The print is an ellipse of a fingertip's size (1.5-1.9 cm wide at 500 ppi, 1.25-1.45 times as
// tall), larger than what a plain impression touches, so that different captures see different
// parts of it. Minutiae are a hard-core Poisson process (no two closer than 6 px, which a minutiae
// extractor would merge) with a per-finger density: on FVC2002 the nearest-neighbour distance of
// extracted minutiae follows the Poisson law closely (median ≈ 22 px at 500 ppi, see
// docs/population.md), so no stronger regularity is imposed. Directions follow the ridge flow
// (orientation_field.h), with either sense; 60% ridge endings, 40% bifurcations, as FVC2002's
// extractor reports (63/37).
//
// Held in a fixed-size array: capture() rebuilds all ten masters every time and must not allocate.
#include <array>
#include <cstdint>

#include "core/minutia.h"
#include "datasets/detail/orientation_field.h"
#include "datasets/detail/random.h"

namespace tunggal::datasets::detail {

struct MasterMinutia {
  float x = 0, y = 0;  // finger coordinates, px at 500 ppi, y down
  bool reversed = false;  // direction = ridge orientation + π
  MinutiaType type = MinutiaType::kRidgeEnding;
};

struct MasterFinger {
  static constexpr int kMaxMinutiae = 128;
  OrientationField field;
  float half_width = 0, half_height = 0;
  int count = 0;
  std::array<MasterMinutia, kMaxMinutiae> minutiae;

  // Direction of minutia i in the image frame, radians [0, 2π). Computed on demand: an impression
  // needs it only for the minutiae it keeps (about half), and the field is the costly part.
  float angle(int i) const;
};

// Builds the master of one finger. `pattern_rng` draws the pattern class (shared by twins),
// `rng` everything else.
void make_master_finger(Rng& pattern_rng, Rng& rng, bool right_hand, MasterFinger& out);

}  // namespace tunggal::datasets::detail
