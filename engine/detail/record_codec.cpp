#include "engine/detail/record_codec.h"

#include <bit>
#include <cmath>
#include <numbers>
#include <span>
#include <vector>

#include <fmt/format.h>

#include "engine/detail/byte_io.h"

namespace tunggal::engine::detail {
namespace {

constexpr double kTwoPi = 2.0 * std::numbers::pi;

Status corrupt(const char* record, std::string_view why) {
  return corruption(fmt::format("stored {} value is damaged: {}", record, why));
}
Status truncated(const char* record, const ByteReader& r) {
  return corrupt(record, fmt::format("field '{}' runs past the end of the value", r.failed_field()));
}
Status check_version(const char* record, ByteReader& r) {
  std::uint8_t v = 0;
  if (!r.u8("codec version", v)) return truncated(record, r);
  if (v != kCodecVersion) {
    return {ErrorCode::kIncompatible,
            fmt::format("stored {} value has codec version {}; this build reads version {}", record, v,
                        kCodecVersion)};
  }
  return Status::ok();
}
Status check_end(const char* record, const ByteReader& r) {
  if (r.remaining() != 0) return corrupt(record, fmt::format("{} unexpected trailing bytes", r.remaining()));
  return Status::ok();
}

#define TUNGGAL_CODEC_TRY(expr)          \
  do {                                   \
    if (Status s_ = (expr); !s_) return s_; \
  } while (0)
#define TUNGGAL_READ(record, r, call) \
  do {                                \
    if (!(r).call) return truncated(record, r); \
  } while (0)

// ---- minutiae ----------------------------------------------------------------------------------

enum class MinutiaForm : std::uint8_t { kPacked2048 = 0, kPacked180 = 1, kExact = 2 };

unsigned angle_units(float radians, unsigned per_turn) {
  if (!std::isfinite(radians)) return 0;
  double turns = static_cast<double>(radians) / kTwoPi;
  turns -= std::floor(turns);
  return static_cast<unsigned>(std::lround(turns * per_turn)) % per_turn;
}
// The same arithmetic as ingest's unit conversions, so angles read from records are reproduced
// bit for bit (u/2048 turn of an ISO angle u'/256 is the same double, 8u' = u).
float units_angle(unsigned u, unsigned per_turn) { return static_cast<float>(u * (kTwoPi / per_turn)); }

bool exact_in(const std::vector<Minutia>& ms, unsigned per_turn) {
  for (const auto& m : ms) {
    if (std::bit_cast<std::uint32_t>(units_angle(angle_units(m.angle, per_turn), per_turn)) !=
        std::bit_cast<std::uint32_t>(m.angle)) {
      return false;
    }
  }
  return true;
}

MinutiaForm choose_form(const std::vector<Minutia>& ms) {
  for (const auto& m : ms) {
    if (m.x >= (1u << 14) || m.y >= (1u << 14) || m.quality > 100 || static_cast<unsigned>(m.type) > 2) {
      return MinutiaForm::kExact;
    }
  }
  if (exact_in(ms, 2048)) return MinutiaForm::kPacked2048;
  if (exact_in(ms, 180)) return MinutiaForm::kPacked180;
  return MinutiaForm::kPacked2048;  // within half a unit: 0.09°
}

constexpr std::size_t kPackedBytes = 6;
constexpr std::size_t kExactBytes = 10;

void put_packed(ByteWriter& w, const Minutia& m, unsigned per_turn) {
  const std::uint64_t bits = static_cast<std::uint64_t>(m.x) | (static_cast<std::uint64_t>(m.y) << 14) |
                             (static_cast<std::uint64_t>(angle_units(m.angle, per_turn)) << 28) |
                             (static_cast<std::uint64_t>(m.type) << 39) |
                             (static_cast<std::uint64_t>(m.quality) << 41);
  w.u32(static_cast<std::uint32_t>(bits));
  w.u16(static_cast<std::uint16_t>(bits >> 32));
}

}  // namespace

// ---- keys --------------------------------------------------------------------------------------

std::string u64_key(std::uint64_t v) {
  std::string k(8, '\0');
  for (int i = 0; i < 8; ++i) k[static_cast<std::size_t>(i)] = static_cast<char>((v >> (56 - 8 * i)) & 0xff);
  return k;
}

std::string template_key(SubjectId id, FingerPosition p) {
  std::string k = u64_key(id.value);
  k.push_back(static_cast<char>(p));
  return k;
}

Expected<std::uint64_t> parse_u64_key(std::string_view key, const char* what) {
  if (key.size() < 8) return corruption(fmt::format("stored {} key has {} bytes, expected 8", what, key.size()));
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(key[static_cast<std::size_t>(i)]);
  return v;
}

// ---- subject -----------------------------------------------------------------------------------

void encode(const SubjectRecord& r, std::string& out) {
  ByteWriter w(out);
  w.u8(kCodecVersion);
  w.u64(r.id.value);
  w.str(r.nik);
  w.str(r.site);
  w.str(r.enrollment.value);
  w.i64(r.enrolled_at_ms);
  w.u8(static_cast<std::uint8_t>(r.state));
  w.str(r.revoked_reason);
  w.i64(r.revoked_at_ms);
}

Expected<SubjectRecord> decode_subject(std::string_view in) {
  constexpr const char* kRec = "subject";
  ByteReader r(in);
  TUNGGAL_CODEC_TRY(check_version(kRec, r));
  SubjectRecord s;
  std::uint8_t state = 0;
  TUNGGAL_READ(kRec, r, u64("id", s.id.value));
  TUNGGAL_READ(kRec, r, str("nik", s.nik));
  TUNGGAL_READ(kRec, r, str("site", s.site));
  TUNGGAL_READ(kRec, r, str("enrollment", s.enrollment.value));
  TUNGGAL_READ(kRec, r, i64("enrolled_at", s.enrolled_at_ms));
  TUNGGAL_READ(kRec, r, u8("state", state));
  TUNGGAL_READ(kRec, r, str("revoked_reason", s.revoked_reason));
  TUNGGAL_READ(kRec, r, i64("revoked_at", s.revoked_at_ms));
  if (state > 1) return corrupt(kRec, fmt::format("state {} is neither active (0) nor revoked (1)", state));
  s.state = static_cast<SubjectState>(state);
  TUNGGAL_CODEC_TRY(check_end(kRec, r));
  return s;
}

// ---- finger template ---------------------------------------------------------------------------

void encode(const FingerTemplate& f, std::string& out) {
  ByteWriter w(out);
  w.u8(kCodecVersion);
  w.u8(static_cast<std::uint8_t>(f.position));
  w.u16(f.width);
  w.u16(f.height);
  w.u16(f.resolution_x);
  w.u16(f.resolution_y);
  w.u8(f.quality);
  const MinutiaForm form = choose_form(f.minutiae);
  w.u8(static_cast<std::uint8_t>(form));
  w.u32(static_cast<std::uint32_t>(f.minutiae.size()));
  out.reserve(out.size() + f.minutiae.size() * (form == MinutiaForm::kExact ? kExactBytes : kPackedBytes));
  for (const auto& m : f.minutiae) {
    switch (form) {
      case MinutiaForm::kPacked2048: put_packed(w, m, 2048); break;
      case MinutiaForm::kPacked180: put_packed(w, m, 180); break;
      case MinutiaForm::kExact:
        w.u16(m.x), w.u16(m.y), w.f32(m.angle);
        w.u8(static_cast<std::uint8_t>(m.type)), w.u8(m.quality);
        break;
    }
  }
}

Expected<FingerTemplate> decode_template(std::string_view in) {
  constexpr const char* kRec = "finger template";
  ByteReader r(in);
  TUNGGAL_CODEC_TRY(check_version(kRec, r));
  FingerTemplate f;
  std::uint8_t position = 0, form = 0;
  std::uint32_t count = 0;
  TUNGGAL_READ(kRec, r, u8("position", position));
  TUNGGAL_READ(kRec, r, u16("width", f.width));
  TUNGGAL_READ(kRec, r, u16("height", f.height));
  TUNGGAL_READ(kRec, r, u16("resolution_x", f.resolution_x));
  TUNGGAL_READ(kRec, r, u16("resolution_y", f.resolution_y));
  TUNGGAL_READ(kRec, r, u8("quality", f.quality));
  TUNGGAL_READ(kRec, r, u8("minutia form", form));
  TUNGGAL_READ(kRec, r, u32("minutia count", count));
  if (position > 10) return corrupt(kRec, fmt::format("finger position {} is not 0–10", position));
  f.position = static_cast<FingerPosition>(position);
  if (form > 2) return corrupt(kRec, fmt::format("minutia form {} is unknown", form));
  const std::size_t each = form == 2 ? kExactBytes : kPackedBytes;
  if (count > r.remaining() / each) {
    return corrupt(kRec, fmt::format("{} minutiae of {} bytes need more than the {} bytes left", count, each,
                                      r.remaining()));
  }
  const unsigned per_turn = form == 1 ? 180 : 2048;
  // The count was bounded above, so the minutiae are read from one checked span (a full-gallery scan
  // decodes hundreds of millions of them).
  std::string_view block;
  TUNGGAL_READ(kRec, r, raw("minutiae", count * each, block));
  const auto* p = reinterpret_cast<const unsigned char*>(block.data());
  f.minutiae.resize(count);
  for (auto& m : f.minutiae) {
    std::uint8_t type = 0;
    if (form == 2) {
      m.x = static_cast<std::uint16_t>(p[0] | p[1] << 8);
      m.y = static_cast<std::uint16_t>(p[2] | p[3] << 8);
      m.angle = std::bit_cast<float>(static_cast<std::uint32_t>(p[4] | p[5] << 8 | p[6] << 16) |
                                     static_cast<std::uint32_t>(p[7]) << 24);
      type = p[8];
      m.quality = p[9];
    } else {
      std::uint64_t bits = 0;
      for (int i = 5; i >= 0; --i) bits = (bits << 8) | p[i];
      m.x = static_cast<std::uint16_t>(bits & 0x3fff);
      m.y = static_cast<std::uint16_t>((bits >> 14) & 0x3fff);
      const unsigned u = static_cast<unsigned>((bits >> 28) & 0x7ff);
      if (u >= per_turn) return corrupt(kRec, fmt::format("minutia angle {} is not below {}", u, per_turn));
      m.angle = units_angle(u, per_turn);
      type = static_cast<std::uint8_t>((bits >> 39) & 3);
      m.quality = static_cast<std::uint8_t>((bits >> 41) & 0x7f);
      if (m.quality > 100) return corrupt(kRec, fmt::format("minutia quality {} is above 100", m.quality));
    }
    if (type > 2) return corrupt(kRec, fmt::format("minutia type {} is unknown", type));
    m.type = static_cast<MinutiaType>(type);
    p += each;
  }
  TUNGGAL_CODEC_TRY(check_end(kRec, r));
  return f;
}

// ---- face --------------------------------------------------------------------------------------

void encode(const FaceEmbedding& f, std::string& out) {
  ByteWriter w(out);
  w.u8(kCodecVersion);
  w.u16(static_cast<std::uint16_t>(f.dimension()));
  out.reserve(out.size() + 4 * f.values().size());
  for (float v : f.values()) w.f32(v);
}

Expected<FaceEmbedding> decode_face(std::string_view in) {
  constexpr const char* kRec = "face";
  ByteReader r(in);
  TUNGGAL_CODEC_TRY(check_version(kRec, r));
  std::uint16_t dim = 0;
  TUNGGAL_READ(kRec, r, u16("dimension", dim));
  if (r.remaining() != 4u * dim) {
    return corrupt(kRec, fmt::format("dimension {} needs {} bytes, {} are stored", dim, 4u * dim, r.remaining()));
  }
  std::vector<float> v(dim);
  std::string_view block;
  TUNGGAL_READ(kRec, r, raw("components", 4u * dim, block));
  const auto* p = reinterpret_cast<const unsigned char*>(block.data());
  for (auto& x : v) {
    x = std::bit_cast<float>(static_cast<std::uint32_t>(p[0] | p[1] << 8 | p[2] << 16) |
                             static_cast<std::uint32_t>(p[3]) << 24);
    p += 4;
  }
  auto e = FaceEmbedding::from_unit(v);
  if (!e) return corrupt(kRec, e.error().message());
  return e;
}

// ---- enrollment --------------------------------------------------------------------------------

void encode(const Enrollment& e, std::string& out) {
  ByteWriter w(out);
  w.u8(kCodecVersion);
  w.str(e.id.value);
  w.str(e.site);
  w.str(e.nik.str());
  w.i64(e.capture_time_ms);
  w.u32(static_cast<std::uint32_t>(e.fingers.size()));
  std::string tmp;
  for (const auto& f : e.fingers) {
    tmp.clear();
    encode(f, tmp);
    w.str(tmp);
  }
  w.u8(e.face ? 1 : 0);
  if (e.face) {
    tmp.clear();
    encode(*e.face, tmp);
    w.str(tmp);
  }
}

Expected<Enrollment> decode_enrollment(std::string_view in) {
  constexpr const char* kRec = "enrollment";
  ByteReader r(in);
  TUNGGAL_CODEC_TRY(check_version(kRec, r));
  Enrollment e;
  std::string nik;
  std::uint32_t nfingers = 0;
  TUNGGAL_READ(kRec, r, str("id", e.id.value));
  TUNGGAL_READ(kRec, r, str("site", e.site));
  TUNGGAL_READ(kRec, r, str("nik", nik));
  TUNGGAL_READ(kRec, r, i64("capture_time", e.capture_time_ms));
  TUNGGAL_READ(kRec, r, u32("finger count", nfingers));
  if (!nik.empty()) {
    auto n = Nik::parse(nik);
    if (!n) return corrupt(kRec, n.error().message());
    e.nik = *n;
  }
  // Each finger is at least a length prefix: bound the count before reserving.
  if (nfingers > r.remaining() / 4) return corrupt(kRec, fmt::format("finger count {} overruns the value", nfingers));
  e.fingers.reserve(nfingers);
  for (std::uint32_t i = 0; i < nfingers; ++i) {
    std::uint32_t n = 0;
    std::string_view bytes;
    TUNGGAL_READ(kRec, r, u32("finger length", n));
    TUNGGAL_READ(kRec, r, raw("finger", n, bytes));
    auto f = decode_template(bytes);
    if (!f) return f.error();
    e.fingers.push_back(std::move(*f));
  }
  std::uint8_t has_face = 0;
  TUNGGAL_READ(kRec, r, u8("has_face", has_face));
  if (has_face > 1) return corrupt(kRec, fmt::format("face flag {} is neither 0 nor 1", has_face));
  if (has_face) {
    std::uint32_t n = 0;
    std::string_view bytes;
    TUNGGAL_READ(kRec, r, u32("face length", n));
    TUNGGAL_READ(kRec, r, raw("face", n, bytes));
    auto f = decode_face(bytes);
    if (!f) return f.error();
    e.face = std::move(*f);
  }
  TUNGGAL_CODEC_TRY(check_end(kRec, r));
  return e;
}

namespace {
constexpr std::size_t kJobHeaderBytes = 1 + 1 + 8 + 8;

void encode_job_header(const JobHeader& h, std::string& out) {
  ByteWriter w(out);
  w.u8(kCodecVersion);
  w.u8(static_cast<std::uint8_t>(h.state));
  w.i64(h.received_at_ms);
  w.u64(h.queue_seq);
}
}  // namespace

void encode_job(const JobHeader& h, const Enrollment& e, std::string& out) {
  encode_job_header(h, out);
  encode(e, out);
}

void encode(const EnrollmentRecord& r, std::string& out) {
  encode_job({r.state, r.received_at_ms, r.queue_seq}, r.enrollment, out);
}

Expected<JobHeader> decode_job_header(std::string_view in) {
  constexpr const char* kRec = "enrollment job";
  ByteReader r(in);
  TUNGGAL_CODEC_TRY(check_version(kRec, r));
  JobHeader h;
  std::uint8_t state = 0;
  TUNGGAL_READ(kRec, r, u8("state", state));
  TUNGGAL_READ(kRec, r, i64("received_at", h.received_at_ms));
  TUNGGAL_READ(kRec, r, u64("queue_seq", h.queue_seq));
  if (state > 1) return corrupt(kRec, fmt::format("job state {} is neither pending (0) nor decided (1)", state));
  h.state = static_cast<JobState>(state);
  return h;
}

Expected<EnrollmentRecord> decode_enrollment_record(std::string_view in) {
  auto h = decode_job_header(in);
  if (!h) return h.error();
  auto e = decode_enrollment(in.substr(kJobHeaderBytes));
  if (!e) return e.error();
  EnrollmentRecord rec;
  rec.enrollment = std::move(*e);
  rec.state = h->state;
  rec.received_at_ms = h->received_at_ms;
  rec.queue_seq = h->queue_seq;
  return rec;
}

Expected<std::string> with_job_state(std::string_view encoded_record, JobState state) {
  auto h = decode_job_header(encoded_record);
  if (!h) return h.error();
  h->state = state;
  std::string out;
  out.reserve(encoded_record.size());
  encode_job_header(*h, out);
  out.append(encoded_record.substr(kJobHeaderBytes));
  return out;
}

// ---- verdict -----------------------------------------------------------------------------------

void encode(const Verdict& v, std::string& out) {
  ByteWriter w(out);
  w.u8(kCodecVersion);
  w.str(v.enrollment.value);
  w.u8(static_cast<std::uint8_t>(v.kind));
  w.u64(v.subject.value);
  w.u32(static_cast<std::uint32_t>(v.candidates.size()));
  for (const auto& c : v.candidates) {
    w.u64(c.subject.value);
    w.f32(c.score);
    for (float s : c.finger_scores) w.f32(s);
    w.f32(c.face_score);
  }
  w.str(v.reject_reason);
  w.f32(v.duplicate_threshold);
  w.f32(v.review_threshold);
  w.i64(v.decided_at_ms);
  w.u8(static_cast<std::uint8_t>(v.decision));
  w.u64(v.linked_subject.value);
  w.str(v.decided_by);
  w.str(v.decision_reason);
  w.i64(v.adjudicated_at_ms);
  // Appended later (face-led review): each candidate's face-led score (Candidate::face_led_score).
  // Verdicts stored before it end above and read back with NaN.
  w.u32(static_cast<std::uint32_t>(v.candidates.size()));
  for (const auto& c : v.candidates) w.f32(c.face_led_score);
}

Expected<Verdict> decode_verdict(std::string_view in) {
  constexpr const char* kRec = "verdict";
  constexpr std::size_t kCandidateBytes = 8 + 4 + 4 * kFingerCount + 4;
  ByteReader r(in);
  TUNGGAL_CODEC_TRY(check_version(kRec, r));
  Verdict v;
  std::uint8_t kind = 0, decision = 0;
  std::uint32_t ncand = 0;
  TUNGGAL_READ(kRec, r, str("enrollment", v.enrollment.value));
  TUNGGAL_READ(kRec, r, u8("kind", kind));
  TUNGGAL_READ(kRec, r, u64("subject", v.subject.value));
  TUNGGAL_READ(kRec, r, u32("candidate count", ncand));
  if (kind > 3) return corrupt(kRec, fmt::format("verdict kind {} is unknown", kind));
  v.kind = static_cast<VerdictKind>(kind);
  if (ncand > r.remaining() / kCandidateBytes) {
    return corrupt(kRec, fmt::format("candidate count {} overruns the value", ncand));
  }
  v.candidates.resize(ncand);
  for (auto& c : v.candidates) {
    TUNGGAL_READ(kRec, r, u64("candidate subject", c.subject.value));
    TUNGGAL_READ(kRec, r, f32("candidate score", c.score));
    for (float& s : c.finger_scores) TUNGGAL_READ(kRec, r, f32("candidate finger score", s));
    TUNGGAL_READ(kRec, r, f32("candidate face score", c.face_score));
  }
  TUNGGAL_READ(kRec, r, str("reject_reason", v.reject_reason));
  TUNGGAL_READ(kRec, r, f32("duplicate_threshold", v.duplicate_threshold));
  TUNGGAL_READ(kRec, r, f32("review_threshold", v.review_threshold));
  TUNGGAL_READ(kRec, r, i64("decided_at", v.decided_at_ms));
  TUNGGAL_READ(kRec, r, u8("decision", decision));
  TUNGGAL_READ(kRec, r, u64("linked_subject", v.linked_subject.value));
  TUNGGAL_READ(kRec, r, str("decided_by", v.decided_by));
  TUNGGAL_READ(kRec, r, str("decision_reason", v.decision_reason));
  TUNGGAL_READ(kRec, r, i64("adjudicated_at", v.adjudicated_at_ms));
  if (r.remaining() > 0) {  // the face-led scores (absent from verdicts stored before them)
    std::uint32_t nled = 0;
    TUNGGAL_READ(kRec, r, u32("face-led score count", nled));
    if (nled != ncand) return corrupt(kRec, fmt::format("{} face-led scores for {} candidates", nled, ncand));
    for (auto& c : v.candidates) TUNGGAL_READ(kRec, r, f32("candidate face-led score", c.face_led_score));
  }
  if (decision > 2) return corrupt(kRec, fmt::format("decision {} is unknown", decision));
  v.decision = static_cast<Decision>(decision);
  TUNGGAL_CODEC_TRY(check_end(kRec, r));
  return v;
}

// ---- audit and change log ----------------------------------------------------------------------

void encode(const AuditEntry& a, std::string& out) {
  ByteWriter w(out);
  w.u8(kCodecVersion);
  w.u64(a.seq);
  w.i64(a.at_ms);
  w.str(a.actor);
  w.str(a.action);
  w.str(a.target);
  w.str(a.reason);
  w.str(a.before);
  w.str(a.after);
}

Expected<AuditEntry> decode_audit(std::string_view in) {
  constexpr const char* kRec = "audit";
  ByteReader r(in);
  TUNGGAL_CODEC_TRY(check_version(kRec, r));
  AuditEntry a;
  TUNGGAL_READ(kRec, r, u64("seq", a.seq));
  TUNGGAL_READ(kRec, r, i64("at", a.at_ms));
  TUNGGAL_READ(kRec, r, str("actor", a.actor));
  TUNGGAL_READ(kRec, r, str("action", a.action));
  TUNGGAL_READ(kRec, r, str("target", a.target));
  TUNGGAL_READ(kRec, r, str("reason", a.reason));
  TUNGGAL_READ(kRec, r, str("before", a.before));
  TUNGGAL_READ(kRec, r, str("after", a.after));
  TUNGGAL_CODEC_TRY(check_end(kRec, r));
  return a;
}

void encode(const ChangeEntry& c, std::string& out) {
  ByteWriter w(out);
  w.u8(kCodecVersion);
  w.u64(c.seq);
  w.u64(c.subject.value);
  w.u8(c.added ? 1 : 0);
}

Expected<ChangeEntry> decode_change(std::string_view in) {
  constexpr const char* kRec = "change";
  ByteReader r(in);
  TUNGGAL_CODEC_TRY(check_version(kRec, r));
  ChangeEntry c;
  std::uint8_t added = 0;
  TUNGGAL_READ(kRec, r, u64("seq", c.seq));
  TUNGGAL_READ(kRec, r, u64("subject", c.subject.value));
  TUNGGAL_READ(kRec, r, u8("added", added));
  if (added > 1) return corrupt(kRec, fmt::format("added flag {} is neither 0 nor 1", added));
  c.added = added == 1;
  TUNGGAL_CODEC_TRY(check_end(kRec, r));
  return c;
}

}  // namespace tunggal::engine::detail
