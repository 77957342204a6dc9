#include "index/index_evaluation.h"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <random>
#include <unordered_set>

#include "index/detail/sq8_scan.h"
#include "index/detail/thread_pools.h"

namespace tunggal::index {
namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }
// Process CPU seconds: on a shared machine wall-clock rates swing with other people's load,
// CPU-time rates much less (docs/index.md reports both).
double cpu_now() { return static_cast<double>(std::clock()) / CLOCKS_PER_SEC; }

// The "store": full vectors of ids 1..N in one array.
class ArraySource final : public VectorSource {
 public:
  ArraySource(int dim, const std::vector<float>& rows) : dim_(dim), rows_(rows) {}
  int dimension() const override { return dim_; }
  bool get(std::uint64_t id, std::span<float> out) const override {
    const std::size_t n = rows_.size() / dim_;
    if (id == 0 || id > n) return false;
    std::copy_n(rows_.data() + (id - 1) * dim_, dim_, out.data());
    return true;
  }

 private:
  int dim_;
  const std::vector<float>& rows_;
};

Expected<SearchResults> search_batched(const VectorIndex& idx, const std::vector<float>& q, int dim, int batch, int k) {
  SearchResults all;
  all.k = k;
  const int n = static_cast<int>(q.size() / dim);
  for (int at = 0; at < n; at += batch) {
    const int m = std::min(batch, n - at);
    auto r = idx.search(std::span(q).subspan(static_cast<std::size_t>(at) * dim, static_cast<std::size_t>(m) * dim), k);
    if (!r) return r.error();
    all.queries += r->queries;
    all.ids.insert(all.ids.end(), r->ids.begin(), r->ids.end());
    all.scores.insert(all.scores.end(), r->scores.begin(), r->scores.end());
  }
  return all;
}

}  // namespace

Expected<IndexEvalReport> evaluate_index(const IndexEvalOptions& o) {
  if (o.gallery < 1 || o.probes < 1 || o.batch < 1) return invalid_argument("gallery, probes and batch must be positive");
  const int dim = o.index.dimension;
  constexpr int kK = 50;
  IndexEvalReport rep;
  rep.gallery = o.gallery;
  rep.dimension = dim;
  rep.probes = o.probes;
  rep.batch = o.batch;
  rep.threads = detail::resolve_threads(o.index.threads);
  rep.scan_kernel = detail::scan_kernel_name();

  EmbeddingModel model = o.model;
  model.dimension = dim;
  const SyntheticEmbeddings gen(model);
  auto t = Clock::now();
  const std::vector<float> rows = gen.identities(1, o.gallery);
  std::vector<std::uint64_t> ids(o.gallery);
  for (std::uint64_t i = 0; i < o.gallery; ++i) ids[i] = i + 1;
  std::vector<std::uint64_t> mates(o.probes);
  std::vector<float> probes(static_cast<std::size_t>(o.probes) * dim);
  std::mt19937_64 rng(model.seed + 99);
  for (int p = 0; p < o.probes; ++p) {
    mates[p] = 1 + rng() % o.gallery;
    gen.probe(mates[p], 1, std::span(probes).subspan(static_cast<std::size_t>(p) * dim, dim));
  }
  rep.generate_seconds = since(t);

  // Baseline: FAISS IndexFlatIP (our flat kind, one shard, is exactly that plus an id array).
  IndexOptions fo;
  fo.dimension = dim;
  fo.kind = IndexKind::kFlat;
  fo.threads = o.index.threads;
  auto flat = make_index(fo);
  if (!flat) return flat.error();
  t = Clock::now();
  if (Status s = (*flat)->add(ids, rows); !s) return s;
  rep.flat_build_seconds = since(t);
  rep.flat_bytes_per_vector = static_cast<double>((*flat)->memory_bytes()) / o.gallery;
  t = Clock::now();
  double c = cpu_now();
  auto exact = search_batched(**flat, probes, dim, o.batch, kK);
  if (!exact) return exact.error();
  rep.flat_probes_per_second_batched = o.probes / since(t);
  rep.flat_probes_per_cpu_second_batched = o.probes / (cpu_now() - c);
  const int fs = std::min(o.flat_single_probes, o.probes);
  t = Clock::now();
  if (auto r = search_batched(**flat, std::vector<float>(probes.begin(), probes.begin() + static_cast<std::size_t>(fs) * dim), dim, 1, kK); !r) {
    return r.error();
  }
  rep.flat_probes_per_second_single = fs / since(t);
  flat->reset();  // give its memory back before building the index

  // The index under test, built the way a growing gallery is: chunks, with (re)training.
  ArraySource source(dim, rows);
  auto idx = make_index(o.index, o.with_source ? &source : nullptr);
  if (!idx) return idx.error();
  t = Clock::now();
  for (std::uint64_t at = 0; at < o.gallery; at += o.build_chunk) {
    const std::uint64_t m = std::min<std::uint64_t>(o.build_chunk, o.gallery - at);
    if (Status s = (*idx)->add(std::span(ids).subspan(at, m), std::span(rows).subspan(at * dim, m * dim)); !s) return s;
  }
  rep.build_seconds = since(t);
  rep.bytes_per_vector = static_cast<double>((*idx)->memory_bytes()) / o.gallery;
  rep.index_description = (*idx)->describe();

  t = Clock::now();
  c = cpu_now();
  auto approx = search_batched(**idx, probes, dim, o.batch, kK);
  if (!approx) return approx.error();
  rep.probes_per_second_batched = o.probes / since(t);
  rep.probes_per_cpu_second_batched = o.probes / (cpu_now() - c);
  const int ss = std::min(o.single_probes, o.probes);
  t = Clock::now();
  if (auto r = search_batched(**idx, std::vector<float>(probes.begin(), probes.begin() + static_cast<std::size_t>(ss) * dim), dim, 1, kK); !r) {
    return r.error();
  }
  rep.probes_per_second_single = ss / since(t);
  rep.speedup_batched = rep.probes_per_second_batched / rep.flat_probes_per_second_batched;
  rep.cpu_speedup_batched = rep.probes_per_cpu_second_batched / rep.flat_probes_per_cpu_second_batched;

  int mate_exact = 0, mate_both = 0, rank1 = 0;
  double overlap = 0;
  for (int p = 0; p < o.probes; ++p) {
    const auto e = exact->ids_of(p), a = approx->ids_of(p);
    const bool in_e = std::find(e.begin(), e.end(), mates[p]) != e.end();
    const bool in_a = std::find(a.begin(), a.end(), mates[p]) != a.end();
    mate_exact += in_e;
    mate_both += in_e && in_a;
    rank1 += e[0] == a[0];
    const std::unordered_set<std::uint64_t> es(e.begin(), e.end());
    int common = 0;
    for (auto id : a) common += es.count(id) != 0;
    overlap += static_cast<double>(common) / kK;
  }
  rep.mate_in_exact_top50 = static_cast<double>(mate_exact) / o.probes;
  rep.recall_at_50 = mate_exact ? static_cast<double>(mate_both) / mate_exact : 0.0;
  rep.neighbour_recall_at_50 = overlap / o.probes;
  rep.rank1_agreement = static_cast<double>(rank1) / o.probes;

  // Incremental adds in engine-sized batches (new identities beyond the gallery), then removed.
  if (o.incremental_adds > 0) {
    const std::vector<float> extra = gen.identities(o.gallery + 1, o.incremental_adds);
    std::vector<std::uint64_t> extra_ids(o.incremental_adds);
    for (int i = 0; i < o.incremental_adds; ++i) extra_ids[i] = o.gallery + 1 + i;
    t = Clock::now();
    for (int at = 0; at < o.incremental_adds; at += o.batch) {
      const int m = std::min(o.batch, o.incremental_adds - at);
      if (Status s = (*idx)->add(std::span(extra_ids).subspan(at, m),
                                 std::span(extra).subspan(static_cast<std::size_t>(at) * dim, static_cast<std::size_t>(m) * dim));
          !s) {
        return s;
      }
    }
    rep.adds_per_second = o.incremental_adds / since(t);
    if (Status s = (*idx)->remove(extra_ids); !s) return s;
  }
  return rep;
}

}  // namespace tunggal::index
