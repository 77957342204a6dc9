#pragma once
#include <array>
#include <cstdint>

#include "core/enrollment.h"
#include "core/verdict.h"

namespace tunggal {

// Where one subject stood at each stage of the cascade for one probe: why a known mate was or was
// not found (the attribution of a false non-match: retrieval, ranking, early exit or score).
struct CascadeTrace {
  int face_rank = 0;           // 1-based rank in the face index's top-K; 0 = not retrieved by it
  float face_index_score = 0;  // the index's cosine when retrieved
  std::array<int, kFingerCount> code_rank{};  // per slot: rank in that finger-code list; 0 = not found/not indexed
  int code_lists = 0;          // finger-code lists searched for this probe
  int fused_rank = 0;          // rank in the fused finger-code list; 0 = not found or not searched
  int retrieved = 0;           // distinct candidates the indexes returned
  int pre_rank = 0;            // 1-based rank by pre-score among them; 0 = not retrieved at all
  bool fully_matched = false;  // pre_rank within full_match_candidates
  float face_llr = 0;          // the face's log10 likelihood ratio in the fusion (0 without a face)
  std::array<float, kFingerCount> finger_llr{};  // per slot, the finger's LLR in the full comparison
  std::uint16_t poor_fingers = 0;  // bit slot: that pair was judged in the poor-quality class
  Candidate with_early_exit;   // the score the cascade gives it
  Candidate full;              // every common finger compared
};

}  // namespace tunggal
