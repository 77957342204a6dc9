// `tunggal import`: bulk load of an already-deduplicated population into a data directory, with
// no 1:N search (the migration of an existing national database; the gallery of evaluations).
// Creating a new gallery calibrates its score model on a generated development population.
#include <chrono>
#include <iostream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <tbb/parallel_for.h>

#include "cli/command_registry.h"
#include "cli/dedup_run.h"
#include "datasets/population.h"
#include "datasets/population_calibration.h"
#include "engine/engine.h"
#include "matcher/finger_matcher.h"

namespace tunggal::cli {
namespace {

RegisterCommand reg{{"import", "bulk-load a deduplicated population into a data directory (no 1:N search)",
                     [](CLI::App& cmd) {
  auto data_dir = std::make_shared<std::string>();
  auto generate = std::make_shared<std::uint64_t>(0);
  auto first = std::make_shared<std::uint64_t>(0);
  auto seed = std::make_shared<std::uint64_t>(1);
  auto shards = std::make_shared<int>(4);
  auto json = std::make_shared<bool>(false);
  auto dedup_check = std::make_shared<bool>(false);
  cmd.add_option("--data-dir", *data_dir, "engine data directory (created when missing)")->required();
  cmd.add_option("--generate", *generate, "import this many generated identities")->required();
  cmd.add_option("--first", *first, "first generated identity index")->capture_default_str();
  cmd.add_option("--seed", *seed, "population seed")->capture_default_str();
  cmd.add_option("--shards", *shards, "gallery shards (fixed when the gallery is created)")->capture_default_str();
  cmd.add_flag("--dedup-check", *dedup_check,
               "after importing, search every imported identity against the rest (reprocessing path)");
  cmd.add_flag("--json", *json, "print one JSON object");
  cmd.footer("Example: tunggal import --data-dir /srv/tunggal --generate 100000 --seed 1");
  return [=]() {
    const auto t0 = std::chrono::steady_clock::now();
    EngineOptions options;
    options.data_dir = *data_dir;
    options.shards = *shards;
    std::optional<FusionModel> model;
    if (!std::filesystem::exists(options.data_dir / "store")) {
      datasets::PopulationConfig cal;
      cal.seed = *seed + 0x5eed0ca1;
      auto m = datasets::calibrate_fusion(datasets::Population(cal), matcher::FingerMatcher{});
      if (!m) throw StatusError(m.error());
      model = std::move(*m);
    }
    auto engine = Engine::open(options, std::move(model));
    if (!engine) throw StatusError(engine.error());
    datasets::PopulationConfig pc;
    pc.seed = *seed;
    datasets::Population population(pc);
    auto bar = *json ? Progress{} : stderr_progress_bar();
    std::uint64_t imported = 0;
    std::vector<std::string> skipped;
    const auto t_import = std::chrono::steady_clock::now();
    constexpr std::uint64_t kChunk = 4096;
    double gen_s = 0;
    for (std::uint64_t b = 0; b < *generate; b += kChunk) {
      const std::uint64_t e = std::min(*generate, b + kChunk);
      std::vector<Enrollment> chunk(e - b);
      const auto g0 = std::chrono::steady_clock::now();
      tbb::parallel_for(b, e, [&](std::uint64_t i) { chunk[i - b] = population.capture(*first + i, 0); });
      gen_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - g0).count();
      auto r = (*engine)->import(chunk);
      if (!r) throw StatusError(r.error());
      imported += r->imported;
      skipped.insert(skipped.end(), r->skipped.begin(), r->skipped.end());
      if (bar) bar("import", e, *generate);
    }
    if (Status s = (*engine)->finish_import(); !s) throw StatusError(s);
    const double import_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_import).count();

    std::uint64_t flagged = 0;
    if (*dedup_check) {
      for (std::uint64_t i = 0; i < *generate; ++i) {
        Enrollment probe = population.capture(*first + i, 0);
        auto v = (*engine)->identify(probe);
        if (!v) continue;
        // The identity finds itself; any second candidate above the review threshold is a finding.
        if (v->candidates.size() > 1) ++flagged;
        if (bar) bar("dedup-check", i + 1, *generate);
      }
    }
    const EngineStats st = (*engine)->stats();
    const double total_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (*json) {
      nlohmann::json j{{"imported", imported},
                       {"skipped", skipped.size()},
                       {"gallery", st.gallery_size},
                       {"identities_per_second", static_cast<double>(imported) / std::max(import_s, 1e-9)},
                       {"import_seconds", import_s},
                       {"generate_seconds", gen_s},
                       {"total_seconds", total_s},
                       {"bytes_per_identity",
                        static_cast<double>(st.gallery_bytes + st.index_bytes) / std::max<double>(1, st.gallery_size)}};
      if (*dedup_check) j["dedup_check_flagged"] = flagged;
      std::cout << j.dump() << "\n";
    } else {
      std::cout << fmt::format("imported {} identities ({} skipped) in {:.1f} s: {:.0f} identities/s; gallery now {}\n",
                               imported, skipped.size(), import_s, static_cast<double>(imported) / std::max(import_s, 1e-9),
                               st.gallery_size);
      for (std::size_t i = 0; i < std::min<std::size_t>(skipped.size(), 10); ++i) std::cout << "  skipped " << skipped[i] << "\n";
      if (*dedup_check) std::cout << fmt::format("dedup check: {} imported identities resemble another\n", flagged);
    }
    return skipped.empty() ? kExitOk : kExitFailure;
  };
}}};

}  // namespace
}  // namespace tunggal::cli
