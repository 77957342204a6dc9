// `tunggal admin thresholds --target-fpir X`: what-if. Re-derives the thresholds for another target
// false-positive identification rate at the current gallery size and replays the stored verdicts'
// candidates through the engine's verdict policy (face-led review included): how many past answers
// would change and how the review load moves. Nothing is changed.
#include <iostream>
#include <map>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/admin_cli.h"
#include "cli/command_registry.h"
#include "core/json_text.h"

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
DUPLICATE/REVIEW/UNIQUE verdict is re-judged from its stored candidates by the engine's verdict
policy, and so is every reprocessing case: DUPLICATE on the score alone; REVIEW at the review
threshold, or when the face alone (face-led score, fingers not contradicting it) reaches the new
duplicate threshold, as the engine keeps worn-finger re-enrollments for review. Verdicts only keep
candidates above the thresholds of their day, so a UNIQUE verdict can only be said to stay UNIQUE
when neither the new review threshold nor (face-led review) the new duplicate threshold is lower;
otherwise it is counted as "unknown" (it might now be flagged). Nothing is changed: this is a preview.

Against a server (--connect) "now" is the server engine's configured targets; offline, the defaults.
Exit codes: 0 shown; 2 bad rates; 3 no gallery in --data-dir or server unreachable; 5 not an admin.

Examples:
  tunggal admin thresholds --target-fpir 1e-4 --data-dir /srv/tunggal
  tunggal admin thresholds --target-fpir 1e-4 --connect abis.example:7700 --tls-dir ~/tls --admin budi.santoso
  tunggal admin thresholds --target-fpir 1e-3 --review-fpir 1e-1 --data-dir /srv/tunggal --json)");
  return [a, target, review]() {
    if (Status s = check_admin_mode(*a); !s) return admin_failure("thresholds", s);
    if (*review < *target)
      return admin_failure("thresholds", invalid_argument("--review-fpir must be at least --target-fpir (REVIEW is the looser band)"));
    auto j = admin_report(*a, {.kind = admin::AdminQuery::Kind::kThresholds, .target_fpir = *target, .review_fpir = *review});
    if (!j) return admin_failure("thresholds", j.error());
    if (a->json) {
      std::cout << json_text(*j) << "\n";
      return kExitOk;
    }
    const auto& now = (*j)["current"];
    const auto& next = (*j)["what_if"];
    auto line = [](const char* label, const nlohmann::json& t) {
      return fmt::format("{:<16}DUPLICATE >= {:.2f} (FPIR {:g}), REVIEW >= {:.2f} (FPIR {:g})\n", label,
                         t["duplicate"].get<double>(), t["target_fpir"].get<double>(), t["review"].get<double>(),
                         t["review_fpir"].get<double>());
    };
    std::cout << fmt::format("gallery         {} subjects\n", (*j)["gallery_size"].get<std::uint64_t>());
    std::cout << line("now", now) << line("what if", next);
    std::cout << fmt::format("past verdicts   {} considered, {} would change, {} unknown\n",
                             (*j)["verdicts_considered"].get<std::uint64_t>(), (*j)["verdicts_changed"].get<std::uint64_t>(),
                             (*j)["verdicts_unknown"].get<std::uint64_t>());
    for (const auto& [from, tos] : (*j)["moves"].items())
      for (const auto& [to, count] : tos.items())
        if (from != to) std::cout << fmt::format("  {:<10} -> {:<10} {}\n", from, to, count.get<std::uint64_t>());
    std::cout << fmt::format("review load     {} flagged verdicts -> {}\n", (*j)["review_load_before"].get<std::uint64_t>(),
                             (*j)["review_load_after"].get<std::uint64_t>());
    std::cout << fmt::format("reprocessing    {} of {} review cases would still be flagged\n",
                             (*j)["reprocess_cases_still_flagged"].get<std::uint64_t>(),
                             (*j)["reprocess_cases"].get<std::uint64_t>());
    return kExitOk;
  };
}}};

}  // namespace
}  // namespace tunggal::cli
