// Minutiae on the skeleton by crossing number (Rutovitz; Maltoni et al., Handbook of Fingerprint
// Recognition, 3.7): CN = 1 ridge ending, CN = 3 bifurcation. Each candidate's ridge branches are
// traced a short way; what a trace runs into tells the classic false structures apart (Xiao &
// Raafat 1991; Maltoni et al. 3.8): an ending that reaches a bifurcation within a ridge period is
// a spur, two endings joined by a short ridge are a fragment, two bifurcations joined closely are a
// bridge or a small hole, two facing endings across a short gap are one broken ridge.
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <numbers>

#include "ingest/detail/extraction_stages.h"

namespace tunggal::ingest::detail {
namespace {

constexpr int kDx[8] = {0, 1, 1, 1, 0, -1, -1, -1};
constexpr int kDy[8] = {-1, -1, 0, 1, 1, 1, 0, -1};
constexpr float kPi = std::numbers::pi_v<float>;
constexpr float kDirectionLength = 10.0f;  // px along the ridge for a branch's direction

inline bool on(const cv::Mat& s, int x, int y) { return s.at<std::uint8_t>(y, x) != 0; }

int crossing_number(const cv::Mat& s, int x, int y) {
  int cn = 0;
  for (int i = 0; i < 8; ++i)
    cn += on(s, x + kDx[i], y + kDy[i]) != on(s, x + kDx[(i + 1) & 7], y + kDy[(i + 1) & 7]);
  return cn / 2;
}

float wrap2pi(float a) {
  a = std::fmod(a, 2 * kPi);
  return a < 0 ? a + 2 * kPi : a;
}
float angle_diff(float a, float b) {  // |a - b| on the circle, [0, π]
  const float d = std::fabs(wrap2pi(a - b));
  return d > kPi ? 2 * kPi - d : d;
}

struct Trace {
  cv::Point end;           // where the trace stopped
  cv::Point direction_pt;  // the pixel about kDirectionLength along
  float length = 0;
  int hit_cn = 0;          // crossing number of the minutia it ran into, 0 when none
};

// Follows the skeleton from `centre` through `first` until another minutia, a dead end or
// `max_len`. Pixels in `exclude` (the centre's ring) are not entered.
Trace trace(const cv::Mat& s, cv::Point centre, cv::Point first, float max_len, const std::vector<cv::Point>& exclude) {
  Trace t;
  std::vector<cv::Point> path{centre, first};
  cv::Point cur = first;
  t.length = (std::abs(first.x - centre.x) + std::abs(first.y - centre.y)) == 2 ? 1.414f : 1.0f;
  t.direction_pt = cur;
  while (true) {
    if (t.length <= kDirectionLength) t.direction_pt = cur;
    const int cn = crossing_number(s, cur.x, cur.y);
    if (cn != 2) {
      t.hit_cn = cn == 0 ? 1 : cn;  // an isolated pixel is a fragment's end
      break;
    }
    if (t.length >= max_len) break;
    cv::Point next(-1, -1);
    bool next_diag = true;
    for (int i = 0; i < 8; ++i) {
      const cv::Point q(cur.x + kDx[i], cur.y + kDy[i]);
      if (q.x < 1 || q.y < 1 || q.x >= s.cols - 1 || q.y >= s.rows - 1 || !on(s, q.x, q.y)) continue;
      if (std::find(path.begin(), path.end(), q) != path.end()) continue;
      if (std::find(exclude.begin(), exclude.end(), q) != exclude.end()) continue;
      const bool diag = (i & 1) != 0;
      if (next.x < 0 || (next_diag && !diag)) next = q, next_diag = diag;
    }
    if (next.x < 0) {
      t.hit_cn = 1;
      break;
    }
    t.length += next_diag ? 1.414f : 1.0f;
    path.push_back(next);
    cur = next;
  }
  t.end = cur;
  return t;
}

// Starts of the branches leaving a skeleton pixel: one per run of set ring pixels, preferring a
// 4-neighbour within the run.
std::vector<cv::Point> branch_starts(const cv::Mat& s, int x, int y) {
  std::vector<cv::Point> starts;
  int first_clear = -1;
  for (int i = 0; i < 8; ++i)
    if (!on(s, x + kDx[i], y + kDy[i])) {
      first_clear = i;
      break;
    }
  if (first_clear < 0) return starts;
  for (int k = 1; k <= 8; ++k) {
    const int i = (first_clear + k) & 7;
    if (!on(s, x + kDx[i], y + kDy[i])) continue;
    const int prev = (i + 7) & 7;
    const bool run_start = !on(s, x + kDx[prev], y + kDy[prev]);
    if (run_start) starts.emplace_back(x + kDx[i], y + kDy[i]);
    else if ((i & 1) == 0) starts.back() = cv::Point(x + kDx[i], y + kDy[i]);  // a 4-neighbour in the run
  }
  return starts;
}

float vec_angle(cv::Point from, cv::Point to) { return wrap2pi(std::atan2(float(to.y - from.y), float(to.x - from.x))); }

// The ridge orientation (mod π) gives the precise angle, the traced vector the sense; `w` blends the
// two (1: the field's angle with the traced sense).
float snap_to_field(float traced, float ridge, float w = 1.0f) {
  const float a = ridge, b = ridge + kPi;
  const float field = angle_diff(traced, a) <= angle_diff(traced, b) ? wrap2pi(a) : wrap2pi(b);
  if (w >= 1.0f) return field;
  const float x = w * std::cos(field) + (1 - w) * std::cos(traced), y = w * std::sin(field) + (1 - w) * std::sin(traced);
  return wrap2pi(std::atan2(y, x));
}

}  // namespace

cv::Mat background_distance(const cv::Mat& mask) {
  // Padded with background: the image's own edge counts as the print's edge.
  cv::Mat padded_mask, dist;
  cv::copyMakeBorder(mask, padded_mask, 1, 1, 1, 1, cv::BORDER_CONSTANT, 0);
  cv::distanceTransform(padded_mask, dist, cv::DIST_L2, 3);
  return dist;
}

std::vector<Candidate> detect_minutiae(const cv::Mat& skel, const cv::Mat& dist, const OrientationField& of,
                                       const ExtractorOptions& o) {
  std::vector<Candidate> c;
  cv::Mat index(skel.size(), CV_32S, cv::Scalar(-1));
  for (int y = 1; y + 1 < skel.rows; ++y)
    for (int x = 1; x + 1 < skel.cols; ++x) {
      if (!on(skel, x, y)) continue;
      const int cn = crossing_number(skel, x, y);
      if (cn != 1 && cn != 3) continue;
      index.at<int>(y, x) = int(c.size());
      Candidate m;
      m.x = x, m.y = y;
      m.type = cn == 1 ? MinutiaType::kRidgeEnding : MinutiaType::kBifurcation;
      c.push_back(m);
    }

  const float max_len = std::max({o.spur_length, o.short_ridge_length, o.bridge_length, kDirectionLength});
  auto drop_hit = [&](const Trace& t) {
    const int j = index.at<int>(t.end.y, t.end.x);
    if (j >= 0) c[std::size_t(j)].removed = true;
  };
  std::vector<bool> bad(c.size(), false);
  for (std::size_t i = 0; i < c.size(); ++i) {
    Candidate& m = c[i];
    const cv::Point p(m.x, m.y);
    auto starts = branch_starts(skel, m.x, m.y);
    std::vector<cv::Point> exclude{p};
    for (int k = 0; k < 8; ++k)
      if (on(skel, m.x + kDx[k], m.y + kDy[k])) exclude.emplace_back(m.x + kDx[k], m.y + kDy[k]);
    const float ridge = of.ridge_angle(m.x, m.y);
    if (m.type == MinutiaType::kRidgeEnding) {
      if (starts.size() != 1) {
        bad[i] = true;
        continue;
      }
      const Trace t = trace(skel, p, starts[0], max_len, exclude);
      if (t.hit_cn >= 3 && t.length <= o.spur_length) bad[i] = true, drop_hit(t);          // spur
      if (t.hit_cn == 1 && t.length <= o.short_ridge_length) bad[i] = true, drop_hit(t);   // fragment
      // Pointing out of the ridge: from the traced ridge body to the ending.
      m.angle = snap_to_field(vec_angle(t.direction_pt, p), ridge, o.field_direction_weight);
    } else {
      if (starts.size() != 3) {
        bad[i] = true;
        continue;
      }
      float ang[3];
      for (int k = 0; k < 3; ++k) {
        // Branch starts are excluded for each other's traces only: a trace may not cut across the ring.
        const Trace t = trace(skel, p, starts[std::size_t(k)], max_len, exclude);
        if (t.hit_cn >= 3 && t.length <= o.bridge_length) bad[i] = true, drop_hit(t);   // bridge or hole
        if (t.hit_cn == 1 && t.length <= o.spur_length) bad[i] = true, drop_hit(t);     // spur
        ang[k] = vec_angle(p, t.direction_pt);
      }
      // The two arms are the closest pair; the stem is the third branch. A bifurcation is a valley
      // ending, and like a ridge ending it points out of its valley: along the stem.
      int stem = 0;
      float best = 10;
      for (int k = 0; k < 3; ++k) {
        const float d = angle_diff(ang[(k + 1) % 3], ang[(k + 2) % 3]);
        if (d < best) best = d, stem = k;
      }
      m.angle = snap_to_field(ang[stem], ridge, o.field_direction_weight);
    }
  }
  for (std::size_t i = 0; i < c.size(); ++i) c[i].removed = c[i].removed || bad[i];

  // Broken ridges: two endings facing each other across a short gap.
  for (std::size_t i = 0; i < c.size(); ++i) {
    if (c[i].removed || c[i].type != MinutiaType::kRidgeEnding) continue;
    for (std::size_t j = i + 1; j < c.size(); ++j) {
      if (c[j].removed || c[j].type != MinutiaType::kRidgeEnding) continue;
      const float dx = float(c[j].x - c[i].x), dy = float(c[j].y - c[i].y);
      if (dx * dx + dy * dy > o.broken_ridge_gap * o.broken_ridge_gap) continue;
      const float facing = angle_diff(c[i].angle, c[j].angle);
      const float along = angle_diff(std::atan2(dy, dx), c[i].angle);
      if (facing > 2.4f && along < 0.8f) c[i].removed = c[j].removed = true;
    }
  }

  // Distance from the background, for the border rule and the quality.
  std::vector<Candidate> kept;
  for (const auto& m : c) {
    if (m.removed) continue;
    const float d = dist.at<float>(m.y + 1, m.x + 1);
    if (d < o.border_margin) continue;
    kept.push_back(m);
  }
  // Clusters: whatever is still too close to another minutia is noise on both sides.
  std::vector<bool> close(kept.size(), false);
  for (std::size_t i = 0; i < kept.size(); ++i)
    for (std::size_t j = i + 1; j < kept.size(); ++j) {
      const float dx = float(kept[j].x - kept[i].x), dy = float(kept[j].y - kept[i].y);
      if (dx * dx + dy * dy < o.min_distance * o.min_distance) close[i] = close[j] = true;
    }
  // Clouds: real minutiae are sparse (a few per ridge-period square); a crowd within a couple of
  // ridge periods is the skeleton of noise, smudge or scars.
  if (o.max_cloud > 0) {
    const float r2 = o.cloud_radius * o.cloud_radius;
    std::vector<int> crowd(kept.size(), 0);
    for (std::size_t i = 0; i < kept.size(); ++i)
      for (std::size_t j = i + 1; j < kept.size(); ++j) {
        const float dx = float(kept[j].x - kept[i].x), dy = float(kept[j].y - kept[i].y);
        if (dx * dx + dy * dy <= r2) ++crowd[i], ++crowd[j];
      }
    for (std::size_t i = 0; i < kept.size(); ++i) close[i] = close[i] || crowd[i] > o.max_cloud;
  }
  std::vector<Candidate> out;
  for (std::size_t i = 0; i < kept.size(); ++i) {
    if (close[i]) continue;
    Candidate m = kept[i];
    const float d = dist.at<float>(m.y + 1, m.x + 1);
    m.quality = std::clamp(of.coherence.at<float>(m.y, m.x), 0.0f, 1.0f) * std::min(1.0f, d / (3 * o.border_margin));
    out.push_back(m);
  }
  return out;
}

}  // namespace tunggal::ingest::detail
