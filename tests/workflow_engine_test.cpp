// The request workflow with its real view of the engine (admin::workflow_lookup over a real
// engine's store): what the workflow sees changes when reprocessing finds a review case on a
// verdict's subject, when that case is adjudicated, and when the subject is deleted, although the
// verdict itself never changes; and a capture links only to a request for its own NIK.
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "admin/review_cases.h"
#include "admin/workflow_lookup.h"
#include "tests/engine_fixture.h"
#include "workflow/request_workflow.h"
#include "workflow/workflow_store.h"

namespace tunggal {
namespace {

using workflow::IdentityStatus;
using workflow::Request;
using S = workflow::RequestState;
using K = IdentityStatus::Kind;

constexpr std::int64_t kT0 = 1795593600000LL;  // 2026-11-25 08:00 UTC

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

Nik nik_of(int serial) {
  char text[32];
  std::snprintf(text, sizeof text, "327301550590%04d", serial);
  return *Nik::parse(text);
}

// One engine for the suite: 10 imported people (subjects 1..10) and one newcomer per test
// applicant, each captured for NIK serial i and decided UNIQUE through submit/process.
class WorkflowEngineTest : public ::testing::Test {
 protected:
  static constexpr int kApplicants = 8;

  static void SetUpTestSuite() {
    root_ = new std::filesystem::path(testing::make_temp_dir("workflow-engine"));
    auto e = Engine::open(testing::test_engine_options(*root_ / "data"), testing::test_fusion_model());
    ASSERT_TRUE(e) << e.error().to_string();
    engine_ = e->release();
    datasets::Population pop(datasets::PopulationConfig{.seed = 21});
    std::vector<Enrollment> gallery;
    for (std::uint64_t i = 0; i < 10; ++i) gallery.push_back(pop.capture(i, 0));
    ASSERT_TRUE(engine_->import(gallery));
    ASSERT_TRUE(engine_->finish_import());
    std::vector<Enrollment> captures;
    for (int i = 1; i <= kApplicants; ++i) {
      Enrollment c = testing::capture_as(pop, 100 + static_cast<std::uint64_t>(i), 0, capture(i));
      c.nik = nik_of(i);
      captures.push_back(std::move(c));
    }
    ASSERT_TRUE(engine_->submit(captures));
    ASSERT_TRUE(engine_->process_all());
    // One more, submitted but not decided: pending, its NIK already known.
    Enrollment waiting = testing::capture_as(pop, 200, 0, "cap-waiting");
    waiting.nik = nik_of(99);
    ASSERT_TRUE(engine_->submit(std::vector<Enrollment>{waiting}));
  }
  static void TearDownTestSuite() {
    delete engine_;
    std::error_code ec;
    std::filesystem::remove_all(*root_, ec);
    delete root_;
  }

  void SetUp() override {
    static int n = 0;
    auto s = workflow::WorkflowStore::open((*root_ / ("wf-" + std::to_string(n++))).string());
    ASSERT_TRUE(s) << s.error().to_string();
    store_ = std::move(*s);
    flow_ = std::make_unique<workflow::RequestWorkflow>(*store_);
    lookup_ = admin::workflow_lookup(engine_->store());
  }

  static std::string capture(int i) { return "cap-" + std::to_string(i); }
  static SubjectId subject_of(int i) {
    auto v = engine_->verdict(EnrollmentId{capture(i)});
    EXPECT_TRUE(v && *v && (*v)->kind == VerdictKind::kUnique) << capture(i);
    return v && *v ? (*v)->subject : SubjectId{};
  }

  // A request for applicant i with documents verified.
  Request verified(int i) {
    workflow::NewRequest req;
    req.applicant.nik = nik_of(i);
    req.applicant.name = "Applicant " + std::to_string(i);
    req.applicant.birth_date = *workflow::Date::parse("1990-05-15");
    req.documents = {workflow::Document::kKkCopy, workflow::Document::kFormF102};
    auto r = flow_->submit(req, kT0);
    EXPECT_TRUE(r) << r.error().to_string();
    auto v = flow_->verify_documents(r->id, {}, kT0 + 1);
    EXPECT_TRUE(v) << v.error().to_string();
    return *v;
  }
  // Applicant i's request linked to their own capture and refreshed: print_ready.
  Request ready(int i) {
    Request r = verified(i);
    auto linked = flow_->record_biometrics(r.id, capture(i), *lookup_, kT0 + 2);
    EXPECT_TRUE(linked) << linked.error().to_string();
    auto after = flow_->refresh(r.id, *lookup_, kT0 + 3);
    EXPECT_TRUE(after) << after.error().to_string();
    EXPECT_EQ(after->state, S::kPrintReady) << after->note;
    return *after;
  }

  static admin::ReviewCase review_case(SubjectId x, SubjectId y, VerdictKind kind) {
    admin::ReviewCase c;
    c.a = std::min(x, y);
    c.b = std::max(x, y);
    c.probe = y;
    c.evidence.subject = x;
    c.evidence.score = 5.0f;
    c.kind = kind;
    return c;
  }
  static void add_case(const admin::ReviewCase& c) {
    ASSERT_TRUE(engine_->with_store([&](engine::Store& st) { return admin::add_cases(st, {c}).status(); }));
  }
  static void decide_case(const admin::ReviewCase& c, Decision d) {
    ASSERT_TRUE(engine_->with_store(
        [&](engine::Store& st) { return admin::adjudicate_case(st, c.a, c.b, d, "budi", "checked in person", kT0); }));
  }

  static inline std::filesystem::path* root_ = nullptr;
  static inline Engine* engine_ = nullptr;
  std::unique_ptr<workflow::WorkflowStore> store_;
  std::unique_ptr<workflow::RequestWorkflow> flow_;
  std::unique_ptr<workflow::VerdictLookup> lookup_;
};

TEST_F(WorkflowEngineTest, TheLookupReportsTheCapturesNik) {
  const IdentityStatus decided = lookup_->status(capture(1));
  EXPECT_EQ(decided.kind, K::kUnique);
  EXPECT_EQ(decided.nik, nik_of(1).str());
  const IdentityStatus waiting = lookup_->status("cap-waiting");
  EXPECT_EQ(waiting.kind, K::kPending);
  EXPECT_EQ(waiting.nik, nik_of(99).str());
  const IdentityStatus unknown = lookup_->status("cap-never");
  EXPECT_EQ(unknown.kind, K::kUnknown);
  EXPECT_TRUE(unknown.nik.empty());
}

TEST_F(WorkflowEngineTest, ACaptureTakenForAnotherNikIsRefused) {
  const Request other = verified(2);
  for (const std::string& id : {capture(1), std::string("cap-waiting")}) {
    auto r = flow_->record_biometrics(other.id, id, *lookup_, kT0 + 2);
    ASSERT_FALSE(r) << id;
    EXPECT_EQ(r.error().code(), ErrorCode::kFailedPrecondition);
    EXPECT_TRUE(contains(r.error().message(), "was taken for NIK")) << r.error().message();
  }
  EXPECT_EQ(flow_->get(other.id)->state, S::kDocumentsVerified);
  EXPECT_TRUE(flow_->record_biometrics(other.id, capture(2), *lookup_, kT0 + 3));
}

TEST_F(WorkflowEngineTest, AnOpenReviewCaseStopsPrintingAndDistinctReleasesIt) {
  const Request r = ready(3);
  const auto c = review_case(SubjectId{1}, subject_of(3), VerdictKind::kReview);
  add_case(c);
  // A case between two other subjects does not concern this request.
  add_case(review_case(SubjectId{2}, SubjectId{4}, VerdictKind::kDuplicate));

  const IdentityStatus st = lookup_->status(capture(3));
  EXPECT_EQ(st.kind, K::kReview);
  EXPECT_TRUE(contains(st.detail, c.id())) << st.detail;
  auto refused = flow_->print(r.id, *lookup_, std::nullopt, kT0 + 4);  // no refresh in between
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::kPermissionDenied);
  EXPECT_TRUE(contains(refused.error().message(), "is REVIEW")) << refused.error().message();
  auto blocked = flow_->refresh(r.id, *lookup_, kT0 + 5);
  ASSERT_TRUE(blocked);
  EXPECT_EQ(blocked->state, S::kDuplicateBlocked);

  decide_case(c, Decision::kDistinct);
  EXPECT_EQ(lookup_->status(capture(3)).kind, K::kDistinct);
  auto released = flow_->refresh(r.id, *lookup_, kT0 + 6);
  ASSERT_TRUE(released);
  EXPECT_EQ(released->state, S::kPrintReady);
  EXPECT_EQ(released->history[released->history.size() - 2].to, S::kAdjudicatedDistinct);
  auto printed = flow_->print(r.id, *lookup_, std::nullopt, kT0 + 7);
  ASSERT_TRUE(printed) << printed.error().to_string();
}

TEST_F(WorkflowEngineTest, AConfirmedDuplicateCaseClosesTheRequest) {
  const Request r = ready(4);
  const auto c = review_case(SubjectId{5}, subject_of(4), VerdictKind::kDuplicate);
  add_case(c);
  decide_case(c, Decision::kConfirmedDuplicate);
  auto closed = flow_->refresh(r.id, *lookup_, kT0 + 5);
  ASSERT_TRUE(closed);
  EXPECT_EQ(closed->state, S::kRejected);
  EXPECT_TRUE(contains(closed->note, "same person as subject 5")) << closed->note;
}

TEST_F(WorkflowEngineTest, ADeletedSubjectIsNotPrinted) {
  const Request r = ready(5);
  ASSERT_TRUE(engine_->revoke_subject(subject_of(5), "admin", "death registered"));
  auto refused = flow_->print(r.id, *lookup_, std::nullopt, kT0 + 4);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::kPermissionDenied);
  EXPECT_TRUE(contains(refused.error().message(), "is REVOKED")) << refused.error().message();
  EXPECT_TRUE(contains(refused.error().message(), "death registered")) << refused.error().message();
  auto blocked = flow_->refresh(r.id, *lookup_, kT0 + 5);
  ASSERT_TRUE(blocked);
  EXPECT_EQ(blocked->state, S::kDuplicateBlocked);
}

// A store whose cases were written before the per-subject index: found by scanning until the
// next add_cases indexes them.
TEST(ReviewCasesOfSubject, CasesStoredBeforeTheIndexAreFoundAndIndexedByTheNextAdd) {
  const auto dir = testing::make_temp_dir("cases-of");
  engine::StoreOptions so;
  so.path = dir / "store";
  so.gallery = engine::GalleryConfig{};
  auto store = engine::Store::open(so);
  ASSERT_TRUE(store) << store.error().to_string();
  engine::Store& st = **store;
  admin::ReviewCase legacy;
  legacy.a = SubjectId{3};
  legacy.b = SubjectId{12};
  legacy.probe = legacy.b;
  legacy.evidence.subject = legacy.a;
  {
    auto b = st.batch();  // the record as add_cases wrote it before the index
    b.put_meta("review_case/00000000000000000003-00000000000000000012", admin::encode_case(legacy));
    ASSERT_TRUE(st.commit(std::move(b)));
  }
  for (SubjectId s : {SubjectId{3}, SubjectId{12}}) {
    auto found = admin::cases_of(st, s);
    ASSERT_TRUE(found) << found.error().to_string();
    ASSERT_EQ(found->size(), 1u);
    EXPECT_EQ((*found)[0].id(), "RC-3-12");
  }
  EXPECT_TRUE(admin::cases_of(st, SubjectId{4})->empty());

  admin::ReviewCase fresh = legacy;
  fresh.a = SubjectId{4};
  ASSERT_TRUE(admin::add_cases(st, {fresh}));
  bool index_of_12 = false;
  ASSERT_TRUE(st.for_each_meta("review_case_of/00000000000000000012/", [&](const std::string&, const std::string&) {
    index_of_12 = true;
    return true;
  }));
  EXPECT_TRUE(index_of_12) << "the legacy case was indexed";
  auto of12 = admin::cases_of(st, SubjectId{12});
  ASSERT_TRUE(of12);
  ASSERT_EQ(of12->size(), 2u);
  EXPECT_EQ((*of12)[0].id(), "RC-3-12");
  EXPECT_EQ((*of12)[1].id(), "RC-4-12");
  EXPECT_EQ(admin::cases_of(st, SubjectId{3})->size(), 1u);
  store->reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace tunggal
