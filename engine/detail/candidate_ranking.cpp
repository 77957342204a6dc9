#include "engine/detail/candidate_ranking.h"

#include <algorithm>
#include <limits>

namespace tunggal::engine::detail {

void collect(const index::SearchResults& results, const std::vector<int>& rows_to_probe, bool is_face,
             std::vector<std::unordered_map<std::uint64_t, Seed>>& seeds, std::vector<ListCuts>& cuts) {
  for (int q = 0; q < results.queries; ++q) {
    auto ids = results.ids_of(q);
    auto scores = results.scores_of(q);
    const std::size_t probe = static_cast<std::size_t>(rows_to_probe[static_cast<std::size_t>(q)]);
    auto& map = seeds[probe];
    float cut = std::numeric_limits<float>::infinity();  // the list's lowest (K-th) score
    for (std::size_t i = 0; i < ids.size(); ++i)
      if (ids[i] != index::kNoId) cut = std::min(cut, scores[i]);
    const bool any = cut != std::numeric_limits<float>::infinity();
    if (!is_face && any) {
      cuts[probe].sum += cut;
      ++cuts[probe].lists;
    }
    for (std::size_t i = 0; i < ids.size(); ++i) {
      if (ids[i] == index::kNoId) continue;
      Seed& s = map[ids[i]];
      s.id = ids[i];
      if (is_face) s.face = scores[i];
      else {
        ++s.finger_hits;
        s.code_sum += scores[i];
        s.cut_sum += cut;
      }
    }
  }
}

void fused_collect(const index::SearchResults& results, const std::vector<int>& rows_to_probe,
                   const std::vector<float>& scale, std::vector<std::unordered_map<std::uint64_t, Seed>>& seeds,
                   std::vector<ListCuts>& cuts) {
  for (int q = 0; q < results.queries; ++q) {
    auto ids = results.ids_of(q);
    auto scores = results.scores_of(q);
    const auto row = static_cast<std::size_t>(q);
    const std::size_t probe = static_cast<std::size_t>(rows_to_probe[row]);
    float cut = std::numeric_limits<float>::infinity();
    for (std::size_t i = 0; i < ids.size(); ++i) {
      if (ids[i] == index::kNoId) continue;
      const float v = scores[i] * scale[row];
      cut = std::min(cut, v);
      Seed& s = seeds[probe][ids[i]];
      s.id = ids[i];
      s.fused_hit = true;
      s.fused = v;
    }
    if (cut == std::numeric_limits<float>::infinity()) continue;
    cuts[probe].fused = true;
    cuts[probe].fused_cut = cut;
  }
}

// A probe finger whose code is close to everything (many minutiae) otherwise fills the ranking with
// its list's middle, above the top of a sharper list: at 1M a mate 6th in its one list ranked
// 590th of 815 and never reached full matching (docs/dedup.md).
float pre_score(const Seed& s, const ListCuts& cuts, float face_llr, bool per_list) {
  float code = per_list ? s.code_sum - s.cut_sum + static_cast<float>(s.finger_hits) * cuts.mean() : s.code_sum;
  if (cuts.fused) code = s.fused_hit ? s.fused : std::min(code, cuts.fused_cut);
  return kCodeWeight * code + face_llr;
}

// The face index is the sharpest retrieval: a mate its finger codes all missed otherwise ranks
// below every candidate one code list found (docs/dedup.md), hence the reserved places.
std::vector<Seed> select_for_matching(std::vector<Seed> ranked, int keep, int face_reserved,
                                      std::vector<Seed>* all) {
  std::sort(ranked.begin(), ranked.end(), [](const Seed& a, const Seed& b) {
    return a.pre != b.pre ? a.pre > b.pre : a.id < b.id;
  });
  if (all) *all = ranked;
  const std::size_t k = static_cast<std::size_t>(std::max(keep, 0));
  if (ranked.size() <= k) return ranked;
  std::vector<Seed> by_face;
  for (const Seed& s : ranked)
    if (s.face > -2.0f) by_face.push_back(s);
  const std::size_t reserve = std::min<std::size_t>({by_face.size(), static_cast<std::size_t>(std::max(face_reserved, 0)), k});
  std::partial_sort(by_face.begin(), by_face.begin() + static_cast<std::ptrdiff_t>(reserve), by_face.end(),
                    [](const Seed& a, const Seed& b) { return a.face != b.face ? a.face > b.face : a.id < b.id; });
  std::vector<Seed> out(by_face.begin(), by_face.begin() + static_cast<std::ptrdiff_t>(reserve));
  for (const Seed& s : ranked) {
    if (out.size() >= k) break;
    if (std::none_of(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(reserve),
                     [&](const Seed& r) { return r.id == s.id; }))
      out.push_back(s);
  }
  return out;
}

}  // namespace tunggal::engine::detail
