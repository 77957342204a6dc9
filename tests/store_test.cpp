#include <atomic>
#include <csignal>
#include <cstdlib>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <numbers>
#include <random>
#include <spawn.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

extern char** environ;

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include "engine/detail/record_codec.h"
#include "engine/detail/writer_lock.h"
#include "engine/store.h"
#include "tests/old_store_layout.h"

using namespace tunggal;
using namespace tunggal::engine;
namespace fs = std::filesystem;

namespace {

constexpr int kDim = 16;
const GalleryConfig kGallery{kDim, 4};

// A fresh directory per test, removed afterwards.
class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    // A death test's child re-executes this binary (new pid): it finds the parent's directory here.
    if (const char* d = std::getenv("TUNGGAL_STORE_TEST_DIR"); d && *d) {
      dir_ = d;
      return;
    }
    dir_ = fs::temp_directory_path() /
           (std::string("tunggal_store_") + info->name() + "_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  StoreOptions options(const fs::path& p) const {
    StoreOptions o;
    o.path = p;
    o.gallery = kGallery;
    o.block_cache_bytes = 8u << 20;
    return o;
  }
  std::unique_ptr<Store> open_store() { return open_at(dir_); }
  std::unique_ptr<Store> open_at(const fs::path& p) {
    auto s = Store::open(options(p));
    EXPECT_TRUE(s) << s.error().to_string();
    return s ? std::move(*s) : nullptr;
  }

  fs::path dir_;
};

FaceEmbedding make_face(int seed, int dim = kDim) {
  std::mt19937 rng(static_cast<unsigned>(seed));
  std::normal_distribution<float> n;
  std::vector<float> v(static_cast<std::size_t>(dim));
  for (auto& x : v) x = n(rng);
  return *FaceEmbedding::make(v);
}

// Angles as the ISO reader produces them (u × 2π/256), so storage is exact.
FingerTemplate make_finger(FingerPosition p, int n, int seed) {
  FingerTemplate f;
  f.position = p;
  f.width = 388;
  f.height = 374;
  f.quality = 77;
  for (int i = 0; i < n; ++i) {
    Minutia m;
    m.x = static_cast<std::uint16_t>((seed * 31 + i * 17) % 388);
    m.y = static_cast<std::uint16_t>((seed * 7 + i * 29) % 374);
    m.angle = static_cast<float>(((seed + i * 37) % 256) * (2.0 * std::numbers::pi / 256.0));
    m.type = i % 3 == 0 ? MinutiaType::kBifurcation : MinutiaType::kRidgeEnding;
    m.quality = static_cast<std::uint8_t>((i * 13 + seed) % 101);
    f.minutiae.push_back(m);
  }
  return f;
}

StoredSubject make_subject(std::uint64_t id, int fingers = 10, bool face = true) {
  StoredSubject s;
  s.record.id = SubjectId{id};
  s.record.nik = "3273010101900001";
  s.record.site = "3273-KEC-SUKAJADI-01";
  s.record.enrollment = EnrollmentId{"E" + std::to_string(id)};
  s.record.enrolled_at_ms = 1700000000000 + static_cast<std::int64_t>(id);
  for (int p = 1; p <= fingers; ++p) {
    s.fingers.push_back(make_finger(static_cast<FingerPosition>(p), 30 + p, static_cast<int>(id) * 10 + p));
  }
  if (face) s.face = make_face(static_cast<int>(id));
  return s;
}

Enrollment make_enrollment(const std::string& id, int fingers = 2) {
  Enrollment e;
  e.id = EnrollmentId{id};
  e.site = "3273-KEC-SUKAJADI-01";
  e.nik = *Nik::parse("3273014507950002");
  e.capture_time_ms = 1700000001234;
  for (int p = 1; p <= fingers; ++p) e.fingers.push_back(make_finger(static_cast<FingerPosition>(p), 25, p));
  e.face = make_face(99);
  return e;
}

Verdict make_verdict(const std::string& enrollment) {
  Verdict v;
  v.enrollment = EnrollmentId{enrollment};
  v.kind = VerdictKind::kDuplicate;
  v.subject = SubjectId{0};
  Candidate c;
  c.subject = SubjectId{42};
  c.score = 7.25f;
  c.finger_scores[1] = 0.8f;
  c.finger_scores[6] = 0.0f;
  c.face_score = 0.61f;
  c.face_led_score = 9.5f;
  v.candidates.push_back(c);
  Candidate d;  // all NaN except score
  d.subject = SubjectId{43};
  d.score = -1.5f;
  v.candidates.push_back(d);
  v.reject_reason = "";
  v.duplicate_threshold = 6.0f;
  v.review_threshold = 3.5f;
  v.decided_at_ms = 1700000002000;
  v.decision = Decision::kConfirmedDuplicate;
  v.linked_subject = SubjectId{42};
  v.decided_by = "admin@dukcapil";
  v.decision_reason = "same person, second NIK";
  v.adjudicated_at_ms = 1700000003000;
  return v;
}

bool same_bits(float a, float b) { return std::bit_cast<std::uint32_t>(a) == std::bit_cast<std::uint32_t>(b); }

void expect_same(const Verdict& a, const Verdict& b) {
  EXPECT_EQ(a.enrollment, b.enrollment);
  EXPECT_EQ(a.kind, b.kind);
  EXPECT_EQ(a.subject, b.subject);
  ASSERT_EQ(a.candidates.size(), b.candidates.size());
  for (std::size_t i = 0; i < a.candidates.size(); ++i) {
    EXPECT_EQ(a.candidates[i].subject, b.candidates[i].subject);
    EXPECT_TRUE(same_bits(a.candidates[i].score, b.candidates[i].score));
    for (int f = 0; f < kFingerCount; ++f) {
      EXPECT_TRUE(same_bits(a.candidates[i].finger_scores[f], b.candidates[i].finger_scores[f])) << i << "/" << f;
    }
    EXPECT_TRUE(same_bits(a.candidates[i].face_score, b.candidates[i].face_score));
    EXPECT_TRUE(same_bits(a.candidates[i].face_led_score, b.candidates[i].face_led_score));
  }
  EXPECT_EQ(a.reject_reason, b.reject_reason);
  EXPECT_TRUE(same_bits(a.duplicate_threshold, b.duplicate_threshold));
  EXPECT_TRUE(same_bits(a.review_threshold, b.review_threshold));
  EXPECT_EQ(a.decided_at_ms, b.decided_at_ms);
  EXPECT_EQ(a.decision, b.decision);
  EXPECT_EQ(a.linked_subject, b.linked_subject);
  EXPECT_EQ(a.decided_by, b.decided_by);
  EXPECT_EQ(a.decision_reason, b.decision_reason);
  EXPECT_EQ(a.adjudicated_at_ms, b.adjudicated_at_ms);
}

void expect_same(const StoredSubject& a, const StoredSubject& b) {
  EXPECT_EQ(a.record, b.record);
  EXPECT_EQ(a.fingers, b.fingers);
  EXPECT_EQ(a.face, b.face);
}

void expect_same(const Enrollment& a, const Enrollment& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.site, b.site);
  EXPECT_EQ(a.nik, b.nik);
  EXPECT_EQ(a.capture_time_ms, b.capture_time_ms);
  EXPECT_EQ(a.fingers, b.fingers);
  EXPECT_EQ(a.face, b.face);
}

}  // namespace

// ---- codecs ------------------------------------------------------------------------------------

TEST(RecordCodec, MinutiaeFromIsoAndAnsiAnglesRoundTripExactly) {
  FingerTemplate iso = make_finger(FingerPosition::kLeftIndex, 60, 3);
  FingerTemplate ansi = iso;
  for (std::size_t i = 0; i < ansi.minutiae.size(); ++i) {
    ansi.minutiae[i].angle = static_cast<float>(static_cast<double>(i * 7 % 180) * (2.0 * std::numbers::pi / 180.0));
  }
  for (const auto* f : {&iso, &ansi}) {
    std::string bytes;
    detail::encode(*f, bytes);
    EXPECT_LE(bytes.size(), 20 + 6 * f->minutiae.size());  // 6 bytes per minutia
    auto back = detail::decode_template(bytes);
    ASSERT_TRUE(back) << back.error().to_string();
    EXPECT_EQ(*back, *f);
  }
}

TEST(RecordCodec, ArbitraryAnglesWithinATenthOfADegreeAndOddFingersExact) {
  FingerTemplate f = make_finger(FingerPosition::kRightThumb, 40, 5);
  for (std::size_t i = 0; i < f.minutiae.size(); ++i) f.minutiae[i].angle = 0.123456f * static_cast<float>(i) + 0.01f;
  std::string bytes;
  detail::encode(f, bytes);
  auto back = detail::decode_template(bytes);
  ASSERT_TRUE(back);
  for (std::size_t i = 0; i < f.minutiae.size(); ++i) {
    EXPECT_NEAR(back->minutiae[i].angle, std::fmod(f.minutiae[i].angle, 2 * std::numbers::pi_v<float>),
                std::numbers::pi / 2048 + 1e-6);
    EXPECT_EQ(back->minutiae[i].x, f.minutiae[i].x);
    EXPECT_EQ(back->minutiae[i].quality, f.minutiae[i].quality);
  }
  // Coordinates beyond 14 bits take the exact 10-byte form.
  f.minutiae[0].x = 40000;
  bytes.clear();
  detail::encode(f, bytes);
  back = detail::decode_template(bytes);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, f);
}

TEST(RecordCodec, VerdictKeepsEveryFieldIncludingNaNScores) {
  const Verdict v = make_verdict("E-1");
  std::string bytes;
  detail::encode(v, bytes);
  auto back = detail::decode_verdict(bytes);
  ASSERT_TRUE(back) << back.error().to_string();
  expect_same(v, *back);
  EXPECT_TRUE(std::isnan(back->candidates[1].finger_scores[3]));
}

// Verdicts stored before candidates carried a face-led score end after adjudicated_at; they
// still read, with no face-led score, and a partial extension is refused.
TEST(RecordCodec, VerdictsStoredBeforeFaceLedScoresStillRead) {
  const Verdict v = make_verdict("E-1");
  std::string bytes;
  detail::encode(v, bytes);
  const std::size_t legacy = bytes.size() - 4 - 4 * v.candidates.size();
  auto old = detail::decode_verdict(std::string_view(bytes).substr(0, legacy));
  ASSERT_TRUE(old) << old.error().to_string();
  ASSERT_EQ(old->candidates.size(), 2u);
  EXPECT_TRUE(std::isnan(old->candidates[0].face_led_score));
  EXPECT_EQ(old->adjudicated_at_ms, v.adjudicated_at_ms);
  EXPECT_EQ(detail::decode_verdict(std::string_view(bytes).substr(0, legacy + 4)).status().code(), ErrorCode::kCorruption);
}

TEST(RecordCodec, FaceRoundTripsBitForBit) {
  const FaceEmbedding f = make_face(7, 512);
  std::string bytes;
  detail::encode(f, bytes);
  EXPECT_EQ(bytes.size(), 3u + 4u * 512u);
  auto back = detail::decode_face(bytes);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, f);
}

TEST(RecordCodec, EveryTruncationAndByteFlipIsAnErrorOrAValidRecordNeverACrash) {
  std::vector<std::pair<std::string, Status (*)(std::string_view)>> cases;
  std::string t, e, v, s, a;
  detail::encode(make_finger(FingerPosition::kRightIndex, 12, 1), t);
  detail::encode(EnrollmentRecord{make_enrollment("E-7"), JobState::kPending, 5, 9}, e);
  detail::encode(make_verdict("E-7"), v);
  detail::encode(make_subject(3).record, s);
  detail::encode(AuditEntry{4, 5, "admin", "revoke", "subject 3", "fraud", "active", "revoked"}, a);
  auto tcheck = [](std::string_view b) { return detail::decode_template(b).status(); };
  auto echeck = [](std::string_view b) { return detail::decode_enrollment_record(b).status(); };
  auto vcheck = [](std::string_view b) { return detail::decode_verdict(b).status(); };
  auto scheck = [](std::string_view b) { return detail::decode_subject(b).status(); };
  auto acheck = [](std::string_view b) { return detail::decode_audit(b).status(); };
  cases = {{t, +tcheck}, {e, +echeck}, {v, +vcheck}, {s, +scheck}, {a, +acheck}};
  for (const auto& [bytes, check] : cases) {
    ASSERT_TRUE(check(bytes));
    // A verdict cut just before its face-led scores is a verdict stored before them (valid).
    const std::size_t legacy_verdict = v.size() - 4 - 4 * make_verdict("E-1").candidates.size();
    for (std::size_t n = 0; n < bytes.size(); ++n) {
      if (check == +vcheck && n == legacy_verdict) continue;
      const Status st = check(std::string_view(bytes).substr(0, n));
      ASSERT_FALSE(st) << "prefix " << n;
      EXPECT_TRUE(st.code() == ErrorCode::kCorruption || st.code() == ErrorCode::kIncompatible) << st.to_string();
    }
    EXPECT_EQ(check(bytes + "x").code(), ErrorCode::kCorruption);  // trailing garbage
    for (std::size_t i = 0; i < bytes.size(); ++i) {
      std::string flipped = bytes;
      flipped[i] = static_cast<char>(flipped[i] ^ 0xff);
      const Status st = check(flipped);  // must not crash; either answer is fine
      if (!st) {
        EXPECT_NE(st.code(), ErrorCode::kInternal);
      }
    }
  }
}

// ---- store -------------------------------------------------------------------------------------

TEST_F(StoreTest, EveryRecordTypeRoundTrips) {
  auto store = open_store();
  ASSERT_TRUE(store);
  EXPECT_EQ(store->gallery_config(), kGallery);
  const StoredSubject subj = make_subject(5);
  const Enrollment enr = make_enrollment("E-100");
  const Verdict ver = make_verdict("E-100");
  auto b = store->batch();
  b.put_subject(subj);
  b.enqueue(enr, 1700000009999);
  b.record_verdict(ver);
  b.append_audit({0, 1700000010000, "admin@dukcapil", "adjudicate", "E-100", "same person", "REVIEW", "DUPLICATE"});
  b.put_meta("index.covered_seq", "17");
  EXPECT_EQ(b.size(), 5u);
  ASSERT_TRUE(store->commit(std::move(b)));

  auto loaded = store->load_subject(SubjectId{5});
  ASSERT_TRUE(loaded && *loaded);
  expect_same(**loaded, subj);
  auto rec = store->subject(SubjectId{5});
  ASSERT_TRUE(rec && *rec);
  EXPECT_EQ(**rec, subj.record);
  auto job = store->enrollment(EnrollmentId{"E-100"});
  ASSERT_TRUE(job && *job);
  expect_same((*job)->enrollment, enr);
  EXPECT_EQ((*job)->state, JobState::kDecided);
  EXPECT_EQ((*job)->received_at_ms, 1700000009999);
  EXPECT_EQ((*job)->queue_seq, 1u);
  auto v = store->verdict(EnrollmentId{"E-100"});
  ASSERT_TRUE(v && *v);
  expect_same(**v, ver);
  std::vector<AuditEntry> audit;
  ASSERT_TRUE(store->for_each_audit([&](const AuditEntry& a) { return audit.push_back(a), true; }));
  ASSERT_EQ(audit.size(), 1u);
  EXPECT_EQ(audit[0].seq, 1u);
  EXPECT_EQ(audit[0].before, "REVIEW");
  EXPECT_EQ(audit[0].after, "DUPLICATE");
  std::vector<ChangeEntry> changes;
  ASSERT_TRUE(store->for_each_change([&](const ChangeEntry& c) { return changes.push_back(c), true; }));
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0], (ChangeEntry{1, SubjectId{5}, true}));
  auto m = store->meta("index.covered_seq");
  ASSERT_TRUE(m && *m);
  EXPECT_EQ(**m, "17");
  EXPECT_FALSE(*store->meta("absent"));
  EXPECT_FALSE(*store->load_subject(SubjectId{6}));
  EXPECT_FALSE(*store->verdict(EnrollmentId{"nope"}));
  EXPECT_TRUE(store->verify_checksums());
}

TEST_F(StoreTest, BatchIsInvisibleUntilCommitThenAllVisible) {
  auto store = open_store();
  auto b = store->batch();
  for (std::uint64_t id = 1; id <= 50; ++id) b.put_subject(make_subject(id, 2));
  EXPECT_EQ(store->subject_count(), 0u);
  EXPECT_FALSE(*store->subject(SubjectId{1}));
  ASSERT_TRUE(store->commit(std::move(b)));
  EXPECT_EQ(store->subject_count(), 50u);
  EXPECT_EQ(store->max_subject_id(), 50u);
  EXPECT_EQ(store->last_change_seq(), 50u);
  std::uint64_t n = 0, last = 0;
  ASSERT_TRUE(store->for_each_subject([&](const StoredSubject& s) {
    EXPECT_GT(s.record.id.value, last);
    last = s.record.id.value;
    EXPECT_EQ(s.fingers.size(), 2u);
    EXPECT_TRUE(s.face);
    return ++n, true;
  }));
  EXPECT_EQ(n, 50u);
  // from + early stop
  std::vector<std::uint64_t> seen;
  ASSERT_TRUE(store->for_each_subject([&](const StoredSubject& s) { return seen.push_back(s.record.id.value), seen.size() < 3; },
                                      SubjectId{20}));
  EXPECT_EQ(seen, (std::vector<std::uint64_t>{20, 21, 22}));
  seen.clear();
  ASSERT_TRUE(store->for_each_subject_record([&](const SubjectRecord& r) { return seen.push_back(r.id.value), seen.size() < 3; },
                                             SubjectId{20}));
  EXPECT_EQ(seen, (std::vector<std::uint64_t>{20, 21, 22}));
}

TEST_F(StoreTest, FailedCommitLeavesNothing) {
  auto store = open_store();
  auto b = store->batch();
  for (std::uint64_t id = 1; id <= 5; ++id) b.put_subject(make_subject(id, 1));
  b.enqueue(make_enrollment("E-1"), 1);
  b.append_audit({0, 1, "a", "x", "t", "r", "", ""});
  b.revoke_subject(SubjectId{999}, "no such subject", 2);  // fails the whole batch
  const Status s = store->commit(std::move(b));
  ASSERT_FALSE(s);
  EXPECT_EQ(s.code(), ErrorCode::kNotFound);
  EXPECT_EQ(store->subject_count(), 0u);
  EXPECT_EQ(store->pending_count(), 0u);
  EXPECT_EQ(store->max_subject_id(), 0u);
  EXPECT_EQ(store->last_change_seq(), 0u);
  EXPECT_EQ(store->last_audit_seq(), 0u);
  EXPECT_FALSE(*store->subject(SubjectId{1}));
  EXPECT_FALSE(*store->enrollment(EnrollmentId{"E-1"}));
  EXPECT_TRUE(store->pending(10)->empty());

  // A face of the wrong dimension fails too, with a message naming both dimensions.
  auto c = store->batch();
  StoredSubject bad = make_subject(7);
  bad.face = make_face(1, kDim + 1);
  c.put_subject(bad);
  const Status s2 = store->commit(std::move(c));
  EXPECT_EQ(s2.code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(s2.message().find("17 dimensions"), std::string::npos) << s2.message();
  EXPECT_FALSE(*store->subject(SubjectId{7}));
}

TEST_F(StoreTest, EverythingSurvivesReopen) {
  {
    auto store = open_store();
    auto b = store->batch();
    for (std::uint64_t id = 1; id <= 10; ++id) b.put_subject(make_subject(id, 3));
    b.enqueue(make_enrollment("E-1"), 1);
    b.enqueue(make_enrollment("E-2"), 2);
    b.append_audit({0, 1, "a", "x", "t", "r", "", ""});
    ASSERT_TRUE(store->commit(std::move(b)));
    auto c = store->batch();
    c.revoke_subject(SubjectId{3}, "fraud", 5);
    c.record_verdict(make_verdict("E-1"));
    ASSERT_TRUE(store->commit(std::move(c), Durability::kBuffered));
    ASSERT_TRUE(store->flush());
  }
  StoreOptions o = options(dir_);
  o.gallery.reset();  // the stored config is used
  auto store = Store::open(o);
  ASSERT_TRUE(store) << store.error().to_string();
  EXPECT_EQ((*store)->gallery_config(), kGallery);
  EXPECT_EQ((*store)->subject_count(), 9u);
  EXPECT_EQ((*store)->max_subject_id(), 10u);
  EXPECT_EQ((*store)->pending_count(), 1u);
  EXPECT_EQ((*store)->last_change_seq(), 11u);
  EXPECT_EQ((*store)->last_audit_seq(), 1u);
  auto s = (*store)->load_subject(SubjectId{4});
  ASSERT_TRUE(s && *s);
  expect_same(**s, make_subject(4, 3));
  // Sequence numbers continue where they were.
  auto b = (*store)->batch();
  b.append_audit({0, 2, "a", "y", "t", "r", "", ""});
  ASSERT_TRUE((*store)->commit(std::move(b)));
  EXPECT_EQ((*store)->last_audit_seq(), 2u);
}

TEST_F(StoreTest, SyncedCommitSurvivesTheProcessKillingItselfRightAfter) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");  // the child re-executes this binary: no inherited threads
  ::setenv("TUNGGAL_STORE_TEST_DIR", dir_.c_str(), 1);
  EXPECT_EXIT(
      {
        auto store = Store::open(options(dir_));
        if (!store) std::_Exit(3);
        auto b = (*store)->batch();
        b.put_subject(make_subject(77, 10));
        b.enqueue(make_enrollment("E-kill"), 123);
        if (!(*store)->commit(std::move(b), Durability::kSynced)) std::_Exit(4);
        std::raise(SIGKILL);  // no destructor, no flush, no close
      },
      ::testing::KilledBySignal(SIGKILL), "");
  ::unsetenv("TUNGGAL_STORE_TEST_DIR");
  auto store = open_store();
  ASSERT_TRUE(store);
  EXPECT_EQ(store->subject_count(), 1u);
  EXPECT_EQ(store->pending_count(), 1u);
  auto s = store->load_subject(SubjectId{77});
  ASSERT_TRUE(s && *s);
  expect_same(**s, make_subject(77, 10));
  auto p = store->pending(5);
  ASSERT_TRUE(p);
  ASSERT_EQ(p->size(), 1u);
  EXPECT_EQ((*p)[0].id.value, "E-kill");
}

TEST_F(StoreTest, SecondOpenOfTheSameDirectoryIsLocked) {
  auto first = open_store();
  ASSERT_TRUE(first);
  auto second = Store::open(options(dir_));
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code(), ErrorCode::kLocked);
  EXPECT_NE(second.error().message().find("in use"), std::string::npos) << second.error().message();
  EXPECT_NE(second.error().message().find(dir_.string()), std::string::npos);
  first.reset();
  EXPECT_TRUE(Store::open(options(dir_)));  // released on close
}

// The child of OtherProcessHoldingTheDirectoryIsLocked is this binary started with
// TUNGGAL_STORE_HOLD_DIR set: before any test runs, it opens that store, says so, and waits to be killed.
namespace {
class HoldStoreIfAsked : public ::testing::Environment {
 public:
  void SetUp() override {  // runs in main, after every static is initialised
    const char* dir = std::getenv("TUNGGAL_STORE_HOLD_DIR");
    if (!dir || !*dir) return;
    StoreOptions o;
    o.path = dir;
    o.gallery = kGallery;
    auto store = Store::open(o);
    if (!store) std::_Exit(2);
    std::ofstream(std::string(dir) + ".ready") << "open";
    for (;;) ::pause();
  }
};
[[maybe_unused]] ::testing::Environment* const kHoldEnvironment =
    ::testing::AddGlobalTestEnvironment(new HoldStoreIfAsked);
}  // namespace

TEST_F(StoreTest, OtherProcessHoldingTheDirectoryIsLocked) {
  open_store().reset();
  const std::string ready = dir_.string() + ".ready";
  fs::remove(ready);
  ::setenv("TUNGGAL_STORE_HOLD_DIR", dir_.c_str(), 1);
  std::string self = fs::read_symlink("/proc/self/exe").string();
  char* argv[] = {self.data(), nullptr};
  pid_t child = 0;
  const int spawned = ::posix_spawn(&child, self.c_str(), nullptr, nullptr, argv, environ);
  ::unsetenv("TUNGGAL_STORE_HOLD_DIR");
  ASSERT_EQ(spawned, 0);
  for (int i = 0; i < 400 && !fs::exists(ready); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_TRUE(fs::exists(ready)) << "the child process did not open the store";
  auto s = Store::open(options(dir_));
  StoreOptions ro = options(dir_);  // a read-only open does not need the lock
  ro.read_only = true;
  auto reader = Store::open(ro);
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  fs::remove(ready);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code(), ErrorCode::kLocked) << s.error().to_string();
  EXPECT_NE(s.error().message().find("another --data-dir"), std::string::npos) << s.error().message();
  std::cout << "  the error reads: " << s.error().to_string() << "\n";
  EXPECT_TRUE(reader) << reader.error().to_string();
  reader = Status(ErrorCode::kInternal, "closed");
  EXPECT_TRUE(Store::open(options(dir_)));  // the lock dies with its process
}

// A read-only open (admin status beside a running server) can list a MANIFEST or WAL the live
// writer replaces a moment later. While a writer holds the directory that is retried; without one,
// a missing file is damage and says so.
TEST_F(StoreTest, ReadOnlyOpenRetriesAFileALiveWriterReplacedButReportsRealDamage) {
  open_store().reset();
  std::string current;
  std::ifstream(dir_ / "CURRENT") >> current;
  ASSERT_FALSE(current.empty());
  const fs::path manifest = dir_ / current, aside = dir_ / (current + ".aside");
  StoreOptions ro = options(dir_);
  ro.read_only = true;

  fs::rename(manifest, aside);
  {
    auto writer = detail::WriterLock::acquire(dir_);  // as a live engine holds it
    ASSERT_TRUE(writer) << writer.error().to_string();
    std::thread put_back([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(120));
      fs::rename(aside, manifest);
    });
    auto reader = Store::open(ro);
    put_back.join();
    EXPECT_TRUE(reader) << reader.error().to_string();
  }

  fs::rename(manifest, aside);  // no writer: nobody will put it back
  auto damaged = Store::open(ro);
  fs::rename(aside, manifest);
  ASSERT_FALSE(damaged);
  EXPECT_EQ(damaged.error().code(), ErrorCode::kCorruption) << damaged.error().to_string();
}

TEST_F(StoreTest, OtherFormatVersionIsIncompatible) {
  open_store().reset();
  {  // rewrite the version as a future build would
    std::vector<std::string> names;
    ASSERT_TRUE(rocksdb::DB::ListColumnFamilies({}, dir_.string(), &names).ok());
    std::vector<rocksdb::ColumnFamilyDescriptor> descs;
    for (auto& n : names) descs.emplace_back(n, rocksdb::ColumnFamilyOptions());
    std::vector<rocksdb::ColumnFamilyHandle*> hs;
    rocksdb::DB* db = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open({}, dir_.string(), descs, &hs, &db).ok());
    auto meta = std::find(names.begin(), names.end(), "meta") - names.begin();
    ASSERT_TRUE(db->Put({}, hs[static_cast<std::size_t>(meta)], "format_version", "2").ok());
    for (auto* h : hs) db->DestroyColumnFamilyHandle(h);
    delete db;
  }
  auto s = Store::open(options(dir_));
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code(), ErrorCode::kIncompatible);
  EXPECT_NE(s.error().message().find("format 2"), std::string::npos) << s.error().message();
}

TEST_F(StoreTest, DifferentGalleryConfigIsRefused) {
  open_store().reset();
  StoreOptions o = options(dir_);
  o.gallery = GalleryConfig{512, 4};
  auto s = Store::open(o);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(s.error().message().find("fixed when a store is created"), std::string::npos);
}

TEST_F(StoreTest, DirectoriesThatAreNotStoresAreRefused) {
  fs::create_directories(dir_);
  std::ofstream(dir_ / "notes.txt") << "hello";
  auto s = Store::open(options(dir_));
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(s.error().message().find("not a tunggal store"), std::string::npos);

  // A RocksDB database of someone else's.
  const fs::path other = dir_ / "other";
  rocksdb::Options ro;
  ro.create_if_missing = true;
  rocksdb::DB* db = nullptr;
  ASSERT_TRUE(rocksdb::DB::Open(ro, other.string(), &db).ok());
  delete db;
  s = Store::open(options(other));
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code(), ErrorCode::kFailedPrecondition);

  // Missing without create: not found; creating without a gallery config: says what is needed.
  StoreOptions o = options(dir_ / "new");
  o.create_if_missing = false;
  EXPECT_EQ(Store::open(o).error().code(), ErrorCode::kNotFound);
  o.create_if_missing = true;
  o.gallery.reset();
  EXPECT_EQ(Store::open(o).error().code(), ErrorCode::kInvalidArgument);
}

TEST_F(StoreTest, DamagedDatabaseFilesAreCorruption) {
  open_store().reset();
  std::string current;
  std::getline(std::ifstream(dir_ / "CURRENT"), current);
  const fs::path manifest = dir_ / current;
  ASSERT_TRUE(fs::exists(manifest)) << manifest;
  const fs::path saved = dir_.string() + "_manifest";
  fs::copy_file(manifest, saved, fs::copy_options::overwrite_existing);

  // The manifest CURRENT names is gone.
  fs::remove(manifest);
  auto s = Store::open(options(dir_));
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code(), ErrorCode::kCorruption) << s.error().to_string();
  EXPECT_NE(s.error().message().find("restore it from a checkpoint"), std::string::npos);

  // The manifest is there but its records are garbage.
  fs::copy_file(saved, manifest);
  {
    std::fstream f(manifest, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(10);
    f.write("\xde\xad\xbe\xef\xde\xad\xbe\xef\xde\xad\xbe\xef", 12);
  }
  s = Store::open(options(dir_));
  fs::remove(saved);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code(), ErrorCode::kCorruption) << s.error().to_string();
}

TEST_F(StoreTest, CorruptStoredValueIsACorruptionErrorNotACrash) {
  {
    auto store = open_store();
    auto b = store->batch();
    b.put_subject(make_subject(1, 2));
    b.put_subject(make_subject(2, 2));
    ASSERT_TRUE(store->commit(std::move(b)));
  }
  {  // damage subject 2's template of position 1 behind the store's back
    std::vector<std::string> names;
    ASSERT_TRUE(rocksdb::DB::ListColumnFamilies({}, dir_.string(), &names).ok());
    std::vector<rocksdb::ColumnFamilyDescriptor> descs;
    for (auto& n : names) descs.emplace_back(n, rocksdb::ColumnFamilyOptions());
    std::vector<rocksdb::ColumnFamilyHandle*> hs;
    rocksdb::DB* db = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open({}, dir_.string(), descs, &hs, &db).ok());
    auto t = std::find(names.begin(), names.end(), "templates") - names.begin();
    std::string garbage("\x01\x01\x10\x00", 4);
    ASSERT_TRUE(db->Put({}, hs[static_cast<std::size_t>(t)], detail::template_key(SubjectId{2}, FingerPosition::kRightThumb), garbage).ok());
    for (auto* h : hs) db->DestroyColumnFamilyHandle(h);
    delete db;
  }
  auto store = open_store();
  ASSERT_TRUE(store);
  EXPECT_TRUE(*store->load_subject(SubjectId{1}));
  auto bad = store->load_subject(SubjectId{2});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), ErrorCode::kCorruption);
  EXPECT_NE(bad.error().message().find("subject 2"), std::string::npos) << bad.error().message();
  const Status scan = store->for_each_subject([](const StoredSubject&) { return true; });
  EXPECT_EQ(scan.code(), ErrorCode::kCorruption);
  // The records-only scan reads no template, so the damage does not reach it.
  std::vector<std::uint64_t> records;
  ASSERT_TRUE(store->for_each_subject_record([&](const SubjectRecord& r) { return records.push_back(r.id.value), true; }));
  EXPECT_EQ(records, (std::vector<std::uint64_t>{1, 2}));
}

TEST_F(StoreTest, PendingIsFifoAndVerdictsTakeJobsOffTheQueue) {
  auto store = open_store();
  for (const char* id : {"E-c", "E-a", "E-b"}) {  // arrival order differs from key order
    auto b = store->batch();
    b.enqueue(make_enrollment(id, 1), 10);
    ASSERT_TRUE(store->commit(std::move(b)));
  }
  EXPECT_EQ(store->pending_count(), 3u);
  auto p = store->pending(10);
  ASSERT_TRUE(p);
  ASSERT_EQ(p->size(), 3u);
  EXPECT_EQ((*p)[0].id.value, "E-c");
  EXPECT_EQ((*p)[1].id.value, "E-a");
  EXPECT_EQ((*p)[2].id.value, "E-b");
  EXPECT_EQ(store->pending(2)->size(), 2u);

  auto dup = store->batch();
  dup.enqueue(make_enrollment("E-a", 1), 11);
  EXPECT_EQ(store->commit(std::move(dup)).code(), ErrorCode::kAlreadyExists);

  auto b = store->batch();
  Verdict v;
  v.enrollment = EnrollmentId{"E-a"};
  v.kind = VerdictKind::kUnique;
  v.subject = SubjectId{1};
  b.record_verdict(v);
  ASSERT_TRUE(store->commit(std::move(b)));
  EXPECT_EQ(store->pending_count(), 2u);
  p = store->pending(10);
  ASSERT_EQ(p->size(), 2u);
  EXPECT_EQ((*p)[0].id.value, "E-c");
  EXPECT_EQ((*p)[1].id.value, "E-b");
  EXPECT_EQ((*store->enrollment(EnrollmentId{"E-a"}))->state, JobState::kDecided);

  // Adjudication rewrites the verdict; the queue and counts do not move again.
  v.decision = Decision::kDistinct;
  v.decided_by = "admin";
  auto c = store->batch();
  c.record_verdict(v);
  ASSERT_TRUE(store->commit(std::move(c)));
  EXPECT_EQ(store->pending_count(), 2u);
  EXPECT_EQ((*store->verdict(EnrollmentId{"E-a"}))->decision, Decision::kDistinct);

  // Enqueue and decide in one batch.
  auto d = store->batch();
  d.enqueue(make_enrollment("E-d", 1), 12);
  v.enrollment = EnrollmentId{"E-d"};
  d.record_verdict(v);
  ASSERT_TRUE(store->commit(std::move(d)));
  EXPECT_EQ(store->pending_count(), 2u);
  int verdicts = 0;
  ASSERT_TRUE(store->for_each_verdict([&](const Verdict&) { return ++verdicts, true; }));
  EXPECT_EQ(verdicts, 2);
}

TEST_F(StoreTest, RevokeRemovesBiometricsAndIsLoggedAsAChange) {
  auto store = open_store();
  auto b = store->batch();
  b.put_subject(make_subject(1));
  b.put_subject(make_subject(2));
  ASSERT_TRUE(store->commit(std::move(b)));
  auto r = store->batch();
  r.revoke_subject(SubjectId{1}, "court order 12/2026", 1700000099000);
  ASSERT_TRUE(store->commit(std::move(r)));
  EXPECT_EQ(store->subject_count(), 1u);
  EXPECT_EQ(store->max_subject_id(), 2u);
  auto s = store->load_subject(SubjectId{1});
  ASSERT_TRUE(s && *s);
  EXPECT_EQ((*s)->record.state, SubjectState::kRevoked);
  EXPECT_EQ((*s)->record.revoked_reason, "court order 12/2026");
  EXPECT_EQ((*s)->record.revoked_at_ms, 1700000099000);
  EXPECT_TRUE((*s)->fingers.empty());
  EXPECT_FALSE((*s)->face);
  std::vector<ChangeEntry> changes;
  ASSERT_TRUE(store->for_each_change([&](const ChangeEntry& c) { return changes.push_back(c), true; }, 2));
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0], (ChangeEntry{3, SubjectId{1}, false}));
  std::vector<std::uint64_t> active, records;
  ASSERT_TRUE(store->for_each_subject([&](const StoredSubject& x) { return active.push_back(x.record.id.value), true; }));
  EXPECT_EQ(active, std::vector<std::uint64_t>{2});
  ASSERT_TRUE(store->for_each_subject_record([&](const SubjectRecord& r) { return records.push_back(r.id.value), true; }));
  EXPECT_EQ(records, active) << "the records-only scan skips revoked subjects too";
  auto again = store->batch();
  again.revoke_subject(SubjectId{1}, "twice", 1);
  EXPECT_EQ(store->commit(std::move(again)).code(), ErrorCode::kFailedPrecondition);

  // Replacing a subject with fewer fingers leaves none of the old ones behind.
  auto rep = store->batch();
  rep.put_subject(make_subject(2, 3, false));
  ASSERT_TRUE(store->commit(std::move(rep)));
  EXPECT_EQ(store->subject_count(), 1u);
  auto two = store->load_subject(SubjectId{2});
  EXPECT_EQ((*two)->fingers.size(), 3u);
  EXPECT_FALSE((*two)->face);
}

TEST_F(StoreTest, CheckpointReopensWithIdenticalContent) {
  auto store = open_store();
  auto b = store->batch();
  for (std::uint64_t id = 1; id <= 20; ++id) b.put_subject(make_subject(id, 2));
  b.enqueue(make_enrollment("E-1"), 1);
  b.record_verdict(make_verdict("E-0"));
  b.append_audit({0, 1, "a", "x", "t", "r", "", ""});
  ASSERT_TRUE(store->commit(std::move(b), Durability::kBuffered));
  const fs::path cp = dir_.string() + "_checkpoint";
  fs::remove_all(cp);
  ASSERT_TRUE(store->checkpoint(cp));
  EXPECT_EQ(store->checkpoint(cp).code(), ErrorCode::kAlreadyExists);
  // Writes after the checkpoint are not in it.
  auto later = store->batch();
  later.put_subject(make_subject(21, 2));
  ASSERT_TRUE(store->commit(std::move(later)));

  auto copy = open_at(cp);
  ASSERT_TRUE(copy);
  EXPECT_EQ(copy->subject_count(), 20u);
  EXPECT_EQ(copy->pending_count(), 1u);
  EXPECT_EQ(copy->last_audit_seq(), 1u);
  EXPECT_EQ(copy->last_change_seq(), 20u);
  std::uint64_t n = 0;
  ASSERT_TRUE(copy->for_each_subject([&](const StoredSubject& s) {
    auto orig = store->load_subject(s.record.id);
    expect_same(s, **orig);
    return ++n, true;
  }));
  EXPECT_EQ(n, 20u);
  expect_same(**copy->verdict(EnrollmentId{"E-0"}), make_verdict("E-0"));
  EXPECT_TRUE(copy->verify_checksums());
  copy.reset();
  fs::remove_all(cp);
}

TEST_F(StoreTest, ReadOnlyOpenReadsButRefusesCommits) {
  {
    auto store = open_store();
    auto b = store->batch();
    b.put_subject(make_subject(1, 1));
    ASSERT_TRUE(store->commit(std::move(b)));
  }
  StoreOptions o = options(dir_);
  o.read_only = true;
  auto ro = Store::open(o);
  ASSERT_TRUE(ro) << ro.error().to_string();
  EXPECT_EQ((*ro)->subject_count(), 1u);
  auto b = (*ro)->batch();
  b.put_subject(make_subject(2, 1));
  EXPECT_EQ((*ro)->commit(std::move(b)).code(), ErrorCode::kFailedPrecondition);
}

TEST_F(StoreTest, ConcurrentReadersSeeWholeBatchesOnly) {
  auto store = open_store();
  constexpr int kBatches = 40, kPerBatch = 5;
  std::atomic<bool> done{false};
  std::atomic<int> scans{0};
  std::thread reader([&] {
    while (!done.load()) {
      std::uint64_t n = 0;
      ASSERT_TRUE(store->for_each_subject([&](const StoredSubject& s) {
        EXPECT_EQ(s.fingers.size(), 1u);  // never a record without its biometrics
        return ++n, true;
      }));
      EXPECT_EQ(n % kPerBatch, 0u) << "a scan saw part of a batch";
      scans.fetch_add(1);
    }
  });
  for (int b = 0; b < kBatches; ++b) {
    auto batch = store->batch();
    for (int k = 0; k < kPerBatch; ++k) batch.put_subject(make_subject(static_cast<std::uint64_t>(b * kPerBatch + k + 1), 1, false));
    ASSERT_TRUE(store->commit(std::move(batch), Durability::kBuffered));
  }
  while (scans.load() < 3) std::this_thread::yield();
  done = true;
  reader.join();
  EXPECT_EQ(store->subject_count(), static_cast<std::uint64_t>(kBatches * kPerBatch));
}

TEST_F(StoreTest, VerifyChecksumsFindsADamagedTableFile) {
  {
    auto store = open_store();
    auto b = store->batch();
    for (std::uint64_t id = 1; id <= 200; ++id) b.put_subject(make_subject(id, 10));
    ASSERT_TRUE(store->commit(std::move(b), Durability::kBuffered));
    ASSERT_TRUE(store->flush());
    EXPECT_TRUE(store->verify_checksums());
  }
  // Flip bytes in the middle of the largest table file (the templates).
  fs::path largest;
  for (const auto& e : fs::directory_iterator(dir_)) {
    if (e.path().extension() == ".sst" && (largest.empty() || e.file_size() > fs::file_size(largest))) largest = e.path();
  }
  ASSERT_FALSE(largest.empty());
  {
    std::fstream f(largest, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(fs::file_size(largest) / 3));
    f.write("\xde\xad\xbe\xef\xde\xad\xbe\xef", 8);
  }
  auto store = Store::open(options(dir_));
  ASSERT_TRUE(store) << store.error().to_string();  // table files are read lazily
  const Status s = (*store)->verify_checksums();
  ASSERT_FALSE(s);
  EXPECT_EQ(s.code(), ErrorCode::kCorruption) << s.to_string();
  EXPECT_NE(s.message().find("restore it from a checkpoint"), std::string::npos) << s.message();
  // Reading through the damage is an error too, never a crash or silently wrong data.
  const Status scan = (*store)->for_each_subject([](const StoredSubject&) { return true; });
  EXPECT_EQ(scan.code(), ErrorCode::kCorruption) << scan.to_string();
}

TEST_F(StoreTest, CheckCountersAgreesAfterEveryKindOfWriteAndCatchesDrift) {
  {
    auto store = open_store();
    auto b = store->batch();
    for (std::uint64_t id = 1; id <= 12; ++id) b.put_subject(make_subject(id, 1, false));
    b.enqueue(make_enrollment("E-1", 1), 1);
    b.enqueue(make_enrollment("E-2", 1), 2);
    b.append_audit({0, 1, "a", "x", "t", "r", "", ""});
    ASSERT_TRUE(store->commit(std::move(b)));
    auto c = store->batch();
    c.revoke_subject(SubjectId{4}, "fraud", 3);
    c.record_verdict(make_verdict("E-2"));
    c.put_subject(make_subject(4, 1, false));  // re-activated
    c.revoke_subject(SubjectId{5}, "fraud", 3);
    c.put_subject(make_subject(6, 2, false));  // replaced
    ASSERT_TRUE(store->commit(std::move(c)));
    EXPECT_TRUE(store->check_counters()) << store->check_counters().to_string();
    const auto st = store->stats();
    EXPECT_EQ(st.active_subjects, 11u);
    EXPECT_EQ(st.max_subject_id, 12u);
    EXPECT_EQ(st.pending_jobs, 1u);
    EXPECT_EQ(st.last_change_seq, 16u);
    EXPECT_EQ(st.last_audit_seq, 1u);
    EXPECT_GT(st.memtable_bytes, 0u);
    ASSERT_TRUE(store->flush());
    EXPECT_GT(store->stats().table_bytes, 12u * 250u);
  }
  {  // a counter drifts behind the store's back
    std::vector<std::string> names;
    ASSERT_TRUE(rocksdb::DB::ListColumnFamilies({}, dir_.string(), &names).ok());
    std::vector<rocksdb::ColumnFamilyDescriptor> descs;
    for (auto& n : names) descs.emplace_back(n, rocksdb::ColumnFamilyOptions());
    std::vector<rocksdb::ColumnFamilyHandle*> hs;
    rocksdb::DB* db = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open({}, dir_.string(), descs, &hs, &db).ok());
    auto meta = std::find(names.begin(), names.end(), "meta") - names.begin();
    ASSERT_TRUE(db->Put({}, hs[static_cast<std::size_t>(meta)], "count.active_subjects", "10").ok());
    for (auto* h : hs) db->DestroyColumnFamilyHandle(h);
    delete db;
  }
  auto store = open_store();
  const Status s = store->check_counters();
  EXPECT_EQ(s.code(), ErrorCode::kCorruption);
  EXPECT_NE(s.message().find("active subjects: counter 10 but records say 11"), std::string::npos) << s.message();
}

TEST_F(StoreTest, CreatesIntoAnEmptyDirectoryAtomicallyAndLeavesNoScaffolding) {
  fs::create_directories(dir_);
  StoreOptions o = options(dir_.string() + "/");  // a trailing slash names the same directory
  auto store = Store::open(o);
  ASSERT_TRUE(store) << store.error().to_string();
  EXPECT_TRUE(fs::exists(dir_ / "CURRENT"));
  for (const auto& e : fs::directory_iterator(dir_.parent_path())) {
    EXPECT_EQ(e.path().filename().string().find(dir_.filename().string() + ".creating"), std::string::npos)
        << e.path();
  }
  auto b = (*store)->batch();
  b.put_subject(make_subject(1, 1));
  EXPECT_TRUE((*store)->commit(std::move(b)));
}

namespace {

// What deleting a subject must strip besides its own enrollment (Engine::revoke_subject).
Verdict adjudicated(const std::string& enrollment, Decision decision, std::uint64_t linked) {
  Verdict v;
  v.enrollment = EnrollmentId{enrollment};
  v.kind = VerdictKind::kDuplicate;
  Candidate c;
  c.subject = SubjectId{linked};
  c.score = 12.0f;
  v.candidates.push_back(c);
  v.decision = decision;
  if (decision == Decision::kConfirmedDuplicate) v.linked_subject = SubjectId{linked};
  v.decided_by = "admin.sari";
  return v;
}

// Seven confirmed-duplicate and other verdicts; subject 7 has two confirmed duplicates.
void record_adjudications(Store& store) {
  for (int i = 0; i < 30; ++i) {
    auto b = store.batch();
    Verdict u;
    u.enrollment = EnrollmentId{"U-" + std::to_string(i)};
    u.kind = VerdictKind::kUnique;
    u.subject = SubjectId{100 + static_cast<std::uint64_t>(i)};
    b.record_verdict(u);
    ASSERT_TRUE(store.commit(std::move(b)));
  }
  auto b = store.batch();
  b.record_verdict(adjudicated("dup-b", Decision::kConfirmedDuplicate, 7));
  b.record_verdict(adjudicated("dup-c", Decision::kConfirmedDuplicate, 8));
  b.record_verdict(adjudicated("distinct", Decision::kDistinct, 7));  // a candidate of 7's, not 7
  b.record_verdict(adjudicated("open", Decision::kNone, 7));
  ASSERT_TRUE(store.commit(std::move(b)));
  auto c = store.batch();
  c.record_verdict(adjudicated("dup-a", Decision::kConfirmedDuplicate, 7));
  ASSERT_TRUE(store.commit(std::move(c)));
}
constexpr std::uint64_t kAdjudicationVerdicts = 35;

std::vector<std::string> ids(const Store::ConfirmedDuplicates& d) {
  std::vector<std::string> out;
  for (const auto& e : d.enrollments) out.push_back(e.value);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_F(StoreTest, ConfirmedDuplicatesAreFoundThroughTheirIndexNotAScanOfEveryVerdict) {
  auto store = open_store();
  record_adjudications(*store);
  for (int pass = 0; pass < 2; ++pass) {
    SCOPED_TRACE(pass == 0 ? "as committed" : "after reopening");
    auto seven = store->confirmed_duplicates_of(SubjectId{7});
    ASSERT_TRUE(seven) << seven.error().to_string();
    EXPECT_EQ(ids(*seven), (std::vector<std::string>{"dup-a", "dup-b"}));
    EXPECT_EQ(seven->verdicts_read, 2u);  // the index's hits, not the 35 verdicts
    auto eight = store->confirmed_duplicates_of(SubjectId{8});
    EXPECT_EQ(ids(*eight), std::vector<std::string>{"dup-c"});
    auto none = store->confirmed_duplicates_of(SubjectId{9});
    EXPECT_TRUE(none->enrollments.empty());
    EXPECT_EQ(none->verdicts_read, 0u);
    store.reset();
    store = open_store();
  }
}

TEST_F(StoreTest, AStoreFromBeforeTheDuplicateIndexIsIndexedAtItsFirstWritableOpen) {
  record_adjudications(*open_store());
  tunggal::testing::forget_confirmed_duplicate_index(dir_);
  {  // read-only, nothing may be written: every lookup scans, and finds them all
    StoreOptions ro = options(dir_);
    ro.read_only = true;
    auto old = Store::open(ro);
    ASSERT_TRUE(old) << old.error().to_string();
    auto seven = (*old)->confirmed_duplicates_of(SubjectId{7});
    ASSERT_TRUE(seven);
    EXPECT_EQ(ids(*seven), (std::vector<std::string>{"dup-a", "dup-b"}));
    EXPECT_EQ(seven->verdicts_read, kAdjudicationVerdicts);
  }
  auto store = open_store();  // backfills
  auto seven = store->confirmed_duplicates_of(SubjectId{7});
  ASSERT_TRUE(seven);
  EXPECT_EQ(ids(*seven), (std::vector<std::string>{"dup-a", "dup-b"}));
  EXPECT_EQ(seven->verdicts_read, 2u);
  EXPECT_EQ(ids(*store->confirmed_duplicates_of(SubjectId{8})), std::vector<std::string>{"dup-c"});
  store.reset();
  StoreOptions ro = options(dir_);
  ro.read_only = true;
  auto later = Store::open(ro);
  ASSERT_TRUE(later);
  EXPECT_EQ((*later)->confirmed_duplicates_of(SubjectId{7})->verdicts_read, 2u) << "the backfill was not kept";
}

TEST_F(StoreTest, ConfirmedDuplicatesABuildWithoutTheIndexRecordedAreIndexedAtTheNextOpen) {
  auto store = open_store();
  record_adjudications(*store);
  const std::uint64_t before = store->last_verdict_seq();
  auto b = store->batch();
  b.record_verdict(adjudicated("late", Decision::kConfirmedDuplicate, 7));
  ASSERT_TRUE(store->commit(std::move(b)));
  store.reset();
  // As if a build without the index had recorded "late": no key for it, the mark one seq behind.
  tunggal::testing::edit_store_meta(dir_, [&](rocksdb::DB& db, rocksdb::ColumnFamilyHandle* meta) {
    ASSERT_TRUE(db.Delete({}, meta, "dup_of/" + detail::u64_key(7) + "late").ok());
    ASSERT_TRUE(db.Put({}, meta, "dup_of.through", std::to_string(before)).ok());
  });
  store = open_store();
  auto seven = store->confirmed_duplicates_of(SubjectId{7});
  ASSERT_TRUE(seven);
  EXPECT_EQ(ids(*seven), (std::vector<std::string>{"dup-a", "dup-b", "late"}));
  EXPECT_EQ(seven->verdicts_read, 3u);
}

TEST_F(StoreTest, AnIndexHitWhoseVerdictNoLongerLinksTheSubjectIsNotAConfirmedDuplicate) {
  auto store = open_store();
  record_adjudications(*store);
  auto b = store->batch();
  b.record_verdict(adjudicated("dup-a", Decision::kConfirmedDuplicate, 8));  // re-linked (no such path today)
  ASSERT_TRUE(store->commit(std::move(b)));
  auto seven = store->confirmed_duplicates_of(SubjectId{7});
  EXPECT_EQ(ids(*seven), std::vector<std::string>{"dup-b"});
  EXPECT_EQ(ids(*store->confirmed_duplicates_of(SubjectId{8})), (std::vector<std::string>{"dup-a", "dup-c"}));
}

