#pragma once
// The engine's candidate indexes: one over face embeddings and one per indexed finger position
// over finger codes, each sharded by subject id. Their full-precision vectors for exact re-rank
// come from the RAM gallery, so the indexes themselves may be compressed.
#include <array>
#include <memory>

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
  // One per kIndexedFingers entry, same order.
  std::array<std::unique_ptr<index::VectorIndex>, kIndexedFingers.size()> fingers;
};

// Per kIndexedFingers entry: the gallery's mean finger code, taken off probe codes before they
// search that finger's index (matcher/finger_code_centre.h).
using CodeCentres = std::array<std::unique_ptr<matcher::FingerCodeCentre>, kIndexedFingers.size()>;

Expected<CandidateIndexes> make_candidate_indexes(const EngineOptions& options,
                                                  const index::VectorSource* face_source);

}  // namespace tunggal
