#pragma once
// The engine's verdict as the workflow's IdentityStatus: one translation, used by every
// VerdictLookup (admin/workflow_lookup.h over the engine's store, offline and in the server), so
// that a request prints under the same rule wherever it is operated.
#include <optional>
#include <string>
#include <vector>

#include "core/ids.h"
#include "core/verdict.h"
#include "workflow/identity_status.h"

namespace tunggal::workflow {

// A reprocessing review case naming a subject (admin/review_cases.h), as far as printing cares.
struct SubjectCase {
  std::string id;  // "RC-12-345"
  SubjectId other;  // the other subject of the pair
  VerdictKind kind = VerdictKind::kReview;
  Decision decision = Decision::kNone;
  std::string decided_by;
};

// What was learnt about a verdict's subject after the verdict, which never changes: re-
// deduplication's review cases and the subject's revocation.
struct SubjectStanding {
  bool revoked = false;
  std::string revoked_reason;
  std::vector<SubjectCase> cases;
};

// The subject a card would be printed for: the new subject of a UNIQUE verdict or of an
// adjudicated DISTINCT one; nullopt for every other verdict.
std::optional<SubjectId> subject_to_print(const Verdict& verdict);

// `verdict` is the engine's current verdict for `enrollment_id` (nullopt while undecided);
// `received` whether the engine holds that enrollment at all (pending vs unknown); `standing`
// what is known about subject_to_print(verdict) since. A standing blocks a printable verdict:
// a CONFIRMED_DUPLICATE case → CONFIRMED_DUPLICATE, a revoked subject → REVOKED, an undecided
// case → its DUPLICATE or REVIEW; cases all adjudicated DISTINCT → DISTINCT.
IdentityStatus identity_status(const std::optional<Verdict>& verdict, bool received,
                               const std::string& enrollment_id, const SubjectStanding& standing = {});

}  // namespace tunggal::workflow
