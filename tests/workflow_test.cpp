// The request workflow end to end over a real RocksDB store in a temporary directory: every step,
// the print gate on the engine's answer, PINs, outbox, old cards, SLA, persistence.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <unistd.h>

#include <rocksdb/db.h>

#include "workflow/detail/record_json.h"
#include "workflow/request_state.h"
#include "workflow/request_workflow.h"
#include "workflow/workflow_store.h"

using namespace tunggal;
using namespace tunggal::workflow;
using K = IdentityStatus::Kind;
using S = RequestState;

namespace {

constexpr std::int64_t kHour = 3600LL * 1000;
constexpr std::int64_t kDay = 24 * kHour;
constexpr std::int64_t kT0 = 1795593600000LL;  // 2026-11-25 08:00 UTC, 15:00 WIB

// Test double of the interface the engine implements: a table of answers per enrollment, and the
// NIK each capture was taken for (reported once the table has an answer for it, as the engine
// knows a capture's NIK once it has received it). tests/workflow_engine_test.cpp runs the real one.
class TableVerdicts : public VerdictLookup {
 public:
  IdentityStatus status(const std::string& enrollment_id) const override {
    auto it = table.find(enrollment_id);
    if (it == table.end()) return IdentityStatus{K::kUnknown, ""};
    IdentityStatus st = it->second;
    if (auto n = nik_of.find(enrollment_id); n != nik_of.end()) st.nik = n->second;
    return st;
  }
  void set(const std::string& id, K kind, std::string detail = {}) { table[id] = {kind, std::move(detail)}; }
  std::map<std::string, IdentityStatus> table;
  std::map<std::string, std::string> nik_of;
};

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

class WorkflowTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static int n = 0;
    dir_ = std::filesystem::temp_directory_path() /
           ("tunggal_workflow_test_" + std::to_string(::getpid()) + "_" + std::to_string(n++));
    std::filesystem::remove_all(dir_);
    reopen();
  }
  void TearDown() override {
    flow_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void reopen() {
    flow_.reset();
    store_.reset();
    auto s = WorkflowStore::open(dir_.string());
    ASSERT_TRUE(s) << s.error().to_string();
    store_ = std::move(*s);
    flow_ = std::make_unique<RequestWorkflow>(*store_);
  }

  // A new applicant each call (one open request per NIK): Siti Rahayu's NIK with the next serial.
  static NewRequest wni_new(Channel c = Channel::kLuring) {
    static std::atomic<int> serial{1};
    char nik[32];
    std::snprintf(nik, sizeof nik, "327301550590%04d", serial++ % 9999 + 1);
    NewRequest req;
    req.service = Service::kWniNew;
    req.channel = c;
    req.applicant.nik = *Nik::parse(nik);
    req.applicant.name = "Siti Rahayu";
    req.applicant.birth_date = *Date::parse("1990-05-15");
    req.applicant.marital_status = MaritalStatus::kSingle;
    req.applicant.email = "siti@example.id";
    req.documents = {Document::kKkCopy, Document::kFormF102};
    return req;
  }

  // Links a capture the station took for the request's applicant.
  Expected<Request> record(const std::string& id, const std::string& enrollment, std::int64_t t) {
    if (auto r = flow_->get(id)) verdicts_.nik_of[enrollment] = r->applicant.nik.str();
    return flow_->record_biometrics(id, enrollment, verdicts_, t);
  }

  Request submit(const NewRequest& req, std::int64_t t = kT0) {
    auto r = flow_->submit(req, t);
    EXPECT_TRUE(r) << r.error().to_string();
    return r ? *r : Request{};
  }

  // Submit, verify, record and refresh with UNIQUE: a request waiting at print_ready.
  Request ready_to_print(Channel c, const std::string& enrollment) {
    Request r = submit(wni_new(c));
    EXPECT_TRUE(flow_->verify_documents(r.id, {}, kT0 + 1));
    EXPECT_TRUE(record(r.id, enrollment, kT0 + 2));
    verdicts_.set(enrollment, K::kUnique, "subject 42");
    auto ready = flow_->refresh(r.id, verdicts_, kT0 + 3);
    EXPECT_TRUE(ready) << ready.error().to_string();
    EXPECT_EQ(ready->state, S::kPrintReady);
    return *ready;
  }

  std::string pin_in_outbox(const std::string& request_id) {
    auto box = flow_->outbox();
    EXPECT_TRUE(box);
    std::string pin;
    for (const auto& n : *box) {
      if (n.request_id == request_id && !n.secret.empty()) pin = n.secret;  // the latest one
    }
    return pin;
  }

  std::filesystem::path dir_;
  std::unique_ptr<WorkflowStore> store_;
  std::unique_ptr<RequestWorkflow> flow_;
  TableVerdicts verdicts_;
};

}  // namespace

TEST_F(WorkflowTest, LuringNewCardGoesFromSubmissionToHandOver) {
  NewRequest req = wni_new();
  req.documents = {Document::kKkCopy};  // F-1.02 forgotten
  Request r = submit(req);
  EXPECT_EQ(r.id, "REQ-00000001");
  EXPECT_TRUE(r.register_number.empty());  // register numbers are for online requests
  EXPECT_EQ(r.fee_rupiah, 0);
  EXPECT_EQ(r.request_date, (Date{2026, 11, 25}));
  EXPECT_EQ(r.state, S::kSubmitted);

  auto missing = flow_->verify_documents(r.id, {}, kT0 + 1);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_TRUE(contains(missing.error().message(), "missing documents: form F-1.02")) << missing.error().message();
  EXPECT_EQ(flow_->get(r.id)->state, S::kSubmitted);
  EXPECT_TRUE(contains(flow_->get(r.id)->note, "form F-1.02"));

  auto verified = flow_->verify_documents(r.id, {Document::kFormF102}, kT0 + 2);
  ASSERT_TRUE(verified) << verified.error().to_string();
  EXPECT_EQ(verified->state, S::kDocumentsVerified);
  ASSERT_TRUE(record(r.id, "ENR-1", kT0 + 3));

  auto unknown = flow_->refresh(r.id, verdicts_, kT0 + 4);  // the engine has not seen ENR-1 yet
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->state, S::kPenunggalanPending);
  EXPECT_TRUE(contains(unknown->note, "no record of enrollment ENR-1")) << unknown->note;
  verdicts_.set("ENR-1", K::kPending);
  auto pending = flow_->refresh(r.id, verdicts_, kT0 + 4);
  ASSERT_TRUE(pending);
  EXPECT_EQ(pending->state, S::kPenunggalanPending);

  verdicts_.set("ENR-1", K::kUnique);
  auto ready = flow_->refresh(r.id, verdicts_, kT0 + 5);
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->state, S::kPrintReady);

  auto printed = flow_->print(r.id, verdicts_, std::nullopt, kT0 + 6);
  ASSERT_TRUE(printed) << printed.error().to_string();
  EXPECT_EQ(printed->state, S::kPrinted);
  auto done = flow_->hand_over(r.id, {}, kT0 + 7);
  ASSERT_TRUE(done) << done.error().to_string();
  EXPECT_EQ(done->state, S::kHandedOver);

  std::vector<S> visited;
  for (const auto& h : done->history) visited.push_back(h.to);
  EXPECT_EQ(visited, (std::vector<S>{S::kSubmitted, S::kDocumentsVerified, S::kBiometricsRecorded,
                                     S::kPenunggalanPending, S::kSingleIdentityConfirmed, S::kPrintReady,
                                     S::kPrinted, S::kHandedOver}));
  EXPECT_TRUE(flow_->outbox()->empty());  // at the counter nobody is e-mailed
}

TEST_F(WorkflowTest, PrintingIsRefusedUnlessTheEngineSaysUniqueOrDistinctNow) {
  const Request r = ready_to_print(Channel::kLuring, "ENR-7");
  for (K refused : {K::kDuplicate, K::kReview, K::kPending, K::kRejected, K::kConfirmedDuplicate, K::kUnknown,
                    K::kRevoked}) {
    verdicts_.set("ENR-7", refused, "candidate subject 9");
    auto p = flow_->print(r.id, verdicts_, std::nullopt, kT0 + 10);
    ASSERT_FALSE(p) << to_string(refused);
    EXPECT_EQ(p.error().code(), ErrorCode::kPermissionDenied) << to_string(refused);
    EXPECT_TRUE(contains(p.error().message(), std::string(to_string(refused)))) << p.error().message();
    EXPECT_EQ(flow_->get(r.id)->state, S::kPrintReady);
  }
  verdicts_.set("ENR-7", K::kDistinct);
  auto p = flow_->print(r.id, verdicts_, std::nullopt, kT0 + 11);
  ASSERT_TRUE(p) << p.error().to_string();
  EXPECT_EQ(p->state, S::kPrinted);
  // Printed once: a second print is an illegal transition.
  auto again = flow_->print(r.id, verdicts_, std::nullopt, kT0 + 12);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code(), ErrorCode::kFailedPrecondition);
}

TEST_F(WorkflowTest, RequestsThatNeverReachedPrintReadyCannotPrint) {
  Request r = submit(wni_new());
  verdicts_.set("ENR-2", K::kUnique);
  auto early = flow_->print(r.id, verdicts_, std::nullopt, kT0 + 1);
  ASSERT_FALSE(early);
  EXPECT_EQ(early.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_TRUE(contains(early.error().message(), "submitted → printed")) << early.error().message();

  ASSERT_TRUE(flow_->verify_documents(r.id, {}, kT0 + 1));
  ASSERT_TRUE(record(r.id, "ENR-2", kT0 + 2));
  verdicts_.set("ENR-2", K::kDuplicate, "subject 17 at 8.2");
  auto blocked = flow_->refresh(r.id, verdicts_, kT0 + 3);
  ASSERT_TRUE(blocked);
  EXPECT_EQ(blocked->state, S::kDuplicateBlocked);
  EXPECT_TRUE(contains(blocked->note, "subject 17")) << blocked->note;
  verdicts_.set("ENR-2", K::kUnique);  // even if the lookup were wrong, the state machine holds
  auto p = flow_->print(r.id, verdicts_, std::nullopt, kT0 + 4);
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().code(), ErrorCode::kFailedPrecondition);
}

TEST_F(WorkflowTest, AdjudicationOutcomesDriveTheBranches) {
  // REVIEW, then adjudicated DISTINCT: released for printing through adjudicated_distinct.
  Request a = submit(wni_new());
  ASSERT_TRUE(flow_->verify_documents(a.id, {}, kT0));
  ASSERT_TRUE(record(a.id, "ENR-A", kT0));
  verdicts_.set("ENR-A", K::kReview);
  EXPECT_EQ(flow_->refresh(a.id, verdicts_, kT0 + 1)->state, S::kDuplicateBlocked);
  EXPECT_EQ(flow_->refresh(a.id, verdicts_, kT0 + 2)->state, S::kDuplicateBlocked);  // still undecided
  verdicts_.set("ENR-A", K::kDistinct, "admin budi");
  auto released = flow_->refresh(a.id, verdicts_, kT0 + 3);
  ASSERT_TRUE(released);
  EXPECT_EQ(released->state, S::kPrintReady);
  ASSERT_GE(released->history.size(), 2u);
  EXPECT_EQ(released->history[released->history.size() - 2].to, S::kAdjudicatedDistinct);

  // DUPLICATE, then confirmed: closed, never printed.
  Request b = submit(wni_new());
  ASSERT_TRUE(flow_->verify_documents(b.id, {}, kT0));
  ASSERT_TRUE(record(b.id, "ENR-B", kT0));
  verdicts_.set("ENR-B", K::kDuplicate);
  EXPECT_EQ(flow_->refresh(b.id, verdicts_, kT0 + 1)->state, S::kDuplicateBlocked);
  verdicts_.set("ENR-B", K::kConfirmedDuplicate, "linked to subject 3");
  EXPECT_EQ(flow_->refresh(b.id, verdicts_, kT0 + 2)->state, S::kRejected);

  // Engine REJECTED the capture: back to documents_verified to record again.
  Request c = submit(wni_new());
  ASSERT_TRUE(flow_->verify_documents(c.id, {}, kT0));
  ASSERT_TRUE(record(c.id, "ENR-C", kT0));
  verdicts_.set("ENR-C", K::kRejected, "right index too few minutiae");
  auto recapture = flow_->refresh(c.id, verdicts_, kT0 + 1);
  ASSERT_TRUE(recapture);
  EXPECT_EQ(recapture->state, S::kDocumentsVerified);
  EXPECT_TRUE(recapture->enrollment_id.empty());
  EXPECT_TRUE(contains(recapture->note, "too few minutiae")) << recapture->note;
  EXPECT_TRUE(record(c.id, "ENR-C2", kT0 + 2));

  // A card waiting for print whose person a re-deduplication now flags goes back to blocked.
  Request d = ready_to_print(Channel::kLuring, "ENR-D");
  verdicts_.set("ENR-D", K::kDuplicate);
  EXPECT_EQ(flow_->refresh(d.id, verdicts_, kT0 + 9)->state, S::kDuplicateBlocked);

  // refresh_all reports only those whose state changed.
  verdicts_.set("ENR-C2", K::kUnique);
  auto changed = flow_->refresh_all(verdicts_, kT0 + 10);
  ASSERT_TRUE(changed) << changed.error().to_string();
  ASSERT_EQ(changed->size(), 1u);
  EXPECT_EQ((*changed)[0].id, c.id);
  EXPECT_EQ((*changed)[0].state, S::kPrintReady);
}

TEST_F(WorkflowTest, IllegalStepsAreTypedErrorsAndChangeNothing) {
  Request r = submit(wni_new());
  auto bio = record(r.id, "ENR-1", kT0);
  ASSERT_FALSE(bio);
  EXPECT_EQ(bio.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_TRUE(contains(bio.error().message(), "submitted → biometrics_recorded")) << bio.error().message();
  auto hand = flow_->hand_over(r.id, {}, kT0);
  ASSERT_FALSE(hand);
  EXPECT_EQ(hand.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(flow_->get(r.id)->state, S::kSubmitted);
  EXPECT_EQ(flow_->get(r.id)->history.size(), 1u);

  EXPECT_EQ(record(r.id, "", kT0).error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(flow_->reject(r.id, "", kT0).error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(flow_->get("REQ-99999999").error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(flow_->verify_documents("nope", {}, kT0).error().code(), ErrorCode::kNotFound);

  const Request printed = ready_to_print(Channel::kLuring, "ENR-P");
  ASSERT_TRUE(flow_->print(printed.id, verdicts_, std::nullopt, kT0 + 5));
  auto late_reject = flow_->reject(printed.id, "changed mind", kT0 + 6);
  ASSERT_FALSE(late_reject);
  EXPECT_EQ(late_reject.error().code(), ErrorCode::kFailedPrecondition);
  auto reverify = flow_->verify_documents(printed.id, {}, kT0 + 6);
  ASSERT_FALSE(reverify);
  EXPECT_EQ(reverify.error().code(), ErrorCode::kFailedPrecondition);
}

TEST_F(WorkflowTest, SubmissionChecksApplicantAndServiceAndStoresNothingOnError) {
  NewRequest bad_reason = wni_new();
  bad_reason.reason = Reason::kLoss;
  EXPECT_EQ(flow_->submit(bad_reason, kT0).error().code(), ErrorCode::kInvalidArgument);
  NewRequest wrong_birth = wni_new();
  wrong_birth.applicant.birth_date = *Date::parse("1991-05-15");
  auto w = flow_->submit(wrong_birth, kT0);
  ASSERT_FALSE(w);
  EXPECT_TRUE(contains(w.error().message(), "does not match")) << w.error().message();
  NewRequest no_mail = wni_new(Channel::kDaring);
  no_mail.applicant.email = "";
  EXPECT_EQ(flow_->submit(no_mail, kT0).error().code(), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(flow_->list()->empty());
  EXPECT_EQ(submit(wni_new()).id, "REQ-00000001");  // no number was used up
}

TEST_F(WorkflowTest, UnderageApplicantFailsVerificationAndCanBeRejected) {
  NewRequest req = wni_new();
  req.applicant.nik = *Nik::parse("3273011506100001");
  req.applicant.birth_date = *Date::parse("2010-06-15");
  Request r = submit(req);
  auto v = flow_->verify_documents(r.id, {}, kT0);
  ASSERT_FALSE(v);
  EXPECT_TRUE(contains(v.error().message(), "applicant is 16")) << v.error().message();
  auto rejected = flow_->reject(r.id, "under 17 and never married", kT0 + 1);
  ASSERT_TRUE(rejected);
  EXPECT_EQ(rejected->state, S::kRejected);
  EXPECT_FALSE(is_overdue(*rejected, kT0 + 10 * kDay, SlaPolicy{}));

  req.applicant.marital_status = MaritalStatus::kMarried;  // married at 16: eligible
  Request married = submit(req);
  EXPECT_TRUE(flow_->verify_documents(married.id, {}, kT0));
}

TEST_F(WorkflowTest, DaringGetsRegisterNumbersNotificationsAndAOneTimePin) {
  Request r = ready_to_print(Channel::kDaring, "ENR-D1");
  EXPECT_EQ(r.register_number, "REG-20261125-000001");
  EXPECT_EQ(submit(wni_new(Channel::kDaring)).register_number, "REG-20261125-000002");
  // The next WIB day restarts the daily sequence (08:00 UTC + 17 h = 08:00 WIB the next day).
  EXPECT_EQ(submit(wni_new(Channel::kDaring), kT0 + 17 * kHour).register_number, "REG-20261126-000001");

  auto box = flow_->outbox();
  ASSERT_TRUE(box);
  ASSERT_GE(box->size(), 2u);
  EXPECT_EQ((*box)[0].recipient, "siti@example.id");
  EXPECT_TRUE(contains((*box)[0].body, "REG-20261125-000001"));
  const std::string pin = pin_in_outbox(r.id);
  ASSERT_EQ(pin.size(), 6u);

  // Stored hashed: the PIN's digits appear nowhere in the stored PIN record.
  auto stored = store_->pin(r.id);
  ASSERT_TRUE(stored && *stored);
  EXPECT_FALSE(contains(detail::to_json(**stored).dump(), pin));
  EXPECT_EQ((*stored)->expires_at_ms - (*stored)->issued_at_ms, 24 * kHour);

  auto no_pin = flow_->print(r.id, verdicts_, std::nullopt, kT0 + 10);
  ASSERT_FALSE(no_pin);
  EXPECT_EQ(no_pin.error().code(), ErrorCode::kInvalidArgument);
  const std::string wrong = pin == "000000" ? "111111" : "000000";
  auto bad = flow_->print(r.id, verdicts_, wrong, kT0 + 11);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), ErrorCode::kPermissionDenied);
  EXPECT_TRUE(contains(bad.error().message(), "2 attempt(s) left")) << bad.error().message();
  EXPECT_EQ((*store_->pin(r.id))->failed_attempts, 1);  // the failed try is remembered

  auto printed = flow_->print(r.id, verdicts_, pin, kT0 + 12);
  ASSERT_TRUE(printed) << printed.error().to_string();
  EXPECT_EQ(printed->state, S::kPrinted);
  EXPECT_TRUE((*store_->pin(r.id))->used);

  auto no_proof = flow_->hand_over(r.id, {}, kT0 + 13);
  ASSERT_FALSE(no_proof);
  EXPECT_TRUE(contains(no_proof.error().message(), "registration proof")) << no_proof.error().message();
  auto done = flow_->hand_over(r.id, {Document::kRegistrationProof}, kT0 + 14);
  ASSERT_TRUE(done);
  EXPECT_EQ(done->state, S::kHandedOver);
}

TEST_F(WorkflowTest, PinExpiresLocksAfterWrongTriesAndCanBeReissued) {
  Request r = ready_to_print(Channel::kDaring, "ENR-X");
  std::string pin = pin_in_outbox(r.id);
  auto expired = flow_->print(r.id, verdicts_, pin, kT0 + 3 + 24 * kHour);
  ASSERT_FALSE(expired);
  EXPECT_TRUE(contains(expired.error().message(), "expired")) << expired.error().message();

  ASSERT_TRUE(flow_->reissue_pin(r.id, kT0 + 25 * kHour));
  const std::string fresh = pin_in_outbox(r.id);
  const std::string wrong = fresh == "123456" ? "654321" : "123456";
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(flow_->print(r.id, verdicts_, wrong, kT0 + 26 * kHour));
  auto locked = flow_->print(r.id, verdicts_, fresh, kT0 + 26 * kHour);
  ASSERT_FALSE(locked);
  EXPECT_TRUE(contains(locked.error().message(), "locked")) << locked.error().message();

  ASSERT_TRUE(flow_->reissue_pin(r.id, kT0 + 27 * kHour));
  auto ok = flow_->print(r.id, verdicts_, pin_in_outbox(r.id), kT0 + 27 * kHour);
  ASSERT_TRUE(ok) << ok.error().to_string();

  // No PINs for requests at the counter, nor before print_ready.
  Request luring = submit(wni_new());
  EXPECT_EQ(flow_->reissue_pin(luring.id, kT0).error().code(), ErrorCode::kFailedPrecondition);
}

TEST(PrintPin, SingleUseAndMalformedInputDoesNotCount) {
  const PinPolicy policy;
  auto issued = issue_print_pin("REQ-1", kT0, policy);
  ASSERT_TRUE(issued);
  PrintPin rec = issued->record;
  EXPECT_EQ(redeem_print_pin(rec, "12a456", kT0, policy).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(rec.failed_attempts, 0);
  ASSERT_TRUE(redeem_print_pin(rec, issued->pin, kT0, policy));
  Status twice = redeem_print_pin(rec, issued->pin, kT0, policy);
  ASSERT_FALSE(twice);
  EXPECT_TRUE(contains(twice.message(), "already been used"));
  // Two PINs differ in salt, and (almost always) in value.
  auto other = issue_print_pin("REQ-1", kT0, policy);
  EXPECT_NE(other->record.salt_hex, rec.salt_hex);
}

TEST_F(WorkflowTest, OldCardsAreRetractedOnDataChangeAndLoggedForDestruction) {
  NewRequest change = wni_new();
  change.service = Service::kWniReissue;
  change.reason = Reason::kDataChange;
  change.documents = {Document::kOldCard};
  Request a = submit(change);
  auto missing = flow_->verify_documents(a.id, {}, kT0);
  ASSERT_FALSE(missing);
  EXPECT_TRUE(contains(missing.error().message(), "civil-registration change")) << missing.error().message();
  EXPECT_TRUE(flow_->old_cards()->empty());  // nothing logged while unverified
  auto verified = flow_->verify_documents(a.id, {Document::kCivilRegistrationEvidence}, kT0 + 1);
  ASSERT_TRUE(verified);
  EXPECT_TRUE(contains(verified->note, "retracted"));

  NewRequest damaged = wni_new();
  damaged.service = Service::kOaReissue;
  damaged.reason = Reason::kDamage;
  damaged.documents = {Document::kOldCard};
  Request b = submit(damaged);
  ASSERT_TRUE(flow_->verify_documents(b.id, {}, kT0 + 2));

  NewRequest lost = wni_new();
  lost.service = Service::kWniReissue;
  lost.reason = Reason::kLoss;
  lost.documents = {Document::kPoliceLossReport};
  ASSERT_TRUE(flow_->verify_documents(submit(lost).id, {}, kT0 + 3));

  auto cards = flow_->old_cards();
  ASSERT_TRUE(cards);
  ASSERT_EQ(cards->size(), 2u);  // no card for a loss
  EXPECT_EQ((*cards)[0].request_id, a.id);
  EXPECT_TRUE((*cards)[0].retracted);
  EXPECT_EQ((*cards)[0].reason, "data-change");
  EXPECT_EQ((*cards)[1].request_id, b.id);
  EXPECT_FALSE((*cards)[1].retracted);

  auto sent = flow_->send_old_cards_to_dinas(kT0 + kDay);
  ASSERT_TRUE(sent);
  EXPECT_EQ(sent->size(), 2u);
  auto after = flow_->old_cards();  // named: a range-for over *temporary() would dangle
  ASSERT_TRUE(after);
  for (const auto& c : *after) EXPECT_EQ(c.sent_to_dinas_at_ms, kT0 + kDay);
  EXPECT_TRUE(flow_->send_old_cards_to_dinas(kT0 + 2 * kDay)->empty());
}

TEST_F(WorkflowTest, OverdueListsOpenRequestsPastTheirChannelTarget) {
  Request luring = submit(wni_new(), kT0);
  Request daring = submit(wni_new(Channel::kDaring), kT0);
  Request finished = ready_to_print(Channel::kLuring, "ENR-F");
  ASSERT_TRUE(flow_->print(finished.id, verdicts_, std::nullopt, kT0 + 1));
  ASSERT_TRUE(flow_->hand_over(finished.id, {}, kT0 + 2));

  EXPECT_TRUE(flow_->overdue(kT0 + kDay)->empty());  // exactly at the deadline is on time
  auto one = flow_->overdue(kT0 + kDay + 1);
  ASSERT_TRUE(one);
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ((*one)[0].request.id, luring.id);
  EXPECT_EQ((*one)[0].deadline_ms, kT0 + kDay);

  auto both = flow_->overdue(kT0 + 4 * kDay);
  ASSERT_EQ(both->size(), 2u);
  EXPECT_EQ((*both)[0].request.id, luring.id);  // most overdue first
  EXPECT_EQ((*both)[0].overdue_by_ms, 3 * kDay);
  EXPECT_EQ((*both)[1].request.id, daring.id);
  EXPECT_EQ((*both)[1].overdue_by_ms, kDay);
}

TEST_F(WorkflowTest, TakingTheOutboxHandsEachPinOverOnce) {
  Request r = ready_to_print(Channel::kDaring, "ENR-O");
  auto taken = flow_->take_outbox(kT0 + 5);
  ASSERT_TRUE(taken);
  ASSERT_EQ(taken->size(), 3u);  // registration, documents verified, then the PIN
  EXPECT_EQ((*taken)[2].secret.size(), 6u);
  EXPECT_TRUE(flow_->outbox()->empty());
  auto stored = store_->notifications();
  ASSERT_TRUE(stored);
  for (const auto& n : *stored) {
    EXPECT_TRUE(n.secret.empty());
    EXPECT_EQ(n.taken_at_ms, kT0 + 5);
  }
  EXPECT_TRUE(flow_->take_outbox(kT0 + 6)->empty());
}

TEST_F(WorkflowTest, EverythingSurvivesReopeningAndTheDirectoryIsLocked) {
  Request r = ready_to_print(Channel::kDaring, "ENR-R");
  auto second = WorkflowStore::open(dir_.string());
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code(), ErrorCode::kLocked) << second.error().to_string();

  reopen();
  auto back = flow_->get(r.id);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->state, S::kPrintReady);
  EXPECT_EQ(back->register_number, r.register_number);
  EXPECT_EQ(back->history.size(), r.history.size());
  EXPECT_EQ(detail::to_json(*back), detail::to_json(r));
  const std::string pin = pin_in_outbox(r.id);
  ASSERT_TRUE(flow_->print(r.id, verdicts_, pin, kT0 + 10));
  EXPECT_EQ(submit(wni_new(Channel::kDaring)).id, "REQ-00000002");
  EXPECT_EQ(flow_->list()->back().register_number, "REG-20261125-000002");
  EXPECT_TRUE(std::filesystem::exists(dir_ / "workflow"));
}

TEST(RecordJson, StoredRecordsThatDoNotDecodeAreCorruption) {
  nlohmann::json j = {{"id", "REQ-1"}};
  auto r = detail::request_from_json(j);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kCorruption);
  Request ok;
  ok.id = "REQ-1";
  ok.applicant.nik = *Nik::parse("3273011505900001");
  auto stored = detail::to_json(ok);
  stored["state"] = "teleported";
  auto bad_state = detail::request_from_json(stored);
  ASSERT_FALSE(bad_state);
  EXPECT_TRUE(contains(bad_state.error().message(), "teleported")) << bad_state.error().message();
  stored["state"] = "printed";
  EXPECT_TRUE(detail::request_from_json(stored));
}

TEST_F(WorkflowTest, ConcurrentSubmissionsGetDistinctNumbers) {
  // The server calls one RequestWorkflow from several threads: ids and register numbers must not repeat.
  constexpr int kThreads = 4, kEach = 8;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([this] {
      for (int i = 0; i < kEach; ++i) EXPECT_TRUE(flow_->submit(wni_new(Channel::kDaring), kT0));
    });
  }
  for (auto& t : threads) t.join();
  auto all = flow_->list();
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), std::size_t{kThreads * kEach});
  std::set<std::string> ids, registers;
  for (const auto& r : *all) {
    ids.insert(r.id);
    registers.insert(r.register_number);
  }
  EXPECT_EQ(ids.size(), all->size());
  EXPECT_EQ(registers.size(), all->size());
  EXPECT_EQ(flow_->outbox()->size(), all->size());  // one registration message each
}

TEST_F(WorkflowTest, EachOfficeSendsOnlyItsOwnOldCardsAndTakesOnlyItsOwnMessages) {
  NewRequest damaged = wni_new(Channel::kDaring);
  damaged.service = Service::kWniReissue;
  damaged.reason = Reason::kDamage;
  damaged.documents = {Document::kOldCard};
  damaged.site = "kec-a";
  Request a = submit(damaged);
  damaged.site = "kec-b";
  damaged.applicant.nik = wni_new().applicant.nik;  // another person: one open request each
  Request b = submit(damaged);
  ASSERT_TRUE(flow_->verify_documents(a.id, {}, kT0 + 1));
  ASSERT_TRUE(flow_->verify_documents(b.id, {}, kT0 + 1));
  EXPECT_EQ(*flow_->request_ids_of_site("kec-a"), std::vector<std::string>{a.id});

  auto sent = flow_->send_old_cards_to_dinas(kT0 + kDay, std::string("kec-a"));
  ASSERT_TRUE(sent) << sent.error().to_string();
  ASSERT_EQ(sent->size(), 1u);
  EXPECT_EQ((*sent)[0].request_id, a.id);
  auto taken = flow_->take_outbox(kT0 + kDay, std::string("kec-b"));
  ASSERT_TRUE(taken);
  ASSERT_FALSE(taken->empty());
  for (const auto& n : *taken) EXPECT_EQ(n.request_id, b.id);
  auto waiting = flow_->outbox();  // named: a range-for over *temporary() would dangle
  ASSERT_TRUE(waiting);
  ASSERT_FALSE(waiting->empty());
  for (const auto& n : *waiting) EXPECT_EQ(n.request_id, a.id) << "kec-a's messages still wait";

  // The office is part of the stored record.
  reopen();
  EXPECT_EQ(flow_->get(a.id)->site, "kec-a");
  EXPECT_EQ(flow_->send_old_cards_to_dinas(kT0 + 2 * kDay)->size(), 1u) << "kec-b's card, sent by an admin";
}

// The review finding: two requests under two NIKs linked to one capture, both printed. A capture
// serves one request, and only one taken for the applicant's NIK.
TEST_F(WorkflowTest, OneCaptureCannotServeTwoRequests) {
  Request a = submit(wni_new());
  Request b = submit(wni_new());
  ASSERT_NE(a.applicant.nik, b.applicant.nik);
  ASSERT_TRUE(flow_->verify_documents(a.id, {}, kT0));
  ASSERT_TRUE(flow_->verify_documents(b.id, {}, kT0));

  // The engine knows capture X as A's: B may not link it, whoever holds it.
  verdicts_.set("X", K::kUnique, "subject 42");
  verdicts_.nik_of["X"] = a.applicant.nik.str();
  auto foreign = flow_->record_biometrics(b.id, "X", verdicts_, kT0 + 1);
  ASSERT_FALSE(foreign);
  EXPECT_EQ(foreign.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_TRUE(contains(foreign.error().message(), "taken for NIK " + a.applicant.nik.str())) << foreign.error().message();
  EXPECT_EQ(flow_->get(b.id)->state, S::kDocumentsVerified);
  ASSERT_TRUE(flow_->record_biometrics(a.id, "X", verdicts_, kT0 + 1));

  // A capture the engine has not received yet: the first request to link it holds it.
  TableVerdicts nothing_yet;
  Request c = submit(wni_new());
  ASSERT_TRUE(flow_->verify_documents(c.id, {}, kT0));
  ASSERT_TRUE(flow_->record_biometrics(b.id, "Y", nothing_yet, kT0 + 2));
  auto taken = flow_->record_biometrics(c.id, "Y", nothing_yet, kT0 + 2);
  ASSERT_FALSE(taken);
  EXPECT_EQ(taken.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_TRUE(contains(taken.error().message(), "already linked to request " + b.id)) << taken.error().message();
  auto held = flow_->record_biometrics(c.id, "X", nothing_yet, kT0 + 2);
  ASSERT_FALSE(held);
  EXPECT_TRUE(contains(held.error().message(), "already linked to request " + a.id)) << held.error().message();

  // Y arrives at the engine: it was C's capture, linked to B by mistake. Refresh unlinks it from
  // B before its UNIQUE counts, and C may link it now.
  verdicts_.set("Y", K::kUnique, "subject 43");
  verdicts_.nik_of["Y"] = c.applicant.nik.str();
  auto unlinked = flow_->refresh(b.id, verdicts_, kT0 + 3);
  ASSERT_TRUE(unlinked) << unlinked.error().to_string();
  EXPECT_EQ(unlinked->state, S::kDocumentsVerified);
  EXPECT_TRUE(unlinked->enrollment_id.empty());
  EXPECT_TRUE(contains(unlinked->note, "taken for NIK " + c.applicant.nik.str())) << unlinked->note;
  ASSERT_TRUE(flow_->record_biometrics(c.id, "Y", verdicts_, kT0 + 4));
  EXPECT_EQ(flow_->refresh(c.id, verdicts_, kT0 + 5)->state, S::kPrintReady);

  // A rejected request lets its capture go (to a request for the capture's own NIK).
  ASSERT_TRUE(flow_->reject(a.id, "linked the wrong applicant's form", kT0 + 6));
  NewRequest again = wni_new();
  again.applicant.nik = a.applicant.nik;
  Request a2 = submit(again, kT0 + 7);
  ASSERT_TRUE(flow_->verify_documents(a2.id, {}, kT0 + 7));
  ASSERT_TRUE(flow_->record_biometrics(a2.id, "X", verdicts_, kT0 + 7));
}

TEST_F(WorkflowTest, OnlyAReissueForTheSameNikReusesTheCaptureOfAHandedOverCard) {
  const Request first = ready_to_print(Channel::kLuring, "ENR-K");
  ASSERT_TRUE(flow_->print(first.id, verdicts_, std::nullopt, kT0 + 4));

  NewRequest lost = wni_new();
  lost.service = Service::kWniReissue;
  lost.reason = Reason::kLoss;
  lost.documents = {Document::kPoliceLossReport};
  lost.applicant.nik = first.applicant.nik;
  // While the first card waits at the office, the person has an open request.
  auto early = flow_->submit(lost, kT0 + 5);
  ASSERT_FALSE(early);
  EXPECT_EQ(early.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_TRUE(contains(early.error().message(), "already has an open request " + first.id)) << early.error().message();

  ASSERT_TRUE(flow_->hand_over(first.id, {}, kT0 + 6));
  Request reissue = submit(lost, kT0 + 7);
  ASSERT_TRUE(flow_->verify_documents(reissue.id, {}, kT0 + 8));
  ASSERT_TRUE(flow_->record_biometrics(reissue.id, "ENR-K", verdicts_, kT0 + 9));

  // Nobody else may link it: not a new card for another NIK, even with the engine silent on it.
  Request other = submit(wni_new());
  ASSERT_TRUE(flow_->verify_documents(other.id, {}, kT0 + 8));
  auto refused = flow_->record_biometrics(other.id, "ENR-K", TableVerdicts{}, kT0 + 9);
  ASSERT_FALSE(refused);
  EXPECT_TRUE(contains(refused.error().message(), "already linked to request " + reissue.id))
      << refused.error().message();
}

TEST_F(WorkflowTest, APersonHasOneOpenRequestAtATime) {
  const NewRequest siti = wni_new();
  Request first = submit(siti);
  auto second = flow_->submit(siti, kT0 + 1);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_TRUE(contains(second.error().message(), "NIK " + siti.applicant.nik.str() + " already has an open request " +
                                                     first.id + " (submitted)"))
      << second.error().message();
  EXPECT_EQ(flow_->list()->size(), 1u);
  ASSERT_TRUE(flow_->reject(first.id, "applicant withdrew", kT0 + 2));
  Request again = submit(siti, kT0 + 3);
  EXPECT_EQ(again.id, "REQ-00000002");
}

TEST_F(WorkflowTest, PrintingNeedsTheEngineToVouchForTheApplicantsNik) {
  const Request r = ready_to_print(Channel::kLuring, "ENR-N");
  verdicts_.nik_of.erase("ENR-N");  // the lookup cannot say whose capture it is
  auto silent = flow_->print(r.id, verdicts_, std::nullopt, kT0 + 5);
  ASSERT_FALSE(silent);
  EXPECT_EQ(silent.error().code(), ErrorCode::kPermissionDenied);
  EXPECT_TRUE(contains(silent.error().message(), "does not say which NIK")) << silent.error().message();
  verdicts_.nik_of["ENR-N"] = "3173010101900001";  // someone else's capture
  auto foreign = flow_->print(r.id, verdicts_, std::nullopt, kT0 + 6);
  ASSERT_FALSE(foreign);
  EXPECT_EQ(foreign.error().code(), ErrorCode::kPermissionDenied);
  EXPECT_TRUE(contains(foreign.error().message(), "was taken for NIK")) << foreign.error().message();
  auto blocked = flow_->refresh(r.id, verdicts_, kT0 + 7);
  ASSERT_TRUE(blocked);
  EXPECT_EQ(blocked->state, S::kDuplicateBlocked);
  EXPECT_EQ(flow_->get(r.id)->state, S::kDuplicateBlocked);
}

TEST_F(WorkflowTest, ReDeduplicationAndDeletionStopAPrintJob) {
  const Request revoked = ready_to_print(Channel::kLuring, "ENR-V");
  verdicts_.set("ENR-V", K::kRevoked, "subject 42 was removed from the gallery: death registered");
  auto stopped = flow_->refresh(revoked.id, verdicts_, kT0 + 5);
  ASSERT_TRUE(stopped);
  EXPECT_EQ(stopped->state, S::kDuplicateBlocked);
  EXPECT_TRUE(contains(stopped->note, "REVOKED")) << stopped->note;

  const Request same = ready_to_print(Channel::kLuring, "ENR-S");
  verdicts_.set("ENR-S", K::kConfirmedDuplicate, "subject 42 is the same person as subject 7 (review case RC-7-42)");
  auto closed = flow_->refresh(same.id, verdicts_, kT0 + 5);
  ASSERT_TRUE(closed);
  EXPECT_EQ(closed->state, S::kRejected);
}

TEST_F(WorkflowTest, AStoreFromBeforeTheIndexesIsIndexedAtOpen) {
  const Request r = ready_to_print(Channel::kLuring, "ENR-I");
  flow_.reset();
  store_.reset();
  {
    // Remove the index entries, as in a store written before them.
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(rocksdb::Options(), (dir_ / "workflow").string(), &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    ASSERT_TRUE(db->DeleteRange(rocksdb::WriteOptions(), db->DefaultColumnFamily(), "index/", "index0").ok());
    ASSERT_TRUE(db->Delete(rocksdb::WriteOptions(), "meta/index-version").ok());
  }
  reopen();
  EXPECT_EQ(*store_->request_ids_of_nik(r.applicant.nik.str()), std::vector<std::string>{r.id});
  EXPECT_EQ(*store_->request_ids_of_capture("ENR-I"), std::vector<std::string>{r.id});
  NewRequest same = wni_new();
  same.applicant.nik = r.applicant.nik;
  EXPECT_FALSE(flow_->submit(same, kT0 + 1));
}
