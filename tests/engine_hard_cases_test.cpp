// The hard cases of issue 5 at engine level: a re-enrollment whose fingers are worn (they no
// longer match anything, the face does) must not come out UNIQUE, and a look-alike twin with
// clear, different fingers must not be flagged. Thresholds are those of a 1M gallery
// (target FPIR 1e-7 at 60 subjects gives the same duplicate threshold, 8.8 vs 9.0).
#include <gtest/gtest.h>

#include <bit>
#include <cmath>

#include "engine/engine.h"
#include "tests/engine_fixture.h"

namespace tunggal {
namespace {

using testing::capture_as;
using testing::make_temp_dir;
using testing::test_engine_options;
using testing::test_fusion_model;

constexpr std::uint64_t kGallery = 60;

struct Gallery {
  std::filesystem::path dir;
  std::unique_ptr<Engine> engine;
  ~Gallery() {
    engine.reset();
    std::filesystem::remove_all(dir);
  }
};

std::unique_ptr<Gallery> open_gallery(const datasets::Population& pop, bool face_led, std::uint64_t skip = ~0ULL) {
  auto g = std::make_unique<Gallery>();
  g->dir = make_temp_dir("engine-hard");
  EngineOptions o = test_engine_options(g->dir);
  o.target_fpir = 1e-7;
  o.review_fpir = 1e-6;
  o.face_led_review = face_led;
  auto e = Engine::open(o, test_fusion_model());
  EXPECT_TRUE(e) << e.error().to_string();
  if (!e) return g;
  g->engine = std::move(*e);
  std::vector<Enrollment> gallery;
  for (std::uint64_t i = 0; i < kGallery; ++i)
    if (i != skip) gallery.push_back(pop.capture(i, 0));
  EXPECT_TRUE(g->engine->import(gallery));
  EXPECT_TRUE(g->engine->finish_import());
  return g;
}

Verdict enroll(Engine& e, const Enrollment& probe) {
  EXPECT_TRUE(e.submit(std::vector<Enrollment>{probe}));
  auto v = e.process_all();
  EXPECT_TRUE(v && v->size() == 1u);
  return v && !v->empty() ? v->front() : Verdict{};
}

// Identity i's re-capture with only its worn fingers (the others bandaged, say).
Enrollment worn_recapture(const datasets::Population& pop, std::uint64_t i, const std::string& id) {
  Enrollment e = capture_as(pop, i, 1, id);
  const std::uint16_t worn = pop.traits(i).damaged_fingers;
  std::erase_if(e.fingers, [&](const FingerTemplate& f) { return !(worn >> finger_slot(f.position) & 1u); });
  return e;
}

TEST(EngineHardCases, AWornFingerReEnrollmentWithItsFaceIsNotUnique) {
  // Everyone's fingers worn, nobody twins, no bad capture days.
  const datasets::Population pop({.seed = 91, .twin_rate = 0, .missing_finger_rate = 0, .damaged_rate = 1.0,
                                  .low_quality_rate = 0});
  auto g = open_gallery(pop, true);
  ASSERT_TRUE(g->engine);
  const Thresholds t = g->engine->thresholds();
  // The worn mates whose fingers say nothing: the fused score misses the review threshold.
  std::vector<std::uint64_t> lost;
  for (std::uint64_t i = 0; i < kGallery; ++i) {
    if (std::popcount(pop.traits(i).damaged_fingers) < 4) continue;
    auto c = g->engine->compare(worn_recapture(pop, i, "cmp"), SubjectId{i + 1});
    ASSERT_TRUE(c) << c.error().to_string();
    if (c->score < t.review) lost.push_back(i);
  }
  ASSERT_FALSE(lost.empty()) << "no worn mate is lost on fingers: the case under test does not arise";
  int flagged = 0;
  for (std::uint64_t i : lost) {
    const Verdict v = enroll(*g->engine, worn_recapture(pop, i, "worn-" + std::to_string(i)));
    EXPECT_NE(v.kind, VerdictKind::kUnique) << "identity " << i;
    EXPECT_NE(v.kind, VerdictKind::kDuplicate) << "the face alone never makes a DUPLICATE";
    if (v.kind != VerdictKind::kReview || v.candidates.empty()) continue;
    EXPECT_EQ(v.candidates.front().subject.value, i + 1);
    EXPECT_GE(v.candidates.front().face_led_score, t.duplicate);
    ++flagged;
  }
  EXPECT_EQ(flagged, static_cast<int>(lost.size()));

  // Without face-led review the same people come out UNIQUE: what the rule buys.
  auto off = open_gallery(pop, false);
  ASSERT_TRUE(off->engine);
  EXPECT_EQ(enroll(*off->engine, worn_recapture(pop, lost.front(), "worn-off")).kind, VerdictKind::kUnique);
}

TEST(EngineHardCases, ATwinWithClearDifferentFingersIsNotFlagged) {
  // Everyone a twin (pairs 2m, 2m+1), clear prints. Twin 11 applies; twin 10 is enrolled.
  const datasets::Population pop({.seed = 92, .twin_rate = 1.0, .missing_finger_rate = 0, .damaged_rate = 0,
                                  .low_quality_rate = 0});
  auto g = open_gallery(pop, true, 11);
  ASSERT_TRUE(g->engine);
  const Enrollment twin = capture_as(pop, 11, 0, "twin-11");
  // Identity 10 is subject 11 (identity 11 was not imported).
  auto c = g->engine->compare(twin, SubjectId{11});
  ASSERT_TRUE(c) << c.error().to_string();
  EXPECT_GT(c->face_score, 0.4f) << "a look-alike: as close as one person's two photos";
  EXPECT_GT(test_fusion_model().face_tail_score(c->face_score), g->engine->thresholds().duplicate)
      << "the face alone would call them one person";
  EXPECT_TRUE(std::isnan(c->face_led_score)) << "the clear fingers contradict the face";
  EXPECT_EQ(enroll(*g->engine, twin).kind, VerdictKind::kUnique);
  // While the enrolled twin's own re-enrollment is a DUPLICATE, on its fingers.
  const Verdict again = enroll(*g->engine, capture_as(pop, 10, 1, "twin-10-again"));
  EXPECT_EQ(again.kind, VerdictKind::kDuplicate);
  ASSERT_FALSE(again.candidates.empty());
  EXPECT_EQ(again.candidates.front().subject.value, 11u);
}

}  // namespace
}  // namespace tunggal
