#pragma once
// The cascade's ranking stage (engine/cascade.h, step 2), apart so that it can be tested alone:
// the candidates the indexes returned for each probe, a cheap pre-score, and the choice of those
// that reach full minutiae matching.
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "index/vector_index.h"

namespace tunggal::engine::detail {

// Weight of the finger-code similarity against the face LLR in the pre-score.
inline constexpr float kCodeWeight = 10.0f;

// One retrieved candidate of one probe.
struct Seed {
  std::uint64_t id = 0;
  float face = -2.0f;      // face index cosine, -2 when the face index did not return it
  int finger_hits = 0;     // finger-code lists that returned it
  float code_sum = 0.0f;   // summed finger-code similarities over those lists
  float cut_sum = 0.0f;    // summed cuts (lowest returned score) of those lists
  bool fused_hit = false;  // the fused finger-code list returned it
  float fused = 0.0f;      // its fused score there (scaled to a sum of similarities, fused_collect)
  float pre = 0.0f;        // pre-score, set by the caller
};

// Per probe: the cuts of the finger-code lists it searched, to put every list on one scale.
struct ListCuts {
  float sum = 0.0f;
  int lists = 0;
  bool fused = false;      // the probe searched the fused list
  float fused_cut = 0.0f;  // its lowest returned (scaled) score
  float mean() const { return lists > 0 ? sum / static_cast<float>(lists) : 0.0f; }
};

// Adds the rows of one index's answer (row q answers probe rows_to_probe[q]) to the per-probe
// candidate maps; a finger-code answer also adds its cut to the probe's ListCuts.
void collect(const index::SearchResults& results, const std::vector<int>& rows_to_probe, bool is_face,
             std::vector<std::unordered_map<std::uint64_t, Seed>>& seeds, std::vector<ListCuts>& cuts);

// Adds the fused finger-code list's answer. Its scores are cosines of the side-by-side codes; each
// is multiplied by `scale[q]` (the number of positions the probe row had codes for), which makes
// it the sum of the per-position similarities for a gallery subject with all four.
void fused_collect(const index::SearchResults& results, const std::vector<int>& rows_to_probe,
                   const std::vector<float>& scale, std::vector<std::unordered_map<std::uint64_t, Seed>>& seeds,
                   std::vector<ListCuts>& cuts);

// Ranking, not deciding: the summed code similarity over the finger-code lists that found the
// candidate (a mate tends to be found by several fingers, each with a higher similarity) plus
// `face_llr` (0 when the face index did not find it). With `per_list`, each list's similarities
// are measured from that list's own cut, shifted to the probe's mean cut, so that one list's
// scale does not decide. When the probe searched the fused list, a candidate it found is ranked
// by its fused score instead (the four-finger sum, all positions at once), and one it did not
// find by the per-list measure capped at the fused list's cut (its fused score is below it).
float pre_score(const Seed& s, const ListCuts& cuts, float face_llr, bool per_list);

// Orders one probe's candidates by pre-score and keeps those that reach full matching: the
// `face_reserved` best by face similarity (when the face index found them), then the best by
// pre-score up to `keep` in all. `all` receives every candidate, best pre-score first.
std::vector<Seed> select_for_matching(std::vector<Seed> ranked, int keep, int face_reserved,
                                      std::vector<Seed>* all = nullptr);

}  // namespace tunggal::engine::detail
