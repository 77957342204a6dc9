#include "workflow/verdict_status.h"

namespace tunggal::workflow {

IdentityStatus identity_status(const std::optional<Verdict>& verdict, bool received,
                               const std::string& enrollment_id) {
  using K = IdentityStatus;
  if (!verdict) {
    if (received) return {K::kPending, "awaiting penunggalan"};
    return {K::kUnknown, "the engine has no enrollment " + enrollment_id};
  }
  const Verdict& v = *verdict;
  // An adjudication overrides the verdict it decided.
  if (v.decision == Decision::kDistinct)
    return {K::kDistinct, "adjudicated DISTINCT by " + v.decided_by + "; subject " + std::to_string(v.subject.value)};
  if (v.decision == Decision::kConfirmedDuplicate)
    return {K::kConfirmedDuplicate, "same person as subject " + std::to_string(v.linked_subject.value) +
                                        " (adjudicated by " + v.decided_by + ")"};
  switch (v.kind) {
    case VerdictKind::kUnique: return {K::kUnique, "subject " + std::to_string(v.subject.value)};
    case VerdictKind::kDuplicate:
      return {K::kDuplicate, v.candidates.empty()
                                 ? std::string("duplicate")
                                 : "resembles subject " + std::to_string(v.candidates.front().subject.value)};
    case VerdictKind::kReview: return {K::kReview, "awaiting adjudication"};
    case VerdictKind::kRejected: return {K::kRejected, v.reject_reason};
  }
  return {K::kUnknown, "unknown verdict kind"};
}

}  // namespace tunggal::workflow
