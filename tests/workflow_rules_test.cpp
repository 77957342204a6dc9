// Request state machine and the service page's requirement rules (no storage involved).
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "workflow/identity_status.h"
#include "workflow/request.h"
#include "workflow/request_state.h"
#include "workflow/requirements.h"

using namespace tunggal;
using namespace tunggal::workflow;

namespace {

Date date(const char* iso) {
  auto d = Date::parse(iso);
  EXPECT_TRUE(d) << iso;
  return d ? *d : Date{};
}

Applicant applicant(const char* nik, const char* birth, MaritalStatus m = MaritalStatus::kSingle) {
  Applicant a;
  auto n = Nik::parse(nik);
  EXPECT_TRUE(n) << nik;
  if (n) a.nik = *n;
  a.name = "Siti Rahayu";
  a.birth_date = date(birth);
  a.marital_status = m;
  a.email = "siti@example.id";
  return a;
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace

TEST(RequestState, HappyPathIsAllowedStepByStep) {
  using S = RequestState;
  const S path[] = {S::kSubmitted,          S::kDocumentsVerified,      S::kBiometricsRecorded,
                    S::kPenunggalanPending, S::kSingleIdentityConfirmed, S::kPrintReady,
                    S::kPrinted,            S::kHandedOver};
  for (std::size_t i = 0; i + 1 < std::size(path); ++i) {
    EXPECT_TRUE(check_transition(path[i], path[i + 1])) << to_string(path[i]) << " → " << to_string(path[i + 1]);
  }
  EXPECT_TRUE(is_terminal(S::kHandedOver));
  EXPECT_TRUE(is_terminal(S::kRejected));
  EXPECT_FALSE(is_terminal(S::kDuplicateBlocked));
}

TEST(RequestState, BranchesForDuplicatesAdjudicationAndRecapture) {
  using S = RequestState;
  EXPECT_TRUE(check_transition(S::kPenunggalanPending, S::kDuplicateBlocked));
  EXPECT_TRUE(check_transition(S::kDuplicateBlocked, S::kAdjudicatedDistinct));
  EXPECT_TRUE(check_transition(S::kAdjudicatedDistinct, S::kPrintReady));
  EXPECT_TRUE(check_transition(S::kDuplicateBlocked, S::kRejected));         // confirmed duplicate
  EXPECT_TRUE(check_transition(S::kPenunggalanPending, S::kDocumentsVerified));  // engine REJECTED
  EXPECT_TRUE(check_transition(S::kPrintReady, S::kDuplicateBlocked));       // later re-dedup hit
}

TEST(RequestState, IllegalTransitionsAreTypedErrorsNamingBothStates) {
  using S = RequestState;
  struct Case { S from, to; };
  const Case cases[] = {
      {S::kSubmitted, S::kPrinted},                   // skipping everything
      {S::kSubmitted, S::kBiometricsRecorded},        // documents not verified
      {S::kPenunggalanPending, S::kPrintReady},       // no verdict yet
      {S::kDuplicateBlocked, S::kPrintReady},         // not adjudicated
      {S::kDuplicateBlocked, S::kSingleIdentityConfirmed},
      {S::kSingleIdentityConfirmed, S::kPrinted},     // not queued
      {S::kPrinted, S::kRejected},                    // a printed card is handed over or nothing
      {S::kHandedOver, S::kSubmitted},                // closed
      {S::kRejected, S::kDocumentsVerified},          // closed
      {S::kPrintReady, S::kPrintReady},               // no self loops
  };
  for (const auto& c : cases) {
    Status s = check_transition(c.from, c.to);
    ASSERT_FALSE(s) << to_string(c.from) << " → " << to_string(c.to);
    EXPECT_EQ(s.code(), ErrorCode::kFailedPrecondition);
    EXPECT_TRUE(contains(s.message(), std::string(to_string(c.from)))) << s.message();
    EXPECT_TRUE(contains(s.message(), std::string(to_string(c.to)))) << s.message();
  }
  EXPECT_TRUE(contains(check_transition(S::kHandedOver, S::kPrinted).message(), "closed"));
}

TEST(RequestState, NamesRoundTrip) {
  for (int i = 0; i <= static_cast<int>(RequestState::kAdjudicatedDistinct); ++i) {
    const auto s = static_cast<RequestState>(i);
    auto back = parse_request_state(to_string(s));
    ASSERT_TRUE(back) << to_string(s);
    EXPECT_EQ(*back, s);
  }
  for (int i = 0; i <= static_cast<int>(Document::kRegistrationProof); ++i) {
    const auto d = static_cast<Document>(i);
    auto back = parse_document(to_string(d));
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, d);
  }
  auto bad = parse_reason("stolen");
  ASSERT_FALSE(bad);
  EXPECT_TRUE(contains(bad.error().message(), "data-change")) << bad.error().message();
}

TEST(Date, ParsesOnlyRealCalendarDates) {
  EXPECT_EQ(date("2008-02-29"), (Date{2008, 2, 29}));
  for (const char* bad : {"2007-02-29", "2024-13-01", "2024-1-01", "20240101", "2024-01-0x", "", "1850-01-01",
                          "2024-04-31"}) {
    EXPECT_FALSE(Date::parse(bad)) << bad;
  }
  // 2026-11-25 17:30 UTC is already 26 November in WIB (UTC+7).
  EXPECT_EQ(Date::from_epoch_ms_wib(1795627800000LL), (Date{2026, 11, 26}));
  EXPECT_EQ(Date::from_epoch_ms_wib(1795593600000LL), (Date{2026, 11, 25}));
}

TEST(Eligibility, SeventeenOnTheRequestDateOrEverMarried) {
  EXPECT_EQ(age_on(date("2009-11-25"), date("2026-11-24")), 16);
  EXPECT_EQ(age_on(date("2009-11-25"), date("2026-11-25")), 17);
  EXPECT_EQ(age_on(date("2008-02-29"), date("2025-02-28")), 16);
  EXPECT_EQ(age_on(date("2008-02-29"), date("2025-03-01")), 17);

  const Applicant minor = applicant("3273012511090001", "2009-11-25");
  Status s = check_eligibility(minor, date("2026-11-24"));
  ASSERT_FALSE(s);
  EXPECT_TRUE(contains(s.message(), "16")) << s.message();
  EXPECT_TRUE(contains(s.message(), "married")) << s.message();
  EXPECT_TRUE(check_eligibility(minor, date("2026-11-25")));  // the 17th birthday itself

  for (auto m : {MaritalStatus::kMarried, MaritalStatus::kDivorced, MaritalStatus::kWidowed}) {
    EXPECT_TRUE(check_eligibility(applicant("3273012511090001", "2009-11-25", m), date("2026-01-01")))
        << to_string(m);
  }
}

TEST(Requirements, ServiceAndReasonCombinations) {
  EXPECT_TRUE(check_service_reason(Service::kWniNew, Reason::kNone));
  EXPECT_TRUE(check_service_reason(Service::kOaNew, Reason::kNone));
  EXPECT_FALSE(check_service_reason(Service::kWniNew, Reason::kLoss));
  for (auto r : {Reason::kMove, Reason::kDataChange, Reason::kDamage, Reason::kLoss}) {
    EXPECT_TRUE(check_service_reason(Service::kWniReissue, r)) << to_string(r);
    EXPECT_TRUE(check_service_reason(Service::kOaReissue, r)) << to_string(r);
  }
  EXPECT_TRUE(check_service_reason(Service::kOaReissue, Reason::kRenewal));
  Status wni_renewal = check_service_reason(Service::kWniReissue, Reason::kRenewal);
  ASSERT_FALSE(wni_renewal);
  EXPECT_TRUE(contains(wni_renewal.message(), "foreign residents"));
  EXPECT_FALSE(check_service_reason(Service::kWniReissue, Reason::kNone));
}

TEST(Requirements, DocumentsPerServiceAndReason) {
  using D = Document;
  using V = std::vector<D>;
  EXPECT_EQ(required_documents(Service::kWniNew, Reason::kNone), (V{D::kKkCopy, D::kFormF102}));
  EXPECT_EQ(required_documents(Service::kOaNew, Reason::kNone), (V{D::kKkCopy, D::kTravelDocumentCopy, D::kKitapCopy}));
  for (auto s : {Service::kWniReissue, Service::kOaReissue}) {
    EXPECT_EQ(required_documents(s, Reason::kMove), (V{D::kSkp}));
    EXPECT_EQ(required_documents(s, Reason::kDataChange), (V{D::kOldCard, D::kCivilRegistrationEvidence}));
    EXPECT_EQ(required_documents(s, Reason::kDamage), (V{D::kOldCard}));
    EXPECT_EQ(required_documents(s, Reason::kLoss), (V{D::kPoliceLossReport}));
  }
  EXPECT_EQ(required_documents(Service::kOaReissue, Reason::kRenewal), (V{D::kOldCard}));
  EXPECT_EQ(hand_over_documents(Channel::kDaring), (V{D::kRegistrationProof}));
  EXPECT_TRUE(hand_over_documents(Channel::kLuring).empty());
  EXPECT_TRUE(retracts_old_card(Service::kWniReissue, Reason::kDataChange));
  EXPECT_TRUE(retracts_old_card(Service::kOaReissue, Reason::kDataChange));
  EXPECT_FALSE(retracts_old_card(Service::kWniReissue, Reason::kDamage));
  EXPECT_FALSE(retracts_old_card(Service::kWniNew, Reason::kNone));
}

TEST(Requirements, MissingDocumentsAreListedByName) {
  Request r;
  r.service = Service::kOaNew;
  r.applicant = applicant("3273011505900001", "1990-05-15");
  r.request_date = date("2026-11-25");
  r.documents = {Document::kTravelDocumentCopy};
  EXPECT_EQ(missing_documents(r.service, r.reason, r.documents),
            (std::vector<Document>{Document::kKkCopy, Document::kKitapCopy}));
  Status s = check_requirements(r);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.code(), ErrorCode::kFailedPrecondition);
  EXPECT_TRUE(contains(s.message(), "missing documents: copy of the family card (KK), copy of the permanent stay "
                                    "permit (KITAP)"))
      << s.message();
  r.documents.push_back(Document::kKitapCopy);
  r.documents.push_back(Document::kKkCopy);
  EXPECT_TRUE(check_requirements(r)) << check_requirements(r).to_string();

  // Both problems at once: under age and a missing police report.
  Request loss;
  loss.service = Service::kWniReissue;
  loss.reason = Reason::kLoss;
  loss.applicant = applicant("3273012511090001", "2009-11-25");
  loss.request_date = date("2026-06-01");
  Status both = check_requirements(loss);
  ASSERT_FALSE(both);
  EXPECT_TRUE(contains(both.message(), "age 17")) << both.message();
  EXPECT_TRUE(contains(both.message(), "police loss report")) << both.message();
}

TEST(Requirements, ApplicantDataIsCheckedAgainstTheNik) {
  const Date today = date("2026-11-25");
  EXPECT_TRUE(validate_applicant(applicant("3273011505900001", "1990-05-15"), Channel::kDaring, today));
  // Women: +40 on the day.
  EXPECT_TRUE(validate_applicant(applicant("3273015505900002", "1990-05-15"), Channel::kLuring, today));
  Status mismatch = validate_applicant(applicant("3273011505900001", "1990-05-16"), Channel::kLuring, today);
  ASSERT_FALSE(mismatch);
  EXPECT_TRUE(contains(mismatch.message(), "does not match 1990-05-16")) << mismatch.message();

  Applicant no_mail = applicant("3273011505900001", "1990-05-15");
  no_mail.email.clear();
  EXPECT_TRUE(validate_applicant(no_mail, Channel::kLuring, today));
  Status daring = validate_applicant(no_mail, Channel::kDaring, today);
  ASSERT_FALSE(daring);
  EXPECT_TRUE(contains(daring.message(), "e-mail"));

  Applicant unborn = applicant("3273011505900001", "1990-05-15");
  EXPECT_FALSE(validate_applicant(unborn, Channel::kLuring, date("1989-01-01")));
  Applicant nameless = unborn;
  nameless.name.clear();
  EXPECT_FALSE(validate_applicant(nameless, Channel::kLuring, today));
  EXPECT_FALSE(validate_applicant(Applicant{}, Channel::kLuring, today));
}

TEST(IdentityStatus, OnlyUniqueAndDistinctAllowPrinting) {
  using K = IdentityStatus::Kind;
  for (K k : {K::kPending, K::kDuplicate, K::kReview, K::kRejected, K::kConfirmedDuplicate, K::kUnknown}) {
    EXPECT_FALSE(allows_printing(k)) << to_string(k);
  }
  EXPECT_TRUE(allows_printing(K::kUnique));
  EXPECT_TRUE(allows_printing(K::kDistinct));
}
