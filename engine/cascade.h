#pragma once
// The 1:N cascade for a micro-batch of probes:
//   1. retrieval: batched top-K searches of the face index and of each indexed finger position's
//      finger-code index (all shards), merged into one candidate set per probe;
//   2. ranking (engine/detail/candidate_ranking.h): candidates ordered by a cheap pre-score (face
//      LLR + their finger-code similarities, each list on its own scale), the best
//      `full_match_candidates` kept, some of them reserved for the face index's best;
//   3. full matching: every common finger position is matched with MCC (primary fingers first),
//      stopping early once the evidence is clearly impostor; fusion into a calibrated score.
// The cascade only reads the gallery and the indexes; deciding and committing are the engine's.
// Its parallel steps (TBB) run in the caller's arena: the engine's, of EngineOptions::threads.
#include <array>
#include <cstdint>
#include <span>
#include <unordered_map>
#include <vector>

#include "core/verdict.h"
#include "engine/cascade_trace.h"
#include "engine/engine_options.h"
#include "engine/gallery.h"
#include "engine/index_factory.h"
#include "engine/probe.h"
#include "matcher/finger_matcher.h"
#include "matcher/fusion_model.h"

namespace tunggal {

namespace engine::detail {
struct Seed;
struct ListCuts;
}

struct CascadeCounters {
  std::uint64_t retrieved = 0;           // distinct candidates found by the indexes
  std::uint64_t fully_matched = 0;       // candidates that reached minutiae matching
  std::uint64_t finger_comparisons = 0;  // MCC comparisons made
};

class Cascade {
 public:
  Cascade(const Gallery& gallery, const CandidateIndexes& indexes, const CodeCentres& centres,
          const matcher::FingerMatcher& matcher, const FusionModel& fusion, const EngineOptions& options)
      : gallery_(gallery), indexes_(indexes), centres_(centres), matcher_(matcher), fusion_(fusion), options_(options) {}

  // Scored candidates per probe (unsorted; rejected probes get none).
  Expected<std::vector<std::vector<Candidate>>> search(std::span<const Probe* const> probes,
                                                       CascadeCounters* counters = nullptr) const;

  // Every enrolled subject scored, no early exit: the reference the cascade's loss is measured
  // against. Only for small galleries.
  std::vector<Candidate> search_exhaustive(const Probe& probe) const;

  // One probe against one enrolled subject. With early_exit, stops after the primary fingers
  // once the finger evidence is clearly impostor.
  Candidate score_subject(const Probe& probe, SubjectId subject, bool early_exit,
                          std::uint64_t* comparisons = nullptr) const;

  // The cascade's path for one probe and one subject (a diagnostic: single-probe searches).
  // `ignore`: a subject left out as if absent (the probe itself, once committed).
  Expected<CascadeTrace> trace(const Probe& probe, SubjectId subject, SubjectId ignore = {}) const;

  // Two probes of the same micro-batch against each other (both already prepared): the in-batch
  // check that stops one person enrolling twice in one batch. `b_subject` names b's tentative id.
  Candidate score_probe(const Probe& a, const Probe& b, SubjectId b_subject,
                        std::uint64_t* comparisons = nullptr) const;

 private:
  struct FingerTally;
  // The probe's centred codes side by side (engine/index_factory.h fused_code); `positions`
  // receives how many positions had one. Empty when none did.
  std::vector<float> fused_query(const Probe& probe, int* positions) const;
  // How many times the usual depth this probe searches (EngineOptions::poor_probe_depth for a
  // very poor capture, else 1).
  int depth_of(const Probe& probe) const;
  float face_llr_of(const engine::detail::Seed& s) const;  // 0 when the face index did not find it
  // One probe's retrieved candidates still in the gallery, each with its pre-score (the ranking of
  // search() and trace() alike).
  std::vector<engine::detail::Seed> rankable(std::unordered_map<std::uint64_t, engine::detail::Seed>& seeds,
                                             const engine::detail::ListCuts& cuts) const;
  void tally(Candidate& c, FingerTally& t, int slot, float score, bool poor) const;
  bool clearly_impostor(const FingerTally& t, float face_llr, bool one_finger_rule) const;
  void finish(Candidate& c, std::uint16_t poor_fingers) const;

  const Gallery& gallery_;
  const CandidateIndexes& indexes_;
  const CodeCentres& centres_;
  const matcher::FingerMatcher& matcher_;
  const FusionModel& fusion_;
  const EngineOptions& options_;
};

}  // namespace tunggal
