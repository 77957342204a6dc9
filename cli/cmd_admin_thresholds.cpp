// `tunggal admin thresholds --target-fpir X`: what-if. Re-derives the thresholds for another target
// false-positive identification rate at the current gallery size and replays the stored verdicts'
// best scores through them: how many past answers would change and how the review load moves.
// Nothing is changed.
#include <iostream>
#include <map>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/admin_cli.h"
#include "cli/command_registry.h"
#include "engine/verdict_policy.h"

namespace tunggal::cli {
namespace {

RegisterCommand reg{{"admin thresholds", "what-if: how past verdicts and the review load change at another target FPIR",
                     [](CLI::App& cmd) {
  auto a = std::make_shared<AdminArgs>();
  auto target = std::make_shared<double>(0);
  auto review = std::make_shared<double>(EngineOptions{}.review_fpir);
  add_admin_options(cmd, *a);
  cmd.add_option("--target-fpir", *target, "false-positive identification rate the DUPLICATE threshold should meet")
      ->required()
      ->check(CLI::Range(1e-12, 1.0));
  cmd.add_option("--review-fpir", *review, "the looser rate for REVIEW")->capture_default_str()->check(CLI::Range(1e-12, 1.0));
  cmd.footer(R"(
Thresholds follow from the rate and the gallery size N: score >= log10(N / rate). Every stored
DUPLICATE/REVIEW/UNIQUE verdict is re-judged from its best stored score, and so is every reprocessing
case. Verdicts only keep candidates above the review threshold of their day, so a UNIQUE verdict
can only be said to stay UNIQUE when the new review threshold is not lower; otherwise it is
counted as "unknown" (it might now be flagged). Nothing is changed: this is a preview.

Examples:
  tunggal admin thresholds --target-fpir 1e-4 --data-dir /srv/tunggal
  tunggal admin thresholds --target-fpir 1e-3 --review-fpir 1e-1 --data-dir /srv/tunggal --json)");
  return [a, target, review]() {
    if (*review < *target)
      return admin_failure("thresholds", invalid_argument("--review-fpir must be at least --target-fpir (REVIEW is the looser band)"));
    auto store = open_admin_store(a->data_dir, false);
    if (!store) return admin_failure("thresholds", store.error());
    const engine::Store& s = **store;
    const std::uint64_t n = std::max<std::uint64_t>(s.subject_count(), 1);
    const EngineOptions defaults;
    const Thresholds now = thresholds_for(defaults.target_fpir, defaults.review_fpir, n);
    const Thresholds next = thresholds_for(*target, *review, n);
    auto judge = [&](float score) {
      return score >= next.duplicate ? "DUPLICATE" : score >= next.review ? "REVIEW" : "UNIQUE";
    };
    std::map<std::string, std::map<std::string, std::uint64_t>> moves;  // old kind -> new kind -> count
    std::uint64_t changed = 0, unknown = 0, load_before = 0, load_after = 0, considered = 0;
    Status scan = s.for_each_verdict([&](const Verdict& v) {
      if (v.kind == VerdictKind::kRejected) return true;
      ++considered;
      const std::string old_kind(to_string(v.kind));
      std::string new_kind;
      if (!v.candidates.empty()) new_kind = judge(v.candidates.front().score);
      else if (next.review >= v.review_threshold) new_kind = "UNIQUE";
      else new_kind = "unknown";
      ++moves[old_kind][new_kind];
      if (new_kind == "unknown") ++unknown;
      else if (new_kind != old_kind) ++changed;
      load_before += old_kind != "UNIQUE";
      load_after += new_kind == "DUPLICATE" || new_kind == "REVIEW";
      return true;
    });
    if (!scan) return admin_failure("thresholds", scan);
    auto cases = admin::list_cases(s);
    if (!cases) return admin_failure("thresholds", cases.error());
    std::uint64_t cases_kept = 0;
    for (const auto& c : *cases) cases_kept += std::string(judge(c.evidence.score)) != "UNIQUE";

    if (a->json) {
      nlohmann::json j{{"gallery_size", n},
                       {"current", {{"duplicate", now.duplicate}, {"review", now.review}, {"target_fpir", now.target_fpir}, {"review_fpir", now.review_fpir}}},
                       {"what_if", {{"duplicate", next.duplicate}, {"review", next.review}, {"target_fpir", next.target_fpir}, {"review_fpir", next.review_fpir}}},
                       {"verdicts_considered", considered},
                       {"verdicts_changed", changed},
                       {"verdicts_unknown", unknown},
                       {"moves", moves},
                       {"review_load_before", load_before},
                       {"review_load_after", load_after},
                       {"reprocess_cases", cases->size()},
                       {"reprocess_cases_still_flagged", cases_kept}};
      std::cout << j.dump() << "\n";
      return kExitOk;
    }
    std::cout << fmt::format("gallery         {} subjects\n", n);
    std::cout << fmt::format("now             DUPLICATE >= {:.2f} (FPIR {:g}), REVIEW >= {:.2f} (FPIR {:g})\n", now.duplicate,
                             now.target_fpir, now.review, now.review_fpir);
    std::cout << fmt::format("what if         DUPLICATE >= {:.2f} (FPIR {:g}), REVIEW >= {:.2f} (FPIR {:g})\n", next.duplicate,
                             next.target_fpir, next.review, next.review_fpir);
    std::cout << fmt::format("past verdicts   {} considered, {} would change, {} unknown\n", considered, changed, unknown);
    for (const auto& [from, tos] : moves)
      for (const auto& [to, count] : tos)
        if (from != to) std::cout << fmt::format("  {:<10} -> {:<10} {}\n", from, to, count);
    std::cout << fmt::format("review load     {} flagged verdicts -> {}\n", load_before, load_after);
    std::cout << fmt::format("reprocessing    {} of {} review cases would still be flagged\n", cases_kept, cases->size());
    return kExitOk;
  };
}}};

}  // namespace
}  // namespace tunggal::cli
