#include "datasets/error_rates.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace tunggal::datasets {
namespace {

std::vector<float> sorted_scores(std::span<const float> s) {
  std::vector<float> v(s.begin(), s.end());
  for (auto& x : v)
    if (std::isnan(x)) x = -std::numeric_limits<float>::infinity();
  std::sort(v.begin(), v.end());
  return v;
}

// Every threshold that changes a rate: each distinct observed score, plus +inf (accept nothing).
std::vector<DetPoint> det_curve(const std::vector<float>& g, const std::vector<float>& i) {
  std::vector<float> t;
  t.reserve(g.size() + i.size() + 1);
  t.insert(t.end(), g.begin(), g.end());
  t.insert(t.end(), i.begin(), i.end());
  std::sort(t.begin(), t.end());
  t.erase(std::unique(t.begin(), t.end()), t.end());
  t.push_back(std::numeric_limits<float>::infinity());
  std::vector<DetPoint> d;
  d.reserve(t.size());
  for (float th : t) {
    // FNMR: genuine strictly below th; FMR: impostors at or above th.
    const auto g_below = std::lower_bound(g.begin(), g.end(), th) - g.begin();
    const auto i_below = std::lower_bound(i.begin(), i.end(), th) - i.begin();
    d.push_back({double(i.size() - i_below) / i.size(), double(g_below) / g.size(), double(th)});
  }
  return d;
}

double min_fnmr_where(const std::vector<DetPoint>& d, double max_fmr) {
  double best = 1.0;
  for (const auto& p : d)
    if (p.fmr <= max_fmr) best = std::min(best, p.fnmr);
  return best;
}

}  // namespace

double fnmr_at_fmr(std::span<const float> genuine, std::span<const float> impostor, double max_fmr) {
  if (genuine.empty() || impostor.empty()) return 0.0;
  return min_fnmr_where(det_curve(sorted_scores(genuine), sorted_scores(impostor)), max_fmr);
}

ErrorRates compute_error_rates(std::span<const float> genuine, std::span<const float> impostor) {
  ErrorRates r;
  r.genuine = genuine.size();
  r.impostor = impostor.size();
  if (genuine.empty() || impostor.empty()) return r;
  r.det = det_curve(sorted_scores(genuine), sorted_scores(impostor));
  const auto& d = r.det;  // thresholds increasing: FMR non-increasing, FNMR non-decreasing

  // t1: the largest threshold with FNMR <= FMR; t2: the smallest with FNMR >= FMR. At the lowest
  // threshold FNMR = 0 and at +inf FMR = 0, so both exist.
  std::size_t t1 = 0, t2 = d.size() - 1;
  for (std::size_t k = 0; k < d.size(); ++k)
    if (d[k].fnmr <= d[k].fmr) t1 = k;
  for (std::size_t k = d.size(); k-- > 0;)
    if (d[k].fnmr >= d[k].fmr) t2 = k;
  if (d[t1].fnmr + d[t1].fmr <= d[t2].fmr + d[t2].fnmr) {
    r.eer_low = d[t1].fnmr;
    r.eer_high = d[t1].fmr;
    r.eer_threshold = d[t1].threshold;
  } else {
    r.eer_low = d[t2].fmr;
    r.eer_high = d[t2].fnmr;
    r.eer_threshold = d[t2].threshold;
  }
  r.eer = (r.eer_low + r.eer_high) / 2.0;
  r.fnmr_at_fmr_1e2 = min_fnmr_where(d, 1e-2);
  r.fnmr_at_fmr_1e3 = min_fnmr_where(d, 1e-3);
  r.fnmr_at_fmr_0 = min_fnmr_where(d, 0.0);
  return r;
}

}  // namespace tunggal::datasets
