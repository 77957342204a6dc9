// `tunggal demo` (README command 1): the whole product on an embedded default. A generated
// population is bulk-imported as the national gallery, then a batch of new enrollments, some of
// them people already enrolled trying again under a new NIK, goes through penunggalan.
#include <iostream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/command_registry.h"
#include "cli/dedup_run.h"

namespace tunggal::cli {
namespace {

RegisterCommand reg{{"demo", "enroll a generated population and a probe batch with known duplicates; print verdicts",
                     [](CLI::App& cmd) {
  auto c = std::make_shared<DedupConfig>();
  c->gallery = 5000;
  c->probes = 300;
  c->mated_rate = 0.1;
  cmd.add_option("--gallery", c->gallery, "identities already enrolled")->capture_default_str();
  cmd.add_option("--probes", c->probes, "new enrollments to decide")->capture_default_str();
  cmd.add_option("--mated-rate", c->mated_rate, "fraction of them that are people already enrolled")
      ->capture_default_str();
  cmd.add_option("--seed", c->seed, "population seed")->capture_default_str();
  cmd.footer("Example: tunggal demo --gallery 20000 --probes 500");
  return [c]() {
    std::cout << fmt::format(
        "tunggal demo: penunggalan (single-identity check) for KTP-el\n"
        "  1. calibrate the score model on a separate generated population\n"
        "  2. import {} generated people (10 fingers + face each) as the enrolled gallery\n"
        "  3. enroll {} new applicants; {:.0f}% of them are already enrolled people re-applying\n"
        "     under a new NIK (the fraud penunggalan exists to stop)\n\n",
        c->gallery, c->probes, c->mated_rate * 100);
    std::cout.flush();
    auto r = run_dedup(*c, stderr_progress_bar());
    if (!r) throw StatusError(r.error());

    std::cout << "\nSome verdicts (UNIQUE = card may be printed; DUPLICATE/REVIEW = blocked for adjudication):\n";
    int shown_dup = 0, shown_uni = 0;
    for (const auto& o : r->outcomes) {
      const bool dup = o.kind == VerdictKind::kDuplicate || o.kind == VerdictKind::kReview;
      if ((dup && shown_dup >= 4) || (!dup && shown_uni >= 2) || o.kind == VerdictKind::kRejected) continue;
      (dup ? shown_dup : shown_uni)++;
      std::cout << fmt::format("  {:<24} {:<9} truth: {:<30} {}\n", o.enrollment, to_string(o.kind),
                               o.mated ? fmt::format("re-enrollment of subject {}", *o.mate_subject)
                                       : std::string("new person"),
                               o.top_score > 0 ? fmt::format("best score {:.1f}", o.top_score) : std::string());
    }
    const std::uint64_t non_mated = r->probes - r->mated_probes;
    std::cout << fmt::format(
        "\nResult over {} enrollments against {} enrolled people:\n"
        "  duplicates caught : {} of {} re-enrollments  (missed: {}, FNIR {:.2f}%)\n"
        "  false alarms      : {} of {} new people      (FPIR {:.2f}%, target {:.2f}%)\n"
        "  rejected          : {} (recapture needed)\n"
        "  speed             : {:.1f} enrollments/s decided (p50 {:.0f} ms per micro-batch of {}); gallery import {:.0f} people/s\n"
        "  memory            : {:.0f} bytes of RAM per enrolled person\n"
        "Full measurement: tunggal eval dedup --gallery 100000 --probes 2000 (see docs/dedup.md)\n",
        r->probes, r->gallery, r->mated_probes - r->fn, r->mated_probes, r->fn, 100 * r->fnir, r->fp, non_mated,
        100 * r->fpir, 100 * r->config.target_fpir, r->rejected, r->enrollments_per_second, r->latency_p50_ms,
        r->config.batch, r->import_per_second, r->bytes_per_identity);
    return kExitOk;
  };
}}};

}  // namespace
}  // namespace tunggal::cli
