#include "matcher/face_tail.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "matcher/detail/byte_pack.h"

namespace tunggal {

Expected<FaceTail> FaceTail::fit(std::span<const float> impostor, double tail_fraction) {
  if (!(tail_fraction > 0.0 && tail_fraction < 0.5))
    return invalid_argument("face tail fraction must be in (0, 0.5)");
  std::vector<float> s;
  s.reserve(impostor.size());
  for (float v : impostor) {
    if (!std::isfinite(v)) return invalid_argument("impostor face score is NaN or infinite");
    s.push_back(v);
  }
  std::sort(s.begin(), s.end());
  const auto n_tail = static_cast<std::size_t>(std::floor(static_cast<double>(s.size()) * tail_fraction));
  if (n_tail < 50)
    return invalid_argument("face tail fit needs at least 50 impostor scores above its threshold, got " +
                            std::to_string(n_tail) + " of " + std::to_string(s.size()));
  FaceTail t;
  t.u_ = s[s.size() - n_tail - 1];
  std::vector<double> y;  // exceedances, ascending
  for (std::size_t i = s.size() - n_tail; i < s.size(); ++i)
    if (s[i] > t.u_) y.push_back(static_cast<double>(s[i] - t.u_));
  if (y.size() < 50) return invalid_argument("face tail fit: too many ties at the threshold");
  const double n = static_cast<double>(y.size());
  double b0 = 0.0, a1 = 0.0;
  for (std::size_t i = 0; i < y.size(); ++i) {
    const double p = (static_cast<double>(i + 1) - 0.35) / n;  // Hosking & Wallis plotting position
    b0 += y[i];
    a1 += (1.0 - p) * y[i];
  }
  b0 /= n;
  a1 /= n;
  if (!(b0 > 0.0)) return invalid_argument("face tail fit: no spread above the threshold");
  // H&W's k is -ξ: k = b0/(b0 - 2a1) - 2, σ = 2·b0·a1/(b0 - 2a1).
  double xi = 0.0, sigma = b0;
  if (b0 - 2.0 * a1 > 0.0) {
    xi = -(b0 / (b0 - 2.0 * a1) - 2.0);
    sigma = 2.0 * b0 * a1 / (b0 - 2.0 * a1);
  }
  if (xi < 0.0 || !(sigma > 0.0)) {
    xi = 0.0;  // bounded tail: not extrapolated to an endpoint; exponential (see the header)
    sigma = b0;
  }
  t.xi_ = static_cast<float>(xi);
  t.sigma_ = static_cast<float>(sigma);
  t.zeta_ = static_cast<float>(n / static_cast<double>(s.size()));
  return t;
}

double FaceTail::tail(float x) const {
  if (empty() || !(x > u_)) return 1.0;
  const double z = static_cast<double>(x - u_) / sigma_;
  if (xi_ < 1e-6f) return zeta_ * std::exp(-z);
  return zeta_ * std::pow(1.0 + xi_ * z, -1.0 / xi_);
}

float FaceTail::score(float x) const {
  if (empty() || std::isnan(x)) return 0.0f;
  const double t = tail(x);
  return t <= 0.0 ? kMaxScore : std::min(kMaxScore, static_cast<float>(-std::log10(t)));
}

void FaceTail::serialize(std::string& out) const {
  for (float v : {u_, zeta_, xi_, sigma_}) matcher::detail::put(out, v);
}

Expected<FaceTail> FaceTail::deserialize(std::string_view& in) {
  FaceTail t;
  for (float* v : {&t.u_, &t.zeta_, &t.xi_, &t.sigma_})
    if (!matcher::detail::get(in, *v)) return corruption("face tail record is truncated");
  if (!std::isfinite(t.u_) || !(t.zeta_ >= 0.0f && t.zeta_ < 1.0f) || !(t.xi_ >= 0.0f) || !(t.sigma_ > 0.0f))
    return corruption("face tail record holds impossible parameters");
  return t;
}

}  // namespace tunggal
