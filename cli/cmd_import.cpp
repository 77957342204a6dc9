// `tunggal import`: bulk load of an already-deduplicated population into a data directory, with
// no 1:N search (the migration of an existing national database; the gallery of evaluations).
// Creating a new gallery calibrates its score model on a generated development population.
// The enrollments are either generated (--generate) or fingerprint images (--images: a directory
// of NIK_FINGER.png files or a CSV manifest, ingest/image_batch.h), extracted in parallel before
// Engine::import (the engine takes templates only).
#include <chrono>
#include <iostream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <tbb/parallel_for.h>

#include "cli/command_registry.h"
#include "cli/dedup_run.h"
#include "core/json_text.h"
#include "datasets/population.h"
#include "datasets/population_calibration.h"
#include "engine/engine.h"
#include "ingest/enrollment_images.h"
#include "ingest/image_batch.h"
#include "matcher/finger_matcher.h"

namespace tunggal::cli {
namespace {

// Image enrollments per chunk: every image of a chunk is extracted in parallel, then imported;
// 64 ten-finger enrollments of ~200 KB images hold ~130 MB.
constexpr std::size_t kImageChunk = 64;

struct ImageImport {
  std::uint64_t imported = 0;
  std::uint64_t images = 0;  // extracted into imported enrollments
  std::vector<std::string> skipped;
};

// Reads, extracts (TBB, every core) and imports the enrollments of an image batch, chunk by chunk.
ImageImport import_images(Engine& engine, const ingest::ImageBatch& batch, const std::string& site,
                          const Progress& bar) {
  ImageImport out;
  out.skipped = batch.skipped;
  const ingest::MinutiaeExtractor extractor;
  const std::size_t n = batch.enrollments.size();
  for (std::size_t b = 0; b < n; b += kImageChunk) {
    const std::size_t e = std::min(n, b + kImageChunk);
    std::vector<Enrollment> chunk;
    for (std::size_t i = b; i < e; ++i) {
      auto en = ingest::load_image_enrollment(batch.enrollments[i], site, extractor.options().limits);
      if (!en) {
        out.skipped.push_back(en.error().message());
        continue;
      }
      chunk.push_back(std::move(*en));
    }
    const auto st = ingest::extract_finger_images(chunk, extractor);
    std::vector<Enrollment> ready;
    for (std::size_t i = 0; i < chunk.size(); ++i) {
      if (!st[i]) {
        out.skipped.push_back(st[i].message());
        continue;
      }
      out.images += chunk[i].fingers.size();
      ready.push_back(std::move(chunk[i]));
    }
    if (!ready.empty()) {
      auto r = engine.import(ready);
      if (!r) throw StatusError(r.error());
      out.imported += r->imported;
      out.skipped.insert(out.skipped.end(), r->skipped.begin(), r->skipped.end());
    }
    if (bar) bar("import", e, n);
  }
  return out;
}

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
  auto images = std::make_shared<std::string>();
  auto ppi = std::make_shared<int>(500);
  auto site = std::make_shared<std::string>("import");
  auto gen_opt = cmd.add_option("--generate", *generate, "import this many generated identities");
  auto img_opt = cmd.add_option("--images", *images,
                 "import fingerprint images instead: a directory of NIK_FINGER.png|tif|bmp|jpg files (finger = ISO "
                 "position 1-10, one enrollment per NIK) or a CSV manifest with the header id,nik,finger,image[,ppi]");
  gen_opt->excludes(img_opt);
  cmd.add_option("--ppi", *ppi, "scan resolution of --images files (a manifest's ppi column overrides it)")
      ->capture_default_str();
  cmd.add_option("--site", *site, "site recorded for --images enrollments (ids become SITE/ID)")->capture_default_str();
  cmd.add_option("--first", *first, "first generated identity index")->capture_default_str();
  cmd.add_option("--seed", *seed, "population seed")->capture_default_str();
  cmd.add_option("--shards", *shards, "gallery shards (fixed when the gallery is created)")->capture_default_str();
  cmd.add_flag("--dedup-check", *dedup_check,
               "after importing, search every imported identity against the rest (reprocessing path)");
  cmd.add_flag("--json", *json, "print one JSON object");
  cmd.footer(
      "Examples:\n  tunggal import --data-dir /srv/tunggal --generate 100000 --seed 1\n"
      "  tunggal import --data-dir /srv/tunggal --images /scans/cards   (3273014501900001_2.png, ...)\n"
      "  tunggal import --data-dir /srv/tunggal --images manifest.csv    (id,nik,finger,image,ppi)");
  return [=]() {
    const auto t0 = std::chrono::steady_clock::now();
    if (images->empty() && *generate == 0) {
      std::cerr << "tunggal import: give --generate N or --images DIR|MANIFEST.csv\n";
      return kExitUsage;
    }
    std::optional<ingest::ImageBatch> batch;
    if (!images->empty()) {
      // Listed before the engine opens: a wrong path fails in a moment, not after calibration.
      auto b = ingest::list_image_batch(*images, *ppi);
      if (!b) {
        std::cerr << "tunggal import: " << b.error().message() << "\n";
        return kExitUsage;
      }
      batch = std::move(*b);
    }
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
    if (batch) {
      auto bar = *json ? Progress{} : stderr_progress_bar();
      const auto t_import = std::chrono::steady_clock::now();
      const ImageImport r = import_images(**engine, *batch, *site, bar);
      if (Status s = (*engine)->finish_import(); !s) throw StatusError(s);
      const double import_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_import).count();
      const EngineStats st = (*engine)->stats();
      if (*json) {
        nlohmann::json j{{"imported", r.imported},
                         {"skipped", r.skipped.size()},
                         {"skipped_reasons", r.skipped},
                         {"images", r.images},
                         {"gallery", st.gallery_size},
                         {"images_per_second", static_cast<double>(r.images) / std::max(import_s, 1e-9)},
                         {"import_seconds", import_s}};
        std::cout << json_text(j) << "\n";
      } else {
        std::cout << fmt::format("imported {} enrollments from {} images ({} skipped) in {:.1f} s: {:.1f} images/s; "
                                 "gallery now {}\n",
                                 r.imported, r.images, r.skipped.size(), import_s,
                                 static_cast<double>(r.images) / std::max(import_s, 1e-9), st.gallery_size);
        for (std::size_t i = 0; i < std::min<std::size_t>(r.skipped.size(), 20); ++i)
          std::cout << "  skipped " << r.skipped[i] << "\n";
      }
      return r.skipped.empty() ? kExitOk : kExitFailure;
    }
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
      std::cout << json_text(j) << "\n";
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
