#include "workflow/verdict_status.h"

namespace tunggal::workflow {
namespace {

std::string subject_text(SubjectId s) { return "subject " + std::to_string(s.value); }

// The verdict alone, as it was decided or adjudicated.
IdentityStatus from_verdict(const Verdict& v) {
  using K = IdentityStatus;
  // An adjudication overrides the verdict it decided.
  if (v.decision == Decision::kDistinct)
    return {K::kDistinct, "adjudicated DISTINCT by " + v.decided_by + "; " + subject_text(v.subject)};
  if (v.decision == Decision::kConfirmedDuplicate)
    return {K::kConfirmedDuplicate,
            "same person as " + subject_text(v.linked_subject) + " (adjudicated by " + v.decided_by + ")"};
  switch (v.kind) {
    case VerdictKind::kUnique: return {K::kUnique, subject_text(v.subject)};
    case VerdictKind::kDuplicate:
      return {K::kDuplicate, v.candidates.empty() ? std::string("duplicate")
                                                  : "resembles " + subject_text(v.candidates.front().subject)};
    case VerdictKind::kReview: return {K::kReview, "awaiting adjudication"};
    case VerdictKind::kRejected: return {K::kRejected, v.reject_reason};
  }
  return {K::kUnknown, "unknown verdict kind"};
}

}  // namespace

std::optional<SubjectId> subject_to_print(const Verdict& v) {
  if (v.decision == Decision::kDistinct) return v.subject;
  if (v.decision == Decision::kNone && v.kind == VerdictKind::kUnique) return v.subject;
  return std::nullopt;
}

IdentityStatus identity_status(const std::optional<Verdict>& verdict, bool received,
                               const std::string& enrollment_id, const SubjectStanding& standing) {
  using K = IdentityStatus;
  if (!verdict) {
    if (received) return {K::kPending, "awaiting penunggalan"};
    return {K::kUnknown, "the engine has no enrollment " + enrollment_id};
  }
  IdentityStatus st = from_verdict(*verdict);
  const auto subject = subject_to_print(*verdict);
  if (!subject) return st;
  // Re-deduplication and revocation come after the verdict and outrank it, strongest first: an
  // adjudicated same-person case closes the request, a revoked subject or an open case blocks it.
  const std::string whose = subject_text(*subject);
  for (const SubjectCase& c : standing.cases) {
    if (c.decision == Decision::kConfirmedDuplicate)
      return {K::kConfirmedDuplicate, whose + " is the same person as " + subject_text(c.other) + " (review case " +
                                          c.id + ", adjudicated by " + c.decided_by + ")"};
  }
  if (standing.revoked)
    return {K::kRevoked, whose + " was removed from the gallery: " + standing.revoked_reason};
  for (const SubjectCase& c : standing.cases) {
    if (c.decision == Decision::kNone)
      return {c.kind == VerdictKind::kDuplicate ? K::kDuplicate : K::kReview,
              whose + " resembles " + subject_text(c.other) + " (re-deduplication review case " + c.id +
                  ", awaiting adjudication)"};
  }
  if (!standing.cases.empty() && st.kind == K::kUnique) {
    // Every case on the subject was adjudicated DISTINCT: released the way a DISTINCT verdict is.
    const SubjectCase& c = standing.cases.back();
    return {K::kDistinct, whose + ": review case " + c.id + " adjudicated DISTINCT by " + c.decided_by};
  }
  return st;
}

}  // namespace tunggal::workflow
