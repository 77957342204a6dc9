#include "cli/dedup_run.h"

#include <algorithm>
#include <bit>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <unistd.h>

#include <fmt/format.h>
#include <tbb/parallel_for.h>

#include "core/process_usage.h"
#include "datasets/population.h"
#include "datasets/population_calibration.h"
#include "engine/engine.h"
#include "matcher/finger_matcher.h"

namespace tunggal::cli {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// Calibration uses its own population (another seed): the evaluation never fits on what it measures.
constexpr std::uint64_t kCalibrationSeedOffset = 0x5eed0ca1;
constexpr std::uint64_t kProbeSeedOffset = 0x9e3779b9;

void keep_modalities(Enrollment& e, const DedupConfig& c) {
  if (!c.face) e.face.reset();
  if (!c.fingers) e.fingers.clear();
}

struct TempDir {
  fs::path path;
  bool remove = false;
  ~TempDir() {
    std::error_code ec;
    if (remove) fs::remove_all(path, ec);
  }
};

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  const double pos = p * static_cast<double>(v.size() - 1);
  const auto lo = static_cast<std::size_t>(pos);
  const std::size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (v[hi] - v[lo]) * (pos - static_cast<double>(lo));
}

std::vector<std::string> hard_cases(const datasets::Population& pop, const datasets::ProbeTruth& truth) {
  std::vector<std::string> out;
  const datasets::IdentityTraits t = pop.traits(truth.identity);
  if (t.damaged_fingers) out.push_back(fmt::format("damaged_fingers:{}", std::popcount(t.damaged_fingers)));
  if (t.missing_fingers) out.push_back(fmt::format("missing_fingers:{}", std::popcount(t.missing_fingers)));
  if (pop.low_quality_capture(truth.identity, truth.capture)) out.emplace_back("low_quality_capture");
  if (pop.poor_photo_capture(truth.identity, truth.capture)) out.emplace_back("poor_photo");
  if (t.twin) out.emplace_back("twin");
  if (truth.twin_of_enrolled) out.emplace_back("twin_enrolled");
  return out;
}

}  // namespace

Progress stderr_progress_bar() {
  return [last = std::string(), last_pct = -1](const std::string& stage, std::uint64_t done,
                                               std::uint64_t total) mutable {
    const int pct = total ? static_cast<int>(100 * done / total) : 100;
    if (stage == last && pct == last_pct && done != total) return;
    last = stage;
    last_pct = pct;
    const int width = 30, filled = pct * width / 100;
    std::string bar(static_cast<std::size_t>(filled), '#');
    bar.append(static_cast<std::size_t>(width - filled), '.');
    std::fprintf(stderr, "\r%-12s [%s] %3d%%  %llu/%llu%s", stage.c_str(), bar.c_str(), pct,
                 static_cast<unsigned long long>(done), static_cast<unsigned long long>(total),
                 done == total ? "\n" : "");
    std::fflush(stderr);
  };
}

Expected<DedupReport> run_dedup(const DedupConfig& config, const Progress& progress) {
  if (!config.fingers && !config.face) return invalid_argument("--modalities must name fingers, face or both");
  if (config.gallery == 0) return invalid_argument("--gallery must be at least 1");
  if (config.mated_rate < 0 || config.mated_rate > 1) return invalid_argument("--mated-rate must be in [0, 1]");
  DedupReport report;
  report.config = config;

  TempDir dir;
  if (config.data_dir.empty()) {
    std::string tmpl = (fs::temp_directory_path() / "tunggal-dedup-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) return io_error("cannot create a temporary data directory in " + fs::temp_directory_path().string());
    dir.path = tmpl;
    dir.remove = true;
  } else {
    if (fs::exists(config.data_dir / "store"))
      return failed_precondition(fmt::format("{} already holds a gallery; eval needs an empty directory",
                                             config.data_dir.string()));
    dir.path = config.data_dir;
  }

  // 1. Calibrate the score model on a separate development population.
  auto t0 = Clock::now();
  if (progress) progress("calibrate", 0, 1);
  matcher::FingerMatcher matcher;
  datasets::PopulationConfig cal_config;
  cal_config.seed = config.seed + kCalibrationSeedOffset;
  datasets::Population calibration_population(cal_config);
  datasets::CalibrationOptions cal;
  cal.identities = config.calibration_identities;
  cal.fingers = config.fingers;
  cal.face = config.face;
  cal.poor_quality_at_most = config.poor_quality_at_most;
  if (config.poor_quality_at_most <= 0) cal.worn_identities = 0;
  auto model = datasets::calibrate_fusion(calibration_population, matcher, cal);
  if (!model) return model.error();
  report.calibration_seconds = seconds_since(t0);
  if (progress) progress("calibrate", 1, 1);

  // 2. An engine in the data directory.
  EngineOptions options;
  options.data_dir = dir.path;
  options.shards = config.shards;
  options.max_batch = config.batch;
  options.target_fpir = config.target_fpir;
  options.review_fpir = config.review_fpir;
  if (!config.fingers) options.min_fingers_with_face = 0;
  options.face_led_review = config.face_led_review;
  if (config.face_led_min_finger_llr) options.face_led_min_finger_llr = *config.face_led_min_finger_llr;
  if (config.face_candidates > 0) options.face_candidates = config.face_candidates;
  if (config.finger_candidates > 0) options.finger_candidates = config.finger_candidates;
  if (config.full_match_candidates > 0) options.full_match_candidates = config.full_match_candidates;
  if (config.poor_probe_depth > 0) options.poor_probe_depth = config.poor_probe_depth;
  if (config.face_reserved_candidates >= 0) options.face_reserved_candidates = config.face_reserved_candidates;
  if (config.face_vouch_llr) options.face_vouch_llr = *config.face_vouch_llr;
  if (config.code_scores_per_list) options.code_scores_per_list = *config.code_scores_per_list;
  if (config.centre_finger_codes) options.centre_finger_codes = *config.centre_finger_codes;
  if (config.fused_finger_codes) options.fused_finger_codes = *config.fused_finger_codes;
  if (config.finger_code_lists) options.finger_code_lists = *config.finger_code_lists;
  if (config.fused_fingers != 0) options.fused_fingers = config.fused_fingers;
  if (config.fused_candidates > 0) options.fused_candidates = config.fused_candidates;
  if (config.fused_shortlist > 0) options.fused_shortlist_per_million = config.fused_shortlist;
  auto engine = Engine::open(options, std::move(*model));
  if (!engine) return engine.error();

  // 3. Bulk import of the gallery: capture 0 of identities [0, gallery) except the twins withheld
  //    to apply as new people; subject id = 1 + the identity's rank among those enrolled.
  datasets::PopulationConfig pop_config;
  pop_config.seed = config.seed;
  datasets::Population population(pop_config);
  datasets::ProbeSet probes(population, config.gallery, config.probes, config.mated_rate,
                            config.seed + kProbeSeedOffset, config.twin_share);
  t0 = Clock::now();
  double cpu0 = process_cpu_seconds();
  constexpr std::uint64_t kChunk = 4096;
  std::vector<Enrollment> chunk;
  for (std::uint64_t b = 0; b < config.gallery; b += kChunk) {
    const std::uint64_t e = std::min(config.gallery, b + kChunk);
    chunk.assign(e - b, Enrollment{});
    tbb::parallel_for(b, e, [&](std::uint64_t i) {
      chunk[i - b] = population.capture(i, 0);
      keep_modalities(chunk[i - b], config);
    });
    if (!probes.withheld().empty()) {
      std::size_t kept = 0;
      for (std::uint64_t i = b; i < e; ++i)
        if (!probes.is_withheld(i)) {
          if (kept != i - b) chunk[kept] = std::move(chunk[i - b]);
          ++kept;
        }
      chunk.resize(kept);
    }
    auto r = (*engine)->import(chunk);
    if (!r) return r.error();
    if (!r->skipped.empty())
      return failed_precondition(fmt::format("generated gallery enrollment rejected by import: {}", r->skipped.front()));
    if (progress) progress("import", e, config.gallery);
  }
  if (Status s = (*engine)->finish_import(); !s) return s;
  report.import_seconds = seconds_since(t0);
  report.import_per_second = static_cast<double>(config.gallery) / std::max(report.import_seconds, 1e-9);
  report.import_cpu_seconds = process_cpu_seconds() - cpu0;
  report.import_per_cpu_second = static_cast<double>(config.gallery) / std::max(report.import_cpu_seconds, 1e-9);
  const EngineStats after_import = (*engine)->stats();
  report.gallery = after_import.gallery_size;
  report.bytes_per_identity =
      static_cast<double>(after_import.gallery_bytes + after_import.index_bytes) / std::max<double>(1, report.gallery);
  report.face_index = after_import.face_index;
  report.finger_index = after_import.finger_index;
  report.fused_finger_index = after_import.fused_finger_index;

  // 4. Probes through the real path: durable submit, then micro-batch decision.
  report.probes = probes.size();
  report.outcomes.resize(probes.size());
  std::vector<double> latencies;
  t0 = Clock::now();
  cpu0 = process_cpu_seconds();
  const std::uint64_t batch = static_cast<std::uint64_t>(std::max(1, config.batch));
  for (std::uint64_t b = 0; b < probes.size(); b += batch) {
    const std::uint64_t e = std::min(probes.size(), b + batch);
    std::vector<Enrollment> items(e - b);
    for (std::uint64_t j = b; j < e; ++j) {
      items[j - b] = probes.probe(j);
      keep_modalities(items[j - b], config);
    }
    const auto submitted = Clock::now();
    auto acks = (*engine)->submit(items);
    if (!acks) return acks.error();
    auto verdicts = (*engine)->process_all();
    if (!verdicts) return verdicts.error();
    const double ms = seconds_since(submitted) * 1e3;
    std::unordered_map<std::string, const Verdict*> by_id;
    for (const Verdict& v : *verdicts) by_id[v.enrollment.value] = &v;
    for (std::uint64_t j = b; j < e; ++j) {
      ProbeOutcome& o = report.outcomes[j];
      const datasets::ProbeTruth truth = probes.truth(j);
      o.enrollment = truth.probe.value;
      o.mated = truth.mate.has_value();
      if (o.mated) o.mate_subject = probes.enrolled_rank(*truth.mate) + 1;
      o.hard_cases = hard_cases(population, truth);
      if (truth.twin_of_enrolled) ++report.twin_probes;
      o.latency_ms = ms;
      latencies.push_back(ms);
      auto it = by_id.find(o.enrollment);
      if (it == by_id.end()) {
        o.kind = VerdictKind::kRejected;  // not accepted at submit
        continue;
      }
      const Verdict& v = *it->second;
      o.kind = v.kind;
      if (v.kind == VerdictKind::kUnique) o.own_subject = v.subject.value;
      if (!v.candidates.empty()) {
        o.top_score = v.candidates.front().score;
        o.top = v.candidates.front();
      }
      for (std::size_t r = 0; r < v.candidates.size(); ++r)
        if (o.mate_subject && v.candidates[r].subject.value == *o.mate_subject) o.mate_rank = static_cast<int>(r + 1);
    }
    if (progress) progress("enroll", e, probes.size());
  }
  report.enroll_seconds = seconds_since(t0);
  report.enrollments_per_second = static_cast<double>(probes.size()) / std::max(report.enroll_seconds, 1e-9);
  report.enroll_cpu_seconds = process_cpu_seconds() - cpu0;
  report.enrollments_per_cpu_second = static_cast<double>(probes.size()) / std::max(report.enroll_cpu_seconds, 1e-9);
  report.peak_rss_bytes = process_peak_rss_bytes();
  report.latency_p50_ms = percentile(latencies, 0.50);
  report.latency_p99_ms = percentile(latencies, 0.99);

  // 5. Accuracy against the ground truth.
  std::uint64_t non_mated = 0;
  for (const ProbeOutcome& o : report.outcomes) {
    switch (o.kind) {
      case VerdictKind::kUnique: ++report.unique; break;
      case VerdictKind::kDuplicate: ++report.duplicate; break;
      case VerdictKind::kReview: ++report.review; break;
      case VerdictKind::kRejected: ++report.rejected; break;
    }
    if (o.mated) {
      ++report.mated_probes;
      if (o.kind == VerdictKind::kUnique) ++report.fn;
      else if (o.kind != VerdictKind::kRejected && o.mate_rank == 0) ++report.wrong_mate;
    } else {
      ++non_mated;
      if (o.kind == VerdictKind::kDuplicate || o.kind == VerdictKind::kReview) ++report.fp;
    }
  }
  report.fnir = report.mated_probes ? static_cast<double>(report.fn) / static_cast<double>(report.mated_probes) : 0.0;
  report.fpir = non_mated ? static_cast<double>(report.fp) / static_cast<double>(non_mated) : 0.0;
  const EngineStats end = (*engine)->stats();
  report.duplicate_threshold = end.thresholds.duplicate;
  report.review_threshold = end.thresholds.review;
  report.fully_matched_per_probe = static_cast<double>(end.fully_matched) / std::max<double>(1, report.probes);
  report.finger_comparisons_per_probe =
      static_cast<double>(end.finger_comparisons) / std::max<double>(1, report.probes);

  // 6. Attribution of every missed mate (UNIQUE, or flagged without the mate): the mate's rank in
  //    each index, its pre-score rank, and its score with and without the early exit.
  for (std::uint64_t j = 0; j < probes.size(); ++j) {
    ProbeOutcome& o = report.outcomes[j];
    if (!o.mated || o.kind == VerdictKind::kRejected || o.mate_rank != 0) continue;
    Enrollment p = probes.probe(j);
    keep_modalities(p, config);
    auto t = (*engine)->trace(p, SubjectId{*o.mate_subject}, SubjectId{o.own_subject});
    if (t) o.trace = *t;
  }

  // 7. Cascade loss: for each mated probe, what exhaustive search would have scored for its true
  //    mate; the cascade lost the mate when that score reaches the review threshold but the
  //    verdict does not list the mate.
  if (config.measure_cascade_loss && report.mated_probes > 0) {
    std::uint64_t base = 0, lost = 0;
    for (std::uint64_t j = 0; j < probes.size(); ++j) {
      ProbeOutcome& o = report.outcomes[j];
      if (!o.mated || o.kind == VerdictKind::kRejected) continue;
      Enrollment p = probes.probe(j);
      keep_modalities(p, config);
      auto full = (*engine)->compare(p, SubjectId{*o.mate_subject});
      if (!full) continue;
      o.mate_full_score = full->score;
      if (full->score < report.review_threshold) continue;
      ++base;
      if (o.mate_rank == 0) ++lost;
    }
    report.cascade_loss_base = base;
    report.cascade_loss = base ? static_cast<double>(lost) / static_cast<double>(base) : 0.0;
  }
  return report;
}

}  // namespace tunggal::cli
