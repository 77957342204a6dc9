// The cascade's ranking stage: which retrieved candidates reach full minutiae matching.
#include <gtest/gtest.h>

#include <algorithm>
#include <unordered_map>
#include <vector>

#include "engine/detail/candidate_ranking.h"

namespace tunggal::engine::detail {
namespace {

index::SearchResults one_row(std::vector<std::uint64_t> ids, std::vector<float> scores) {
  index::SearchResults r;
  r.queries = 1;
  r.k = static_cast<int>(ids.size());
  r.ids = std::move(ids);
  r.scores = std::move(scores);
  return r;
}

// Two finger-code lists of one probe on different scales: list A (a probe finger whose code is
// close to everything) returns impostors at 0.50-0.60; list B (a sharp one) has the mate on top
// at 0.34, far above its other entries.
std::vector<Seed> ranked(bool per_list, int keep) {
  std::vector<std::unordered_map<std::uint64_t, Seed>> seeds(1);
  std::vector<ListCuts> cuts(1);
  const std::vector<int> row{0};
  collect(one_row({1, 2, 3, 4, 5, 6}, {0.60f, 0.58f, 0.56f, 0.55f, 0.54f, 0.50f}), row, false, seeds, cuts);
  collect(one_row({100, 101, 102, 103, 104, 105}, {0.34f, 0.24f, 0.23f, 0.22f, 0.21f, 0.20f}), row, false, seeds,
          cuts);
  EXPECT_EQ(cuts[0].lists, 2);
  EXPECT_FLOAT_EQ(cuts[0].mean(), 0.35f);
  std::vector<Seed> list;
  for (auto& [id, s] : seeds[0]) {
    s.pre = pre_score(s, cuts[0], 0.0f, per_list);
    list.push_back(s);
  }
  return select_for_matching(std::move(list), keep, 0);
}

bool contains(const std::vector<Seed>& v, std::uint64_t id) {
  return std::any_of(v.begin(), v.end(), [&](const Seed& s) { return s.id == id; });
}

TEST(CandidateRanking, EachFingerCodeListIsMeasuredFromItsOwnCut) {
  const std::vector<Seed> chosen = ranked(true, 3);
  ASSERT_EQ(chosen.size(), 3u);
  EXPECT_EQ(chosen.front().id, 100u) << "the top of the sharp list leads";
  EXPECT_FALSE(contains(ranked(false, 3), 100)) << "raw similarities rank the mate below list A's middle";
}

TEST(CandidateRanking, ACandidateSeveralListsFoundOutranksOneFoundByOneAtTheSameLevel) {
  std::vector<std::unordered_map<std::uint64_t, Seed>> seeds(1);
  std::vector<ListCuts> cuts(1);
  const std::vector<int> row{0};
  collect(one_row({7, 8, 9}, {0.40f, 0.39f, 0.30f}), row, false, seeds, cuts);
  collect(one_row({8, 10, 11}, {0.40f, 0.39f, 0.30f}), row, false, seeds, cuts);
  std::vector<Seed> list;
  for (auto& [id, s] : seeds[0]) {
    s.pre = pre_score(s, cuts[0], 0.0f, true);
    list.push_back(s);
  }
  const std::vector<Seed> chosen = select_for_matching(std::move(list), 1, 0);
  ASSERT_EQ(chosen.size(), 1u);
  EXPECT_EQ(chosen.front().id, 8u);
}

TEST(CandidateRanking, TheFaceIndexsBestKeepTheirReservedPlaces) {
  std::vector<Seed> list;
  for (std::uint64_t id = 1; id <= 5; ++id) list.push_back(Seed{.id = id, .pre = 10.0f + static_cast<float>(id)});
  list.push_back(Seed{.id = 50, .face = 0.9f, .pre = 0.0f});  // the face's best, found by no code list
  EXPECT_FALSE(contains(select_for_matching(list, 3, 0), 50));
  const std::vector<Seed> chosen = select_for_matching(list, 3, 1);
  EXPECT_TRUE(contains(chosen, 50));
  EXPECT_TRUE(contains(chosen, 5));
  EXPECT_TRUE(contains(chosen, 4));
}

// The fused list's cosines become sums of similarities (times the positions the probe had), rank
// the candidates it found, and cap the per-list measure of those it did not at its cut.
TEST(CandidateRanking, TheFusedListRanksWhatItFoundAndCapsTheRest) {
  std::vector<std::unordered_map<std::uint64_t, Seed>> seeds(1);
  std::vector<ListCuts> cuts(1);
  const std::vector<int> row{0};
  // One sharp per-position list: 50 on top at 0.9, far above its cut.
  collect(one_row({50, 51, 52}, {0.90f, 0.20f, 0.10f}), row, false, seeds, cuts);
  // The fused list of a probe with four positions: 60 (moderate on every finger) first.
  fused_collect(one_row({60, 51, 61}, {0.30f, 0.20f, 0.15f}), row, {4.0f}, seeds, cuts);
  ASSERT_TRUE(cuts[0].fused);
  EXPECT_FLOAT_EQ(cuts[0].fused_cut, 0.60f);
  EXPECT_FLOAT_EQ(seeds[0][60].fused, 1.20f);
  std::vector<Seed> list;
  for (auto& [id, s] : seeds[0]) {
    s.pre = pre_score(s, cuts[0], 0.0f, true);
    list.push_back(s);
  }
  std::vector<Seed> all;
  select_for_matching(std::move(list), 10, 0, &all);
  ASSERT_EQ(all.size(), 5u);
  EXPECT_EQ(all[0].id, 60u);
  EXPECT_EQ(all[1].id, 51u);
  // 50, found by one list only (0.90 there), is capped at the fused cut: not above any candidate
  // of the fused list (61 is the cut itself; the tie goes by id).
  const auto& fifty = *std::find_if(all.begin(), all.end(), [](const Seed& s) { return s.id == 50; });
  EXPECT_FLOAT_EQ(fifty.pre, kCodeWeight * 0.60f);
  for (const Seed& s : all)
    if (s.fused_hit) EXPECT_GE(s.pre, fifty.pre) << s.id;
  EXPECT_EQ(all[4].id, 52u);
}

}  // namespace
}  // namespace tunggal::engine::detail
