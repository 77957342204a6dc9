// The synthetic population's contract: a pure function of (seed, identity, capture), valid
// enrollments with unique valid NIKs, exact probe-set ground truth, and statistics in the ranges
// the model claims (docs/population.md), checked with the real matcher.
#include "datasets/population.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <unordered_set>
#include <vector>

#include "ingest/minutiae_record.h"
#include "matcher/finger_matcher.h"

namespace tunggal::datasets {
namespace {

// Byte-level identity of two enrollments: every field, and each finger as its ISO record.
void expect_same(const Enrollment& a, const Enrollment& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.site, b.site);
  EXPECT_EQ(a.nik, b.nik);
  EXPECT_EQ(a.capture_time_ms, b.capture_time_ms);
  ASSERT_EQ(a.fingers.size(), b.fingers.size());
  for (std::size_t f = 0; f < a.fingers.size(); ++f) {
    EXPECT_EQ(a.fingers[f], b.fingers[f]);
    EXPECT_EQ(*write_iso19794_2(make_minutiae_record(a.fingers[f])),
              *write_iso19794_2(make_minutiae_record(b.fingers[f])));
  }
  ASSERT_TRUE(a.face && b.face);
  EXPECT_EQ(*a.face, *b.face);
}

bool same_minutiae(const Enrollment& a, const Enrollment& b) {
  if (a.fingers.size() != b.fingers.size()) return false;
  for (std::size_t f = 0; f < a.fingers.size(); ++f) {
    if (a.fingers[f].minutiae != b.fingers[f].minutiae) return false;
  }
  return true;
}

float median(std::vector<float> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}
float quantile(std::vector<float> v, double q) {
  std::sort(v.begin(), v.end());
  return v[static_cast<std::size_t>(q * static_cast<double>(v.size() - 1))];
}

TEST(Population, SameSeedGivesIdenticalCaptures) {
  const Population a({.seed = 42}), b({.seed = 42});
  for (std::uint64_t i : {0ULL, 1ULL, 17ULL, 999'999ULL, (1ULL << 39) - 1}) {
    for (int k : {0, 1, 3}) expect_same(a.capture(i, k), b.capture(i, k));
  }
}

TEST(Population, DifferentSeedsIdentitiesAndCapturesDiffer) {
  const Population a({.seed = 1}), b({.seed = 2});
  EXPECT_FALSE(same_minutiae(a.capture(5, 0), b.capture(5, 0)));
  EXPECT_NE(a.nik(5), b.nik(5));
  EXPECT_LT(std::fabs(a.capture(5, 0).face->cosine(*b.capture(5, 0).face)), 0.25f);
  // Two captures of one identity are different impressions, two identities different people.
  EXPECT_FALSE(same_minutiae(a.capture(5, 0), a.capture(5, 1)));
  EXPECT_FALSE(same_minutiae(a.capture(5, 0), a.capture(6, 0)));
}

TEST(Population, CaptureDoesNotDependOnWhatElseWasGenerated) {
  const Population fresh({.seed = 9});
  const Enrollment alone = fresh.capture(1234, 2);
  const Population busy({.seed = 9});
  for (std::uint64_t i = 0; i < 50; ++i) (void)busy.capture(1300 - i, static_cast<int>(i % 4));
  expect_same(busy.capture(1234, 2), alone);
  EXPECT_EQ(alone.id.value, "gen-9-1234-2");
  EXPECT_EQ(alone.nik.str(), fresh.nik(1234));
}

TEST(Population, EveryEnrollmentIsValidAndWritableAsIso) {
  const Population pop({.seed = 3});
  for (std::uint64_t i = 0; i < 300; ++i) {
    for (int k = 0; k < 2; ++k) {
      const Enrollment e = pop.capture(i, k);
      ASSERT_TRUE(validate(e).is_ok()) << validate(e).to_string();
      ASSERT_FALSE(e.fingers.empty());
      ASSERT_TRUE(e.face.has_value());
      EXPECT_EQ(e.face->dimension(), 512);
      for (const auto& f : e.fingers) {
        EXPECT_EQ(f.resolution_x, 197);
        EXPECT_LE(f.quality, 100);
        const auto bytes = write_iso19794_2(make_minutiae_record(f));
        ASSERT_TRUE(bytes.has_value()) << bytes.status().to_string();
        const auto back = read_iso19794_2(*bytes);
        ASSERT_TRUE(back.has_value()) << back.status().to_string();
        EXPECT_EQ(back->views.at(0).minutiae.size(), f.minutiae.size());
      }
      if (k > 0) {
        EXPECT_GT(e.capture_time_ms, pop.capture(i, 0).capture_time_ms);
      }
    }
  }
}

TEST(Population, NiksAreValidAndUnique) {
  const Population pop({.seed = 11});
  std::unordered_set<std::string> seen;
  for (std::uint64_t i = 0; i < 50'000; ++i) {
    const std::string n = pop.nik(i);
    ASSERT_TRUE(Nik::parse(n).has_value()) << n << ": " << Nik::parse(n).status().to_string();
    ASSERT_TRUE(seen.insert(n).second) << "identity " << i << " reuses NIK " << n;
  }
  // Both sexes and many provinces occur.
  std::set<int> provinces;
  int women = 0;
  for (std::uint64_t i = 0; i < 2000; ++i) {
    const Nik n = *Nik::parse(pop.nik(i));
    provinces.insert(n.province());
    women += n.sex() == Sex::kFemale;
  }
  EXPECT_GT(provinces.size(), 30u);
  EXPECT_NEAR(women / 2000.0, 0.5, 0.05);
}

TEST(Population, HardCaseRatesAndMissingFingersNeverCaptured) {
  PopulationConfig cfg{.seed = 5};
  cfg.twin_rate = 0.05;
  cfg.missing_finger_rate = 0.1;
  cfg.damaged_rate = 0.1;
  const Population pop(cfg);
  int twins = 0, missing = 0, damaged = 0;
  const int n = 20'000;
  for (int i = 0; i < n; ++i) {
    const IdentityTraits t = pop.traits(i);
    twins += t.twin;
    missing += t.missing_fingers != 0;
    damaged += t.damaged_fingers != 0;
    if (t.twin) {
      EXPECT_TRUE(pop.traits(i ^ 1).twin);
    }
    if (t.missing_fingers) {
      EXPECT_LE(std::popcount(t.missing_fingers), 3);
    }
  }
  EXPECT_NEAR(twins / double(n), 0.05, 0.01);
  EXPECT_NEAR(missing / double(n), 0.1, 0.01);
  EXPECT_NEAR(damaged / double(n), 0.1, 0.01);

  int checked = 0;
  for (std::uint64_t i = 0; i < 2000 && checked < 10; ++i) {
    const IdentityTraits t = pop.traits(i);
    if (!t.missing_fingers) continue;
    ++checked;
    for (int k = 0; k < 3; ++k) {
      for (const auto& f : pop.capture(i, k).fingers) {
        EXPECT_FALSE(t.missing_fingers & (1u << finger_slot(f.position))) << "identity " << i;
      }
    }
  }
  EXPECT_EQ(checked, 10);
}

TEST(Population, FaceCosinesGenuineImpostorAndTwins) {
  PopulationConfig cfg{.seed = 21};
  cfg.low_quality_rate = 0;
  cfg.twin_rate = 0.1;
  const Population pop(cfg);
  std::vector<float> genuine, impostor, twin;
  for (std::uint64_t i = 0; i < 400; ++i) {
    const Enrollment a = pop.capture(i, 0);
    genuine.push_back(a.face->cosine(*pop.capture(i, 1).face));
    impostor.push_back(a.face->cosine(*pop.capture(i + 1000, 1).face));
    if (pop.traits(i).twin && (i & 1) == 0) twin.push_back(a.face->cosine(*pop.capture(i + 1, 1).face));
  }
  EXPECT_GT(median(genuine), 0.55f);
  EXPECT_LT(median(genuine), 0.75f);
  EXPECT_GT(quantile(genuine, 0.05), 0.45f);
  EXPECT_LT(quantile(genuine, 0.95), 0.85f);
  for (float c : impostor) EXPECT_LT(std::fabs(c), 0.2f);
  ASSERT_GE(twin.size(), 5u);
  EXPECT_GT(median(twin), 0.45f);  // as close as a genuine pair
  EXPECT_LT(median(twin), median(genuine) + 0.05f);
}

TEST(Population, MinutiaeCountsArePlausible) {
  PopulationConfig cfg{.seed = 8};
  cfg.damaged_rate = cfg.low_quality_rate = cfg.missing_finger_rate = 0;
  const Population pop(cfg);
  std::vector<float> counts;
  for (std::uint64_t i = 0; i < 200; ++i) {
    for (const auto& f : pop.capture(i, 0).fingers) counts.push_back(static_cast<float>(f.minutiae.size()));
  }
  EXPECT_EQ(counts.size(), 2000u);
  EXPECT_GE(median(counts), 28.0f);  // FVC2002 medians 26-38 on smaller frames (docs/population.md)
  EXPECT_LE(median(counts), 50.0f);
  EXPECT_GE(quantile(counts, 0.05), 12.0f);
  EXPECT_LE(quantile(counts, 0.95), 80.0f);
}

TEST(Population, MatcherSeparatesGenuineFromImpostorImpressions) {
  PopulationConfig cfg{.seed = 13};
  const Population pop(cfg);
  const matcher::FingerMatcher m;
  std::vector<matcher::PreparedTemplate> first, second;
  for (std::uint64_t i = 0; i < 40; ++i) {
    const Enrollment a = pop.capture(i, 0), b = pop.capture(i, 1);
    for (FingerPosition p : {FingerPosition::kRightIndex, FingerPosition::kLeftThumb}) {
      const FingerTemplate *fa = a.finger(p), *fb = b.finger(p);
      if (!fa || !fb) continue;
      auto pa = m.prepare(*fa), pb = m.prepare(*fb);
      if (!pa || !pb) continue;
      first.push_back(std::move(*pa));
      second.push_back(std::move(*pb));
    }
  }
  ASSERT_GE(first.size(), 70u);
  std::vector<float> genuine, impostor;
  for (std::size_t x = 0; x < first.size(); ++x) {
    genuine.push_back(m.score(first[x], second[x]));
    for (std::size_t y = x + 1; y < std::min(first.size(), x + 16); ++y) impostor.push_back(m.score(first[x], second[y]));
  }
  EXPECT_GT(median(genuine), quantile(impostor, 0.99))
      << "genuine median " << median(genuine) << ", impostor p99 " << quantile(impostor, 0.99);
  // Not a toy: some genuine pairs are hard (partial contact, distortion, low quality).
  EXPECT_LT(quantile(genuine, 0.05), median(genuine) * 0.6f);
}

TEST(ProbeSet, TruthIsExactAndConsistent) {
  const Population pop({.seed = 4});
  const std::uint64_t gallery = 500, count = 1001;
  const ProbeSet probes(pop, gallery, count, 0.3, 77);
  EXPECT_EQ(probes.size(), count);
  EXPECT_EQ(probes.mated_count(), 300u);  // round(1001 * 0.3)

  std::unordered_set<std::string> gallery_niks;
  for (std::uint64_t i = 0; i < gallery; ++i) gallery_niks.insert(pop.nik(i));
  std::set<std::string> ids;
  std::set<std::uint64_t> mates;
  std::uint64_t mated = 0, mated_in_first_half = 0;
  for (std::uint64_t j = 0; j < count; ++j) {
    const ProbeTruth t = probes.truth(j);
    const Enrollment e = probes.probe(j);
    ASSERT_EQ(t.probe, e.id);
    ASSERT_TRUE(validate(e).is_ok()) << validate(e).to_string();
    ASSERT_TRUE(Nik::parse(e.nik.str()).has_value());
    EXPECT_TRUE(ids.insert(e.id.value).second);
    EXPECT_EQ(e.id.value.find("gen-"), std::string::npos) << "probe ids must not reveal identities";
    EXPECT_FALSE(gallery_niks.contains(e.nik.str())) << "probe " << j << " reuses a gallery NIK";
    if (t.mate) {
      ++mated;
      mated_in_first_half += j < count / 2;
      EXPECT_LT(*t.mate, gallery);
      EXPECT_NE(e.nik.str(), pop.nik(*t.mate));
      EXPECT_TRUE(mates.insert(*t.mate).second) << "mate reused while mated <= gallery";
      // It really is the mate, re-captured: face close to the mate's gallery face.
      EXPECT_GT(e.face->cosine(*pop.capture(*t.mate, 0).face), 0.25f);
    }
  }
  EXPECT_EQ(mated, probes.mated_count());
  EXPECT_GT(mated_in_first_half, 100u);  // spread, not clustered at one end
  EXPECT_LT(mated_in_first_half, 200u);
  // Deterministic: a second set with the same arguments agrees; another seed does not.
  const ProbeSet again(pop, gallery, count, 0.3, 77), other(pop, gallery, count, 0.3, 78);
  int differ = 0;
  for (std::uint64_t j = 0; j < 50; ++j) {
    EXPECT_EQ(again.truth(j).mate, probes.truth(j).mate);
    expect_same(again.probe(j), probes.probe(j));
    differ += other.truth(j).mate != probes.truth(j).mate;
  }
  EXPECT_GT(differ, 10);
}

TEST(ProbeSet, TwinProbesAreWithheldTwinsOfEnrolledPeople) {
  // twin_rate 0.1 so a small gallery holds enough pairs.
  const Population pop({.seed = 4, .twin_rate = 0.1});
  const std::uint64_t gallery = 400, count = 200;
  const ProbeSet probes(pop, gallery, count, 0.5, 77, 0.1);  // 100 non-mated, 10 of them twins
  ASSERT_EQ(probes.withheld().size(), 10u);
  std::uint64_t twins = 0;
  for (std::uint64_t j = 0; j < count; ++j) {
    const ProbeTruth t = probes.truth(j);
    if (t.mate) {
      EXPECT_FALSE(probes.is_withheld(*t.mate)) << "a mate must be enrolled";
      EXPECT_FALSE(t.twin_of_enrolled);
      continue;
    }
    if (!t.twin_of_enrolled) {
      EXPECT_GE(t.identity, gallery);
      continue;
    }
    ++twins;
    EXPECT_TRUE(probes.is_withheld(t.identity));
    EXPECT_TRUE(pop.traits(t.identity).twin);
    EXPECT_FALSE(probes.is_withheld(t.identity ^ 1)) << "the other twin stays enrolled";
    // A look-alike: as close to the enrolled twin's face as a re-capture of one person.
    EXPECT_GT(probes.probe(j).face->cosine(*pop.capture(t.identity ^ 1, 0).face), 0.25f);
  }
  EXPECT_EQ(twins, 10u);
  // Subject ids of a sequential import skip the withheld identities.
  const std::uint64_t first = probes.withheld().front();
  EXPECT_EQ(probes.enrolled_rank(first - 1), first - 1);
  EXPECT_EQ(probes.enrolled_rank(first + 1), first);
  EXPECT_EQ(probes.enrolled_rank(gallery - 1), gallery - 1 - probes.withheld().size() + probes.is_withheld(gallery - 1));
  // Without a twin share nothing is withheld and identities map to themselves.
  const ProbeSet plain(pop, gallery, count, 0.5, 77);
  EXPECT_TRUE(plain.withheld().empty());
  EXPECT_EQ(plain.enrolled_rank(123), 123u);
}

TEST(ProbeSet, EdgeCases) {
  const Population pop({.seed = 4});
  EXPECT_EQ(ProbeSet(pop, 0, 10, 0.5, 1).mated_count(), 0u);  // nothing to be mated with
  EXPECT_EQ(ProbeSet(pop, 100, 10, 1.5, 1).mated_count(), 10u);
  EXPECT_EQ(ProbeSet(pop, 100, 10, -1, 1).mated_count(), 0u);
  EXPECT_EQ(ProbeSet(pop, 100, 0, 0.5, 1).size(), 0u);
  // More mated probes than gallery identities: later captures of the same mates.
  const ProbeSet many(pop, 3, 9, 1.0, 1);
  std::vector<Enrollment> probes;
  for (std::uint64_t j = 0; j < 9; ++j) {
    ASSERT_TRUE(many.truth(j).mate.has_value());
    EXPECT_LT(*many.truth(j).mate, 3u);
    probes.push_back(many.probe(j));
  }
  for (std::size_t a = 0; a < probes.size(); ++a) {
    for (std::size_t b = a + 1; b < probes.size(); ++b) EXPECT_FALSE(same_minutiae(probes[a], probes[b]));
  }
}

}  // namespace
}  // namespace tunggal::datasets
