// A candidate the face alone sent to REVIEW (worn or unclear fingers) is listed below the review
// threshold; the adjudicator must see why, from the store, over the protocol and in `admin show`,
// for a reprocessing case as for a verdict; and the thresholds what-if must judge it as the
// verdict policy does.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "admin/reports.h"
#include "admin/review_cases.h"
#include "engine/store.h"
#include "engine/verdict_policy.h"
#include "server/wire_codec.h"
#include "tests/engine_fixture.h"

namespace tunggal {
namespace {

Verdict face_led_verdict() {
  Verdict v;
  v.enrollment = EnrollmentId{"E-1"};
  v.kind = VerdictKind::kReview;
  v.duplicate_threshold = 9.0f;
  v.review_threshold = 8.0f;
  Candidate worn;  // fused score below review, listed for its face
  worn.subject = SubjectId{42};
  worn.score = 6.9f;
  worn.face_score = 0.6f;
  worn.face_led_score = 11.2f;
  Candidate clear;  // a DUPLICATE-level candidate whose face also agrees: not face-led
  clear.subject = SubjectId{43};
  clear.score = 12.0f;
  clear.face_led_score = 11.0f;
  Candidate plain;
  plain.subject = SubjectId{44};
  plain.score = 8.5f;
  v.candidates = {worn, clear, plain};
  return v;
}

TEST(FaceLedEvidence, TravelsOverTheProtocolToAdmins) {
  wire::Verdict w;
  server::verdict_to_wire(face_led_verdict(), "site/E-1", "site", /*admin=*/true, &w);
  const Verdict back = server::verdict_from_wire(w);
  ASSERT_EQ(back.candidates.size(), 3u);
  EXPECT_FLOAT_EQ(back.candidates[0].face_led_score, 11.2f);
  EXPECT_FLOAT_EQ(back.candidates[1].face_led_score, 11.0f);
  EXPECT_TRUE(std::isnan(back.candidates[2].face_led_score));
}

TEST(FaceLedEvidence, AdminDocumentSaysWhichCandidateTheFaceAloneListed) {
  const nlohmann::json doc = admin::verdict_json(face_led_verdict());
  const auto& c = doc.at("candidates");
  ASSERT_EQ(c.size(), 3u);
  EXPECT_TRUE(c[0].at("face_led").get<bool>());
  EXPECT_NEAR(c[0].at("face_led_score").get<double>(), 11.2, 1e-5);
  EXPECT_FALSE(c[1].at("face_led").get<bool>()) << "above the review threshold on its own score";
  EXPECT_FALSE(c[2].at("face_led").get<bool>());
  EXPECT_TRUE(c[2].at("face_led_score").is_null());
}

admin::ReviewCase face_led_case() {
  admin::ReviewCase c;
  c.a = SubjectId{4};
  c.b = SubjectId{9};
  c.probe = c.b;
  c.evidence.subject = c.a;
  c.evidence.score = 3.1f;  // below the review threshold
  c.evidence.face_score = 0.55f;
  c.evidence.face_led_score = 10.4f;
  c.kind = VerdictKind::kReview;
  c.duplicate_threshold = 9.0f;
  c.review_threshold = 8.0f;
  return c;
}

TEST(FaceLedEvidence, AReviewCaseKeepsItsFaceLedScoreAndSaysSo) {
  auto back = admin::decode_case(admin::encode_case(face_led_case()));
  ASSERT_TRUE(back) << back.error().to_string();
  EXPECT_FLOAT_EQ(back->evidence.face_led_score, 10.4f);
  const nlohmann::json doc = admin::case_json(*back);
  EXPECT_TRUE(doc.at("face_led").get<bool>());
  EXPECT_NEAR(doc.at("face_led_score").get<double>(), 10.4, 1e-5);
  EXPECT_EQ(doc.at("case"), "RC-4-9");

  admin::ReviewCase plain = face_led_case();
  plain.evidence.face_led_score = std::nanf("");
  const nlohmann::json p = admin::case_json(*admin::decode_case(admin::encode_case(plain)));
  EXPECT_FALSE(p.at("face_led").get<bool>());
  EXPECT_TRUE(p.at("face_led_score").is_null());
}

TEST(FaceLedEvidence, ACaseStoredBeforeFaceLedScoresStillReads) {
  auto j = nlohmann::json::parse(admin::encode_case(face_led_case()));
  j.erase("face_led_score");
  auto old = admin::decode_case(j.dump());
  ASSERT_TRUE(old) << old.error().to_string();
  EXPECT_TRUE(std::isnan(old->evidence.face_led_score));
  EXPECT_EQ(old->evidence.score, 3.1f);
  EXPECT_FALSE(admin::case_json(*old).at("face_led").get<bool>());
}

// The what-if replays stored verdicts and cases through the verdict policy: at today's thresholds
// nothing moves, a face-led REVIEW included (it was counted as moving to UNIQUE, on its score).
TEST(FaceLedEvidence, ThresholdsWhatIfJudgesAFaceLedCaseAsTheVerdictPolicyDoes) {
  const std::filesystem::path dir = testing::make_temp_dir("face-led-what-if");
  engine::StoreOptions so;
  so.path = dir / "store";
  so.gallery = engine::GalleryConfig{};
  auto store = engine::Store::open(so);
  ASSERT_TRUE(store) << store.error().to_string();
  EngineOptions options;
  ASSERT_TRUE(options.face_led_review);
  const Thresholds t = thresholds_for(options.target_fpir, options.review_fpir, 1);  // an empty gallery counts as 1

  Verdict v;
  v.enrollment = EnrollmentId{"E-worn"};
  v.kind = VerdictKind::kReview;
  v.duplicate_threshold = t.duplicate;
  v.review_threshold = t.review;
  Candidate worn;
  worn.subject = SubjectId{7};
  worn.score = t.review - 1.0f;
  worn.face_led_score = t.duplicate + 1.0f;
  v.candidates = {worn};
  auto batch = (*store)->batch();
  batch.record_verdict(v);
  ASSERT_TRUE((*store)->commit(std::move(batch)));
  admin::ReviewCase c = face_led_case();
  c.evidence.score = worn.score;
  c.evidence.face_led_score = worn.face_led_score;
  c.duplicate_threshold = t.duplicate;
  c.review_threshold = t.review;
  ASSERT_TRUE(admin::add_cases(**store, {c}));

  admin::AdminQuery q;
  q.kind = admin::AdminQuery::Kind::kThresholds;
  q.target_fpir = options.target_fpir;
  q.review_fpir = options.review_fpir;
  auto same = admin::answer(**store, q, options, 0);
  ASSERT_TRUE(same) << same.error().to_string();
  EXPECT_EQ(same->at("verdicts_changed"), 0) << same->dump();
  EXPECT_EQ(same->at("moves").at("REVIEW").at("REVIEW"), 1) << same->dump();
  EXPECT_EQ(same->at("review_load_before"), 1);
  EXPECT_EQ(same->at("review_load_after"), 1);
  EXPECT_EQ(same->at("reprocess_cases_still_flagged"), 1);

  // The face-led threshold follows the what-if's duplicate threshold: a stricter target (higher
  // duplicate threshold than this face) releases it.
  q.target_fpir = options.target_fpir / 1000;
  q.review_fpir = options.review_fpir / 1000;
  ASSERT_GT(thresholds_for(q.target_fpir, q.review_fpir, 1).duplicate, worn.face_led_score);
  auto strict = admin::answer(**store, q, options, 0);
  ASSERT_TRUE(strict) << strict.error().to_string();
  EXPECT_EQ(strict->at("moves").at("REVIEW").at("UNIQUE"), 1) << strict->dump();
  EXPECT_EQ(strict->at("reprocess_cases_still_flagged"), 0);

  // Without face-led review (EngineOptions::face_led_review off) the face alone keeps nothing.
  options.face_led_review = false;
  q.target_fpir = options.target_fpir;
  q.review_fpir = options.review_fpir;
  auto off = admin::answer(**store, q, options, 0);
  ASSERT_TRUE(off) << off.error().to_string();
  EXPECT_EQ(off->at("moves").at("REVIEW").at("UNIQUE"), 1) << off->dump();
  EXPECT_EQ(off->at("reprocess_cases_still_flagged"), 0);
  store->reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace tunggal
