#include "datasets/minutiae_pairing.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <numbers>

namespace tunggal::datasets {
namespace {

constexpr double kPi = std::numbers::pi;

double signed_angle(double a, double b) {  // a - b in (-π, π]
  double d = std::fmod(a - b, 2 * kPi);
  if (d > kPi) d -= 2 * kPi;
  if (d <= -kPi) d += 2 * kPi;
  return d;
}

std::vector<cv::Point2f> hull_of(const std::vector<Minutia>& ms) {
  std::vector<cv::Point2f> pts, hull;
  for (const auto& m : ms) pts.emplace_back(float(m.x), float(m.y));
  if (pts.size() >= 3) cv::convexHull(pts, hull);
  return hull;
}

// Inside the hull by at least `margin` pixels.
bool deep_inside(const std::vector<cv::Point2f>& hull, const Minutia& m, double margin) {
  if (hull.size() < 3) return false;
  return cv::pointPolygonTest(hull, cv::Point2f(float(m.x), float(m.y)), true) >= margin;
}

}  // namespace

void PairingStats::add(const PairingStats& o) {
  images += o.images;
  reference += o.reference;
  ours += o.ours;
  near += o.near;
  paired += o.paired;
  flipped += o.flipped;
  same_type += o.same_type;
  sum_dx += o.sum_dx;
  sum_dy += o.sum_dy;
  sum_distance += o.sum_distance;
  sum_angle += o.sum_angle;
  sum_abs_angle += o.sum_abs_angle;
  ours_unpaired_inside += o.ours_unpaired_inside;
  ours_unpaired_edge += o.ours_unpaired_edge;
  reference_unpaired_inside += o.reference_unpaired_inside;
  reference_unpaired_edge += o.reference_unpaired_edge;
}

PairingStats pair_minutiae(const FingerTemplate& reference, const FingerTemplate& ours, const PairingOptions& o) {
  PairingStats s;
  s.images = 1;
  const auto& R = reference.minutiae;
  const auto& U = ours.minutiae;
  s.reference = R.size();
  s.ours = U.size();
  struct Cand {
    double d;
    std::size_t r, u;
  };
  std::vector<Cand> cands;
  for (std::size_t i = 0; i < R.size(); ++i)
    for (std::size_t j = 0; j < U.size(); ++j) {
      const double d = std::hypot(double(U[j].x) - R[i].x, double(U[j].y) - R[i].y);
      if (d <= o.max_distance) cands.push_back({d, i, j});
    }
  std::sort(cands.begin(), cands.end(), [](const Cand& a, const Cand& b) { return a.d < b.d; });
  // Two passes: first the pairs whose angles agree (so that a direction-agreeing minutia a little
  // further away wins over a closer one pointing elsewhere), then position-only pairs of the rest.
  std::vector<char> r_used(R.size(), 0), u_used(U.size(), 0), r_paired(R.size(), 0), u_paired(U.size(), 0);
  for (const auto& c : cands) {
    if (r_used[c.r] || u_used[c.u]) continue;
    const double da = signed_angle(U[c.u].angle, R[c.r].angle);
    if (std::fabs(da) > o.max_angle) continue;
    r_used[c.r] = u_used[c.u] = r_paired[c.r] = u_paired[c.u] = 1;
    ++s.near;
    ++s.paired;
    s.same_type += U[c.u].type == R[c.r].type;
    s.sum_dx += double(U[c.u].x) - R[c.r].x;
    s.sum_dy += double(U[c.u].y) - R[c.r].y;
    s.sum_distance += c.d;
    s.sum_angle += da;
    s.sum_abs_angle += std::fabs(da);
  }
  for (const auto& c : cands) {
    if (r_used[c.r] || u_used[c.u]) continue;
    r_used[c.r] = u_used[c.u] = 1;
    ++s.near;
    s.flipped += std::fabs(signed_angle(U[c.u].angle, R[c.r].angle)) >= kPi - o.max_angle;
  }
  const auto r_hull = hull_of(R), u_hull = hull_of(U);
  for (std::size_t j = 0; j < U.size(); ++j)
    if (!u_paired[j]) (deep_inside(r_hull, U[j], o.max_distance) ? s.ours_unpaired_inside : s.ours_unpaired_edge)++;
  for (std::size_t i = 0; i < R.size(); ++i)
    if (!r_paired[i]) (deep_inside(u_hull, R[i], o.max_distance) ? s.reference_unpaired_inside : s.reference_unpaired_edge)++;
  return s;
}

}  // namespace tunggal::datasets
