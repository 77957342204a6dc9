#pragma once
// The workflow's only view of the engine: what penunggalan (the single-identity check) currently
// says about one enrollment, including what was learnt after its verdict (a reprocessing review
// case on its subject, the subject's revocation). admin/workflow_lookup.h implements VerdictLookup
// over the engine's store; the workflow never sees templates or candidates, only this answer, so
// the two can evolve separately.
#include <string>
#include <string_view>

namespace tunggal::workflow {

struct IdentityStatus {
  enum Kind {
    kPending,             // submitted, no verdict yet
    kUnique,              // UNIQUE: printing allowed
    kDuplicate,           // DUPLICATE: blocked until adjudication
    kReview,              // REVIEW: blocked until adjudication
    kRejected,            // REJECTED: biometrics unusable, the station must recapture
    kConfirmedDuplicate,  // adjudicated as the same person as an existing subject: never printed
    kDistinct,            // adjudicated DISTINCT: printing allowed
    kUnknown,             // the engine has no record of this enrollment
    kRevoked,             // the verdict's subject was removed from the gallery (admin delete): blocked
  } kind = kUnknown;
  std::string detail;  // free text from the engine, e.g. the linked subject or the reject reason
  // The NIK the capture was taken for, as the station submitted it; empty while the engine does
  // not hold the capture. The workflow links a capture only to a request for that NIK.
  std::string nik = {};
};

std::string_view to_string(IdentityStatus::Kind k);  // "UNIQUE", "PENDING", ...

// The only two answers under which a card may be printed.
inline bool allows_printing(IdentityStatus::Kind k) {
  return k == IdentityStatus::kUnique || k == IdentityStatus::kDistinct;
}

class VerdictLookup {
 public:
  virtual ~VerdictLookup() = default;
  virtual IdentityStatus status(const std::string& enrollment_id) const = 0;
};

}  // namespace tunggal::workflow
