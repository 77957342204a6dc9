#pragma once
// The records the store keeps, one struct per column family value. They are plain data; the
// binary form (versioned, bounds-checked) lives in engine/detail/record_codec.h.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/enrollment.h"
#include "core/face_embedding.h"
#include "core/finger_template.h"
#include "core/ids.h"

namespace tunggal::engine {

// Fixed when the store is created: every face in it has this dimension, and index shards are
// assigned by subject id modulo shard_count. Changing either means a new store and a re-import.
struct GalleryConfig {
  int face_dimension = 512;
  int shard_count = 4;
  bool operator==(const GalleryConfig&) const = default;
};

enum class SubjectState : std::uint8_t { kActive = 0, kRevoked = 1 };

// "subjects" column family, key = subject id (big-endian u64, so iteration is in id order).
struct SubjectRecord {
  SubjectId id;
  std::string nik;
  std::string site;
  EnrollmentId enrollment;  // the enrollment that created it
  std::int64_t enrolled_at_ms = 0;
  SubjectState state = SubjectState::kActive;
  std::string revoked_reason;
  std::int64_t revoked_at_ms = 0;
  bool operator==(const SubjectRecord&) const = default;
};

// A subject with its biometrics: fingers in the "templates" column family (key id + position),
// the face in "faces" (float32). A revoked subject has neither.
struct StoredSubject {
  SubjectRecord record;
  std::vector<FingerTemplate> fingers;
  std::optional<FaceEmbedding> face;
};

enum class JobState : std::uint8_t { kPending = 0, kDecided = 1 };

// "enrollments" column family (the jobs), key = enrollment id.
struct EnrollmentRecord {
  Enrollment enrollment;
  JobState state = JobState::kPending;
  std::int64_t received_at_ms = 0;
  std::uint64_t queue_seq = 0;  // its position in the FIFO queue, assigned at commit
};

// "audit" column family, key = seq. Who did what to which record, and why.
struct AuditEntry {
  std::uint64_t seq = 0;  // assigned by the store at commit, increasing
  std::int64_t at_ms = 0;
  std::string actor;
  std::string action;  // e.g. "adjudicate", "revoke"
  std::string target;
  std::string reason;
  std::string before;
  std::string after;
  bool operator==(const AuditEntry&) const = default;
};

// "changes" column family, key = seq: the gallery change log that index snapshots replay.
struct ChangeEntry {
  std::uint64_t seq = 0;
  SubjectId subject;
  bool added = true;  // false: removed (revoked)
  bool operator==(const ChangeEntry&) const = default;
};

}  // namespace tunggal::engine
