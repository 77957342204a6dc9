#pragma once
#include <array>
#include <cstdint>
#include <cmath>
#include <string>
#include <string_view>
#include <vector>

#include "core/finger_position.h"
#include "core/ids.h"

namespace tunggal {

// penunggalan: the single-identity check. Its four answers:
enum class VerdictKind : std::uint8_t {
  kUnique = 0,     // tunggal: committed to the gallery; printing unblocked
  kDuplicate = 1,  // ganda: a candidate above the duplicate threshold; blocked, goes to adjudication
  kReview = 2,     // best candidate between the review and the duplicate threshold
  kRejected = 3,   // input unusable; the station must recapture
};

// What adjudication makes of a DUPLICATE/REVIEW case.
enum class Decision : std::uint8_t {
  kNone = 0,
  kConfirmedDuplicate = 1,  // linked to the existing subject; never printed
  kDistinct = 2,            // committed as a new subject; printing released
};

std::string_view to_string(VerdictKind k);  // "UNIQUE", "DUPLICATE", "REVIEW", "REJECTED"
std::string_view to_string(Decision d);     // "NONE", "CONFIRMED_DUPLICATE", "DISTINCT"

// An enrolled subject that the probe resembles, with the evidence per modality.
struct Candidate {
  SubjectId subject;
  float score = 0.0f;  // fused, calibrated: log10 likelihood ratio (genuine vs impostor)
  // Per-finger similarity for positions 1..10 (slot = position-1); NaN where not compared.
  std::array<float, kFingerCount> finger_scores;
  float face_score = std::nanf("");  // cosine; NaN when either side lacks a face
  // The face alone on the identity-score scale (extreme-value impostor tail), set only when the
  // fingers compared do not contradict it (EngineOptions::face_led_review); NaN otherwise. A face
  // this strong with fingers that say nothing (worn, badly captured) sends the case to REVIEW,
  // never to DUPLICATE: a face can not tell twins apart. Stored with the verdict and sent to admins,
  // so an adjudicator sees why a candidate below the review threshold is listed (the verdict
  // policy keeps such a candidate when this reaches the duplicate threshold).
  float face_led_score = std::nanf("");

  Candidate() { finger_scores.fill(std::nanf("")); }
};

struct Verdict {
  EnrollmentId enrollment;
  VerdictKind kind = VerdictKind::kRejected;
  SubjectId subject;                   // for UNIQUE: the new subject; else unset
  std::vector<Candidate> candidates;   // best first; those above the review threshold
  std::string reject_reason;           // for REJECTED: what the station must fix
  float duplicate_threshold = 0.0f;    // the thresholds in force when decided
  float review_threshold = 0.0f;
  std::int64_t decided_at_ms = 0;

  // Adjudication of a DUPLICATE/REVIEW case (kNone until an admin decides; the audit log keeps
  // the history, this is the current state).
  Decision decision = Decision::kNone;
  SubjectId linked_subject;      // CONFIRMED_DUPLICATE: the existing subject it belongs to
  std::string decided_by;        // admin identity
  std::string decision_reason;
  std::int64_t adjudicated_at_ms = 0;
};

}  // namespace tunggal
