// `tunggal eval pairing`: our extractor's minutiae against the records shipped with an FVC set (the
// same TIFFs; datasets/minutiae_pairing.h): recall and precision of the pairing, position offset,
// angle error and flips, type agreement, where the unpaired ones lie. The diagnosis behind the
// extractor changes in docs/extraction.md.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <numbers>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli/command_registry.h"
#include "core/json_text.h"
#include "datasets/extractor_option_override.h"
#include "datasets/fvc_extraction.h"
#include "datasets/fvc_set.h"
#include "datasets/minutiae_pairing.h"

namespace tunggal::cli {
namespace {

struct PairingArgs {
  std::string dir;
  std::vector<std::string> options;
  double distance = 8, angle_deg = 30;
  int worst = 0;
  bool json = false;
};

double per(double a, double b) { return b > 0 ? a / b : 0.0; }

nlohmann::json to_json(const std::string& name, const datasets::PairingStats& s) {
  constexpr double deg = 180.0 / std::numbers::pi;
  return {{"name", name},
          {"images", s.images},
          {"reference_per_image", per(double(s.reference), double(s.images))},
          {"ours_per_image", per(double(s.ours), double(s.images))},
          {"recall", s.recall()},
          {"precision", s.precision()},
          {"near", s.near},
          {"paired", s.paired},
          {"flipped", s.flipped},
          {"same_type", per(double(s.same_type), double(s.paired))},
          {"mean_dx", per(s.sum_dx, double(s.paired))},
          {"mean_dy", per(s.sum_dy, double(s.paired))},
          {"mean_distance", per(s.sum_distance, double(s.paired))},
          {"mean_angle_deg", deg * per(s.sum_angle, double(s.paired))},
          {"mean_abs_angle_deg", deg * per(s.sum_abs_angle, double(s.paired))},
          {"ours_unpaired_inside", s.ours_unpaired_inside},
          {"ours_unpaired_edge", s.ours_unpaired_edge},
          {"reference_unpaired_inside", s.reference_unpaired_inside},
          {"reference_unpaired_edge", s.reference_unpaired_edge}};
}

int run(const PairingArgs& a) {
  ingest::ExtractorOptions eo;
  for (const auto& o : a.options)
    if (Status st = datasets::apply_extractor_option(o, eo); !st) {
      std::cerr << "tunggal eval pairing: " << st.message() << "\n";
      return kExitUsage;
    }
  auto sets = datasets::load_fvc_sets(a.dir);
  if (!sets) {
    std::cerr << "tunggal eval pairing: " << sets.error().message() << "\n";
    return sets.error().code() == ErrorCode::kNotFound ? kExitUnavailable : kExitFailure;
  }
  const datasets::PairingOptions po{a.distance, a.angle_deg * std::numbers::pi / 180.0};
  const ingest::MinutiaeExtractor ex(eo);
  nlohmann::json out = nlohmann::json::array();
  if (!a.json) {
    std::printf("Our minutiae vs the records beside the TIFFs: paired = within %.0f px and %.0f deg, one-to-one\n",
                a.distance, a.angle_deg);
    std::printf("%-6s %9s %7s %7s %6s %6s %6s %6s %6s %6s %6s %12s %12s\n", "set", "ref/ours", "recall", "precis",
                "flip%", "type%", "dx", "dy", "dist", "dang", "|dang|", "ours-false", "ref-missed");
    std::printf("%-6s %9s %7s %7s %6s %6s %6s %6s %6s %6s %6s %12s %12s\n", "", "per img", "", "", "", "", "px",
                "px", "px", "deg", "deg", "in/edge", "in/edge");
  }
  for (const auto& set : *sets) {
    auto x = datasets::extract_fvc_set(set, ex);
    if (!x) {
      std::cerr << "tunggal eval pairing: set " << set.name << ": " << x.error().message() << "\n";
      return kExitFailure;
    }
    datasets::PairingStats total;
    std::vector<std::pair<double, std::size_t>> by_recall;
    for (std::size_t i = 0; i < set.impressions.size(); ++i) {
      const auto s = datasets::pair_minutiae(set.impressions[i].finger_template, x->set.impressions[i].finger_template, po);
      total.add(s);
      by_recall.emplace_back(s.recall(), i);
    }
    if (a.json) {
      out.push_back(to_json(set.name, total));
      continue;
    }
    constexpr double deg = 180.0 / std::numbers::pi;
    const double p = double(total.paired);
    char ref_ours[32], of[32], rm[32];
    std::snprintf(ref_ours, sizeof ref_ours, "%.0f/%.0f", per(double(total.reference), double(total.images)),
                  per(double(total.ours), double(total.images)));
    std::snprintf(of, sizeof of, "%.1f/%.1f", per(double(total.ours_unpaired_inside), double(total.images)),
                  per(double(total.ours_unpaired_edge), double(total.images)));
    std::snprintf(rm, sizeof rm, "%.1f/%.1f", per(double(total.reference_unpaired_inside), double(total.images)),
                  per(double(total.reference_unpaired_edge), double(total.images)));
    std::printf("%-6s %9s %7.3f %7.3f %6.1f %6.1f %6.2f %6.2f %6.2f %6.1f %6.1f %12s %12s\n",
                set.name.substr(0, 6).c_str(), ref_ours, total.recall(), total.precision(),
                100 * per(double(total.flipped), double(total.near)), 100 * per(double(total.same_type), p),
                per(total.sum_dx, p), per(total.sum_dy, p), per(total.sum_distance, p), deg * per(total.sum_angle, p),
                deg * per(total.sum_abs_angle, p), of, rm);
    if (a.worst > 0) {
      std::sort(by_recall.begin(), by_recall.end());
      for (int k = 0; k < a.worst && k < int(by_recall.size()); ++k)
        std::printf("    recall %.2f  %s\n", by_recall[std::size_t(k)].first,
                    set.impressions[by_recall[std::size_t(k)].second].tif_path.string().c_str());
    }
  }
  if (a.json) std::cout << json_text(out) << "\n";
  else
    std::printf("flip%%: of the pairs by position only, angles 180 deg apart; ours-false/ref-missed per image, inside\n"
                "the other side's hull (shrunk by the distance) or at its edge\n");
  return kExitOk;
}

RegisterCommand reg{{"eval pairing",
                     "extractor diagnosis: our minutiae paired with the records shipped with FVC sets (recall, "
                     "precision, offsets, angle errors)",
                     [](CLI::App& cmd) {
                       auto args = std::make_shared<PairingArgs>();
                       cmd.add_option("--dir", args->dir, "a folder of FVC sets (DB1_B, ...) or one set folder")
                           ->required();
                       cmd.add_option("--extractor-option", args->options,
                                      "extractor option override name=value (repeatable), names as in "
                                      "ingest/minutiae_extractor.h ExtractorOptions");
                       cmd.add_option("--distance", args->distance, "pairing distance in pixels (8)");
                       cmd.add_option("--angle", args->angle_deg, "pairing angle in degrees (30)");
                       cmd.add_option("--worst", args->worst, "also list the N images of lowest recall per set");
                       cmd.add_flag("--json", args->json, "one JSON array, one object per set");
                       return [args]() { return run(*args); };
                     }}};

}  // namespace
}  // namespace tunggal::cli
