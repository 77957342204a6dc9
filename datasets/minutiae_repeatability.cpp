#include "datasets/minutiae_repeatability.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <optional>

#include "datasets/fvc_protocol.h"

namespace tunggal::datasets {
namespace {

struct Pt {
  double x, y;
};

// Convex hull, counter-clockwise in a y-up sense (Andrew's monotone chain).
std::vector<Pt> hull_of(const std::vector<Minutia>& ms) {
  std::vector<Pt> p;
  for (const auto& m : ms) p.push_back({double(m.x), double(m.y)});
  std::sort(p.begin(), p.end(), [](const Pt& a, const Pt& b) { return a.x < b.x || (a.x == b.x && a.y < b.y); });
  p.erase(std::unique(p.begin(), p.end(), [](const Pt& a, const Pt& b) { return a.x == b.x && a.y == b.y; }), p.end());
  if (p.size() < 3) return {};
  const auto cross = [](const Pt& o, const Pt& a, const Pt& b) { return (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x); };
  std::vector<Pt> h(2 * p.size());
  std::size_t k = 0;
  for (std::size_t i = 0; i < p.size(); ++i) {
    while (k >= 2 && cross(h[k - 2], h[k - 1], p[i]) <= 0) --k;
    h[k++] = p[i];
  }
  for (std::size_t i = p.size() - 1, t = k + 1; i > 0; --i) {
    while (k >= t && cross(h[k - 2], h[k - 1], p[i - 1]) <= 0) --k;
    h[k++] = p[i - 1];
  }
  h.resize(k - 1);
  return h;
}

// Signed distance from the hull's edges, positive inside (the smallest over the edges).
double depth_inside(const std::vector<Pt>& h, double x, double y) {
  double d = 1e300;
  for (std::size_t i = 0; i < h.size(); ++i) {
    const Pt& a = h[i];
    const Pt& b = h[(i + 1) % h.size()];
    const double ex = b.x - a.x, ey = b.y - a.y, len = std::hypot(ex, ey);
    if (len <= 0) continue;
    d = std::min(d, (ex * (y - a.y) - ey * (x - a.x)) / len);
  }
  return d;
}

double angle_between(double a, double b) { return std::fabs(std::remainder(a - b, 2 * std::numbers::pi)); }

}  // namespace

void RigidMotion::apply(double x, double y, double& ox, double& oy) const {
  const double c = std::cos(theta), s = std::sin(theta), u = x - from_x, v = y - from_y;
  ox = to_x + c * u - s * v;
  oy = to_y + s * u + c * v;
}

RigidMotion fit_rigid(const std::vector<Minutia>& a, const std::vector<Minutia>& b) {
  RigidMotion r;
  const std::size_t n = std::min(a.size(), b.size());
  if (n == 0) return r;
  for (std::size_t i = 0; i < n; ++i) r.from_x += a[i].x, r.from_y += a[i].y, r.to_x += b[i].x, r.to_y += b[i].y;
  r.from_x /= double(n), r.from_y /= double(n), r.to_x /= double(n), r.to_y /= double(n);
  double sc = 0, ss = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double ux = a[i].x - r.from_x, uy = a[i].y - r.from_y, vx = b[i].x - r.to_x, vy = b[i].y - r.to_y;
    sc += ux * vx + uy * vy;
    ss += ux * vy - uy * vx;
  }
  r.theta = std::atan2(ss, sc);
  return r;
}

void RepeatabilityStats::add(const RepeatabilityStats& o) {
  aligned_pairs += o.aligned_pairs;
  skipped_pairs += o.skipped_pairs;
  counted += o.counted;
  repeated += o.repeated;
  near_miss += o.near_miss;
  wrong_angle += o.wrong_angle;
  missing += o.missing;
  unsupported += o.unsupported;
  for (std::size_t i = 0; i < counted_by_quality.size(); ++i) {
    counted_by_quality[i] += o.counted_by_quality[i];
    repeated_by_quality[i] += o.repeated_by_quality[i];
  }
}

void count_repeated(const FingerTemplate& a, const FingerTemplate& b, const RigidMotion& motion,
                    const RepeatabilityOptions& o, RepeatabilityStats& s, const FingerTemplate* support) {
  const std::vector<Pt> hull = hull_of(b.minutiae);
  if (hull.empty()) return;
  // Pixel y runs down, so a turn of theta in pixel axes turns ISO angles (counter-clockwise with y
  // up) by -theta.
  for (const auto& m : a.minutiae) {
    double x, y;
    motion.apply(m.x, m.y, x, y);
    if (depth_inside(hull, x, y) < o.hull_margin) continue;
    const double angle = m.angle - motion.theta;
    bool mate = false, near = false, close = false;
    for (const auto& q : b.minutiae) {
      const double d2 = (q.x - x) * (q.x - x) + (q.y - y) * (q.y - y);
      const bool aligned = angle_between(q.angle, angle) <= o.max_angle;
      mate = mate || (aligned && d2 <= o.max_distance * o.max_distance);
      near = near || (aligned && d2 <= o.near_distance * o.near_distance);
      close = close || d2 <= o.max_distance * o.max_distance;
    }
    const std::size_t bucket = std::min<std::size_t>(9, m.quality / 10);
    ++s.counted;
    ++s.counted_by_quality[bucket];
    s.repeated += mate;
    s.repeated_by_quality[bucket] += mate;
    if (mate) continue;
    if (near) {
      ++s.near_miss;
    } else if (close) {
      ++s.wrong_angle;
    } else {
      const bool supported =
          !support || std::any_of(support->minutiae.begin(), support->minutiae.end(), [&](const Minutia& r) {
            return std::hypot(double(r.x) - m.x, double(r.y) - m.y) <= o.support_distance &&
                   angle_between(r.angle, m.angle) <= o.support_angle;
          });
      ++(supported ? s.missing : s.unsupported);
    }
  }
}

Expected<SetRepeatability> minutiae_repeatability(const FvcSet& reference, const FvcSet& candidate,
                                                  const matcher::FingerMatcher& m, const RepeatabilityOptions& o) {
  if (reference.impressions.size() != candidate.impressions.size())
    return invalid_argument("set " + reference.name + ": the candidate holds " +
                            std::to_string(candidate.impressions.size()) + " impressions, the reference " +
                            std::to_string(reference.impressions.size()));
  std::vector<std::optional<matcher::PreparedTemplate>> prepared;
  for (const auto& im : reference.impressions) {
    auto p = m.prepare(im.finger_template);
    prepared.push_back(p ? std::optional(std::move(*p)) : std::nullopt);
  }
  SetRepeatability r;
  for (const auto& g : fvc_pairs(reference, ImpostorPairs::kFirstImpressions).genuine) {
    for (const auto [ia, ib] : {std::pair{g.a, g.b}, std::pair{g.b, g.a}}) {
      const auto& pa = prepared[std::size_t(ia)];
      const auto& pb = prepared[std::size_t(ib)];
      if (!pa || !pb) {
        ++r.candidate.skipped_pairs, ++r.reference.skipped_pairs;
        continue;
      }
      const matcher::MatchResult mr = m.match(*pa, *pb);
      if (mr.score < o.min_score || mr.pairs.size() < o.min_pairs) {
        ++r.candidate.skipped_pairs, ++r.reference.skipped_pairs;
        continue;
      }
      const FingerTemplate& ra = reference.impressions[std::size_t(ia)].finger_template;
      const FingerTemplate& rb = reference.impressions[std::size_t(ib)].finger_template;
      std::vector<Minutia> from, to;
      for (const auto& p : mr.pairs) {
        from.push_back(ra.minutiae[std::size_t(p.a)]);
        to.push_back(rb.minutiae[std::size_t(p.b)]);
      }
      const RigidMotion motion = fit_rigid(from, to);
      ++r.candidate.aligned_pairs, ++r.reference.aligned_pairs;
      count_repeated(candidate.impressions[std::size_t(ia)].finger_template,
                     candidate.impressions[std::size_t(ib)].finger_template, motion, o, r.candidate, &ra);
      count_repeated(ra, rb, motion, o, r.reference);
    }
  }
  return r;
}

}  // namespace tunggal::datasets
