// Candidate index search throughput (issue 4) at a gallery size given as the argument, on the
// generated face-like embeddings: the production kinds against FAISS flat (our kFlat, one shard,
// is IndexFlatIP plus an id array), batched (64 probes) and single. Reports probes/s; never
// passes or fails on time. The full comparison with recall is `tunggal eval index`.
#include <benchmark/benchmark.h>

#include <map>
#include <memory>
#include <numeric>

#include "index/synthetic_embeddings.h"
#include "index/vector_index.h"

namespace tunggal::index {
namespace {

constexpr int kDim = 512;

struct Fixture {
  SyntheticEmbeddings gen{EmbeddingModel{}};
  std::vector<float> rows;
  std::vector<float> probes;  // 64 fresh captures of enrolled identities
  std::map<std::pair<int, std::int64_t>, std::unique_ptr<VectorIndex>> built;

  class Source final : public VectorSource {
   public:
    explicit Source(const std::vector<float>& r) : rows_(r) {}
    int dimension() const override { return kDim; }
    bool get(std::uint64_t id, std::span<float> out) const override {
      if (id == 0 || id > rows_.size() / kDim) return false;
      std::copy_n(rows_.data() + (id - 1) * kDim, kDim, out.data());
      return true;
    }

   private:
    const std::vector<float>& rows_;
  };
  std::unique_ptr<Source> source;

  const VectorIndex& get(IndexKind kind, std::int64_t n) {
    if (static_cast<std::int64_t>(rows.size() / kDim) < n) {
      rows = gen.identities(1, static_cast<std::size_t>(n));
      source = std::make_unique<Source>(rows);
      built.clear();
      probes.assign(64 * kDim, 0.0f);
      for (int p = 0; p < 64; ++p) gen.probe(1 + static_cast<std::uint64_t>(p) * 997 % n, 1, std::span(probes).subspan(p * kDim, kDim));
    }
    auto& slot = built[{static_cast<int>(kind), n}];
    if (!slot) {
      IndexOptions o;
      o.dimension = kDim;
      o.kind = kind;
      o.threads = 1;
      slot = make_index(o, source.get()).value();
      std::vector<std::uint64_t> ids(static_cast<std::size_t>(n));
      std::iota(ids.begin(), ids.end(), 1);
      (void)slot->add(ids, std::span(rows).first(static_cast<std::size_t>(n) * kDim));
    }
    return *slot;
  }
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

void search(benchmark::State& state, IndexKind kind, int batch) {
  const VectorIndex& idx = fixture().get(kind, state.range(0));
  const auto q = std::span(fixture().probes).first(static_cast<std::size_t>(batch) * kDim);
  for (auto _ : state) benchmark::DoNotOptimize(idx.search(q, 50));
  state.SetItemsProcessed(state.iterations() * batch);  // probes
  state.SetLabel(idx.describe());
}

void BM_FlatBatch64(benchmark::State& s) { search(s, IndexKind::kFlat, 64); }
void BM_HashSq8Batch64(benchmark::State& s) { search(s, IndexKind::kHashSq8, 64); }
void BM_FlatSingle(benchmark::State& s) { search(s, IndexKind::kFlat, 1); }
void BM_HashSq8Single(benchmark::State& s) { search(s, IndexKind::kHashSq8, 1); }
BENCHMARK(BM_FlatBatch64)->Arg(100'000)->Unit(benchmark::kMillisecond);
// 1M: issue 4's scale (the flat baseline at 1M is in `tunggal eval index`, which also reports recall).
// Process CPU time (TBB workers included): on the shared machine the per-CPU-second rate is the
// comparable figure (docs/index.md).
BENCHMARK(BM_HashSq8Batch64)->Arg(100'000)->Arg(1'000'000)->MeasureProcessCPUTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_FlatSingle)->Arg(100'000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_HashSq8Single)->Arg(100'000)->Unit(benchmark::kMillisecond);

void BM_HashSq8Add64(benchmark::State& state) {
  IndexOptions o;
  o.dimension = kDim;
  o.kind = IndexKind::kHashSq8;
  o.threads = 1;
  auto idx = make_index(o).value();
  SyntheticEmbeddings gen{EmbeddingModel{}};
  const auto batch = gen.identities(1'000'000, 64);
  std::uint64_t next = 1;
  std::vector<std::uint64_t> ids(64);
  for (auto _ : state) {
    std::iota(ids.begin(), ids.end(), next);
    next += 64;
    benchmark::DoNotOptimize(idx->add(ids, batch));
  }
  state.SetItemsProcessed(state.iterations() * 64);  // vectors added
}
BENCHMARK(BM_HashSq8Add64)->Iterations(500)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace tunggal::index
BENCHMARK_MAIN();
