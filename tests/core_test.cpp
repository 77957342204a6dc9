#include <cmath>
#include <vector>

#include <gtest/gtest.h>

#include "core/enrollment.h"
#include "core/face_embedding.h"
#include "core/nik.h"
#include "core/status.h"
#include "core/verdict.h"

using namespace tunggal;

TEST(Nik, AcceptsWellFormedMaleAndFemale) {
  auto m = Nik::parse("3273011505900001");
  ASSERT_TRUE(m) << m.error().to_string();
  EXPECT_EQ(m->province(), 32);
  EXPECT_EQ(m->region(), "327301");
  EXPECT_EQ(m->birth_day(), 15);
  EXPECT_EQ(m->birth_month(), 5);
  EXPECT_EQ(m->sex(), Sex::kMale);
  auto f = Nik::parse("3273015505900002");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->birth_day(), 15);
  EXPECT_EQ(f->sex(), Sex::kFemale);
}

TEST(Nik, RejectsEachDefectWithItsOwnMessage) {
  struct Case { const char* nik; const char* needle; };
  const Case cases[] = {
      {"327301150590001", "16 digits"},
      {"32730115059000A1", "not a digit"},
      {"2073011505900001", "province code 20"},
      {"3200011505900001", "regency"},
      {"3273001505900001", "district"},
      {"3273013205900001", "birth day 32"},
      {"3273017205900001", "birth day 72"},
      {"3273011513900001", "month 13"},
      {"3273013002900001", "does not exist"},
      {"3273012902910001", "does not exist"},
      {"3273011505900000", "serial"},
  };
  for (const auto& c : cases) {
    auto r = Nik::parse(c.nik);
    ASSERT_FALSE(r) << c.nik;
    EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(r.error().message().find(c.needle), std::string::npos) << c.nik << ": " << r.error().message();
  }
  EXPECT_TRUE(Nik::parse("3273012902920001"));  // leap year
}

TEST(FaceEmbedding, NormalisesAndRejectsBadVectors) {
  std::vector<float> v = {3.0f, 4.0f};
  auto e = FaceEmbedding::make(v);
  ASSERT_TRUE(e);
  EXPECT_NEAR(e->values()[0], 0.6f, 1e-6);
  EXPECT_NEAR(e->cosine(*e), 1.0f, 1e-6);
  EXPECT_FALSE(FaceEmbedding::make(std::vector<float>{0.0f, 0.0f}));
  EXPECT_FALSE(FaceEmbedding::make(std::vector<float>{1.0f, NAN}));
  EXPECT_FALSE(FaceEmbedding::make(std::vector<float>{1.0f, INFINITY}));
  EXPECT_FALSE(FaceEmbedding::make(std::vector<float>{}));
}

TEST(Enrollment, ValidateCatchesStructuralDefects) {
  Enrollment e;
  e.id = EnrollmentId{"E1"};
  e.site = "3273-01";
  e.nik = *Nik::parse("3273011505900001");
  FingerTemplate f;
  f.position = FingerPosition::kRightIndex;
  f.width = 300;
  f.height = 400;
  f.minutiae.push_back({10, 20, 1.0f, MinutiaType::kRidgeEnding, 50});
  e.fingers.push_back(f);
  EXPECT_TRUE(validate(e).is_ok());

  auto dup = e;
  dup.fingers.push_back(f);
  EXPECT_NE(validate(dup).message().find("appears twice"), std::string::npos);

  auto outside = e;
  outside.fingers[0].minutiae[0].x = 300;
  EXPECT_NE(validate(outside).message().find("outside"), std::string::npos);

  auto unknown = e;
  unknown.fingers[0].position = FingerPosition::kUnknown;
  EXPECT_NE(validate(unknown).message().find("position code 0"), std::string::npos);

  auto noid = e;
  noid.id = EnrollmentId{};
  EXPECT_FALSE(validate(noid).is_ok());
}

TEST(Verdict, NamesAreTheProtocolNames) {
  EXPECT_EQ(to_string(VerdictKind::kUnique), "UNIQUE");
  EXPECT_EQ(to_string(VerdictKind::kDuplicate), "DUPLICATE");
  EXPECT_EQ(to_string(VerdictKind::kReview), "REVIEW");
  EXPECT_EQ(to_string(VerdictKind::kRejected), "REJECTED");
  EXPECT_EQ(to_string(Decision::kConfirmedDuplicate), "CONFIRMED_DUPLICATE");
  EXPECT_EQ(to_string(Decision::kDistinct), "DISTINCT");
  Candidate c;
  EXPECT_TRUE(std::isnan(c.finger_scores[3]));
}
