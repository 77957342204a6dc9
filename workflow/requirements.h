#pragma once
// Who may apply for which service, and which documents each service and reason needs
// (Dukcapil KTP-el service page). Every check answers with what is missing, not just "no".
#include <string>
#include <vector>

#include "core/status.h"
#include "workflow/request.h"

namespace tunggal::workflow {

// Whole years completed on `on` (a 29 February birthday completes on 1 March in common years).
int age_on(const Date& birth, const Date& on);

// KTP-el is for residents aged 17 or more, or who are or have ever been married.
Status check_eligibility(const Applicant& a, const Date& on);

// New cards take no reason; citizens reissue for move, data change, damage or loss; foreign
// residents also for renewal (their card follows the KITAP's validity).
Status check_service_reason(Service s, Reason r);

// The applicant's own data: a valid NIK whose encoded birth date matches the stated one, a name,
// a birth date not after the request date, and an e-mail address for daring requests.
Status validate_applicant(const Applicant& a, Channel c, const Date& request_date);

// Documents that must be presented (luring) or uploaded (daring) before verification.
std::vector<Document> required_documents(Service s, Reason r);

// Documents the applicant must show when collecting the card.
std::vector<Document> hand_over_documents(Channel c);

// The required documents not among `presented`, in the order of required_documents.
std::vector<Document> missing_documents(Service s, Reason r, const std::vector<Document>& presented);

// "copy of the family card (KK), form F-1.02"
std::string describe(const std::vector<Document>& docs);

// Everything verify-docs checks: service/reason, eligibility on the request date, documents.
// kFailedPrecondition listing every problem when not satisfied.
Status check_requirements(const Request& r);

// A data change makes the old card wrong: the operator retracts it (ditarik) at verification.
bool retracts_old_card(Service s, Reason r);

}  // namespace tunggal::workflow
