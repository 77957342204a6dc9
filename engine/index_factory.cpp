#include "engine/index_factory.h"

#include "matcher/finger_code.h"

namespace tunggal {

Expected<CandidateIndexes> make_candidate_indexes(const EngineOptions& options,
                                                  const index::VectorSource* face_source) {
  CandidateIndexes out;
  index::IndexOptions face_options;
  face_options.dimension = options.face_dimension;
  face_options.shards = options.shards;
  face_options.threads = options.threads;
  auto face = index::make_index(face_options, face_source);
  if (!face) return face.error();
  out.face = std::move(*face);

  index::IndexOptions code_options;
  code_options.dimension = matcher::finger_code_dimension();
  code_options.shards = options.shards;
  code_options.threads = options.threads;
  for (auto& finger : out.fingers) {
    // Finger codes are small; their exact vectors live in the index itself (no re-rank source).
    auto idx = index::make_index(code_options, nullptr);
    if (!idx) return idx.error();
    finger = std::move(*idx);
  }
  return out;
}

}  // namespace tunggal
