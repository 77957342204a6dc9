#pragma once
// `tunggal eval index` and bench/index_bench.cpp: build an index over generated face-like
// embeddings (synthetic_embeddings.h), search fresh captures of enrolled identities, and compare
// against FAISS's exact flat inner-product search run side by side in the same process.
//
// recall_at_50 is issue 4's "recall of the true mate in the top-K vs the exact search": of the
// probes whose mate the exact search ranks in its top 50, the fraction whose mate the index also
// returns in its top 50. neighbour_recall_at_50 (overlap of the two top-50 lists) is reported
// too; ranks 2..50 are impostors of nearly equal score, so it is the harsher figure.
#include <cstdint>
#include <string>

#include "core/status.h"
#include "index/synthetic_embeddings.h"
#include "index/vector_index.h"

namespace tunggal::index {

struct IndexEvalOptions {
  std::uint64_t gallery = 100'000;
  int probes = 1000;
  int batch = 64;
  int single_probes = 200;       // probes searched one at a time (index)
  int flat_single_probes = 20;   // ... and by the flat baseline, which is slow one at a time
  std::uint64_t build_chunk = 100'000;  // vectors per add() while building (growth + retraining)
  int incremental_adds = 4096;   // added afterwards in batches of `batch`, for add throughput
  IndexOptions index;            // index.dimension is the embedding dimension
  EmbeddingModel model;          // model.dimension is overwritten with index.dimension
  bool with_source = true;       // re-rank from the full vectors (else int8 scores)
};

struct IndexEvalReport {
  std::uint64_t gallery = 0;
  int dimension = 0, probes = 0, batch = 0, threads = 0;
  std::string index_description, scan_kernel;
  double recall_at_50 = 0, neighbour_recall_at_50 = 0, mate_in_exact_top50 = 0, rank1_agreement = 0;
  double probes_per_second_batched = 0, probes_per_second_single = 0;
  double flat_probes_per_second_batched = 0, flat_probes_per_second_single = 0;
  double speedup_batched = 0;
  // The same per CPU second of the process (robust to other processes' load on a shared machine).
  double probes_per_cpu_second_batched = 0, flat_probes_per_cpu_second_batched = 0, cpu_speedup_batched = 0;
  double bytes_per_vector = 0, flat_bytes_per_vector = 0;
  double generate_seconds = 0, build_seconds = 0, flat_build_seconds = 0, adds_per_second = 0;
};

Expected<IndexEvalReport> evaluate_index(const IndexEvalOptions& options);

}  // namespace tunggal::index
