#include "engine/verdict_policy.h"

#include <algorithm>

#include "matcher/fusion_model.h"

namespace tunggal {

Thresholds thresholds_for(double target_fpir, double review_fpir, std::uint64_t gallery_size) {
  Thresholds t;
  t.target_fpir = target_fpir;
  t.review_fpir = std::max(review_fpir, target_fpir);
  t.gallery_size = gallery_size;
  t.duplicate = FusionModel::threshold_for_fpir(target_fpir, gallery_size);
  t.review = FusionModel::threshold_for_fpir(t.review_fpir, gallery_size);
  return t;
}

Verdict decide(EnrollmentId enrollment, std::vector<Candidate> candidates, const Thresholds& t, int max_kept) {
  Verdict v;
  v.enrollment = std::move(enrollment);
  v.duplicate_threshold = t.duplicate;
  v.review_threshold = t.review;
  std::sort(candidates.begin(), candidates.end(),
            [](const Candidate& a, const Candidate& b) { return a.score > b.score; });
  // (A NaN face_led_score compares false: not face-led.)
  std::erase_if(candidates, [&](const Candidate& c) { return c.score < t.review && !(c.face_led_score >= t.face_led); });
  if (static_cast<int>(candidates.size()) > max_kept) candidates.resize(static_cast<std::size_t>(max_kept));
  if (candidates.empty()) {
    v.kind = VerdictKind::kUnique;
  } else if (candidates.front().score >= t.duplicate) {
    v.kind = VerdictKind::kDuplicate;
  } else {
    v.kind = VerdictKind::kReview;
  }
  v.candidates = std::move(candidates);
  return v;
}

}  // namespace tunggal
