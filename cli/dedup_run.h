#pragma once
// The end-to-end deduplication run shared by `tunggal demo` and `tunggal eval dedup`: a generated
// population, a calibrated engine in a data directory, a bulk-imported gallery, then a probe set
// with known re-enrollments pushed through the real submit/process path, scored against the
// ground truth.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "engine/cascade_trace.h"
#include "core/status.h"
#include "core/verdict.h"

namespace tunggal::cli {

struct DedupConfig {
  std::uint64_t gallery = 10000;
  std::uint64_t probes = 1000;
  double mated_rate = 0.01;
  std::uint64_t seed = 1;
  bool fingers = true;
  bool face = true;
  int shards = 4;
  int batch = 64;
  double target_fpir = 1e-3;
  double review_fpir = 1e-2;
  std::filesystem::path data_dir;  // empty: a temporary directory, removed at the end
  bool measure_cascade_loss = true;
  std::uint64_t calibration_identities = 300;
  // Cascade knobs (EngineOptions); 0 keeps the engine's default.
  int face_candidates = 0, finger_candidates = 0, full_match_candidates = 0;
  int face_reserved_candidates = -1;  // -1 = engine default
  int poor_probe_depth = 0;           // 0 = engine default (EngineOptions::poor_probe_depth)
  std::optional<float> face_vouch_llr;  // unset = engine default
  std::optional<bool> code_scores_per_list;  // unset = engine default
  std::optional<bool> centre_finger_codes;   // unset = engine default
  std::optional<bool> fused_finger_codes;    // unset = engine default
  std::optional<bool> finger_code_lists;     // unset = engine default
  int fused_fingers = 0;                     // 4, 8 or 10; 0 = engine default
  int fused_candidates = 0;
  int fused_shortlist = 0;                   // fused index Hamming shortlist per million; 0 = engine default
  // Fraction of the non-mated probes that are a new applicant whose look-alike twin is enrolled
  // (datasets::ProbeSet): the hard case for face evidence.
  double twin_share = 0.0;
  // Hard-case handling (A/B switches): finger quality classes in the calibration (0 = one class
  // for every pair, the calibration before them) and face-led review (EngineOptions).
  int poor_quality_at_most = 40;
  bool face_led_review = true;
  std::optional<float> face_led_min_finger_llr;  // unset = engine default
};

struct ProbeOutcome {
  std::string enrollment;
  bool mated = false;
  std::optional<std::uint64_t> mate_subject;
  VerdictKind kind = VerdictKind::kUnique;
  int mate_rank = 0;         // 1-based rank of the true mate among the verdict's candidates, 0 = absent
  float top_score = 0.0f;    // best candidate's score (0 when none)
  float mate_full_score = std::nanf("");  // the mate's exhaustive score (cascade-loss check)
  std::uint64_t own_subject = 0;           // the subject a UNIQUE verdict committed it as
  std::optional<CascadeTrace> trace;      // for a missed mate: where the cascade lost it
  double latency_ms = 0.0;
  // The generator's hard cases for who the probe really is ("damaged_fingers:6",
  // "missing_fingers:2", "low_quality_capture", "poor_photo", "twin", "twin_enrolled"): the
  // breakdown of misses and false alarms an operator wants.
  std::vector<std::string> hard_cases;
  std::optional<Candidate> top;  // the best candidate of a flagged verdict
};

struct DedupReport {
  DedupConfig config;
  std::uint64_t gallery = 0, probes = 0, mated_probes = 0;
  double fnir = 0, fpir = 0;
  std::uint64_t fn = 0, fp = 0, rejected = 0, wrong_mate = 0;
  std::uint64_t unique = 0, duplicate = 0, review = 0;
  double enrollments_per_second = 0, latency_p50_ms = 0, latency_p99_ms = 0;
  double bytes_per_identity = 0;
  std::optional<double> cascade_loss;
  std::uint64_t cascade_loss_base = 0;
  double import_per_second = 0, import_seconds = 0, calibration_seconds = 0, enroll_seconds = 0;
  // CPU time of this process per phase (all threads): on a shared machine wall-clock rates say
  // more about the neighbours than about tunggal; per-CPU-second rates are what reproduces.
  double import_cpu_seconds = 0, enroll_cpu_seconds = 0;
  double enrollments_per_cpu_second = 0, import_per_cpu_second = 0;
  std::size_t peak_rss_bytes = 0;
  float duplicate_threshold = 0, review_threshold = 0;
  double fully_matched_per_probe = 0, finger_comparisons_per_probe = 0;
  std::string face_index, finger_index, fused_finger_index;
  std::uint64_t twin_probes = 0;  // non-mated probes whose twin is enrolled
  std::vector<ProbeOutcome> outcomes;
};

using Progress = std::function<void(const std::string& stage, std::uint64_t done, std::uint64_t total)>;

Expected<DedupReport> run_dedup(const DedupConfig& config, const Progress& progress);

// A progress bar on stderr ("import  [#####.....] 52%  5200/10000"), redrawn in place.
Progress stderr_progress_bar();

}  // namespace tunggal::cli
