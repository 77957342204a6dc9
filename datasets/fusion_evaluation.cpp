#include "datasets/fusion_evaluation.h"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <map>
#include <optional>

#include "core/process_usage.h"
#include "datasets/population.h"
#include "datasets/population_calibration.h"

namespace tunggal::datasets {
namespace {

using Fingers = std::array<std::optional<matcher::PreparedTemplate>, kFingerCount>;

Fingers prepare_fingers(const Enrollment& e, const matcher::FingerMatcher& m) {
  Fingers f;
  for (const FingerTemplate& t : e.fingers) {
    if (!is_known_finger(t.position)) continue;
    if (auto p = m.prepare(t)) f[static_cast<std::size_t>(finger_slot(t.position))] = std::move(*p);
  }
  return f;
}

constexpr std::uint16_t kAllFingers = (1u << kFingerCount) - 1;

// Summed LLR of identity pair (a, b) over the fingers both hold, and which fingers those were.
struct PairLlr {
  float llr = 0;
  std::uint16_t mask = 0;
};

PairLlr pair_llr(const Fingers& a, const Fingers& b, const matcher::FingerMatcher& m, const FusionModel& model) {
  PairLlr r;
  for (int s = 0; s < kFingerCount; ++s) {
    const auto& fa = a[static_cast<std::size_t>(s)];
    const auto& fb = b[static_cast<std::size_t>(s)];
    if (!fa || !fb) continue;
    r.llr += model.finger_calibration().llr(m.score(*fa, *fb));
    r.mask = static_cast<std::uint16_t>(r.mask | (1u << s));
  }
  return r;
}

}  // namespace

LlrPmf LlrPmf::of_samples(std::span<const float> llrs) {
  LlrPmf pmf;
  if (llrs.empty()) return pmf;
  auto bin = [](float v) { return static_cast<long>(std::ceil(double(v) / kStep - 1e-9)); };
  const auto [mn, mx] = std::minmax_element(llrs.begin(), llrs.end());
  pmf.base_ = bin(*mn);
  pmf.p_.assign(static_cast<std::size_t>(bin(*mx) - pmf.base_ + 1), 0.0);
  for (float v : llrs) pmf.p_[static_cast<std::size_t>(bin(v) - pmf.base_)] += 1.0;
  for (double& v : pmf.p_) v /= double(llrs.size());
  pmf.finish();
  return pmf;
}

LlrPmf LlrPmf::convolve(const LlrPmf& a, const LlrPmf& b) {
  LlrPmf out;
  out.base_ = a.base_ + b.base_;
  out.p_.assign(a.p_.size() + b.p_.size() - 1, 0.0);
  for (std::size_t i = 0; i < a.p_.size(); ++i) {
    if (a.p_[i] == 0.0) continue;
    const double ai = a.p_[i];
    double* o = &out.p_[i];
    for (std::size_t j = 0; j < b.p_.size(); ++j) o[j] += ai * b.p_[j];
  }
  out.finish();
  return out;
}

void LlrPmf::finish() {
  upper_.assign(p_.size() + 1, 0.0);
  for (std::size_t i = p_.size(); i-- > 0;) upper_[i] = upper_[i + 1] + p_[i];
}

double LlrPmf::tail(double t) const {
  // Bin i holds values in (base+i-1, base+i] steps; X >= t needs bin value >= t.
  const double pos = std::ceil(t / kStep - 1e-9) - double(base_);
  if (pos <= 0) return 1.0;
  if (pos >= double(p_.size())) return 0.0;
  return upper_[static_cast<std::size_t>(pos)];
}

double LlrPmf::threshold_for(double fmr) const {
  for (std::size_t i = 0; i < p_.size(); ++i)
    if (upper_[i] <= fmr) return double(base_ + long(i)) * kStep;
  return double(base_ + long(p_.size())) * kStep;
}

Expected<FusionEvalReport> evaluate_fusion(const FusionEvalOptions& o, const matcher::FingerMatcher& m,
                                           const FusionProgress& progress) {
  if (o.seed == o.calibration_seed)
    return invalid_argument("the evaluation population needs another seed than the calibration population (both " +
                            std::to_string(o.seed) + "): a model must not be measured on what it was fitted on");
  if (o.subjects < 2) return invalid_argument("--subjects must be at least 2");
  if (o.impostor_partners < 1 || std::uint64_t(o.impostor_partners) >= o.subjects)
    return invalid_argument("impostor partners per subject must be in [1, subjects - 1], got " +
                            std::to_string(o.impostor_partners));
  if (o.direct_subjects > o.subjects)
    return invalid_argument("direct subjects (" + std::to_string(o.direct_subjects) + ") exceed subjects (" +
                            std::to_string(o.subjects) + ")");
  const auto t0 = std::chrono::steady_clock::now();
  const double c0 = process_cpu_seconds();
  auto say = [&](const std::string& s) {
    if (progress) progress(s);
  };

  say("calibrating the fusion model");
  Population cal_pop({.seed = o.calibration_seed});
  CalibrationOptions co;
  co.identities = o.calibration_identities;
  co.face = false;
  auto model = calibrate_fusion(cal_pop, m, co);
  if (!model) return model.error();

  say("preparing templates");
  Population pop({.seed = o.seed});
  const std::size_t n = o.subjects;
  std::vector<Fingers> gallery(n), probe(n);  // capture 0, capture 1
  tbb::parallel_for(std::size_t{0}, n, [&](std::size_t i) {
    gallery[i] = prepare_fingers(pop.capture(i, 0), m);
    probe[i] = prepare_fingers(pop.capture(i, 1), m);
  });

  FusionEvalReport r;
  r.subjects = n;
  say("genuine pairs");
  std::vector<PairLlr> genuine(n);
  tbb::parallel_for(std::size_t{0}, n, [&](std::size_t i) { genuine[i] = pair_llr(probe[i], gallery[i], m, *model); });

  say("per-finger impostor scores");
  // Subject i's capture 1 against capture 0 of subjects i+1 .. i+P (mod n), position by position.
  const int parts = o.impostor_partners;
  std::vector<std::array<std::vector<float>, kFingerCount>> local(n);
  tbb::parallel_for(std::size_t{0}, n, [&](std::size_t i) {
    for (int k = 1; k <= parts; ++k) {
      const std::size_t j = (i + std::size_t(k)) % n;
      for (std::size_t s = 0; s < kFingerCount; ++s)
        if (probe[i][s] && gallery[j][s])
          local[i][s].push_back(model->finger_calibration().llr(m.score(*probe[i][s], *gallery[j][s])));
    }
  });
  std::array<std::vector<float>, kFingerCount> imp;
  for (auto& l : local)
    for (std::size_t s = 0; s < kFingerCount; ++s) imp[s].insert(imp[s].end(), l[s].begin(), l[s].end());
  local.clear();
  std::array<LlrPmf, kFingerCount> per_position;
  for (std::size_t s = 0; s < kFingerCount; ++s) {
    if (imp[s].empty()) return failed_precondition("no impostor comparison at finger position " + std::to_string(s + 1));
    r.impostor_finger_scores += imp[s].size();
    per_position[s] = LlrPmf::of_samples(imp[s]);
  }
  r.comparisons = r.impostor_finger_scores;

  say("convolving");
  std::map<std::uint16_t, LlrPmf> by_mask;
  auto pmf_for = [&](std::uint16_t mask) -> const LlrPmf& {
    auto it = by_mask.find(mask);
    if (it != by_mask.end()) return it->second;
    LlrPmf acc;
    for (int s = 0; s < kFingerCount; ++s)
      if (mask & (1u << s)) acc = LlrPmf::convolve(acc, per_position[static_cast<std::size_t>(s)]);
    return by_mask.emplace(mask, std::move(acc)).first->second;
  };
  const LlrPmf& ten = pmf_for(kAllFingers);

  say("direct identity pairs");
  // Every ordered pair (i capture 1, j capture 0), i != j, among the first D subjects.
  const std::size_t d = o.direct_subjects;
  std::vector<std::vector<float>> direct_rows(d);
  tbb::parallel_for(std::size_t{0}, d, [&](std::size_t i) {
    for (std::size_t j = 0; j < d; ++j) {
      if (j == i) continue;
      const PairLlr p = pair_llr(probe[i], gallery[j], m, *model);
      if (p.mask == kAllFingers) direct_rows[i].push_back(p.llr);
    }
  });
  std::vector<float> direct;
  for (auto& row : direct_rows) direct.insert(direct.end(), row.begin(), row.end());
  direct_rows.clear();
  std::sort(direct.begin(), direct.end());
  r.direct_pairs_10 = direct.size();
  r.comparisons += d > 1 ? d * (d - 1) * kFingerCount : 0;
  if (!direct.empty()) r.impostor_llr_max_direct = direct.back();
  auto direct_at_or_above = [&](double t) {
    return std::uint64_t(direct.end() - std::lower_bound(direct.begin(), direct.end(), float(t)));
  };

  std::vector<float> gen10;
  for (const auto& g : genuine) {
    if (g.mask == 0) continue;
    ++r.genuine_pairs;
    if (g.mask == kAllFingers) gen10.push_back(g.llr);
  }
  r.comparisons += std::uint64_t(r.genuine_pairs) * kFingerCount;
  std::sort(gen10.begin(), gen10.end());
  r.genuine_pairs_10 = gen10.size();
  if (!gen10.empty()) r.genuine_llr_median_10 = gen10[gen10.size() / 2];
  auto fnmr10 = [&](double t) {
    if (gen10.empty()) return 0.0;
    return double(std::lower_bound(gen10.begin(), gen10.end(), float(t)) - gen10.begin()) / double(gen10.size());
  };

  for (double fmr : o.fmrs) {
    FusionFmrPoint pt;
    pt.fmr = fmr;
    pt.threshold = ten.threshold_for(fmr);
    pt.fnmr_10 = fnmr10(pt.threshold);
    std::uint64_t miss = 0;
    for (const auto& g : genuine)
      if (g.mask != 0 && double(g.llr) < pmf_for(g.mask).threshold_for(fmr)) ++miss;
    pt.fnmr_all = r.genuine_pairs ? double(miss) / double(r.genuine_pairs) : 0.0;
    pt.model_threshold = model->llr_for_fmr(fmr, kFingerCount, false);
    pt.model_fnmr_10 = fnmr10(pt.model_threshold);
    pt.model_tail_eval = ten.tail(pt.model_threshold);
    pt.direct_false_matches = direct_at_or_above(pt.threshold);
    r.points.push_back(pt);
  }
  // Where direct counting resolves the tail (at least ~10 expected pairs): the convolution's
  // prediction next to the count.
  if (!direct.empty()) {
    for (double f : {1e-1, 1e-2, 1e-3, 1e-4, 1e-5}) {
      if (f * double(direct.size()) < 10.0) break;
      FusionDirectCheck c;
      c.threshold = ten.threshold_for(f);
      c.predicted_fmr = ten.tail(c.threshold);
      c.observed = direct_at_or_above(c.threshold);
      c.observed_fmr = double(c.observed) / double(direct.size());
      r.checks.push_back(c);
    }
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.cpu_seconds = process_cpu_seconds() - c0;
  return r;
}

}  // namespace tunggal::datasets
