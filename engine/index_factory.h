#pragma once
// The engine's candidate indexes: one over face embeddings and one per indexed finger position
// over finger codes, each sharded by subject id. Their full-precision vectors for exact re-rank
// come from the RAM gallery, so the indexes themselves may be compressed.
#include <array>
#include <memory>
#include <span>
#include <vector>

#include "core/finger_position.h"
#include "engine/engine_options.h"
#include "engine/gallery.h"
#include "engine/probe.h"
#include "index/vector_index.h"

namespace tunggal {
namespace matcher {
class FingerCodeCentre;
}

// index::VectorSource over the gallery's half-precision faces.
class GalleryFaceSource final : public index::VectorSource {
 public:
  explicit GalleryFaceSource(const Gallery& gallery) : gallery_(gallery) {}
  int dimension() const override { return gallery_.face_dimension(); }
  bool get(std::uint64_t id, std::span<float> out) const override {
    return gallery_.face(SubjectId{id}, out);
  }

 private:
  const Gallery& gallery_;
};

struct CandidateIndexes {
  std::unique_ptr<index::VectorIndex> face;
  // One per kIndexedFingers entry, same order; null when EngineOptions::finger_code_lists is off.
  std::array<std::unique_ptr<index::VectorIndex>, kIndexedFingers.size()> fingers;
  // The fused_slots() codes side by side (EngineOptions::fused_finger_codes); null when off.
  std::unique_ptr<index::VectorIndex> fused;
};

// Finger slots (core/finger_position.h) whose codes the fused index puts side by side, in order:
// by EngineOptions::fused_fingers, the kIndexedFingers (4), all but the little fingers (8) or all (10).
std::vector<int> fused_slots(const EngineOptions& options);
// Finger slots the engine computes codes for: the fused ones and, with finger_code_lists, the
// indexed ones.
std::vector<int> coded_slots(const EngineOptions& options);

// Dimension of a fused finger-code vector: one finger code per fused slot.
int fused_code_dimension(const EngineOptions& options);

// One subject's (or probe's) fused vector: `codes[slot]` (a finger code by finger slot, or empty
// when that finger has none) for each of `slots`, side by side, zeros for the empty ones. Empty
// when none of them has a code. Zeros rather than anything else: the index normalises the vector,
// so an impostor's score has the same spread however many fingers it has (a sum of n
// unit-variance similarities divided by sqrt(n)).
std::vector<float> fused_code(std::span<const std::vector<float>, kFingerCount> codes, std::span<const int> slots);

// Per finger slot: the gallery's mean finger code, taken off probe codes before they search
// (matcher/finger_code_centre.h). Only the coded_slots() ones are learnt and used.
using CodeCentres = std::array<std::unique_ptr<matcher::FingerCodeCentre>, kFingerCount>;

Expected<CandidateIndexes> make_candidate_indexes(const EngineOptions& options,
                                                  const index::VectorSource* face_source);

}  // namespace tunggal
