// FingerMatcher: input cleaning + the MCC stages (see finger_matcher.h for the paper).
#include "matcher/finger_matcher.h"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <string>

#include "matcher/detail/angles.h"
#include "matcher/detail/cylinder_builder.h"
#include "matcher/detail/local_similarity.h"
#include "matcher/detail/lss_r.h"

namespace tunggal::matcher {
namespace {

// 197 px/cm is ISO/IEC 19794-2's encoding of 500 ppi; MCC's parameters are tuned for 500 ppi.
constexpr float kReferencePpcm = 197.0f;
// ISO/IEC 19794-2 and ANSI/INCITS 378 hold at most 255 minutiae per view; more means garbage in,
// and MCC's cost grows with n².
constexpr std::size_t kMaxMinutiae = 255;

}  // namespace

std::size_t PreparedTemplate::memory_bytes() const {
  std::size_t b = sizeof(PreparedTemplate);
  b += minutiae_.capacity() * sizeof(PreparedMinutia);
  b += cyl_bits_.capacity() * sizeof(std::uint64_t) + cyl_mask_.capacity() * sizeof(std::uint64_t);
  b += cyl_minutia_.capacity() * sizeof(std::uint16_t);
  for (const auto& n : notes_) b += sizeof(n) + n.capacity();
  return b;
}

FingerMatcher::FingerMatcher(MatcherOptions options) : opt_(options) {}

Expected<PreparedTemplate> FingerMatcher::prepare(const FingerTemplate& t) const {
  if (t.width == 0 || t.height == 0)
    return invalid_argument("finger template declares a " + std::to_string(t.width) + "x" +
                            std::to_string(t.height) + " image; the frame size is needed to check minutiae");
  if (t.resolution_x == 0 || t.resolution_y == 0)
    return invalid_argument("finger template declares a zero resolution (" + std::to_string(t.resolution_x) +
                            "x" + std::to_string(t.resolution_y) + " px/cm)");
  if (t.minutiae.size() > kMaxMinutiae)
    return invalid_argument("finger template has " + std::to_string(t.minutiae.size()) +
                            " minutiae; at most 255 are allowed (ISO/IEC 19794-2)");
  const float sx = kReferencePpcm / t.resolution_x, sy = kReferencePpcm / t.resolution_y;
  PreparedTemplate p;
  p.minutiae_.reserve(t.minutiae.size());
  int duplicates = 0;
  std::string dup_list;
  for (std::size_t i = 0; i < t.minutiae.size(); ++i) {
    const Minutia& m = t.minutiae[i];
    if (!std::isfinite(m.angle) || m.angle < 0.0f || m.angle >= detail::kTwoPi)
      return invalid_argument("minutia " + std::to_string(i) + " has angle " + std::to_string(m.angle) +
                              " rad, outside [0, 2π)");
    if (m.x >= t.width || m.y >= t.height)
      return invalid_argument("minutia " + std::to_string(i) + " at (" + std::to_string(m.x) + ", " +
                              std::to_string(m.y) + ") lies outside the " + std::to_string(t.width) + "x" +
                              std::to_string(t.height) + " frame");
    PreparedMinutia pm;
    pm.x = m.x * sx;
    pm.y = m.y * sy;
    // ISO angles run counter-clockwise with y up; in pixel axes (y down) the direction vector is
    // (cos θ, -sin θ), i.e. angle 2π - θ. Rigid motions of the image then add to this angle.
    pm.angle = m.angle == 0.0f ? 0.0f : detail::kTwoPi - m.angle;
    if (pm.angle >= detail::kTwoPi) pm.angle = 0.0f;
    pm.source_index = static_cast<std::uint16_t>(i);
    // The same minutia reported twice (or an extractor's double detection) would count twice in
    // every neighbour's cylinder: keep the first.
    const bool dup = std::any_of(p.minutiae_.begin(), p.minutiae_.end(), [&](const PreparedMinutia& q) {
      const float dx = q.x - pm.x, dy = q.y - pm.y;
      return dx * dx + dy * dy <= opt_.duplicate_distance * opt_.duplicate_distance &&
             std::fabs(detail::dphi(q.angle, pm.angle)) <= opt_.duplicate_angle;
    });
    if (dup) {
      ++duplicates;
      if (duplicates <= 8) dup_list += (dup_list.empty() ? "" : ", ") + std::to_string(i);
      continue;
    }
    p.minutiae_.push_back(pm);
  }
  if (duplicates > 0)
    p.notes_.push_back("dropped " + std::to_string(duplicates) + " duplicated minutia(e): index " + dup_list +
                       (duplicates > 8 ? ", ..." : ""));
  if (static_cast<int>(p.minutiae_.size()) < opt_.min_minutiae)
    return invalid_argument("finger template has " + std::to_string(p.minutiae_.size()) +
                            " distinct minutiae; at least " + std::to_string(opt_.min_minutiae) +
                            " are needed to match");
  CylinderBuilder(opt_).build(p);
  if (p.cylinder_count() == 0)
    return invalid_argument("none of the " + std::to_string(p.minutiae_.size()) +
                            " minutiae has enough neighbours for a valid cylinder (MCC needs " +
                            std::to_string(opt_.min_neighbours) + " within " +
                            std::to_string(static_cast<int>(opt_.radius)) + " px)");
  p.cyl_bits_.shrink_to_fit();
  p.cyl_mask_.shrink_to_fit();
  p.cyl_minutia_.shrink_to_fit();
  return p;
}

float FingerMatcher::score(const PreparedTemplate& a, const PreparedTemplate& b) const {
  thread_local std::vector<float> gamma;
  detail::local_similarity_matrix(a, b, opt_, gamma);
  return detail::lss_r(a, b, gamma, opt_, nullptr);
}

MatchResult FingerMatcher::match(const PreparedTemplate& a, const PreparedTemplate& b) const {
  thread_local std::vector<float> gamma;
  std::vector<detail::CylinderPair> cp;
  detail::local_similarity_matrix(a, b, opt_, gamma);
  MatchResult r;
  r.score = detail::lss_r(a, b, gamma, opt_, &cp);
  r.pairs.reserve(cp.size());
  for (const auto& p : cp)
    r.pairs.push_back({a.minutiae()[a.cylinder_minutia(p.a)].source_index,
                       b.minutiae()[b.cylinder_minutia(p.b)].source_index, p.lambda});
  return r;
}

void FingerMatcher::score_many(const PreparedTemplate& probe, std::span<const PreparedTemplate* const> gallery,
                               std::span<float> out) const {
  const std::size_t n = std::min(gallery.size(), out.size());
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, n, 64), [&](const tbb::blocked_range<std::size_t>& r) {
    for (std::size_t i = r.begin(); i != r.end(); ++i) out[i] = gallery[i] ? score(probe, *gallery[i]) : 0.0f;
  });
}

}  // namespace tunggal::matcher
