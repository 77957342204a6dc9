// `tunggal eval index`: the candidate index on generated face-like embeddings against FAISS's
// exact flat search in the same process (issue 4): mate recall@50, probes/s batched and single,
// bytes per vector, build time and add throughput. --json prints one object.
#include <cstdio>
#include <iostream>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli/command_registry.h"
#include "core/json_text.h"
#include "index/index_evaluation.h"

namespace tunggal::cli {
namespace {

struct EvalIndexArgs {
  index::IndexEvalOptions o;
  std::string kind = "auto";
  bool no_source = false;
  bool json = false;
};

int run(EvalIndexArgs a) {
  bool known = false;
  for (auto k : {index::IndexKind::kAuto, index::IndexKind::kFlat, index::IndexKind::kHashSq8, index::IndexKind::kIvfSq8}) {
    if (index::to_string(k) == a.kind) {
      a.o.index.kind = k;
      known = true;
    }
  }
  if (!known) {
    std::cerr << "tunggal eval index: --kind must be auto, flat, hash-sq8 or ivf-sq8\n";
    return kExitUsage;
  }
  a.o.with_source = !a.no_source;
  auto r = index::evaluate_index(a.o);
  if (!r) {
    std::cerr << "tunggal eval index: " << r.error().to_string() << "\n";
    return r.error().code() == ErrorCode::kInvalidArgument ? kExitUsage : kExitFailure;
  }
  nlohmann::json j = {
      {"gallery", r->gallery},
      {"dimension", r->dimension},
      {"probes", r->probes},
      {"batch", r->batch},
      {"threads", r->threads},
      {"index", r->index_description},
      {"scan_kernel", r->scan_kernel},
      {"recall_at_50", r->recall_at_50},
      {"neighbour_recall_at_50", r->neighbour_recall_at_50},
      {"mate_in_exact_top50", r->mate_in_exact_top50},
      {"rank1_agreement", r->rank1_agreement},
      {"probes_per_second_batched", r->probes_per_second_batched},
      {"flat_probes_per_second_batched", r->flat_probes_per_second_batched},
      {"speedup_batched", r->speedup_batched},
      {"probes_per_cpu_second_batched", r->probes_per_cpu_second_batched},
      {"flat_probes_per_cpu_second_batched", r->flat_probes_per_cpu_second_batched},
      {"cpu_speedup_batched", r->cpu_speedup_batched},
      {"probes_per_second_single", r->probes_per_second_single},
      {"flat_probes_per_second_single", r->flat_probes_per_second_single},
      {"bytes_per_vector", r->bytes_per_vector},
      {"flat_bytes_per_vector", r->flat_bytes_per_vector},
      {"build_seconds", r->build_seconds},
      {"flat_build_seconds", r->flat_build_seconds},
      {"adds_per_second", r->adds_per_second},
      {"generate_seconds", r->generate_seconds},
  };
  if (a.json) {
    std::cout << json_text(j) << "\n";
  } else {
    for (auto& [key, value] : j.items()) std::cout << key << ": " << value << "\n";
  }
  return kExitOk;
}

RegisterCommand reg{{"eval index", "candidate index vs FAISS flat on generated embeddings (recall@50, probes/s, B/vector)",
                     [](CLI::App& cmd) {
  auto a = std::make_shared<EvalIndexArgs>();
  cmd.add_option("--gallery", a->o.gallery, "enrolled identities")->capture_default_str();
  cmd.add_option("--probes", a->o.probes, "probes (fresh captures of enrolled identities)")->capture_default_str();
  cmd.add_option("--batch", a->o.batch, "probes per batched search")->capture_default_str();
  cmd.add_option("--single", a->o.single_probes, "probes searched one at a time")->capture_default_str();
  cmd.add_option("--dim", a->o.index.dimension, "embedding dimension")->capture_default_str();
  cmd.add_option("--kind", a->kind, "auto, flat, hash-sq8 or ivf-sq8")->capture_default_str();
  cmd.add_option("--shards", a->o.index.shards, "shards")->capture_default_str();
  cmd.add_option("--threads", a->o.index.threads, "threads (0 = all cores)")->capture_default_str();
  cmd.add_option("--probe-fraction", a->o.index.ivf_probe_fraction, "fraction of IVF lists scanned")->capture_default_str();
  cmd.add_option("--vectors-per-list", a->o.index.ivf_vectors_per_list, "IVF list size at training")->capture_default_str();
  cmd.add_option("--shortlist", a->o.index.hash_shortlist_per_million, "hash-sq8: Hamming shortlist per million vectors")->capture_default_str();
  cmd.add_option("--rerank", a->o.index.rerank_depth, "shortlist re-scored exactly per shard")->capture_default_str();
  cmd.add_option("--build-chunk", a->o.build_chunk, "vectors per add() while building")->capture_default_str();
  cmd.add_option("--effective-dim", a->o.model.effective_dimension, "embedding model: 1/E[impostor cos^2]")->capture_default_str();
  cmd.add_option("--seed", a->o.model.seed, "embedding model seed")->capture_default_str();
  cmd.add_flag("--no-source", a->no_source, "no full vectors: rank on int8 scores");
  cmd.add_flag("--json", a->json, "one JSON object");
  return [a]() { return run(*a); };
}}};

}  // namespace
}  // namespace tunggal::cli
