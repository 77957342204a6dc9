#pragma once
// The adjudicator's picture: both minutiae sets side by side, the minutiae pairs the matcher found
// joined by lines, and the score in the title, as a self-contained SVG document (plain text).
// In the spirit of SourceAFIS's transparency: a person deciding a DUPLICATE/REVIEW case sees what
// the score rests on. Optionally each side shows its fingerprint image underneath (PNG, embedded).
#include <cstdint>
#include <string>
#include <vector>

#include "core/finger_template.h"
#include "matcher/finger_matcher.h"

namespace tunggal::matcher {

struct PictureSide {
  const FingerTemplate* finger = nullptr;  // minutiae in its own frame (width x height)
  std::string label;                       // e.g. the file name
  std::vector<std::uint8_t> png;           // optional image drawn under the minutiae, same frame
};

// Minutiae are drawn as a dot with a direction tick: ridge endings as circles, bifurcations as
// squares, other types as diamonds. Paired minutiae are ringed and joined by a line whose opacity
// follows the pair's relaxed similarity.
std::string match_picture_svg(const PictureSide& a, const PictureSide& b, const MatchResult& result);

}  // namespace tunggal::matcher
