#pragma once
// Compact binary forms of the store's records and keys. Every value starts with a codec version
// byte; decoders are bounds-checked and answer kCorruption (naming the record and field) for
// anything truncated, overlong or out of range — never a crash.
//
// Minutiae take 6 bytes (x 14 bits, y 14 bits, angle 11 bits, type 2 bits, quality 7 bits — the
// ISO/IEC 19794-2 ranges). Angles are kept in 1/2048 turn, or in 1/180 turn when every angle of
// the finger came from an ANSI/INCITS 378 record; so angles read from ISO or ANSI records
// round-trip bit for bit, other angles within 0.09°. A finger whose coordinates or qualities do
// not fit falls back to a 10-byte exact form.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/face_embedding.h"
#include "core/finger_template.h"
#include "core/status.h"
#include "core/verdict.h"
#include "engine/store_records.h"

namespace tunggal::engine::detail {

inline constexpr std::uint8_t kCodecVersion = 1;

// Keys: big-endian so that RocksDB's bytewise order is numeric order.
std::string u64_key(std::uint64_t v);
std::string template_key(SubjectId id, FingerPosition p);  // id, then position byte
Expected<std::uint64_t> parse_u64_key(std::string_view key, const char* what);

void encode(const SubjectRecord& r, std::string& out);
void encode(const FingerTemplate& f, std::string& out);
void encode(const FaceEmbedding& f, std::string& out);
void encode(const Enrollment& e, std::string& out);
void encode(const EnrollmentRecord& r, std::string& out);
void encode(const Verdict& v, std::string& out);
void encode(const AuditEntry& a, std::string& out);  // seq included
void encode(const ChangeEntry& c, std::string& out);  // seq included

Expected<SubjectRecord> decode_subject(std::string_view in);
Expected<FingerTemplate> decode_template(std::string_view in);
Expected<FaceEmbedding> decode_face(std::string_view in);
Expected<Enrollment> decode_enrollment(std::string_view in);
Expected<EnrollmentRecord> decode_enrollment_record(std::string_view in);
Expected<Verdict> decode_verdict(std::string_view in);
Expected<AuditEntry> decode_audit(std::string_view in);
Expected<ChangeEntry> decode_change(std::string_view in);

// The job header of an encoded EnrollmentRecord, and a rewrite of it that keeps the enrollment
// bytes as they are (deciding a job must not re-encode ten fingers).
struct JobHeader {
  JobState state = JobState::kPending;
  std::int64_t received_at_ms = 0;
  std::uint64_t queue_seq = 0;
};
Expected<JobHeader> decode_job_header(std::string_view in);
void encode_job(const JobHeader& h, const Enrollment& e, std::string& out);  // = encode(EnrollmentRecord)
Expected<std::string> with_job_state(std::string_view encoded_record, JobState state);

}  // namespace tunggal::engine::detail
