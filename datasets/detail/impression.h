#pragma once
// One impression of a master finger, as a minutiae extractor at a recording station would report
// it: the finger placed anywhere in the sensor frame at any angle, only part of it in contact,
// the skin stretched, some true minutiae lost and some false ones found, every position and
// direction slightly off, and an impression quality.
//
// Stages (each a few lines in impression.cpp, in this order):
//   1. contact region   an ellipse smaller than the print, off its centre (partial contact); one
//                       impression in ten is a tip or side touch with a third to half the area;
//   2. plastic distortion (plastic_distortion.h) around the contact centre;
//   3. missing minutiae  8-20% lost at random, +35% in the contact's outer ring (r² > 0.7 of the
//                        ellipse), where ridges fade: ~25% of the touched minutiae overall;
//   4. spurious minutiae 5-15% of the true count, along the ridge flow (broken ridges, pores);
//   5. jitter            position σ 1-2.1 px, direction σ 4-7°, 10% ending/bifurcation swaps;
//   6. placement         rotation N(0, 12°) clipped at ±30°, translation ~N(0, 6% of the frame),
//                        then cropped to the sensor frame.
// Damaged (worn, scarred) fingers and very low quality captures lose and invent more minutiae,
// jitter more and get a lower quality value.
#include "core/finger_template.h"
#include "datasets/detail/master_finger.h"
#include "datasets/detail/random.h"

namespace tunggal::datasets::detail {

struct ImpressionConditions {
  int frame_width = 416;   // a 500 ppi optical single-finger sensor frame (0.83" x 1.12")
  int frame_height = 560;
  bool low_quality = false;
  bool damaged = false;
};

// Fills `out` (position, frame, 500 ppi, quality, minutiae in ISO/IEC 19794-2 convention).
// Reuses out.minutiae's capacity.
void make_impression(const MasterFinger& master, const ImpressionConditions& conditions, Rng& rng,
                     FingerTemplate& out);

}  // namespace tunggal::datasets::detail
