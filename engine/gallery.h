#pragma once
// The enrolled subjects as the cascade needs them in RAM: every finger's minutiae in a compact
// 6-byte form and the face embedding in half precision, about 3–4 KB per identity with ten
// fingers and a face (the 8 KB/identity budget of issue 5 also pays for the indexes).
// Prepared matcher structures (MCC cylinders, ~9 KB per finger) are far too large to keep for a
// national gallery, so they are rebuilt from these minutiae for the few candidates that reach
// full matching.
//
// Thread safety: any number of readers, one writer (the engine's commit step), by shared_mutex.
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <span>
#include <unordered_map>
#include <vector>

#include "core/face_embedding.h"
#include "core/finger_template.h"
#include "core/ids.h"

namespace tunggal {

class Gallery {
 public:
  explicit Gallery(int face_dimension);

  // Adds or replaces a subject.
  void put(SubjectId id, std::span<const FingerTemplate> fingers, const std::optional<FaceEmbedding>& face);
  bool remove(SubjectId id);
  bool contains(SubjectId id) const;
  std::uint64_t size() const;

  // The stored finger at `position`, rebuilt as a template; nullopt when absent.
  std::optional<FingerTemplate> finger(SubjectId id, FingerPosition position) const;
  // Bit mask of the positions present (bit slot = position-1).
  std::uint16_t finger_mask(SubjectId id) const;
  bool has_face(SubjectId id) const;
  // Cosine of the stored face with `probe` (unit vectors); NaN when the subject has no face.
  float face_cosine(SubjectId id, std::span<const float> probe) const;
  // Writes the stored face as float32 into out (face_dimension floats); false when absent.
  bool face(SubjectId id, std::span<float> out) const;

  int face_dimension() const { return face_dimension_; }
  std::size_t memory_bytes() const;
  std::vector<SubjectId> ids() const;

 private:
  struct Entry {
    std::uint16_t finger_mask = 0;
    std::array<std::uint16_t, kFingerCount> offset{};  // byte offset of each finger in blob
    std::unique_ptr<std::uint8_t[]> blob;              // fingers, then the face (fp16)
    std::uint32_t blob_size = 0;
    bool has_face = false;
  };
  const Entry* find(SubjectId id) const;

  int face_dimension_;
  mutable std::shared_mutex mu_;
  std::unordered_map<SubjectId, Entry> entries_;
  std::size_t blob_bytes_ = 0;
};

}  // namespace tunggal
