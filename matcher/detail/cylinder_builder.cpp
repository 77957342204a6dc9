// Cylinder creation, Cappelli, Ferrara, Maltoni, "Minutia Cylinder-Code", TPAMI 2010, Sect. 3:
// every minutia m gets a cylinder of NS x NS x ND cells aligned with its direction; cell (i,j,k)
// accumulates, over the neighbours t near the cell centre, the spatial contribution C^S (a Gaussian
// of the distance, eq. 5) times the directional contribution C^D (the area of a Gaussian over the
// k-th angular section of dφ(θm, θt), eq. 6-7). The bit-based variant (Sect. 4.3, "MCC16b")
// keeps one bit per cell: value > μψ. A cell is valid when it lies within R of m and inside the
// convex hull of all minutiae enlarged by Ω (eq. 3); a cylinder is valid with at least minVC valid
// cells and minM neighbours (Sect. 3.2).
#include "matcher/detail/cylinder_builder.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>
#include <optional>
#include <vector>

#include "matcher/detail/angles.h"

namespace tunggal::matcher {
namespace {

using detail::dphi;
using detail::kPi;
using detail::kTwoPi;

struct Pt {
  float x, y;
};

float cross(Pt o, Pt a, Pt b) { return (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x); }

// Andrew's monotone chain; returns the hull counter-clockwise in a y-up sense (orientation does
// not matter below: inside_enlarged_hull only checks that all edge crossings share one sign).
std::vector<Pt> convex_hull(std::vector<Pt> p) {
  std::sort(p.begin(), p.end(), [](Pt a, Pt b) { return a.x < b.x || (a.x == b.x && a.y < b.y); });
  p.erase(std::unique(p.begin(), p.end(), [](Pt a, Pt b) { return a.x == b.x && a.y == b.y; }), p.end());
  if (p.size() < 3) return p;
  std::vector<Pt> h(2 * p.size());
  std::size_t k = 0;
  for (std::size_t i = 0; i < p.size(); ++i) {
    while (k >= 2 && cross(h[k - 2], h[k - 1], p[i]) <= 0) --k;
    h[k++] = p[i];
  }
  for (std::size_t i = p.size() - 1, t = k + 1; i-- > 0;) {
    while (k >= t && cross(h[k - 2], h[k - 1], p[i]) <= 0) --k;
    h[k++] = p[i];
  }
  h.resize(k - 1);
  return h;
}

float seg_dist2(Pt p, Pt a, Pt b) {
  const float vx = b.x - a.x, vy = b.y - a.y;
  const float wx = p.x - a.x, wy = p.y - a.y;
  const float len2 = vx * vx + vy * vy;
  float t = len2 > 0 ? (wx * vx + wy * vy) / len2 : 0.0f;
  t = std::clamp(t, 0.0f, 1.0f);
  const float dx = wx - t * vx, dy = wy - t * vy;
  return dx * dx + dy * dy;
}

bool inside_enlarged_hull(const std::vector<Pt>& h, Pt p, float omega) {
  if (h.empty()) return false;
  if (h.size() >= 3) {
    bool inside = true;
    for (std::size_t i = 0; i < h.size(); ++i) {
      if (cross(h[i], h[(i + 1) % h.size()], p) < 0) {
        inside = false;
        break;
      }
    }
    if (inside) return true;
  }
  const float o2 = omega * omega;
  if (h.size() == 1) return (p.x - h[0].x) * (p.x - h[0].x) + (p.y - h[0].y) * (p.y - h[0].y) <= o2;
  for (std::size_t i = 0; i < h.size(); ++i)
    if (seg_dist2(p, h[i], h[(i + 1) % h.size()]) <= o2) return true;
  return false;
}

// The spatial contribution gs_norm * exp(-d2 / (2 sigma^2)) for d2 in [0, reach^2], tabulated with
// linear interpolation: std::exp was most of prepare()'s time (measured: ~20 exp per cell and
// minutia). 4096 intervals keep the relative error below 1e-5 at the bit threshold mu_psi, so the
// cylinders' bits are those of the exact formula except for values within 1e-5 of the threshold.
class SpatialLut {
 public:
  SpatialLut(float sigma_s, float reach) : sigma_(sigma_s), reach2_(reach * reach) {
    const double norm = 1.0 / (sigma_s * std::sqrt(2.0 * 3.14159265358979323846));
    const double inv = 1.0 / (2.0 * double(sigma_s) * sigma_s);
    step_ = reach2_ / kIntervals;
    inv_step_ = 1.0f / step_;
    for (int i = 0; i <= kIntervals + 1; ++i) table_[i] = static_cast<float>(norm * std::exp(-(i * double(step_)) * inv));
  }
  float sigma() const { return sigma_; }
  float operator()(float d2) const {  // precondition: 0 <= d2 <= reach^2
    const float x = d2 * inv_step_;
    const int i = static_cast<int>(x);
    const float f = x - static_cast<float>(i);
    return table_[i] + f * (table_[i + 1] - table_[i]);
  }

 private:
  static constexpr int kIntervals = 4096;
  float sigma_, reach2_, step_ = 0, inv_step_ = 0;
  std::array<float, kIntervals + 2> table_{};
};

// How deep `p` lies inside the convex hull: the smallest distance to an edge's line, or a negative
// value when p is outside (or the hull is degenerate).
float depth_inside_hull(const std::vector<Pt>& h, Pt p) {
  if (h.size() < 3) return -1.0f;
  float depth = INFINITY;
  for (std::size_t i = 0; i < h.size(); ++i) {
    const Pt a = h[i], b = h[(i + 1) % h.size()];
    const float len = std::hypot(b.x - a.x, b.y - a.y);
    if (len <= 0) continue;
    depth = std::min(depth, cross(a, b, p) / len);
  }
  return depth;
}


// The directional contribution of eq. 7 for a neighbour whose direction differs from the cell's
// section centre by a: the area of the Gaussian N(0, σD) over [a - ΔD/2, a + ΔD/2]. Tabulated over
// a in [-π, π] with linear interpolation (two std::erf per section and neighbour were a tenth of
// prepare()); 4096 intervals keep the absolute error below 1e-6, far under μψ's resolution.
class DirectionalLut {
 public:
  DirectionalLut(float sigma_d, float section) : sigma_(sigma_d) {
    const double k = 1.0 / (double(sigma_d) * std::sqrt(2.0));
    for (int i = 0; i <= kIntervals + 1; ++i) {
      const double a = -std::numbers::pi + i * (2.0 * std::numbers::pi / kIntervals);
      table_[i] = static_cast<float>(0.5 * (std::erf((a + section / 2.0) * k) - std::erf((a - section / 2.0) * k)));
    }
  }
  float sigma() const { return sigma_; }
  float operator()(float a) const {  // precondition: -π <= a <= π
    const float x = (a + kPi) * (kIntervals / kTwoPi);
    const int i = std::clamp(static_cast<int>(x), 0, kIntervals);
    const float f = x - static_cast<float>(i);
    return table_[i] + f * (table_[i + 1] - table_[i]);
  }

 private:
  static constexpr int kIntervals = 4096;
  float sigma_;
  std::array<float, kIntervals + 2> table_{};
};

// The convex hull's edges as outward unit normals. For a point p outside a convex polygon, every
// edge whose outer side holds p puts the polygon at least that far away; so the largest outward
// distance m to the edges' lines is <= 0 inside, and outside a lower bound of the distance, which
// is exact when p projects inside that edge (the projection is then the nearest point). Only cells
// near the hull's corners need the point-to-segment distances of inside_enlarged_hull (measured:
// the per-cell hull tests were half of prepare()).
class HullEdges {
 public:
  explicit HullEdges(const std::vector<Pt>& h) : hull_(h) {
    if (h.size() < 3) return;
    for (std::size_t i = 0; i < h.size(); ++i) {
      const Pt a = h[i], b = h[(i + 1) % h.size()];
      const float len = std::hypot(b.x - a.x, b.y - a.y);
      const float nx = (b.y - a.y) / len, ny = -(b.x - a.x) / len;
      edges_.push_back({nx, ny, nx * a.x + ny * a.y, a.x, a.y, b.x - a.x, b.y - a.y, len * len});
    }
  }
  // Cell validity of eq. 3: p lies within Ω of the convex hull.
  bool within(Pt p, float omega) const {
    if (edges_.empty()) return inside_enlarged_hull(hull_, p, omega);
    float m = -INFINITY;
    std::size_t arg = 0;
    for (std::size_t e = 0; e < edges_.size(); ++e) {
      const float d = edges_[e].nx * p.x + edges_[e].ny * p.y - edges_[e].c;
      if (d > m) m = d, arg = e;
    }
    if (m <= 0.0f) return true;   // inside (or on) the hull
    if (m > omega * 1.0001f + 1e-3f) return false;  // farther than Ω from an edge's line
    const Edge& e = edges_[arg];
    const float t = ((p.x - e.ax) * e.dx + (p.y - e.ay) * e.dy) / e.len2;
    if (t >= 0.0f && t <= 1.0f) return m <= omega;  // the projection is the nearest point
    return inside_enlarged_hull(hull_, p, omega);    // near a corner: exact distances
  }

 private:
  struct Edge {
    float nx, ny, c;      // outward unit normal and offset: outward distance = n·p - c
    float ax, ay, dx, dy, len2;  // start point, direction, squared length
  };
  const std::vector<Pt>& hull_;
  std::vector<Edge> edges_;
};

}  // namespace

CylinderBuilder::CylinderBuilder(const MatcherOptions& opt) : opt_(opt) {}

void CylinderBuilder::build(PreparedTemplate& t) const {
  constexpr int kNs = PreparedTemplate::kNs;
  constexpr int kNd = PreparedTemplate::kNd;
  const auto& ms = t.minutiae_;
  const int n = static_cast<int>(ms.size());
  const float ds = 2.0f * opt_.radius / kNs;  // ΔS
  const float dd = kTwoPi / kNd;              // ΔD
  const float r2 = opt_.radius * opt_.radius;
  const float reach = 3.0f * opt_.sigma_s;    // neighbourhood N_p of a cell centre (eq. 4)
  static const SpatialLut default_lut(MatcherOptions{}.sigma_s, 3.0f * MatcherOptions{}.sigma_s);
  std::optional<SpatialLut> custom_lut;
  if (opt_.sigma_s != default_lut.sigma()) custom_lut.emplace(opt_.sigma_s, reach);
  const SpatialLut& gs = custom_lut ? *custom_lut : default_lut;
  static const DirectionalLut default_dlut(MatcherOptions{}.sigma_d, kTwoPi / kNd);
  std::optional<DirectionalLut> custom_dlut;
  if (opt_.sigma_d != default_dlut.sigma()) custom_dlut.emplace(opt_.sigma_d, dd);
  const DirectionalLut& gd = custom_dlut ? *custom_dlut : default_dlut;

  // Cell offsets in the minutia's own frame; only cells whose centre lies within R are used.
  std::array<Pt, kNs * kNs> offs{};
  std::array<bool, kNs * kNs> in_circle{};
  int cells_in_circle = 0;
  for (int i = 0; i < kNs; ++i)
    for (int j = 0; j < kNs; ++j) {
      const float u = ds * (i + 0.5f - kNs / 2.0f), v = ds * (j + 0.5f - kNs / 2.0f);
      offs[i * kNs + j] = {u, v};
      in_circle[i * kNs + j] = u * u + v * v <= r2;
      cells_in_circle += in_circle[i * kNs + j];
    }
  const int min_vc = static_cast<int>(std::ceil(opt_.min_valid_cells * cells_in_circle));

  std::vector<Pt> pts(n);
  for (int i = 0; i < n; ++i) pts[i] = {ms[i].x, ms[i].y};
  const std::vector<Pt> hull = convex_hull(pts);
  const HullEdges hull_edges(hull);

  t.cyl_bits_.clear();
  t.cyl_mask_.clear();
  t.cyl_minutia_.clear();
  std::vector<int> nb;
  // Per cell, one vector of kLanes floats of which the first kNd are used: a neighbour's
  // contributions to a cell are added with whole vector instructions (GCC's generic vectors: two
  // SSE operations on the baseline x86-64 target; the scalar loop was not vectorised).
  constexpr int kLanes = 8;
  static_assert(kNd <= kLanes);
  typedef float Lanes __attribute__((vector_size(kLanes * sizeof(float))));
  std::vector<Lanes> cd;
  std::vector<Lanes> sums(static_cast<std::size_t>(kNs) * kNs);
  const float nb_reach2 = (opt_.radius + reach) * (opt_.radius + reach);
  for (int m = 0; m < n; ++m) {
    const auto& mm = ms[m];
    // Neighbours that can contribute to any cell: within R + 3σS. minM counts those within R
    // (the paper counts minutiae inside the cylinder, Sect. 3.2).
    nb.clear();
    cd.clear();
    int inside_r = 0;
    for (int q = 0; q < n; ++q) {
      if (q == m) continue;
      const float dx = ms[q].x - mm.x, dy = ms[q].y - mm.y;
      const float d2 = dx * dx + dy * dy;
      if (d2 > nb_reach2) continue;
      inside_r += d2 <= r2;
      nb.push_back(q);
      // Directional contribution per section k (eq. 7): Gaussian area over the section around
      // dΦ(k) = -π + (k + 1/2)ΔD of the relative direction dφ(θm, θt).
      Lanes c{};
      const float rel = dphi(mm.angle, ms[q].angle);
      for (int k = 0; k < kNd; ++k) {
        const float center = -kPi + (k + 0.5f) * dd;
        c[k] = gd(dphi(center, rel));
      }
      cd.push_back(c);
    }
    if (inside_r < opt_.min_neighbours) continue;

    const float cs = std::cos(mm.angle), sn = std::sin(mm.angle);
    // Cell validity first (eq. 3): an invalid cylinder (too few valid cells) needs no sums.
    std::array<std::uint64_t, PreparedTemplate::kMaskWords> mask{};
    int valid = 0;
    // A cell centre lies within R of the minutia, so it is at most R - depth outside the hull:
    // for minutiae deeper than R - Ω every cell is valid and the per-cell hull test is skipped.
    // More generally, the disk of radius depth around the minutia lies inside the hull, so a cell
    // at distance r from the minutia is within max(0, r - depth) of the hull: valid when that is
    // at most Ω, without a hull test (about half the cells of a minutia on the hull's border).
    const float depth = std::max(0.0f, depth_inside_hull(hull, {mm.x, mm.y}));
    const bool all_cells_valid = depth >= opt_.radius - opt_.omega;
    const float surely_valid_r2 = (opt_.omega + depth) * (opt_.omega + depth);
    for (int c = 0; c < kNs * kNs; ++c) {
      if (!in_circle[c]) continue;
      if (!all_cells_valid && offs[c].x * offs[c].x + offs[c].y * offs[c].y > surely_valid_r2) {
        // Cell centre in image coordinates (eq. 2): rotate the offset by the minutia direction.
        const Pt p{mm.x + cs * offs[c].x - sn * offs[c].y, mm.y + sn * offs[c].x + cs * offs[c].y};
        if (!hull_edges.within(p, opt_.omega)) continue;
      }
      ++valid;
      mask[c / 64] |= std::uint64_t{1} << (c % 64);
    }
    if (valid < min_vc) continue;

    // Contributions are scattered neighbour by neighbour into the few cells within 3σS of it
    // (about 40 of the ~200 cells in the circle), in the minutia's own frame where the cell grid
    // is axis-aligned; gathering over every (cell, neighbour) pair cost 3x more. Each cell still
    // receives its neighbours in the same order, so the sums are those of eq. 5-7.
    std::fill(sums.begin(), sums.end(), Lanes{});
    for (std::size_t e = 0; e < nb.size(); ++e) {
      const float dx = ms[nb[e]].x - mm.x, dy = ms[nb[e]].y - mm.y;
      const float u = cs * dx + sn * dy, v = -sn * dx + cs * dy;
      const Lanes dir = cd[e];
      const int i0 = std::max(0, static_cast<int>(std::ceil((u - reach) / ds - 0.5f + kNs / 2.0f)));
      const int i1 = std::min(kNs - 1, static_cast<int>(std::floor((u + reach) / ds - 0.5f + kNs / 2.0f)));
      const int j0 = std::max(0, static_cast<int>(std::ceil((v - reach) / ds - 0.5f + kNs / 2.0f)));
      const int j1 = std::min(kNs - 1, static_cast<int>(std::floor((v + reach) / ds - 0.5f + kNs / 2.0f)));
      for (int i = i0; i <= i1; ++i)
        for (int j = j0; j <= j1; ++j) {
          const int c = i * kNs + j;
          if (!(mask[c / 64] >> (c % 64) & 1)) continue;  // outside the circle or invalid: unused
          const float du = u - offs[c].x, dv = v - offs[c].y;
          const float d2 = du * du + dv * dv;
          if (d2 > reach * reach) continue;
          const float gsv = gs(d2);
          sums[static_cast<std::size_t>(c)] += gsv * dir;
        }
    }
    std::array<std::uint64_t, PreparedTemplate::kCylWords> bits{};
    const Lanes mu = Lanes{} + opt_.mu_psi;
    for (int c = 0; c < kNs * kNs; ++c) {
      if (!(mask[c / 64] >> (c % 64) & 1)) continue;
      const auto above = sums[static_cast<std::size_t>(c)] > mu;  // lanes of all ones where set
      for (int k = 0; k < kNd; ++k)
        bits[k * PreparedTemplate::kMaskWords + c / 64] |= std::uint64_t(above[k] & 1) << (c % 64);
    }
    t.cyl_bits_.insert(t.cyl_bits_.end(), bits.begin(), bits.end());
    t.cyl_mask_.insert(t.cyl_mask_.end(), mask.begin(), mask.end());
    t.cyl_minutia_.push_back(static_cast<std::uint16_t>(m));
  }
}

}  // namespace tunggal::matcher
