// `tunggal eval repeatability`: how often our extractor's minutiae come back in another impression
// of the same finger, beside the records shipped with an FVC set on the same alignments
// (datasets/minutiae_repeatability.h). Per set: the rate, the minutiae counted per aligned pair
// (coverage), the rate by minutia quality and why the others did not come back. Steadier than an EER over 280 genuine pairs: it
// counts thousands of minutiae, so a change of the extractor shows in it long before in the EER.
#include <cstdio>
#include <iostream>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli/command_registry.h"
#include "core/json_text.h"
#include "datasets/extractor_option_override.h"
#include "datasets/fvc_extraction.h"
#include "datasets/fvc_set.h"
#include "datasets/minutiae_repeatability.h"

namespace tunggal::cli {
namespace {

struct RepeatabilityArgs {
  std::string dir;
  std::vector<std::string> options;
  double min_score = datasets::RepeatabilityOptions{}.min_score;
  bool by_quality = false;
  bool why = false;
  bool json = false;
};

double per(double a, double b) { return b > 0 ? a / b : 0.0; }

nlohmann::json to_json(const datasets::RepeatabilityStats& s) {
  nlohmann::json q = nlohmann::json::array();
  for (std::size_t i = 0; i < s.counted_by_quality.size(); ++i)
    q.push_back({{"quality_from", 10 * i}, {"counted", s.counted_by_quality[i]}, {"repeated", s.repeated_by_quality[i]}});
  return {{"rate", s.rate()},
          {"counted", s.counted},
          {"repeated", s.repeated},
          {"counted_per_pair", per(double(s.counted), double(s.aligned_pairs))},
          {"near_miss", s.near_miss},
          {"wrong_angle", s.wrong_angle},
          {"missing", s.missing},
          {"unsupported", s.unsupported},
          {"by_quality", q}};
}

int run(const RepeatabilityArgs& a) {
  ingest::ExtractorOptions eo;
  for (const auto& o : a.options)
    if (Status st = datasets::apply_extractor_option(o, eo); !st) {
      std::cerr << "tunggal eval repeatability: " << st.message() << "\n";
      return kExitUsage;
    }
  auto sets = datasets::load_fvc_sets(a.dir);
  if (!sets) {
    std::cerr << "tunggal eval repeatability: " << sets.error().message() << "\n";
    return sets.error().code() == ErrorCode::kNotFound ? kExitUnavailable : kExitFailure;
  }
  const ingest::MinutiaeExtractor ex(eo);
  const matcher::FingerMatcher m;
  nlohmann::json out = nlohmann::json::array();
  if (!a.json)
    std::printf("Minutiae repeated in the other impression of a genuine pair (aligned on the provided records where\n"
                "they score >= %.3f; mate within 10 px and 35 deg, inside the other impression's hull shrunk by 10 px)\n"
                "set     aligned  skipped    ours  provided   ours/pair  provided/pair\n",
                a.min_score);
  for (const auto& set : *sets) {
    auto e = datasets::extract_fvc_set(set, ex);
    if (!e) {
      std::cerr << "tunggal eval repeatability: set " << set.name << ": " << e.error().message() << "\n";
      return kExitFailure;
    }
    datasets::RepeatabilityOptions ro;
    ro.min_score = a.min_score;
    auto r = datasets::minutiae_repeatability(set, e->set, m, ro);
    if (!r) {
      std::cerr << "tunggal eval repeatability: set " << set.name << ": " << r.error().message() << "\n";
      return kExitFailure;
    }
    const auto& c = r->candidate;
    const auto& p = r->reference;
    if (a.json) {
      out.push_back({{"name", set.name},
                     {"aligned_pairs", c.aligned_pairs},
                     {"skipped_pairs", c.skipped_pairs},
                     {"ours", to_json(c)},
                     {"provided", to_json(p)}});
      continue;
    }
    std::printf("%-6s %8zu %8zu   %.3f     %.3f   %9.1f  %13.1f\n", set.name.c_str(), c.aligned_pairs, c.skipped_pairs,
                c.rate(), p.rate(), per(double(c.counted), double(c.aligned_pairs)),
                per(double(p.counted), double(p.aligned_pairs)));
    if (a.why) {
      // Fractions of the counted minutiae; the provided records support themselves, so their false
      // minutiae are among the missing.
      for (const auto* x : {&c, &p})
        std::printf("    %-8s unrepeated: near miss %.3f, wrong angle %.3f, missing %.3f, unsupported %.3f\n",
                    x == &c ? "ours" : "provided", per(double(x->near_miss), double(x->counted)),
                    per(double(x->wrong_angle), double(x->counted)), per(double(x->missing), double(x->counted)),
                    per(double(x->unsupported), double(x->counted)));
    }
    if (a.by_quality) {
      std::printf("    ours by quality:");
      for (std::size_t i = 0; i < c.counted_by_quality.size(); ++i)
        if (c.counted_by_quality[i] > 0)
          std::printf(" %zu+ %.2f (%zu)", 10 * i, per(double(c.repeated_by_quality[i]), double(c.counted_by_quality[i])),
                      c.counted_by_quality[i]);
      std::printf("\n");
    }
  }
  if (a.json) std::cout << json_text(out) << "\n";
  return kExitOk;
}

RegisterCommand reg{{"eval repeatability",
                     "extractor diagnosis: how often our minutiae come back in another impression of the finger, "
                     "beside the records shipped with FVC sets",
                     [](CLI::App& cmd) {
                       auto args = std::make_shared<RepeatabilityArgs>();
                       cmd.add_option("--dir", args->dir, "a folder of FVC sets (DB1_B, ...) or one set folder")
                           ->required();
                       cmd.add_option("--extractor-option", args->options,
                                      "extractor option override name=value (repeatable), names as in "
                                      "ingest/minutiae_extractor.h ExtractorOptions");
                       cmd.add_option("--min-score", args->min_score,
                                      "align only genuine pairs whose provided records score at least this (0.12; "
                                      "FVC2002's impostors stay below ~0.045)");
                       cmd.add_flag("--by-quality", args->by_quality, "also the rate by minutia quality (tens)");
                       cmd.add_flag("--why", args->why,
                                    "also why the others did not come back: near miss (a mate within 16 px: "
                                    "displaced), wrong angle (a minutia within 10 px, none with the angle), "
                                    "missing, unsupported (the provided record of the same image has no minutia "
                                    "within 8 px and 30 deg either: likely false)");
                       cmd.add_flag("--json", args->json, "one JSON array, one object per set");
                       return [args]() { return run(*args); };
                     }}};

}  // namespace
}  // namespace tunggal::cli
