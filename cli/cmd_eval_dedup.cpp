// `tunggal eval dedup`: the gauge of the whole product. Generates a gallery and a probe set with
// known re-enrollments, runs the real engine (bulk import, then durable submit + micro-batch
// decisions) and reports accuracy against the ground truth, throughput and memory.
#include <cmath>
#include <iostream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/command_registry.h"
#include "cli/dedup_run.h"
#include "core/json_text.h"
#include "engine/engine_options.h"

namespace tunggal::cli {
namespace {

nlohmann::json to_json(const DedupReport& r) {
  nlohmann::json j;
  j["gallery"] = r.gallery;
  j["probes"] = r.probes;
  j["mated_probes"] = r.mated_probes;
  j["fnir"] = r.fnir;
  j["fpir"] = r.fpir;
  j["enrollments_per_second"] = r.enrollments_per_second;
  j["latency_p50_ms"] = r.latency_p50_ms;
  j["latency_p99_ms"] = r.latency_p99_ms;
  j["bytes_per_identity"] = r.bytes_per_identity;
  j["cascade_loss"] = r.cascade_loss ? nlohmann::json(*r.cascade_loss) : nlohmann::json(nullptr);
  j["cascade_loss_base"] = r.cascade_loss_base;
  j["false_negatives"] = r.fn;
  j["false_positives"] = r.fp;
  j["wrong_mate"] = r.wrong_mate;
  j["verdicts"] = {{"UNIQUE", r.unique}, {"DUPLICATE", r.duplicate}, {"REVIEW", r.review}, {"REJECTED", r.rejected}};
  j["modalities"] = std::string(r.config.fingers ? "fingers" : "") + (r.config.fingers && r.config.face ? "," : "") +
                    (r.config.face ? "face" : "");
  j["seed"] = r.config.seed;
  j["mated_rate"] = r.config.mated_rate;
  j["target_fpir"] = r.config.target_fpir;
  j["duplicate_threshold"] = r.duplicate_threshold;
  j["review_threshold"] = r.review_threshold;
  j["import_per_second"] = r.import_per_second;
  j["import_seconds"] = r.import_seconds;
  j["calibration_seconds"] = r.calibration_seconds;
  j["enroll_seconds"] = r.enroll_seconds;
  j["enroll_cpu_seconds"] = r.enroll_cpu_seconds;
  j["enrollments_per_cpu_second"] = r.enrollments_per_cpu_second;
  j["import_cpu_seconds"] = r.import_cpu_seconds;
  j["import_per_cpu_second"] = r.import_per_cpu_second;
  j["peak_rss_bytes"] = r.peak_rss_bytes;
  j["fully_matched_per_probe"] = r.fully_matched_per_probe;
  j["finger_comparisons_per_probe"] = r.finger_comparisons_per_probe;
  j["face_index"] = r.face_index;
  j["finger_index"] = r.finger_index;
  j["fused_finger_index"] = r.fused_finger_index;
  nlohmann::json ranks = nlohmann::json::object();
  for (const auto& o : r.outcomes)
    if (o.mated) ranks[std::to_string(o.mate_rank)] = ranks.value(std::to_string(o.mate_rank), 0) + 1;
  j["mate_rank_histogram"] = ranks;  // "0" = mate not among the candidates
  // Where the cascade lost each missed mate (see CascadeTrace).
  nlohmann::json missed = nlohmann::json::array();
  for (const auto& o : r.outcomes) {
    if (!o.trace) continue;
    const CascadeTrace& t = *o.trace;
    nlohmann::json codes = nlohmann::json::object();
    for (int s = 0; s < kFingerCount; ++s)
      if (t.code_rank[static_cast<std::size_t>(s)] > 0)
        codes[std::string(finger_name(finger_at_slot(s)))] = t.code_rank[static_cast<std::size_t>(s)];
    auto fingers = [](const Candidate& c) {
      nlohmann::json f = nlohmann::json::object();
      for (int s = 0; s < kFingerCount; ++s)
        if (!std::isnan(c.finger_scores[static_cast<std::size_t>(s)]))
          f[std::string(finger_name(finger_at_slot(s)))] = c.finger_scores[static_cast<std::size_t>(s)];
      return f;
    };
    auto llrs = [](const CascadeTrace& tr) {
      nlohmann::json f = nlohmann::json::object();
      for (int s = 0; s < kFingerCount; ++s)
        if (!std::isnan(tr.full.finger_scores[static_cast<std::size_t>(s)]))
          f[std::string(finger_name(finger_at_slot(s)))] = tr.finger_llr[static_cast<std::size_t>(s)];
      return f;
    };
    auto poor = [](std::uint16_t mask) {
      nlohmann::json f = nlohmann::json::array();
      for (int s = 0; s < kFingerCount; ++s)
        if (mask >> s & 1u) f.push_back(std::string(finger_name(finger_at_slot(s))));
      return f;
    };
    missed.push_back({{"enrollment", o.enrollment},
                      {"verdict", std::string(to_string(o.kind))},
                      {"hard_cases", o.hard_cases},
                      {"mate", *o.mate_subject},
                      {"face_rank", t.face_rank},
                      {"face_index_score", t.face_index_score},
                      {"code_ranks", codes},
                      {"code_lists", t.code_lists},
                      {"fused_rank", t.fused_rank},
                      {"retrieved", t.retrieved},
                      {"pre_rank", t.pre_rank},
                      {"fully_matched", t.fully_matched},
                      {"score_cascade", t.with_early_exit.score},
                      {"score_full", t.full.score},
                      {"face_score", std::isnan(t.full.face_score) ? nlohmann::json(nullptr) : nlohmann::json(t.full.face_score)},
                      {"finger_scores", fingers(t.full)},
                      {"face_llr", t.face_llr},
                      {"face_led_score", std::isnan(t.full.face_led_score) ? nlohmann::json(nullptr)
                                                                            : nlohmann::json(t.full.face_led_score)},
                      {"finger_llrs", llrs(t)},
                      {"poor_fingers", poor(t.poor_fingers)}});
  }
  j["missed_mates"] = missed;
  // Non-mated probes flagged DUPLICATE/REVIEW, with who they were and the evidence that flagged them.
  nlohmann::json alarms = nlohmann::json::array();
  for (const auto& o : r.outcomes) {
    if (o.mated || (o.kind != VerdictKind::kDuplicate && o.kind != VerdictKind::kReview)) continue;
    nlohmann::json a{{"enrollment", o.enrollment}, {"verdict", std::string(to_string(o.kind))},
                     {"hard_cases", o.hard_cases}, {"score", o.top_score}};
    if (o.top) {
      a["subject"] = o.top->subject.value;
      a["face_score"] = std::isnan(o.top->face_score) ? nlohmann::json(nullptr) : nlohmann::json(o.top->face_score);
      nlohmann::json f = nlohmann::json::object();
      for (int s = 0; s < kFingerCount; ++s)
        if (!std::isnan(o.top->finger_scores[static_cast<std::size_t>(s)]))
          f[std::string(finger_name(finger_at_slot(s)))] = o.top->finger_scores[static_cast<std::size_t>(s)];
      a["finger_scores"] = f;
      a["face_led_score"] =
          std::isnan(o.top->face_led_score) ? nlohmann::json(nullptr) : nlohmann::json(o.top->face_led_score);
    }
    alarms.push_back(std::move(a));
  }
  j["false_alarms"] = alarms;
  // Per hard case (a probe may have several): mated probes and how many came out UNIQUE;
  // non-mated probes and how many were flagged.
  nlohmann::json breakdown = nlohmann::json::object();
  for (const auto& o : r.outcomes) {
    std::vector<std::string> keys{"all"};
    for (const auto& h : o.hard_cases) keys.push_back(h.substr(0, h.find(':')));
    if (o.hard_cases.empty()) keys.emplace_back("none");
    for (const auto& k : keys) {
      auto& b = breakdown[k];
      if (b.is_null()) b = {{"mated", 0}, {"missed", 0}, {"non_mated", 0}, {"flagged", 0}};
      if (o.mated) {
        b["mated"] = b["mated"].get<int>() + 1;
        if (o.kind == VerdictKind::kUnique) b["missed"] = b["missed"].get<int>() + 1;
      } else {
        b["non_mated"] = b["non_mated"].get<int>() + 1;
        if (o.kind == VerdictKind::kDuplicate || o.kind == VerdictKind::kReview) b["flagged"] = b["flagged"].get<int>() + 1;
      }
    }
  }
  j["hard_case_breakdown"] = breakdown;
  j["twin_probes"] = r.twin_probes;
  j["twin_share"] = r.config.twin_share;
  j["poor_quality_at_most"] = r.config.poor_quality_at_most;
  j["face_led_review"] = r.config.face_led_review;
  j["poor_probe_depth"] = r.config.poor_probe_depth > 0 ? r.config.poor_probe_depth : EngineOptions{}.poor_probe_depth;
  j["review_fpir"] = r.config.review_fpir;
  if (r.config.face_led_min_finger_llr) j["face_led_min_finger_llr"] = *r.config.face_led_min_finger_llr;
  return j;
}

void print_human(const DedupReport& r) {
  std::cout << fmt::format(
      "gallery {} identities ({}), probes {} of which {} mated\n"
      "  verdicts: UNIQUE {}  DUPLICATE {}  REVIEW {}  REJECTED {}\n"
      "  FNIR {:.4f} ({} mated probes came out UNIQUE; {} flagged with the wrong mate)\n"
      "  FPIR {:.4f} ({} non-mated probes flagged DUPLICATE/REVIEW; {} non-mated probes had an enrolled twin)\n"
      "  thresholds: duplicate {:.2f}, review {:.2f} (identity score; target FPIR {:g})\n"
      "  cascade loss vs exhaustive: {}\n"
      "  enrollments/s {:.1f} ({:.1f} per CPU-second)   latency p50 {:.0f} ms  p99 {:.0f} ms (batch {})\n"
      "  import {:.0f} identities/s; RAM {:.0f} bytes/identity; {:.1f} candidates and {:.1f} finger comparisons per probe\n",
      r.gallery, r.face_index, r.probes, r.mated_probes, r.unique, r.duplicate, r.review, r.rejected, r.fnir, r.fn,
      r.wrong_mate, r.fpir, r.fp, r.twin_probes, r.duplicate_threshold, r.review_threshold, r.config.target_fpir,
      r.cascade_loss ? fmt::format("{:.4f} (of {} mates findable by exhaustive search)", *r.cascade_loss,
                                   r.cascade_loss_base)
                     : std::string("not measured"),
      r.enrollments_per_second, r.enrollments_per_cpu_second, r.latency_p50_ms, r.latency_p99_ms, r.config.batch, r.import_per_second,
      r.bytes_per_identity, r.fully_matched_per_probe, r.finger_comparisons_per_probe);
}

RegisterCommand reg{{"eval dedup", "FNIR/FPIR, throughput and memory of the engine on a generated population",
                     [](CLI::App& cmd) {
  auto c = std::make_shared<DedupConfig>();
  auto json = std::make_shared<bool>(false);
  auto modalities = std::make_shared<std::string>("fingers,face");
  auto data_dir = std::make_shared<std::string>();
  auto no_loss = std::make_shared<bool>(false);
  cmd.add_option("--gallery", c->gallery, "identities in the gallery")->capture_default_str();
  cmd.add_option("--probes", c->probes, "enrollments to decide")->capture_default_str();
  cmd.add_option("--mated-rate", c->mated_rate, "fraction of probes that re-enroll a gallery identity")
      ->capture_default_str();
  cmd.add_option("--seed", c->seed, "population seed")->capture_default_str();
  cmd.add_option("--modalities", *modalities, "fingers,face | fingers | face")->capture_default_str();
  cmd.add_option("--shards", c->shards, "gallery shards")->capture_default_str();
  cmd.add_option("--batch", c->batch, "micro-batch size")->capture_default_str();
  cmd.add_option("--target-fpir", c->target_fpir, "FPIR the duplicate threshold is set for")->capture_default_str();
  cmd.add_option("--review-fpir", c->review_fpir,
                 "FPIR the review threshold is set for (1e-3 with --target-fpir 1e-4 at 100k: a 1M gallery's thresholds)")
      ->capture_default_str();
  cmd.add_option("--face-candidates", c->face_candidates, "cascade: top-K from the face index (0 = engine default)");
  cmd.add_option("--finger-candidates", c->finger_candidates,
                 "cascade: top-K per finger-code index (0 = engine default)");
  cmd.add_option("--full-match", c->full_match_candidates,
                 "cascade: candidates that reach full minutiae matching (0 = engine default)");
  cmd.add_option("--poor-probe-depth", c->poor_probe_depth,
                 "cascade: a very poor capture searches this many times deeper (1 = off, 0 = engine default)")
      ->check(CLI::Range(0, 16));
  cmd.add_option("--face-reserved", c->face_reserved_candidates,
                 "cascade: of the fully matched, how many are the face index's best whatever their finger codes "
                 "(-1 = engine default)");
  cmd.add_option("--face-vouch", c->face_vouch_llr,
                 "cascade: no early exit for a candidate whose face LLR is at least this (inf = always allow it; "
                 "default: the engine's)");
  cmd.add_option("--code-scale", c->code_scores_per_list,
                 "cascade ranking: 1 = each finger-code list measured from its own K-th score, 0 = raw similarities "
                 "(default: the engine's)");
  cmd.add_option("--code-centre", c->centre_finger_codes,
                 "cascade retrieval: 1 = probe finger codes search with the gallery's mean code taken off, 0 = as "
                 "they are (default: the engine's)");
  cmd.add_option("--fused-codes", c->fused_finger_codes,
                 "cascade retrieval: 1 = also search the four indexed positions' codes side by side (their "
                 "summed similarity) and rank by it (default: the engine's)");
  cmd.add_option("--code-lists", c->finger_code_lists,
                 "cascade retrieval: 1 = search each indexed position's finger-code list, 0 = not (default: the "
                 "engine's)");
  cmd.add_option("--fused-fingers", c->fused_fingers,
                 "cascade retrieval: the fused list holds the codes of the indexed 4 fingers, of 8 (not the "
                 "little fingers) or of all 10 (default: the engine's)")
      ->check(CLI::IsMember({4, 8, 10}));
  cmd.add_option("--fused-candidates", c->fused_candidates,
                 "cascade: candidates from the fused finger-code list (0 = engine default)");
  cmd.add_option("--fused-shortlist", c->fused_shortlist,
                 "cascade: rows per million the compressed fused index keeps from its Hamming scan (0 = engine "
                 "default)");
  cmd.add_option("--twin-probes", c->twin_share,
                 "fraction of the non-mated probes that are a new applicant whose look-alike twin is enrolled")
      ->capture_default_str();
  cmd.add_option("--poor-quality", c->poor_quality_at_most,
                 "finger pairs with an impression of quality <= this are calibrated apart (0 = one class)")
      ->capture_default_str();
  auto no_face_led = std::make_shared<bool>(false);
  cmd.add_flag("--no-face-led", *no_face_led, "no face-led REVIEW (EngineOptions::face_led_review off)");
  cmd.add_option("--face-led-min-finger-llr", c->face_led_min_finger_llr,
                 "face-led REVIEW only when the compared fingers' LLRs sum to at least this (default: the engine's)");
  cmd.add_option("--data-dir", *data_dir, "keep the engine's data here (default: temporary, removed)");
  cmd.add_flag("--no-cascade-loss", *no_loss, "skip the exhaustive re-score of the mates");
  cmd.add_flag("--json", *json, "print one JSON object");
  cmd.footer("Example: tunggal eval dedup --gallery 100000 --probes 2000 --mated-rate 0.01 --json");
  return [=]() {
    DedupConfig config = *c;
    config.fingers = modalities->find("finger") != std::string::npos;
    config.face = modalities->find("face") != std::string::npos;
    config.data_dir = *data_dir;
    config.measure_cascade_loss = !*no_loss;
    config.face_led_review = !*no_face_led;
    auto report = run_dedup(config, *json ? Progress{} : stderr_progress_bar());
    if (!report) throw StatusError(report.error());
    if (*json) std::cout << json_text(to_json(*report)) << "\n";
    else print_human(*report);
    return kExitOk;
  };
}}};

}  // namespace
}  // namespace tunggal::cli
