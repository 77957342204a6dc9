#include "matcher/fusion_model.h"

#include <algorithm>
#include <cmath>

namespace tunggal {

FusionModel::Pmf FusionModel::histogram(const std::vector<float>& llrs, std::optional<float> floor_at) {
  Pmf pmf;
  if (llrs.empty()) {
    pmf.p = {1.0};  // a point mass at 0: "not compared" adds no evidence
    finish(pmf);
    return pmf;
  }
  const auto [mn_it, mx_it] = std::minmax_element(llrs.begin(), llrs.end());
  const float mn = *mn_it;
  const float mx = floor_at ? std::max(*mx_it, *floor_at) : *mx_it;
  pmf.base = std::floor(mn / kStep) * kStep;
  const std::size_t bins = static_cast<std::size_t>(std::ceil((mx - pmf.base) / kStep)) + 2;
  pmf.p.assign(bins, 0.0);
  auto bin_of = [&](double v) {
    return std::min(bins - 1, static_cast<std::size_t>(std::max(0.0, std::floor((v - pmf.base) / kStep))));
  };
  for (float v : llrs) pmf.p[bin_of(v)] += 1.0;
  double total = static_cast<double>(llrs.size());
  if (floor_at) {
    // One impostor is assumed to reach the largest LLR the calibration can give: the tail never
    // drops below 1/(n+1) per modality, so extrapolation beyond the data stays conservative.
    pmf.p[bin_of(mx)] += 1.0;
    total += 1.0;
  }
  for (double& v : pmf.p) v /= total;
  finish(pmf);
  return pmf;
}

FusionModel::Pmf FusionModel::convolve(const Pmf& a, const Pmf& b) {
  Pmf out;
  out.base = a.base + b.base;
  out.p.assign(a.p.size() + b.p.size() - 1, 0.0);
  for (std::size_t i = 0; i < a.p.size(); ++i) {
    if (a.p[i] == 0.0) continue;
    for (std::size_t j = 0; j < b.p.size(); ++j) out.p[i + j] += a.p[i] * b.p[j];
  }
  finish(out);
  return out;
}

void FusionModel::finish(Pmf& pmf) {
  const std::size_t n = pmf.p.size();
  pmf.upper.assign(n + 1, 0.0);
  pmf.lower.assign(n + 1, 0.0);
  for (std::size_t i = n; i-- > 0;) pmf.upper[i] = pmf.upper[i + 1] + pmf.p[i];
  for (std::size_t i = 0; i < n; ++i) pmf.lower[i + 1] = pmf.lower[i] + pmf.p[i];
}

double FusionModel::tail_above(const Pmf& pmf, double x) {
  // A value x is in bin floor((x-base)/step); mass of that bin counts as "at or above" (conservative).
  const double pos = std::floor((x - pmf.base) / kStep + 1e-9);
  if (pos <= 0) return 1.0;
  if (pos >= static_cast<double>(pmf.p.size())) return 0.0;
  return pmf.upper[static_cast<std::size_t>(pos)];
}

double FusionModel::mass_below(const Pmf& pmf, double x) {
  const double pos = std::floor((x - pmf.base) / kStep + 1e-9);
  if (pos <= 0) return 0.0;
  if (pos >= static_cast<double>(pmf.p.size())) return 1.0;
  return pmf.lower[static_cast<std::size_t>(pos)];
}

Expected<FusionModel> FusionModel::build(ScoreCalibration finger, ScoreCalibration face) {
  if (finger.empty() && face.empty()) {
    return invalid_argument("fusion model needs a finger or a face calibration");
  }
  FusionModel m;
  m.finger_ = std::move(finger);
  m.face_ = std::move(face);
  const Pmf f_imp = histogram(m.finger_.impostor_llrs(), m.finger_.max_llr());
  const Pmf f_gen = histogram(m.finger_.genuine_llrs(), std::nullopt);
  const Pmf face_imp = histogram(m.face_.impostor_llrs(), m.face_.max_llr());
  const Pmf face_gen = histogram(m.face_.genuine_llrs(), std::nullopt);
  Pmf imp_k = histogram({}, std::nullopt);
  Pmf gen_k = histogram({}, std::nullopt);
  for (int k = 0; k <= kFingerCount; ++k) {
    if (k > 0) {
      imp_k = convolve(imp_k, f_imp);
      gen_k = convolve(gen_k, f_gen);
    }
    m.impostor_[k][0] = imp_k;
    m.genuine_[k][0] = gen_k;
    m.impostor_[k][1] = convolve(imp_k, face_imp);
    m.genuine_[k][1] = convolve(gen_k, face_gen);
  }
  return m;
}

FusedScore FusionModel::fuse(const std::array<float, kFingerCount>& finger_scores, float face_score) const {
  float sum = 0.0f;
  int k = 0;
  if (!finger_.empty()) {
    for (float s : finger_scores) {
      if (std::isnan(s)) continue;
      sum += finger_.llr(s);
      ++k;
    }
  }
  const bool face = !face_.empty() && !std::isnan(face_score);
  if (face) sum += face_.llr(face_score);
  return fuse_llr(sum, k, face);
}

FusedScore FusionModel::fuse_llr(float llr_sum, int fingers, bool face) const {
  FusedScore r;
  r.llr = llr_sum;
  r.fingers = std::clamp(fingers, 0, kFingerCount);
  r.face = face;
  if (r.fingers == 0 && !face) return r;
  const double tail = impostor_tail(llr_sum, r.fingers, face);
  r.score = tail <= 0.0 ? kMaxScore : std::min(kMaxScore, static_cast<float>(-std::log10(tail)));
  return r;
}

double FusionModel::impostor_tail(float llr, int fingers, bool face) const {
  return tail_above(impostor(std::clamp(fingers, 0, kFingerCount), face), llr);
}

double FusionModel::genuine_below(float llr, int fingers, bool face) const {
  return mass_below(genuine(std::clamp(fingers, 0, kFingerCount), face), llr);
}

float FusionModel::llr_for_fmr(double fmr, int fingers, bool face) const {
  const Pmf& pmf = impostor(std::clamp(fingers, 0, kFingerCount), face);
  for (std::size_t i = 0; i < pmf.p.size(); ++i) {
    if (pmf.upper[i] <= fmr) return static_cast<float>(pmf.base + static_cast<double>(i) * kStep);
  }
  return static_cast<float>(pmf.base + static_cast<double>(pmf.p.size()) * kStep);
}

float FusionModel::threshold_for_fpir(double fpir, std::uint64_t gallery_size) {
  const double n = std::max<double>(1.0, static_cast<double>(gallery_size));
  const double f = std::clamp(fpir, 1e-12, 1.0);
  return static_cast<float>(std::log10(n / f));
}

std::string FusionModel::serialize() const {
  std::string out = "TGFM1";
  out.push_back(finger_.empty() ? 0 : 1);
  if (!finger_.empty()) finger_.serialize(out);
  out.push_back(face_.empty() ? 0 : 1);
  if (!face_.empty()) face_.serialize(out);
  return out;
}

Expected<FusionModel> FusionModel::deserialize(std::string_view in) {
  if (in.substr(0, 5) != "TGFM1") return Status(ErrorCode::kIncompatible, "fusion model record has an unknown format");
  in.remove_prefix(5);
  ScoreCalibration finger, face;
  for (ScoreCalibration* c : {&finger, &face}) {
    if (in.empty()) return corruption("fusion model record is truncated");
    const bool present = in.front() != 0;
    in.remove_prefix(1);
    if (!present) continue;
    auto r = ScoreCalibration::deserialize(in);
    if (!r) return r.error();
    *c = std::move(*r);
  }
  return build(std::move(finger), std::move(face));
}

}  // namespace tunggal
