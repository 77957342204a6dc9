#include "engine/index_factory.h"

#include <algorithm>

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
    if (!options.finger_code_lists) break;  // not searched: not kept either
    // Finger codes are small; their exact vectors live in the index itself (no re-rank source).
    auto idx = index::make_index(code_options, nullptr);
    if (!idx) return idx.error();
    finger = std::move(*idx);
  }
  if (options.fused_finger_codes) {
    code_options.dimension = fused_code_dimension(options);
    code_options.hash_shortlist_per_million = options.fused_shortlist_per_million;
    auto idx = index::make_index(code_options, nullptr);
    if (!idx) return idx.error();
    out.fused = std::move(*idx);
  }
  return out;
}

std::vector<int> fused_slots(const EngineOptions& options) {
  std::vector<int> out;
  if (options.fused_fingers >= 8) {
    for (int s = 0; s < kFingerCount; ++s) {
      const FingerPosition p = finger_at_slot(s);
      const bool little = p == FingerPosition::kRightLittle || p == FingerPosition::kLeftLittle;
      if (!little || options.fused_fingers >= 10) out.push_back(s);
    }
  } else {
    for (FingerPosition p : kIndexedFingers) out.push_back(finger_slot(p));
  }
  return out;
}

std::vector<int> coded_slots(const EngineOptions& options) {
  std::vector<int> out;
  if (options.fused_finger_codes) out = fused_slots(options);
  if (options.finger_code_lists)
    for (FingerPosition p : kIndexedFingers)
      if (std::find(out.begin(), out.end(), finger_slot(p)) == out.end()) out.push_back(finger_slot(p));
  std::sort(out.begin(), out.end());
  return out;
}

int fused_code_dimension(const EngineOptions& options) {
  return matcher::finger_code_dimension() * static_cast<int>(fused_slots(options).size());
}

std::vector<float> fused_code(std::span<const std::vector<float>, kFingerCount> codes, std::span<const int> slots) {
  const auto d = static_cast<std::size_t>(matcher::finger_code_dimension());
  std::vector<float> out;
  for (std::size_t k = 0; k < slots.size(); ++k) {
    const auto& code = codes[static_cast<std::size_t>(slots[k])];
    if (code.size() != d) continue;
    if (out.empty()) out.assign(d * slots.size(), 0.0f);
    std::copy(code.begin(), code.end(), out.begin() + static_cast<std::ptrdiff_t>(k * d));
  }
  return out;
}

}  // namespace tunggal
