// The engine's promises (issue 5): verdicts against ground truth, serializable micro-batches (one
// person never gets two UNIQUEs, even from two stations at once), idempotent resubmission,
// REJECTED with a reason, audited adjudication and revocation, and persistence across reopen.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <limits>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "engine/engine.h"
#include "engine/index_factory.h"
#include "engine/probe.h"
#include "engine/store.h"
#include "matcher/finger_code.h"
#include "matcher/finger_code_centre.h"
#include "tests/engine_fixture.h"
#include "tests/old_store_layout.h"

namespace tunggal {
namespace {

using testing::capture_as;
using testing::make_temp_dir;
using testing::test_engine_options;
using testing::test_fusion_model;

constexpr std::uint64_t kGallery = 60;

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = make_temp_dir("engine");
    pop_ = std::make_unique<datasets::Population>(datasets::PopulationConfig{.seed = 42});
    open();
    std::vector<Enrollment> gallery;
    for (std::uint64_t i = 0; i < kGallery; ++i) gallery.push_back(pop_->capture(i, 0));
    auto r = engine_->import(gallery);
    ASSERT_TRUE(r) << r.error().to_string();
    ASSERT_EQ(r->imported, kGallery);
    ASSERT_TRUE(engine_->finish_import());
  }
  void TearDown() override {
    engine_.reset();
    std::filesystem::remove_all(dir_);
  }
  void open() {
    engine_.reset();
    auto e = Engine::open(test_engine_options(dir_), test_fusion_model());
    ASSERT_TRUE(e) << e.error().to_string();
    engine_ = std::move(*e);
  }
  std::vector<Verdict> enroll(std::vector<Enrollment> items) {
    auto acks = engine_->submit(items);
    EXPECT_TRUE(acks) << acks.error().to_string();
    auto v = engine_->process_all();
    EXPECT_TRUE(v) << v.error().to_string();
    return v ? *v : std::vector<Verdict>{};
  }
  void delete_with_a_confirmed_duplicate(bool old_layout);
  // Closes the engine and reads its store's audit log, oldest first.
  std::vector<engine::AuditEntry> audit_after_close() {
    engine_.reset();
    engine::StoreOptions so;
    so.path = dir_ / "store";
    so.read_only = true;
    auto store = engine::Store::open(so);
    EXPECT_TRUE(store) << store.error().to_string();
    std::vector<engine::AuditEntry> audit;
    if (!store) return audit;
    EXPECT_TRUE((*store)->for_each_audit([&](const engine::AuditEntry& a) {
      audit.push_back(a);
      return true;
    }));
    return audit;
  }
  // One probe decided by an engine of its own (options changed by `tweak`) over the same gallery:
  // the engine's stats after it, and the verdict's kind.
  std::pair<EngineStats, VerdictKind> decide_alone(const std::function<void(EngineOptions&)>& tweak,
                                                   const Enrollment& probe) {
    const auto dir = make_temp_dir("engine-alone");
    EngineOptions o = test_engine_options(dir);
    tweak(o);
    auto e = Engine::open(o, test_fusion_model());
    EXPECT_TRUE(e);
    std::vector<Enrollment> gallery;
    for (std::uint64_t i = 0; i < kGallery; ++i) gallery.push_back(pop_->capture(i, 0));
    EXPECT_TRUE((*e)->import(gallery));
    EXPECT_TRUE((*e)->submit(std::vector<Enrollment>{probe}));
    auto v = (*e)->process_all();
    EXPECT_TRUE(v && v->size() == 1u);
    const EngineStats st = (*e)->stats();
    e->reset();
    std::filesystem::remove_all(dir);
    return {st, v && !v->empty() ? v->front().kind : VerdictKind::kRejected};
  }
  std::filesystem::path dir_;
  std::unique_ptr<datasets::Population> pop_;
  std::unique_ptr<Engine> engine_;
};

TEST_F(EngineTest, ReEnrollmentIsDuplicateOfTheRightSubjectAndNewPersonIsUnique) {
  auto v = enroll({capture_as(*pop_, 7, 1, "probe-mated"), capture_as(*pop_, 5000, 0, "probe-new")});
  ASSERT_EQ(v.size(), 2u);
  const Verdict& mated = v[0].enrollment.value == "probe-mated" ? v[0] : v[1];
  const Verdict& fresh = v[0].enrollment.value == "probe-new" ? v[0] : v[1];
  EXPECT_EQ(mated.kind, VerdictKind::kDuplicate);
  ASSERT_FALSE(mated.candidates.empty());
  EXPECT_EQ(mated.candidates.front().subject.value, 8u);  // import assigns identity + 1
  EXPECT_FALSE(std::isnan(mated.candidates.front().face_score));
  EXPECT_EQ(fresh.kind, VerdictKind::kUnique);
  EXPECT_EQ(fresh.subject.value, kGallery + 1);
  EXPECT_EQ(engine_->stats().gallery_size, kGallery + 1);
}

TEST_F(EngineTest, SamePersonTwiceInOneBatchGetsOneUnique) {
  auto v = enroll({capture_as(*pop_, 9000, 0, "a"), capture_as(*pop_, 9000, 1, "b")});
  ASSERT_EQ(v.size(), 2u);
  int unique = 0;
  for (const Verdict& x : v) unique += x.kind == VerdictKind::kUnique;
  EXPECT_EQ(unique, 1);
  const Verdict& second = v[0].kind == VerdictKind::kUnique ? v[1] : v[0];
  const Verdict& first = v[0].kind == VerdictKind::kUnique ? v[0] : v[1];
  ASSERT_FALSE(second.candidates.empty());
  EXPECT_EQ(second.candidates.front().subject, first.subject);
}

TEST_F(EngineTest, TwoStationsAtOnceNeverYieldTwoUniques) {
  // Several people, each arriving from two stations concurrently; a decider thread runs too.
  constexpr int kPeople = 6;
  std::atomic<bool> done{false};
  std::thread decider([&] {
    while (!done) ASSERT_TRUE(engine_->process());
  });
  auto station = [&](int k, const std::string& site) {
    for (int p = 0; p < kPeople; ++p) {
      auto acks = engine_->submit(std::vector<Enrollment>{capture_as(*pop_, 7000 + p, k, site + std::to_string(p))});
      ASSERT_TRUE(acks);
      ASSERT_EQ((*acks)[0].kind, SubmitAck::Kind::kAccepted);
    }
  };
  std::thread s1(station, 0, "north-"), s2(station, 1, "south-");
  s1.join();
  s2.join();
  done = true;
  decider.join();
  ASSERT_TRUE(engine_->process_all());
  for (int p = 0; p < kPeople; ++p) {
    int unique = 0;
    for (const char* site : {"north-", "south-"}) {
      auto v = engine_->verdict(EnrollmentId{site + std::to_string(p)});
      ASSERT_TRUE(v && *v);
      unique += (*v)->kind == VerdictKind::kUnique;
    }
    EXPECT_EQ(unique, 1) << "person " << p;
  }
}

TEST_F(EngineTest, ResubmittingAnEnrollmentIdReturnsTheEarlierVerdict) {
  auto first = enroll({capture_as(*pop_, 8000, 0, "once")});
  ASSERT_EQ(first.size(), 1u);
  const std::uint64_t size = engine_->stats().gallery_size;
  auto acks = engine_->submit(std::vector<Enrollment>{capture_as(*pop_, 8000, 1, "once")});
  ASSERT_TRUE(acks);
  EXPECT_EQ((*acks)[0].kind, SubmitAck::Kind::kDuplicateId);
  auto again = engine_->process_all();
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->empty());
  auto v = engine_->verdict(EnrollmentId{"once"});
  ASSERT_TRUE(v && *v);
  EXPECT_EQ((*v)->kind, first[0].kind);
  EXPECT_EQ((*v)->subject, first[0].subject);
  EXPECT_EQ(engine_->stats().gallery_size, size);
}

TEST_F(EngineTest, TooFewFingersWithoutFaceIsRejectedWithAReason) {
  Enrollment e = capture_as(*pop_, 8100, 0, "thin");
  e.face.reset();
  e.fingers.resize(2);
  auto v = enroll({e});
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].kind, VerdictKind::kRejected);
  EXPECT_NE(v[0].reject_reason.find("usable finger"), std::string::npos) << v[0].reject_reason;
}

TEST_F(EngineTest, VeryLowQualityCaptureIsRejectedAsQualityTooLow) {
  Enrollment e = capture_as(*pop_, 8150, 0, "smudged");
  e.face.reset();
  for (std::size_t i = 0; i < e.fingers.size(); ++i) e.fingers[i].quality = i < 3 ? 60 : 5;
  auto v = enroll({e});
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].kind, VerdictKind::kRejected);
  EXPECT_NE(v[0].reject_reason.find("quality too low"), std::string::npos) << v[0].reject_reason;
}

TEST_F(EngineTest, StructurallyInvalidEnrollmentIsRefusedAtSubmit) {
  Enrollment e = capture_as(*pop_, 8200, 0, "");
  auto acks = engine_->submit(std::vector<Enrollment>{e});
  ASSERT_TRUE(acks);
  EXPECT_EQ((*acks)[0].kind, SubmitAck::Kind::kRejected);
  EXPECT_FALSE((*acks)[0].reason.empty());
  EXPECT_EQ(engine_->stats().pending, 0u);
}

TEST_F(EngineTest, AdjudicationIsAuditedAndHappensOnce) {
  auto v = enroll({capture_as(*pop_, 3, 1, "case-1"), capture_as(*pop_, 4, 1, "case-2")});
  ASSERT_EQ(v.size(), 2u);
  for (const Verdict& x : v) ASSERT_NE(x.kind, VerdictKind::kUnique);
  EXPECT_EQ(engine_->adjudicate(EnrollmentId{"case-1"}, Decision::kDistinct, "", "x").code(),
            ErrorCode::kInvalidArgument);
  ASSERT_TRUE(engine_->adjudicate(EnrollmentId{"case-1"}, Decision::kDistinct, "admin.budi", "twin, verified"));
  ASSERT_TRUE(engine_->adjudicate(EnrollmentId{"case-2"}, Decision::kConfirmedDuplicate, "admin.sari", "same person"));
  EXPECT_EQ(engine_->adjudicate(EnrollmentId{"case-1"}, Decision::kConfirmedDuplicate, "admin.sari", "again").code(),
            ErrorCode::kFailedPrecondition);

  auto d = engine_->verdict(EnrollmentId{"case-1"});
  ASSERT_TRUE(d && *d);
  EXPECT_EQ((*d)->decision, Decision::kDistinct);
  EXPECT_EQ((*d)->decided_by, "admin.budi");
  EXPECT_TRUE((*d)->subject.valid());
  auto c = engine_->verdict(EnrollmentId{"case-2"});
  ASSERT_TRUE(c && *c);
  EXPECT_EQ((*c)->decision, Decision::kConfirmedDuplicate);
  EXPECT_EQ((*c)->linked_subject.value, 5u);
  EXPECT_EQ(engine_->stats().gallery_size, kGallery + 1);  // only DISTINCT is committed

  const std::vector<engine::AuditEntry> audit = audit_after_close();
  ASSERT_EQ(audit.size(), 2u);
  EXPECT_EQ(audit[0].actor, "admin.budi");
  EXPECT_EQ(audit[0].target, "case-1");
  EXPECT_NE(audit[0].before.find("NONE"), std::string::npos);
  EXPECT_NE(audit[0].after.find("DISTINCT"), std::string::npos);
  EXPECT_EQ(audit[1].reason, "same person");
}

TEST_F(EngineTest, ADistinctAdjudicationSearchesTheGalleryAgainFirst) {
  // Person P (identity 3) applies twice in one batch; both captures are held against the same
  // enrolled look-alike (here P's own earlier enrollment, subject 4: the case lists only it, as it
  // would for a twin), and neither is compared with the other (the in-batch check only compares
  // with UNIQUEs). The adjudicator rules the look-alike out for the first: it becomes subject 61.
  // Before the fix, ruling it out for the second made P subject 62 as well.
  auto v = enroll({capture_as(*pop_, 3, 1, "p-1"), capture_as(*pop_, 3, 2, "p-2")});
  ASSERT_EQ(v.size(), 2u);
  for (const Verdict& x : v) {
    ASSERT_NE(x.kind, VerdictKind::kUnique) << x.enrollment.value;
    ASSERT_EQ(x.candidates.size(), 1u) << x.enrollment.value;
    ASSERT_EQ(x.candidates.front().subject.value, 4u) << x.enrollment.value;
  }
  ASSERT_TRUE(engine_->adjudicate(EnrollmentId{"p-1"}, Decision::kDistinct, "admin.budi", "twin, KK checked"));
  auto first = engine_->verdict(EnrollmentId{"p-1"});
  ASSERT_TRUE(first && *first);
  const SubjectId p = (*first)->subject;
  ASSERT_EQ(p.value, kGallery + 1);

  const std::uint64_t log_before = engine_->last_verdict_seq();
  Status s = engine_->adjudicate(EnrollmentId{"p-2"}, Decision::kDistinct, "admin.sari", "twin, KK checked");
  EXPECT_EQ(s.code(), ErrorCode::kFailedPrecondition) << s.to_string();
  EXPECT_NE(s.message().find(fmt::format("best subject {} ", p.value)), std::string::npos) << s.message();
  EXPECT_EQ(engine_->stats().gallery_size, kGallery + 1) << "P was enrolled twice";
  // The case stays open, a DUPLICATE now, listing P's new subject next to the look-alike.
  auto held = engine_->verdict(EnrollmentId{"p-2"});
  ASSERT_TRUE(held && *held);
  EXPECT_EQ((*held)->decision, Decision::kNone);
  EXPECT_FALSE((*held)->subject.valid());
  EXPECT_EQ((*held)->kind, VerdictKind::kDuplicate);
  ASSERT_EQ((*held)->candidates.size(), 2u);
  EXPECT_TRUE(std::is_sorted((*held)->candidates.begin(), (*held)->candidates.end(),
                             [](const Candidate& a, const Candidate& b) { return a.score > b.score; }));
  EXPECT_TRUE(std::any_of((*held)->candidates.begin(), (*held)->candidates.end(),
                          [&](const Candidate& c) { return c.subject == p && c.score >= engine_->thresholds().review; }));
  EXPECT_GT(engine_->last_verdict_seq(), log_before) << "the reopened case reaches the station like any verdict";

  // Linked to P's subject as the adjudicator now sees it; P remains one subject.
  ASSERT_TRUE(engine_->adjudicate(EnrollmentId{"p-2"}, Decision::kConfirmedDuplicate, "admin.sari", "same person as p-1",
                                  p));
  EXPECT_EQ(engine_->stats().gallery_size, kGallery + 1);

  std::vector<std::string> actions;
  for (const engine::AuditEntry& a : audit_after_close()) actions.push_back(a.action + " " + a.target + " " + a.actor);
  EXPECT_EQ(actions, (std::vector<std::string>{"adjudicate p-1 admin.budi", "adjudicate-reopened p-2 admin.sari",
                                               "adjudicate p-2 admin.sari"}));
}

TEST_F(EngineTest, DistinctAgainAfterAReopenedCaseRulesOutItsNewCandidatesToo) {
  // Two enrollments of P held against the look-alike; the first is adjudicated DISTINCT. The
  // second is refused once (P's new subject added to its case); decided DISTINCT again, with that
  // subject in view, it is committed: an adjudicator is never locked out of a decision.
  auto v = enroll({capture_as(*pop_, 3, 1, "p-1"), capture_as(*pop_, 3, 2, "p-2")});
  ASSERT_EQ(v.size(), 2u);
  for (const Verdict& x : v) ASSERT_NE(x.kind, VerdictKind::kUnique);
  ASSERT_TRUE(engine_->adjudicate(EnrollmentId{"p-1"}, Decision::kDistinct, "admin.budi", "twin"));
  EXPECT_EQ(engine_->adjudicate(EnrollmentId{"p-2"}, Decision::kDistinct, "admin.budi", "twin").code(),
            ErrorCode::kFailedPrecondition);
  ASSERT_TRUE(engine_->adjudicate(EnrollmentId{"p-2"}, Decision::kDistinct, "admin.budi", "triplets, all three seen"));
  EXPECT_EQ(engine_->stats().gallery_size, kGallery + 2);
  auto d = engine_->verdict(EnrollmentId{"p-2"});
  ASSERT_TRUE(d && *d);
  EXPECT_EQ((*d)->decision, Decision::kDistinct);
  EXPECT_EQ((*d)->subject.value, kGallery + 2);
}

TEST_F(EngineTest, RevokedSubjectIsGoneFromEveryIndex) {
  ASSERT_TRUE(engine_->revoke_subject(SubjectId{12}, "admin.budi", "death registered"));
  EXPECT_EQ(engine_->revoke_subject(SubjectId{12}, "admin.budi", "again").code(), ErrorCode::kFailedPrecondition);
  auto v = engine_->identify(capture_as(*pop_, 11, 1, "who"));
  ASSERT_TRUE(v) << v.error().to_string();
  for (const Candidate& c : v->candidates) EXPECT_NE(c.subject.value, 12u);
  EXPECT_EQ(engine_->stats().gallery_size, kGallery - 1);
  // The same after a restart (snapshot + replay).
  open();
  auto again = engine_->identify(capture_as(*pop_, 11, 1, "who"));
  ASSERT_TRUE(again);
  for (const Candidate& c : again->candidates) EXPECT_NE(c.subject.value, 12u);
  EXPECT_EQ(engine_->stats().gallery_size, kGallery - 1);
}

TEST_F(EngineTest, DeletedSubjectsBiometricsLeaveTheStoredEnrollments) {
  // A new person (UNIQUE), then their second capture under another id, confirmed as theirs.
  auto first = enroll({capture_as(*pop_, 5100, 0, "first")});
  ASSERT_EQ(first.size(), 1u);
  ASSERT_EQ(first[0].kind, VerdictKind::kUnique);
  const SubjectId subject = first[0].subject;
  auto again = enroll({capture_as(*pop_, 5100, 1, "again")});
  ASSERT_EQ(again.size(), 1u);
  ASSERT_TRUE(again[0].kind == VerdictKind::kDuplicate || again[0].kind == VerdictKind::kReview);
  ASSERT_EQ(again[0].candidates.front().subject, subject);
  ASSERT_TRUE(engine_->adjudicate(EnrollmentId{"again"}, Decision::kConfirmedDuplicate, "admin.sari", "same person"));
  // The face's first 8 floats as stored (float32, little-endian): found in the table files once
  // flushed, and nowhere on disk once the subject is deleted.
  const auto face = pop_->capture(5100, 0).face;
  ASSERT_TRUE(face.has_value());
  std::string pattern(32, '\0');
  std::memcpy(pattern.data(), face->values().data(), pattern.size());
  auto on_disk = [&](const std::filesystem::path& dir) {
    std::vector<std::string> where;
    for (const auto& f : std::filesystem::recursive_directory_iterator(dir)) {
      if (!f.is_regular_file()) continue;
      std::ifstream in(f.path(), std::ios::binary);
      const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      if (bytes.find(pattern) != std::string::npos) where.push_back(f.path().filename().string());
    }
    return where;
  };
  ASSERT_TRUE(engine_->with_store([](engine::Store& s) { return s.flush(); }));
  ASSERT_FALSE(on_disk(dir_ / "store").empty()) << "the test's face pattern is not where the store keeps faces";
  ASSERT_TRUE(engine_->revoke_subject(subject, "admin.budi", "court order 7/2026"));
  EXPECT_EQ(on_disk(dir_ / "store"), std::vector<std::string>{}) << "the face is still in these files";

  // What a reader of the store (admin show, a backup restored) finds: the records, no biometrics.
  auto check = [&](const std::filesystem::path& store_dir, const std::string& when) {
    SCOPED_TRACE(when);
    engine::StoreOptions so;
    so.path = store_dir;
    so.read_only = true;
    auto store = engine::Store::open(so);
    ASSERT_TRUE(store) << store.error().to_string();
    for (const char* id : {"first", "again"}) {
      auto rec = (*store)->enrollment(EnrollmentId{id});
      ASSERT_TRUE(rec && *rec) << id;
      const Enrollment& e = (*rec)->enrollment;
      EXPECT_TRUE(e.fingers.empty()) << id << ": " << e.fingers.size() << " fingers kept";
      EXPECT_TRUE(e.finger_images.empty()) << id;
      EXPECT_FALSE(e.face.has_value()) << id;
      EXPECT_FALSE(e.nik.empty()) << id;  // the record itself stays
      EXPECT_EQ((*rec)->state, engine::JobState::kDecided) << id;
      auto v = (*store)->verdict(EnrollmentId{id});
      ASSERT_TRUE(v && *v) << id;  // the verdict, for the workflow and adjudication history
    }
    auto s = (*store)->load_subject(subject);
    ASSERT_TRUE(s && *s);
    EXPECT_EQ((*s)->record.state, engine::SubjectState::kRevoked);
    EXPECT_TRUE((*s)->fingers.empty());
    EXPECT_FALSE((*s)->face.has_value());
  };
  check(dir_ / "store", "after delete");
  auto received = engine_->received(EnrollmentId{"first"});
  ASSERT_TRUE(received);
  EXPECT_TRUE(*received);  // a resubmission of the same id is still answered by its verdict
  open();
  check(dir_ / "store", "after restart");
  ASSERT_TRUE(engine_->backup(dir_ / "backup"));
  check(dir_ / "backup" / "store", "in a backup taken afterwards");
  EXPECT_EQ(on_disk(dir_), std::vector<std::string>{}) << "data directory and backup, index snapshots included";
}

// A person enrolled, re-applied under another id (confirmed as theirs by an admin), among other
// verdicts; then deleted. The confirmed duplicate is found through the store's index (one verdict
// read, not all of them) and stripped, also in a store whose index a build from before it never
// wrote (`old_layout`: indexed when the engine opens it).
void EngineTest::delete_with_a_confirmed_duplicate(bool old_layout) {
  auto first = enroll({capture_as(*pop_, 5100, 0, "first")});
  ASSERT_EQ(first.size(), 1u);
  ASSERT_EQ(first[0].kind, VerdictKind::kUnique);
  const SubjectId subject = first[0].subject;
  auto others = enroll({capture_as(*pop_, 5101, 0, "other-1"), capture_as(*pop_, 5102, 0, "other-2"),
                        capture_as(*pop_, 3, 1, "other-3")});
  ASSERT_EQ(others.size(), 3u);
  auto again = enroll({capture_as(*pop_, 5100, 1, "again")});
  ASSERT_EQ(again.size(), 1u);
  ASSERT_TRUE(again[0].kind == VerdictKind::kDuplicate || again[0].kind == VerdictKind::kReview);
  ASSERT_TRUE(engine_->adjudicate(EnrollmentId{"again"}, Decision::kConfirmedDuplicate, "admin.sari", "same person"));
  if (old_layout) {
    engine_.reset();
    testing::forget_confirmed_duplicate_index(dir_ / "store");
    open();
  }
  RevokeCost cost;
  ASSERT_TRUE(engine_->revoke_subject(subject, "admin.budi", "death registered", &cost));
  EXPECT_EQ(cost.linked, 1u);
  EXPECT_EQ(cost.verdicts_read, 1u) << "found by scanning the verdicts, not through the index";
  for (const char* id : {"first", "again"}) {
    auto rec = engine_->store().enrollment(EnrollmentId{id});
    ASSERT_TRUE(rec && *rec) << id;
    EXPECT_TRUE((*rec)->enrollment.fingers.empty()) << id << ": " << (*rec)->enrollment.fingers.size() << " fingers kept";
    EXPECT_FALSE((*rec)->enrollment.face.has_value()) << id;
  }
  auto kept = engine_->store().enrollment(EnrollmentId{"other-1"});
  ASSERT_TRUE(kept && *kept);
  EXPECT_FALSE((*kept)->enrollment.fingers.empty()) << "someone else's enrollment was stripped";
}

TEST_F(EngineTest, DeletingASubjectStripsItsConfirmedDuplicatesFoundThroughTheIndex) {
  delete_with_a_confirmed_duplicate(false);
}

TEST_F(EngineTest, DeletingASubjectStripsItsConfirmedDuplicatesInAStoreFromBeforeTheIndex) {
  delete_with_a_confirmed_duplicate(true);
}

TEST_F(EngineTest, ReopenFromSnapshotAndFromRebuildGiveTheSameAnswers) {
  enroll({capture_as(*pop_, 6000, 0, "late-1"), capture_as(*pop_, 6001, 0, "late-2")});
  auto before = engine_->identify(capture_as(*pop_, 6001, 1, "q"));
  ASSERT_TRUE(before);
  open();  // snapshots written at close
  auto snap = engine_->identify(capture_as(*pop_, 6001, 1, "q"));
  engine_.reset();
  std::filesystem::remove_all(dir_ / "index");
  open();  // rebuilt from the store
  auto rebuilt = engine_->identify(capture_as(*pop_, 6001, 1, "q"));
  ASSERT_TRUE(snap && rebuilt);
  for (const auto* v : {&*snap, &*rebuilt}) {
    ASSERT_EQ(v->kind, before->kind);
    ASSERT_EQ(v->candidates.size(), before->candidates.size());
    for (std::size_t i = 0; i < v->candidates.size(); ++i) {
      EXPECT_EQ(v->candidates[i].subject, before->candidates[i].subject);
      EXPECT_FLOAT_EQ(v->candidates[i].score, before->candidates[i].score);
    }
  }
  EXPECT_EQ(engine_->stats().gallery_size, kGallery + 2);
}

// The gallery's mean finger code (matcher/finger_code_centre.h) is saved with the gallery, so a
// reopened engine centres probes as before, whether its indexes come from snapshots or a rebuild;
// and the scores are the same to the last bit, though generated minutiae carry angles finer than
// the store keeps (the gallery is filled from the stored form from the start).
TEST(EngineFusedCodes, AFingerCountOtherThanFourEightOrTenIsRefusedAtOpen) {
  const auto dir = make_temp_dir("engine-fused-bad");
  EngineOptions o = test_engine_options(dir);
  o.fused_fingers = 5;
  auto e = Engine::open(o, test_fusion_model());
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(e.error().message().find("fused_fingers must be 4, 8 or 10"), std::string::npos) << e.error().message();
  std::filesystem::remove_all(dir);
}

// A centre saved with the snapshots is used as it is at the next open, not learnt again from the
// gallery (that cost up to 2,000 x 10 prepare() calls per open of a small gallery).
TEST(EngineCodeCentre, ARestoredCentreIsNotLearntAgainAtOpen) {
  const auto dir = make_temp_dir("engine-centre-kept");
  const datasets::Population pop(datasets::PopulationConfig{.seed = 45});
  EngineOptions o = test_engine_options(dir);
  {
    auto engine = Engine::open(o, test_fusion_model());
    ASSERT_TRUE(engine) << engine.error().to_string();
    std::vector<Enrollment> gallery;
    for (std::uint64_t i = 0; i < 120; ++i) gallery.push_back(pop.capture(i, 0));
    ASSERT_TRUE((*engine)->import(gallery));
    ASSERT_TRUE((*engine)->finish_import());
  }
  // Plant a centre the gallery would never give: the mean of 100 made-up codes.
  matcher::FingerCodeCentre planted(matcher::finger_code_dimension());
  for (int i = 0; i < 100; ++i) {
    std::vector<float> v(static_cast<std::size_t>(matcher::finger_code_dimension()), 0.0f);
    v[static_cast<std::size_t>(i)] = 1.0f;
    planted.add(v);
  }
  const std::string key = fmt::format("finger_code_centre_v{}_{}", matcher::finger_code_version(),
                                      static_cast<int>(FingerPosition::kRightIndex));
  engine::StoreOptions so;
  so.path = dir / "store";
  so.create_if_missing = false;
  {
    auto store = engine::Store::open(so);
    ASSERT_TRUE(store) << store.error().to_string();
    ASSERT_TRUE((*store)->meta(key).value().has_value()) << "the engine saved this centre";
    auto b = (*store)->batch();
    b.put_meta(key, planted.serialise());
    ASSERT_TRUE((*store)->commit(std::move(b)));
  }
  {
    auto engine = Engine::open(o);  // opens, then saves its centres again on close
    ASSERT_TRUE(engine) << engine.error().to_string();
  }
  auto store = engine::Store::open(so);
  ASSERT_TRUE(store) << store.error().to_string();
  auto saved = (*store)->meta(key);
  ASSERT_TRUE(saved && *saved);
  EXPECT_EQ(**saved, planted.serialise()) << "the centre was learnt again from the gallery";
  store->reset();
  std::filesystem::remove_all(dir);
}

// The fused finger-code list alone (no per-position lists, no face) finds a mate; without it
// nothing retrieves one. Its snapshot is saved and reloaded, and rebuilt when missing.
TEST(EngineFusedCodes, FindsTheMateAloneAndSurvivesReopenAndRebuild) {
  const auto dir = make_temp_dir("engine-fused");
  const datasets::Population pop(datasets::PopulationConfig{.seed = 44});
  constexpr std::uint64_t kN = 120;
  EngineOptions o = test_engine_options(dir);
  o.finger_code_lists = false;
  o.fused_finger_codes = true;
  auto reopen = [&](const EngineOptions& opts) {
    auto e = Engine::open(opts, test_fusion_model());
    EXPECT_TRUE(e) << e.error().to_string();
    return e ? std::move(*e) : nullptr;
  };
  std::unique_ptr<Engine> engine = reopen(o);
  ASSERT_TRUE(engine);
  std::vector<Enrollment> gallery;
  for (std::uint64_t i = 0; i < kN; ++i) gallery.push_back(pop.capture(i, 0));
  ASSERT_TRUE(engine->import(gallery));
  ASSERT_TRUE(engine->finish_import());
  EXPECT_FALSE(engine->stats().fused_finger_index.empty());
  auto answer = [&](Engine& e) {
    Enrollment q = capture_as(pop, 23, 1, "q");
    q.face.reset();  // fingers only: the face index cannot bring the mate in
    auto v = e.identify(q);
    EXPECT_TRUE(v) << v.error().to_string();
    return v ? *v : Verdict{};
  };
  const Verdict before = answer(*engine);
  EXPECT_EQ(before.kind, VerdictKind::kDuplicate);
  ASSERT_FALSE(before.candidates.empty());
  EXPECT_EQ(before.candidates.front().subject.value, 24u);  // identity 23, the 24th enrolled
  engine.reset();  // writes the snapshots
  EXPECT_TRUE(std::filesystem::exists(dir / "index" / "fingers-fused"));

  engine = reopen(o);
  ASSERT_TRUE(engine);
  const Verdict from_snapshot = answer(*engine);
  engine.reset();
  std::filesystem::remove_all(dir / "index" / "fingers-fused");
  engine = reopen(o);
  ASSERT_TRUE(engine);
  const Verdict rebuilt = answer(*engine);
  engine.reset();
  for (const Verdict* v : {&from_snapshot, &rebuilt}) {
    EXPECT_EQ(v->kind, before.kind);
    ASSERT_EQ(v->candidates.size(), before.candidates.size());
    for (std::size_t i = 0; i < v->candidates.size(); ++i) {
      EXPECT_EQ(v->candidates[i].subject, before.candidates[i].subject);
      EXPECT_FLOAT_EQ(v->candidates[i].score, before.candidates[i].score);
    }
  }

  EngineOptions off = o;
  off.fused_finger_codes = false;
  engine = reopen(off);
  ASSERT_TRUE(engine);
  const Verdict without = answer(*engine);
  EXPECT_EQ(without.kind, VerdictKind::kUnique) << "no list searched: nothing retrieves the mate";
  engine.reset();
  std::filesystem::remove_all(dir);
}

TEST(EngineCodeCentre, SavedWithTheGalleryAndTheSameAnswersAfterReopen) {
  const auto dir = make_temp_dir("engine-centre");
  const datasets::Population pop(datasets::PopulationConfig{.seed = 43});
  constexpr std::uint64_t kN = 150;  // above FingerCodeCentre::kMinCodes: probes are centred
  EngineOptions o = test_engine_options(dir);
  auto reopen = [&] {
    auto e = Engine::open(o, test_fusion_model());
    EXPECT_TRUE(e) << e.error().to_string();
    return e ? std::move(*e) : nullptr;
  };
  std::unique_ptr<Engine> engine = reopen();
  ASSERT_TRUE(engine);
  std::vector<Enrollment> gallery;
  for (std::uint64_t i = 0; i < kN; ++i) gallery.push_back(pop.capture(i, 0));
  ASSERT_TRUE(engine->import(gallery));
  ASSERT_TRUE(engine->finish_import());
  auto answer = [&](Engine& e) {
    Enrollment q = capture_as(pop, 17, 1, "q");
    auto v = e.identify(q);
    EXPECT_TRUE(v) << v.error().to_string();
    return v ? *v : Verdict{};
  };
  const Verdict before = answer(*engine);
  ASSERT_FALSE(before.candidates.empty());
  engine.reset();  // writes snapshots and the centres
  {
    engine::StoreOptions so;
    so.path = dir / "store";
    so.read_only = true;
    so.create_if_missing = false;
    auto store = engine::Store::open(so);
    ASSERT_TRUE(store) << store.error().to_string();
    int centres = 0;
    ASSERT_TRUE((*store)->for_each_meta("finger_code_centre_v", [&](const std::string& key, const std::string& value) {
      matcher::FingerCodeCentre c(matcher::finger_code_dimension());
      EXPECT_TRUE(c.restore(value)) << key;
      EXPECT_GE(c.count(), matcher::FingerCodeCentre::kMinCodes) << key;  // every indexed finger of 150 people
      EXPECT_LE(c.count(), kN) << key;
      ++centres;
      return true;
    }));
    EXPECT_EQ(centres, static_cast<int>(coded_slots(o).size()));  // every finger whose code searches
  }
  engine = reopen();
  ASSERT_TRUE(engine);
  const Verdict from_snapshot = answer(*engine);
  engine.reset();
  std::filesystem::remove_all(dir / "index");
  engine = reopen();
  ASSERT_TRUE(engine);
  const Verdict rebuilt = answer(*engine);
  engine.reset();
  for (const Verdict* v : {&from_snapshot, &rebuilt}) {
    ASSERT_EQ(v->candidates.size(), before.candidates.size());
    for (std::size_t i = 0; i < v->candidates.size(); ++i) {
      EXPECT_EQ(v->candidates[i].subject, before.candidates[i].subject);
      EXPECT_FLOAT_EQ(v->candidates[i].score, before.candidates[i].score);
    }
  }
  std::filesystem::remove_all(dir);
}

TEST_F(EngineTest, ReopeningKeepsTheGallerysShapeWhateverTheOptionsSay) {
  engine_.reset();
  EngineOptions o = test_engine_options(dir_);
  o.shards = 8;  // the gallery was created with 2
  auto e = Engine::open(o);
  ASSERT_TRUE(e) << e.error().to_string();
  EXPECT_EQ((*e)->stats().shards, 2);
  EXPECT_EQ((*e)->stats().gallery_size, kGallery);
}

TEST_F(EngineTest, CascadeFindsWhatExhaustiveSearchFinds) {
  for (std::uint64_t i : {1u, 17u, 33u, 59u}) {
    auto probe = capture_as(*pop_, i, 1, "x");
    auto fast = engine_->identify(probe);
    auto all = engine_->identify_exhaustive(probe);
    ASSERT_TRUE(fast && all);
    ASSERT_FALSE(all->empty());
    EXPECT_EQ(all->front().subject.value, i + 1);
    ASSERT_FALSE(fast->candidates.empty());
    EXPECT_EQ(fast->candidates.front().subject, all->front().subject);
  }
}

// Batch reprocessing searches many probes at once (identify_many: one index scan per batch, BLAS
// for the flat scan past 20 queries); each probe must get what identify() gives it alone, and a
// bad probe must not take the batch down with it.
TEST_F(EngineTest, IdentifyManyAnswersEachProbeAsIdentifyDoesAlone) {
  std::vector<Enrollment> probes;
  for (std::uint64_t i = 0; i < 24; ++i)  // mates of the gallery's first 24, then newcomers
    probes.push_back(capture_as(*pop_, i < 12 ? i * 5 : 7000 + i, 1, "probe-" + std::to_string(i)));
  Enrollment thin = capture_as(*pop_, 8100, 0, "thin");
  thin.face.reset();
  thin.fingers.resize(2);
  probes.insert(probes.begin() + 5, thin);
  probes.insert(probes.begin() + 9, capture_as(*pop_, 8200, 0, ""));  // no enrollment id

  auto many = engine_->identify_many(probes);
  ASSERT_TRUE(many) << many.error().to_string();
  ASSERT_EQ(many->size(), probes.size());
  int duplicates = 0;
  for (std::size_t i = 0; i < probes.size(); ++i) {
    SCOPED_TRACE("probe " + std::to_string(i));
    auto alone = engine_->identify(probes[i]);
    const auto& batched = (*many)[i];
    ASSERT_EQ(alone.has_value(), batched.has_value());
    if (!alone) {
      EXPECT_EQ(alone.error().message(), batched.error().message());
      continue;
    }
    EXPECT_EQ(alone->kind, batched->kind);
    duplicates += batched->kind == VerdictKind::kDuplicate;
    ASSERT_EQ(alone->candidates.size(), batched->candidates.size());
    for (std::size_t c = 0; c < alone->candidates.size(); ++c) {
      EXPECT_EQ(alone->candidates[c].subject, batched->candidates[c].subject);
      EXPECT_EQ(alone->candidates[c].score, batched->candidates[c].score);
    }
  }
  EXPECT_FALSE((*many)[5]) << "too few fingers is REJECTED";
  EXPECT_NE((*many)[5].error().message().find("usable finger"), std::string::npos);
  EXPECT_FALSE((*many)[9]) << "an enrollment without id is invalid";
  EXPECT_EQ(duplicates, 12) << "every mate found in the batch";
  EXPECT_EQ(engine_->stats().gallery_size, kGallery) << "identify never enrolls";
}

// Reprocessing probes each gallery member with its own stored capture: its own subject keeps its
// ranking slot (the others fully matched are those of a plain search) but is not matched.
TEST_F(EngineTest, IdentifyManySkipsEachProbesOwnSubjectAndNothingElse) {
  std::vector<Enrollment> members;
  std::vector<SubjectId> self;
  for (std::uint64_t i : {2u, 30u, 44u}) {
    members.push_back(pop_->capture(i, 0));  // exactly what was imported as subject i + 1
    self.push_back(SubjectId{i + 1});
  }
  members.push_back(capture_as(*pop_, 30, 1, "again-30"));  // a second capture of subject 31
  self.push_back(SubjectId{7});                              // probing as if it were subject 7
  auto many = engine_->identify_many(members, self);
  ASSERT_TRUE(many) << many.error().to_string();
  for (std::size_t i = 0; i < members.size(); ++i) {
    SCOPED_TRACE("probe " + std::to_string(i));
    ASSERT_TRUE((*many)[i]);
    auto alone = engine_->identify(members[i]);
    ASSERT_TRUE(alone);
    std::vector<std::pair<std::uint64_t, float>> expected, got;
    for (const Candidate& c : alone->candidates)
      if (c.subject != self[i]) expected.push_back({c.subject.value, c.score});
    for (const Candidate& c : (*many)[i]->candidates) got.push_back({c.subject.value, c.score});
    EXPECT_EQ(got, expected);
  }
  ASSERT_FALSE((*many)[3]->candidates.empty());
  EXPECT_EQ((*many)[3]->candidates.front().subject.value, 31u) << "only the named subject is skipped";
  EXPECT_FALSE(engine_->identify_many(members, std::span<const SubjectId>(self).first(2)))
      << "own subject ids must match the probes one to one";
}

// Candidate preparation is most of an enrollment's cost: with the face compared, a clear impostor
// is ruled out after one finger (face_early_exit_llr), without a face only after two; the mate is
// still found either way.
TEST_F(EngineTest, WithAFaceOneFingerRulesOutAnImpostor) {
  auto per_candidate = [&](float face_early_exit_llr, const Enrollment& probe) {
    const auto [st, kind] = decide_alone([&](EngineOptions& o) { o.face_early_exit_llr = face_early_exit_llr; }, probe);
    EXPECT_GT(st.fully_matched, 10u);
    return std::pair{double(st.finger_comparisons) / double(st.fully_matched), kind};
  };
  const Enrollment newcomer = capture_as(*pop_, 5000, 0, "newcomer");
  auto [with_rule, kind1] = per_candidate(-3.0f, newcomer);
  auto [without_rule, kind2] = per_candidate(-1e9f, newcomer);
  EXPECT_LT(with_rule, 1.3);
  EXPECT_GE(without_rule, 2.0);
  EXPECT_EQ(kind1, VerdictKind::kUnique);
  EXPECT_EQ(kind2, VerdictKind::kUnique);
  auto [mate_cost, mate_kind] = per_candidate(-3.0f, capture_as(*pop_, 7, 1, "mate"));
  EXPECT_EQ(mate_kind, VerdictKind::kDuplicate);
  (void)mate_cost;
}

// A very poor capture (indexed fingers' mean reported quality below poor_probe_quality) reaches
// poor_probe_depth times as many candidates in full matching; a clear one, or the same poor one
// with the option off, the usual number. Its mate ranks far lower in the finger-code lists
// (docs/finger_codes.md "Six populations").
TEST_F(EngineTest, AVeryPoorCaptureSearchesDeeper) {
  auto fully_matched = [&](int depth, const Enrollment& probe) {
    return decide_alone(
               [&](EngineOptions& o) {
                 o.full_match_candidates = 4;
                 o.fused_candidates = 8;
                 o.face_reserved_candidates = 0;
                 o.poor_probe_depth = depth;
               },
               probe)
        .first.fully_matched;
  };
  const Enrollment clear = capture_as(*pop_, 5000, 0, "clear");
  Enrollment poor = clear;
  poor.id = EnrollmentId{"poor"};
  for (FingerTemplate& f : poor.fingers) f.quality = 20;
  const auto probe_of = [](const Enrollment& e) { return make_probe(e, matcher::FingerMatcher{}, EngineOptions{}); };
  EXPECT_GE(indexed_finger_quality(probe_of(clear)), 40.0f);
  EXPECT_FLOAT_EQ(indexed_finger_quality(probe_of(poor)), 20.0f);
  Enrollment unreported = clear;
  for (FingerTemplate& f : unreported.fingers) f.quality = 0;
  EXPECT_EQ(indexed_finger_quality(probe_of(unreported)), 0.0f) << "no quality reported: searched as usual";

  EXPECT_EQ(fully_matched(4, clear), 4u);
  EXPECT_EQ(fully_matched(4, poor), 16u);
  EXPECT_EQ(fully_matched(1, poor), 4u);
  EXPECT_EQ(fully_matched(4, unreported), 4u);
}

}  // namespace
}  // namespace tunggal

namespace tunggal {
namespace {
constexpr std::uint64_t kCascadeGallery = 60;

// Identity 7's second capture with the fingers at `positions` swapped, in that order, for those of
// identities 20, 21, ... (impostor prints for identity 7, genuine ones for them).
Enrollment seven_with_others_fingers(const datasets::Population& pop, const std::vector<FingerPosition>& positions) {
  Enrollment probe = testing::capture_as(pop, 7, 1, "probe");
  for (std::size_t k = 0; k < positions.size(); ++k) {
    const Enrollment other = pop.capture(20 + k, 1);
    const FingerTemplate* g = other.finger(positions[k]);
    auto f = std::find_if(probe.fingers.begin(), probe.fingers.end(),
                          [&](const FingerTemplate& t) { return t.position == positions[k]; });
    if (!g || f == probe.fingers.end()) ADD_FAILURE() << "identities 7 and " << 20 + k << " need that finger";
    else *f = *g;
  }
  return probe;
}

// An engine over capture 0 of identities 0..59 (subject id = identity + 1).
std::unique_ptr<Engine> engine_over_gallery(const datasets::Population& pop, const EngineOptions& o) {
  std::vector<Enrollment> gallery;
  for (std::uint64_t i = 0; i < kCascadeGallery; ++i) gallery.push_back(pop.capture(i, 0));
  auto engine = Engine::open(o, testing::test_fusion_model());
  EXPECT_TRUE(engine) << engine.error().to_string();
  if (!engine) return nullptr;
  EXPECT_TRUE((*engine)->import(gallery));
  EXPECT_TRUE((*engine)->finish_import());
  return std::move(*engine);
}

// A mate whose indexed fingers (thumbs, index fingers) all fail to match is found by the face
// index only; candidates a finger-code list found outrank it on the pre-score. At 1M that was 43
// of 52 missed mates (docs/dedup.md). face_reserved_candidates keeps the face index's best in full
// matching whatever their finger codes.
TEST(EngineCascade, TheFaceIndexsBestReachFullMatchingWhateverTheFingerCodesSay) {
  const auto dir = testing::make_temp_dir("engine-face-reserved");
  datasets::Population pop(datasets::PopulationConfig{.seed = 42});
  // Identity 7's four indexed fingers swapped for those of identities 20-23 (their finger codes
  // find 21-24 with genuine similarity; identity 7 only by its face).
  const Enrollment probe =
      seven_with_others_fingers(pop, std::vector<FingerPosition>(kPrimaryFingers.begin(), kPrimaryFingers.end()));
  auto mate_found = [&](int reserved) {
    EngineOptions o = testing::test_engine_options(dir / std::to_string(reserved));
    o.finger_candidates = 2;      // each code list: the swapped-in identity and one more
    o.fused_candidates = 2;       // the fused list: two of the swapped-in identities
    o.fused_fingers = 4;          // ... when it holds the four indexed fingers only
    o.full_match_candidates = 2;
    o.face_reserved_candidates = reserved;
    o.early_exit_llr = o.face_early_exit_llr = -1e9f;  // the selection alone is under test
    auto engine = engine_over_gallery(pop, o);
    if (!engine) return false;
    auto v = engine->identify(probe);
    EXPECT_TRUE(v) << v.error().to_string();
    auto t = engine->trace(probe, SubjectId{8});
    EXPECT_TRUE(t) << t.error().to_string();
    EXPECT_EQ(t->face_rank, 1);
    EXPECT_EQ(t->code_rank, (std::array<int, kFingerCount>{})) << "no finger-code list finds the mate";
    EXPECT_EQ(t->fused_rank, 0) << "nor does the fused list";
    EXPECT_GT(t->pre_rank, 2) << "the code-found candidates outrank it";
    EXPECT_EQ(t->fully_matched, reserved > 0);
    return std::any_of(v->candidates.begin(), v->candidates.end(), [](const Candidate& c) { return c.subject.value == 8; });
  };
  EXPECT_FALSE(mate_found(0)) << "without the reservation the mate is ranked out";
  EXPECT_TRUE(mate_found(1));
  std::filesystem::remove_all(dir);
}

// The fused list over all ten fingers finds, without a face, a mate whose four indexed fingers
// are someone else's: its other six carry it. Over the indexed four it cannot.
TEST(EngineFusedCodes, AllTenFingersFindAMateWhoseIndexedFourAreOthers) {
  const auto dir = testing::make_temp_dir("engine-fused-ten");
  datasets::Population pop(datasets::PopulationConfig{.seed = 42});
  Enrollment probe =
      seven_with_others_fingers(pop, std::vector<FingerPosition>(kPrimaryFingers.begin(), kPrimaryFingers.end()));
  probe.face.reset();
  auto trace_with = [&](bool all_ten) {
    EngineOptions o = testing::test_engine_options(dir / (all_ten ? "ten" : "four"));
    o.fused_fingers = all_ten ? 10 : 4;
    o.fused_candidates = 4;
    auto engine = engine_over_gallery(pop, o);
    if (!engine) return CascadeTrace{};
    auto t = engine->trace(probe, SubjectId{8});
    EXPECT_TRUE(t) << t.error().to_string();
    return t ? *t : CascadeTrace{};
  };
  EXPECT_EQ(trace_with(true).fused_rank, 1);
  EXPECT_EQ(trace_with(false).fused_rank, 0);
  std::filesystem::remove_all(dir);
}

// A mate whose face matches but whose first eight fingers in matching order are worn beyond use
// (here: swapped for eight different people's prints, which score as impostors) must still be
// compared on its last two, the ones that match: the early exit would otherwise stop at the
// piled-up impostor LLRs (at 1M such a mate fell from 11.3 to 6.4, DUPLICATE to UNIQUE).
TEST(EngineCascade, AFaceThatVouchesKeepsEveryFingerInPlay) {
  const auto dir = testing::make_temp_dir("engine-face-vouch");
  datasets::Population pop(datasets::PopulationConfig{.seed = 42});
  using enum FingerPosition;
  const Enrollment probe = seven_with_others_fingers(
      pop, {kRightThumb, kRightIndex, kRightMiddle, kRightRing, kRightLittle, kLeftThumb, kLeftIndex, kLeftMiddle});
  auto trace_with = [&](float vouch) {
    EngineOptions o = testing::test_engine_options(dir / std::to_string(vouch));
    o.face_vouch_llr = vouch;
    auto engine = engine_over_gallery(pop, o);
    if (!engine) return CascadeTrace{};
    auto t = engine->trace(probe, SubjectId{8});
    EXPECT_TRUE(t) << t.error().to_string();
    return t ? *t : CascadeTrace{};
  };
  const CascadeTrace off = trace_with(std::numeric_limits<float>::infinity());
  ASSERT_GE(off.face_llr, 2.0f) << "precondition: the face vouches for the mate";
  ASSERT_TRUE(off.fully_matched);
  const float review = std::log10(static_cast<float>(kCascadeGallery) / 1e-2f);  // review threshold here
  EXPECT_GE(off.full.score, review) << "all ten fingers and the face make it a duplicate";
  EXPECT_LT(off.with_early_exit.score, review) << "without the rule the early exit loses it";
  const CascadeTrace on = trace_with(2.0f);
  EXPECT_FLOAT_EQ(on.with_early_exit.score, on.full.score);
  EXPECT_GE(on.with_early_exit.score, review);
  std::filesystem::remove_all(dir);
}
}  // namespace
}  // namespace tunggal
