#include "workflow/requirements.h"

#include <algorithm>
#include <cstdio>
#include <string>
#include <utility>

#include "core/utf8.h"

namespace tunggal::workflow {

int age_on(const Date& birth, const Date& on) {
  int age = on.year - birth.year;
  if (on.month < birth.month || (on.month == birth.month && on.day < birth.day)) --age;
  return age;
}

Status check_eligibility(const Applicant& a, const Date& on) {
  constexpr int kMinimumAge = 17;
  if (a.marital_status != MaritalStatus::kSingle) return Status::ok();  // married or ever married
  const int age = age_on(a.birth_date, on);
  if (age >= kMinimumAge) return Status::ok();
  return failed_precondition("applicant is " + std::to_string(age) + " on " + on.str() +
                             " and has never been married; KTP-el requires age 17 or more, or "
                             "married or ever married");
}

Status check_service_reason(Service s, Reason r) {
  const bool is_new = s == Service::kWniNew || s == Service::kOaNew;
  if (is_new) {
    if (r == Reason::kNone) return Status::ok();
    return invalid_argument("a new card takes no reason, got '" + std::string(to_string(r)) + "'");
  }
  if (r == Reason::kNone) {
    return invalid_argument("a reissue needs a reason: move, data-change, damage, loss" +
                            std::string(s == Service::kOaReissue ? " or renewal" : ""));
  }
  if (r == Reason::kRenewal && s == Service::kWniReissue) {
    return invalid_argument("renewal is a reason for foreign residents (oa-reissue) only; a citizen's "
                            "KTP-el does not expire");
  }
  return Status::ok();
}

Status validate_applicant(const Applicant& a, Channel c, const Date& request_date) {
  if (a.nik.empty()) return invalid_argument("applicant NIK is missing");
  if (a.name.empty()) return invalid_argument("applicant name is missing");
  // The name goes on the card: a byte that is not UTF-8 (a name typed in a Latin-1 terminal) is
  // refused, not stored with a replacement character in its place.
  for (const auto& [what, text] : {std::pair<const char*, const std::string&>{"name", a.name}, {"e-mail address", a.email}})
    if (const auto bad = first_invalid_utf8(text)) {
      char at[64];
      std::snprintf(at, sizeof at, "byte 0x%02X at offset %zu", static_cast<unsigned>(static_cast<unsigned char>(text[*bad])), *bad);
      return invalid_argument(std::string("applicant ") + what + " is not valid UTF-8 (" + at +
                              "); enter it again from a UTF-8 terminal or form");
    }
  const Date& b = a.birth_date;
  if (b.year == 0) return invalid_argument("applicant birth date is missing");
  if (b > request_date) {
    return invalid_argument("birth date " + b.str() + " is after the request date " + request_date.str());
  }
  if (a.nik.birth_day() != b.day || a.nik.birth_month() != b.month ||
      a.nik.birth_year_two_digits() != b.year % 100) {
    return invalid_argument("NIK " + a.nik.str() + " encodes birth date " + a.nik.str().substr(6, 6) +
                            " (DDMMYY, +40 on the day for women), which does not match " + b.str());
  }
  if (c == Channel::kDaring && a.email.find('@') == std::string::npos) {
    return invalid_argument("an online (daring) request needs the applicant's e-mail address for the "
                            "notification and the print PIN");
  }
  return Status::ok();
}

std::vector<Document> required_documents(Service s, Reason r) {
  using D = Document;
  switch (s) {
    case Service::kWniNew: return {D::kKkCopy, D::kFormF102};
    case Service::kOaNew: return {D::kKkCopy, D::kTravelDocumentCopy, D::kKitapCopy};
    case Service::kWniReissue:
    case Service::kOaReissue:
      switch (r) {
        case Reason::kMove: return {D::kSkp};
        case Reason::kDataChange: return {D::kOldCard, D::kCivilRegistrationEvidence};
        case Reason::kDamage: return {D::kOldCard};  // the damaged card itself
        case Reason::kLoss: return {D::kPoliceLossReport};
        case Reason::kRenewal: return {D::kOldCard};
        case Reason::kNone: return {};
      }
  }
  return {};
}

std::vector<Document> hand_over_documents(Channel c) {
  if (c == Channel::kDaring) return {Document::kRegistrationProof};
  return {};
}

std::vector<Document> missing_documents(Service s, Reason r, const std::vector<Document>& presented) {
  std::vector<Document> missing;
  for (Document d : required_documents(s, r)) {
    if (std::find(presented.begin(), presented.end(), d) == presented.end()) missing.push_back(d);
  }
  return missing;
}

std::string describe(const std::vector<Document>& docs) {
  std::string out;
  for (Document d : docs) out += (out.empty() ? "" : ", ") + std::string(describe(d));
  return out;
}

Status check_requirements(const Request& r) {
  if (Status s = check_service_reason(r.service, r.reason); !s) return s;
  std::string problems;
  if (Status s = check_eligibility(r.applicant, r.request_date); !s) problems = s.message();
  const auto missing = missing_documents(r.service, r.reason, r.documents);
  if (!missing.empty()) {
    problems += (problems.empty() ? "" : "; ") + std::string("missing documents: ") + describe(missing);
  }
  if (problems.empty()) return Status::ok();
  return failed_precondition(problems);
}

bool retracts_old_card(Service s, Reason r) {
  return (s == Service::kWniReissue || s == Service::kOaReissue) && r == Reason::kDataChange;
}

}  // namespace tunggal::workflow
