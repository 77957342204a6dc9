#include "matcher/fusion_model.h"

#include <algorithm>
#include <cmath>
#include <mutex>

namespace tunggal {

struct FusionModel::MixedCache {
  std::mutex mu;
  // Indexed [good][poor][face]; null until first asked for.
  std::array<std::array<std::array<std::unique_ptr<Pmf>, 2>, kFingerCount + 1>, kFingerCount + 1> pmf;
};

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

Expected<FusionModel> FusionModel::build(ScoreCalibration finger, ScoreCalibration face, ScoreCalibration finger_poor,
                                         FaceTail face_tail, int poor_quality_at_most) {
  if (finger.empty() && face.empty()) {
    return invalid_argument("fusion model needs a finger or a face calibration");
  }
  if (finger.empty() && !finger_poor.empty())
    return invalid_argument("a poor-quality finger calibration needs the finger calibration too");
  if (poor_quality_at_most < 0 || poor_quality_at_most > 100)
    return invalid_argument("poor finger quality bound must be 0..100, got " + std::to_string(poor_quality_at_most));
  FusionModel m;
  m.finger_ = std::move(finger);
  m.face_ = std::move(face);
  m.finger_poor_ = std::move(finger_poor);
  m.face_tail_ = face_tail;
  m.poor_quality_ = poor_quality_at_most;
  m.mixed_ = std::make_shared<MixedCache>();
  if (!m.finger_poor_.empty()) m.poor_impostor_ = histogram(m.finger_poor_.impostor_llrs(), m.finger_poor_.max_llr());
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

bool FusionModel::poor_pair(int quality_a, int quality_b) const {
  if (finger_poor_.empty()) return false;
  const auto poor = [&](int q) { return q > 0 && q <= poor_quality_; };
  return poor(quality_a) || poor(quality_b);
}

float FusionModel::finger_llr(float score, bool poor) const {
  return poor && !finger_poor_.empty() ? finger_poor_.llr(score) : finger_.llr(score);
}

FusedScore FusionModel::fuse(const std::array<float, kFingerCount>& finger_scores, float face_score,
                             std::uint16_t poor_fingers) const {
  float sum = 0.0f;
  int k = 0, poor = 0;
  if (!finger_.empty()) {
    for (int slot = 0; slot < kFingerCount; ++slot) {
      const float s = finger_scores[static_cast<std::size_t>(slot)];
      if (std::isnan(s)) continue;
      const bool p = !finger_poor_.empty() && (poor_fingers >> slot & 1u);
      sum += finger_llr(s, p);
      ++k;
      poor += p;
    }
  }
  const float finger_sum = sum;
  const bool face = !face_.empty() && !std::isnan(face_score);
  if (face) sum += face_.llr(face_score);
  FusedScore r = fuse_llr(sum, k, face, poor);
  r.finger_llr = finger_sum;
  return r;
}

FusedScore FusionModel::fuse_llr(float llr_sum, int fingers, bool face, int poor_fingers) const {
  FusedScore r;
  r.llr = llr_sum;
  r.fingers = std::clamp(fingers, 0, kFingerCount);
  r.poor_fingers = finger_poor_.empty() ? 0 : std::clamp(poor_fingers, 0, r.fingers);
  r.face = face;
  if (r.fingers == 0 && !face) return r;
  const double tail = impostor_tail(llr_sum, r.fingers, face, r.poor_fingers);
  r.score = tail <= 0.0 ? kMaxScore : std::min(kMaxScore, static_cast<float>(-std::log10(tail)));
  return r;
}

double FusionModel::impostor_tail(float llr, int fingers, bool face, int poor_fingers) const {
  const int k = std::clamp(fingers, 0, kFingerCount);
  const int p = finger_poor_.empty() ? 0 : std::clamp(poor_fingers, 0, k);
  if (p == 0) return tail_above(impostor(k, face), llr);
  return tail_above(impostor_mixed(k, p, face), llr);
}

const FusionModel::Pmf& FusionModel::impostor_mixed(int fingers, int poor, bool face) const {
  const int good = fingers - poor;
  auto& row = mixed_->pmf[static_cast<std::size_t>(good)];
  std::lock_guard lock(mixed_->mu);
  auto& slot = row[static_cast<std::size_t>(poor)][face ? 1 : 0];
  if (slot) return *slot;
  // Start from the largest mix with fewer poor pairs already built (or the all-good one).
  int from = poor - 1;
  while (from > 0 && !row[static_cast<std::size_t>(from)][face ? 1 : 0]) --from;
  const Pmf* base = from == 0 ? &impostor(good, face) : row[static_cast<std::size_t>(from)][face ? 1 : 0].get();
  for (int q = from + 1; q <= poor; ++q) {
    auto next = std::make_unique<Pmf>(convolve(*base, poor_impostor_));
    base = next.get();
    row[static_cast<std::size_t>(q)][face ? 1 : 0] = std::move(next);
  }
  return *slot;
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

// TGFM1: finger and face calibrations. TGFM2 adds the poor-quality finger calibration with its
// quality bound, and the face tail. A TGFM1 record (a gallery calibrated before the quality
// classes) still loads: one finger calibration for every pair and no face tail, as before.
std::string FusionModel::serialize() const {
  std::string out = "TGFM2";
  out.push_back(finger_.empty() ? 0 : 1);
  if (!finger_.empty()) finger_.serialize(out);
  out.push_back(face_.empty() ? 0 : 1);
  if (!face_.empty()) face_.serialize(out);
  out.push_back(finger_poor_.empty() ? 0 : 1);
  out.push_back(static_cast<char>(poor_quality_));
  if (!finger_poor_.empty()) finger_poor_.serialize(out);
  out.push_back(face_tail_.empty() ? 0 : 1);
  if (!face_tail_.empty()) face_tail_.serialize(out);
  return out;
}

Expected<FusionModel> FusionModel::deserialize(std::string_view in) {
  const std::string_view magic = in.substr(0, 5);
  if (magic != "TGFM1" && magic != "TGFM2")
    return Status(ErrorCode::kIncompatible, "fusion model record has an unknown format");
  const bool v2 = magic == "TGFM2";
  in.remove_prefix(5);
  ScoreCalibration finger, face, poor;
  FaceTail tail;
  int poor_quality = kDefaultPoorQuality;
  auto read_calibration = [&](ScoreCalibration& c) -> Status {
    if (in.empty()) return corruption("fusion model record is truncated");
    const bool present = in.front() != 0;
    in.remove_prefix(1);
    if (!present) return {};
    auto r = ScoreCalibration::deserialize(in);
    if (!r) return r.error();
    c = std::move(*r);
    return {};
  };
  if (Status s = read_calibration(finger); !s) return s;
  if (Status s = read_calibration(face); !s) return s;
  if (v2) {
    if (in.size() < 2) return corruption("fusion model record is truncated");
    const bool has_poor = in[0] != 0;
    poor_quality = static_cast<unsigned char>(in[1]);
    in.remove_prefix(2);
    if (has_poor) {
      auto r = ScoreCalibration::deserialize(in);
      if (!r) return r.error();
      poor = std::move(*r);
    }
    if (in.empty()) return corruption("fusion model record is truncated");
    const bool has_tail = in.front() != 0;
    in.remove_prefix(1);
    if (has_tail) {
      auto t = FaceTail::deserialize(in);
      if (!t) return t.error();
      tail = *t;
    }
  }
  return build(std::move(finger), std::move(face), std::move(poor), tail, poor_quality);
}

}  // namespace tunggal
