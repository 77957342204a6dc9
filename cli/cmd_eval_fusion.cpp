// `tunggal eval fusion`: the 10-finger fused FNMR at FMR 1e-3 .. 1e-8 on a generated population
// (issue 3 item 4), the fused impostor tail by convolution of per-finger impostor distributions,
// checked against directly counted identity pairs. How the estimate is made:
// datasets/fusion_evaluation.h.
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli/command_registry.h"
#include "core/json_text.h"
#include "datasets/fusion_evaluation.h"
#include "matcher/finger_matcher.h"

namespace tunggal::cli {
namespace {

struct EvalFusionArgs {
  datasets::FusionEvalOptions options;
  bool json = false;
};

int run(const EvalFusionArgs& a) {
  const matcher::FingerMatcher m;
  auto progress = [&](const std::string& stage) {
    if (!a.json) std::fprintf(stderr, "eval fusion: %s\n", stage.c_str());
  };
  auto r = datasets::evaluate_fusion(a.options, m, progress);
  if (!r) {
    std::cerr << "tunggal eval fusion: " << r.error().message() << "\n";
    return r.error().code() == ErrorCode::kInvalidArgument ? kExitUsage : kExitFailure;
  }
  const auto& o = a.options;
  if (a.json) {
    nlohmann::json j;
    j["subjects"] = r->subjects;
    j["seed"] = o.seed;
    j["calibration_seed"] = o.calibration_seed;
    j["calibration_identities"] = o.calibration_identities;
    j["impostor_partners"] = o.impostor_partners;
    j["genuine_pairs"] = r->genuine_pairs;
    j["genuine_pairs_10"] = r->genuine_pairs_10;
    j["impostor_finger_scores"] = r->impostor_finger_scores;
    j["direct_subjects"] = o.direct_subjects;
    j["direct_pairs_10"] = r->direct_pairs_10;
    j["comparisons"] = r->comparisons;
    j["seconds"] = r->seconds;
    j["cpu_seconds"] = r->cpu_seconds;
    j["genuine_llr_median_10"] = r->genuine_llr_median_10;
    j["impostor_llr_max_direct"] = r->impostor_llr_max_direct;
    j["points"] = nlohmann::json::array();
    for (const auto& p : r->points)
      j["points"].push_back({{"fmr", p.fmr},
                             {"threshold", p.threshold},
                             {"fnmr_10", p.fnmr_10},
                             {"fnmr_all", p.fnmr_all},
                             {"model_threshold", p.model_threshold},
                             {"model_fnmr_10", p.model_fnmr_10},
                             {"model_fmr_eval", p.model_tail_eval},
                             {"direct_false_matches", p.direct_false_matches}});
    j["direct_checks"] = nlohmann::json::array();
    for (const auto& c : r->checks)
      j["direct_checks"].push_back({{"threshold", c.threshold},
                                    {"predicted_fmr", c.predicted_fmr},
                                    {"observed", c.observed},
                                    {"observed_fmr", c.observed_fmr}});
    std::cout << json_text(j) << "\n";
    return kExitOk;
  }
  std::printf("10-finger fused FNMR, MCC16b + LSS-R, LLR-sum fusion; population seed %llu, model calibrated on "
              "seed %llu (%llu identities)\n",
              static_cast<unsigned long long>(o.seed), static_cast<unsigned long long>(o.calibration_seed),
              static_cast<unsigned long long>(o.calibration_identities));
  std::printf("genuine identity pairs: %llu (%llu with all 10 fingers); impostor finger scores in the convolution: "
              "%llu; direct impostor identity pairs (10 fingers): %llu\n",
              static_cast<unsigned long long>(r->genuine_pairs), static_cast<unsigned long long>(r->genuine_pairs_10),
              static_cast<unsigned long long>(r->impostor_finger_scores),
              static_cast<unsigned long long>(r->direct_pairs_10));
  std::printf("%9s %10s %10s %10s %12s %12s %14s %8s\n", "FMR", "LLR thr", "FNMR(10)", "FNMR(all)", "model thr",
              "model FNMR", "model FMR(eval)", "direct");
  for (const auto& p : r->points)
    std::printf("%9.0e %10.2f %9.4f%% %9.4f%% %12.2f %11.4f%% %14.2e %8llu\n", p.fmr, p.threshold, 100 * p.fnmr_10,
                100 * p.fnmr_all, p.model_threshold, 100 * p.model_fnmr_10, p.model_tail_eval,
                static_cast<unsigned long long>(p.direct_false_matches));
  std::printf("convolution vs direct counting (%llu identity pairs):\n",
              static_cast<unsigned long long>(r->direct_pairs_10));
  for (const auto& c : r->checks)
    std::printf("  LLR >= %6.2f: predicted FMR %.2e, counted %llu = %.2e\n", c.threshold, c.predicted_fmr,
                static_cast<unsigned long long>(c.observed), c.observed_fmr);
  std::printf("%llu comparisons in %.1f s (%.1f CPU-s)\n", static_cast<unsigned long long>(r->comparisons),
              r->seconds, r->cpu_seconds);
  return kExitOk;
}

RegisterCommand reg{{"eval fusion",
                     "10-finger fused FNMR at FMR 1e-3..1e-8 on a generated population (convolved per-finger "
                     "impostor tails, checked by direct counting)",
                     [](CLI::App& cmd) {
                       auto args = std::make_shared<EvalFusionArgs>();
                       auto& o = args->options;
                       cmd.add_option("--subjects", o.subjects, "identities of the evaluation population")
                           ->capture_default_str();
                       cmd.add_option("--partners", o.impostor_partners,
                                      "impostor partners per subject and finger (per-finger impostor scores)")
                           ->capture_default_str();
                       cmd.add_option("--direct", o.direct_subjects,
                                      "all identity pairs among the first N subjects are also counted directly")
                           ->capture_default_str();
                       cmd.add_option("--calibration-identities", o.calibration_identities,
                                      "identities of the calibration population")
                           ->capture_default_str();
                       cmd.add_option("--seed", o.seed, "evaluation population seed")->capture_default_str();
                       cmd.add_option("--calibration-seed", o.calibration_seed, "calibration population seed")
                           ->capture_default_str();
                       cmd.add_flag("--json", args->json, "print exactly one JSON object instead of the table");
                       return [args]() { return run(*args); };
                     }}};

}  // namespace
}  // namespace tunggal::cli
