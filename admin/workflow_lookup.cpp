#include "admin/workflow_lookup.h"

#include "admin/review_cases.h"
#include "workflow/verdict_status.h"

namespace tunggal::admin {
namespace {

using workflow::IdentityStatus;

// Unreadable records answer UNKNOWN with the reason: never a status that allows printing.
IdentityStatus unreadable(const std::string& what, const Status& s) {
  return {IdentityStatus::kUnknown, "engine store unreadable (" + what + "): " + s.message()};
}

class StoreLookup final : public workflow::VerdictLookup {
 public:
  StoreLookup(const engine::Store& store, std::unique_ptr<engine::Store> owned)
      : owned_(std::move(owned)), store_(store) {}

  IdentityStatus status(const std::string& enrollment_id) const override {
    const EnrollmentId id{enrollment_id};
    auto v = store_.verdict(id);
    if (!v) return unreadable("verdict", v.error());
    auto e = store_.enrollment(id);
    if (!e) return unreadable("enrollment", e.error());
    workflow::SubjectStanding standing;
    if (*v) {
      if (const auto subject = workflow::subject_to_print(**v)) {
        auto rec = store_.subject(*subject);
        if (!rec) return unreadable("subject", rec.error());
        if (*rec && (*rec)->state == engine::SubjectState::kRevoked) {
          standing.revoked = true;
          standing.revoked_reason = (*rec)->revoked_reason;
        }
        auto cases = cases_of(store_, *subject);
        if (!cases) return unreadable("review cases", cases.error());
        for (const ReviewCase& c : *cases) {
          standing.cases.push_back({c.id(), c.a == *subject ? c.b : c.a, c.kind, c.decision, c.decided_by});
        }
      }
    }
    IdentityStatus st = workflow::identity_status(*v, v->has_value() || e->has_value(), enrollment_id, standing);
    if (*e) st.nik = (*e)->enrollment.nik.str();
    return st;
  }

 private:
  std::unique_ptr<engine::Store> owned_;
  const engine::Store& store_;
};

}  // namespace

std::unique_ptr<workflow::VerdictLookup> workflow_lookup(const engine::Store& store) {
  return std::make_unique<StoreLookup>(store, nullptr);
}

std::unique_ptr<workflow::VerdictLookup> workflow_lookup(std::unique_ptr<engine::Store> store) {
  const engine::Store& ref = *store;
  return std::make_unique<StoreLookup>(ref, std::move(store));
}

}  // namespace tunggal::admin
