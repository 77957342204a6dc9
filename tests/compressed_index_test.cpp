// Issue 4: the compressed kinds (hash-sq8, ivf-sq8) and kAuto's switch, on generated face-like
// embeddings: mates found, exact scores after the re-rank, snapshot + replay == rebuild, removal.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <numeric>
#include <random>

#include "index/synthetic_embeddings.h"
#include "index/vector_index.h"

namespace tunggal::index {
namespace {

constexpr int kDim = 128;

class RowsSource final : public VectorSource {
 public:
  RowsSource(int dim, std::vector<float> rows) : dim_(dim), rows_(std::move(rows)) {}
  int dimension() const override { return dim_; }
  bool get(std::uint64_t id, std::span<float> out) const override {
    if (id == 0 || id > rows_.size() / dim_) return false;
    std::copy_n(rows_.data() + (id - 1) * dim_, dim_, out.data());
    return true;
  }
  const std::vector<float>& rows() const { return rows_; }

 private:
  int dim_;
  std::vector<float> rows_;
};

struct World {
  explicit World(std::size_t n, int dim = kDim) : gen(model(dim)), source(dim, gen.identities(1, n)), ids(n) {
    std::iota(ids.begin(), ids.end(), 1);
  }
  static EmbeddingModel model(int dim) {
    EmbeddingModel m;
    m.dimension = dim;
    m.effective_dimension = 60;
    return m;
  }
  std::vector<float> probes(const std::vector<std::uint64_t>& mates) const {
    std::vector<float> p(mates.size() * gen.dimension());
    for (std::size_t i = 0; i < mates.size(); ++i) gen.probe(mates[i], 1, std::span(p).subspan(i * gen.dimension(), gen.dimension()));
    return p;
  }
  SyntheticEmbeddings gen;
  RowsSource source;
  std::vector<std::uint64_t> ids;
};

std::unique_ptr<VectorIndex> make(IndexOptions o, const VectorSource* source) {
  auto idx = make_index(o, source);
  EXPECT_TRUE(idx.has_value()) << idx.status().to_string();
  return std::move(*idx);
}

IndexOptions options(IndexKind kind, int shards = 1) {
  IndexOptions o;
  o.dimension = kDim;
  o.kind = kind;
  o.shards = shards;
  return o;
}

double exact_cosine(std::span<const float> a, std::span<const float> b) {
  double d = 0, na = 0, nb = 0;
  for (std::size_t i = 0; i < a.size(); ++i) { d += a[i] * b[i]; na += a[i] * a[i]; nb += b[i] * b[i]; }
  return d / std::sqrt(na * nb);
}

TEST(SyntheticEmbeddings, GenuineAndImpostorCosinesHaveTheRequestedSpread) {
  EmbeddingModel m;  // 512-d, effective dimension 160, genuine 0.5..0.8
  SyntheticEmbeddings g(m);
  std::vector<float> a(512), b(512), p(512);
  double sum2 = 0;
  for (std::uint64_t i = 1; i <= 400; ++i) {
    g.identity(i, a);
    g.identity(i + 1000, b);
    g.probe(i, 1, p);
    const double genuine = exact_cosine(a, p);
    EXPECT_GE(genuine, 0.5 - 1e-4);
    EXPECT_LE(genuine, 0.8 + 1e-4);
    sum2 += exact_cosine(a, b) * exact_cosine(a, b);
  }
  EXPECT_NEAR(std::sqrt(sum2 / 400), 1 / std::sqrt(160.0), 0.015);  // impostor sd
}

TEST(HashSq8Index, FindsMatesAsTheExactSearchDoesWithExactCosines) {
  World w(20000);
  auto idx = make(options(IndexKind::kHashSq8, 2), &w.source);
  auto flat = make(options(IndexKind::kFlat), nullptr);
  ASSERT_TRUE(idx->add(w.ids, w.source.rows()).is_ok());
  ASSERT_TRUE(flat->add(w.ids, w.source.rows()).is_ok());
  EXPECT_NE(idx->describe().find("Hash128+SQ8"), std::string::npos) << idx->describe();
  std::vector<std::uint64_t> mates;
  for (std::uint64_t i = 0; i < 300; ++i) mates.push_back(1 + i * 61);
  const auto q = w.probes(mates);
  auto r = idx->search(q, 50);
  auto e = flat->search(q, 50);
  ASSERT_TRUE(r && e);
  int same_top1 = 0, mate_exact = 0, mate_both = 0;
  std::vector<float> v(kDim);
  for (int i = 0; i < r->queries; ++i) {
    same_top1 += r->ids_of(i)[0] == e->ids_of(i)[0];
    const bool in_e = std::find(e->ids_of(i).begin(), e->ids_of(i).end(), mates[i]) != e->ids_of(i).end();
    mate_exact += in_e;
    mate_both += in_e && std::find(r->ids_of(i).begin(), r->ids_of(i).end(), mates[i]) != r->ids_of(i).end();
    for (int j = 0; j < 50; ++j) {
      ASSERT_TRUE(w.source.get(r->ids_of(i)[j], v));
      EXPECT_NEAR(r->scores_of(i)[j], exact_cosine(std::span(q).subspan(i * kDim, kDim), v), 1e-4);
    }
  }
  EXPECT_GE(same_top1, 297) << "rank 1 as the exact search, of 300";
  EXPECT_GT(mate_exact, 250);
  EXPECT_GE(mate_both, mate_exact - 1) << "mate recall at 50 against the exact search";
}

TEST(HashSq8Index, WithoutSourceScoresAreCloseApproximations) {
  World w(5000);
  auto idx = make(options(IndexKind::kHashSq8), nullptr);
  ASSERT_TRUE(idx->add(w.ids, w.source.rows()).is_ok());
  const auto q = w.probes({10, 20, 30});
  auto r = idx->search(q, 10);
  ASSERT_TRUE(r.has_value());
  std::vector<float> v(kDim);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(r->ids_of(i)[0], 10u * (i + 1));
    for (int j = 0; j < 10; ++j) {
      w.source.get(r->ids_of(i)[j], v);
      EXPECT_NEAR(r->scores_of(i)[j], exact_cosine(std::span(q).subspan(i * kDim, kDim), v), 0.02);
    }
  }
}

TEST(HashSq8Index, DeepRerankIsExactlyTheFlatSearchAcrossShards) {
  World w(3000);
  auto o = options(IndexKind::kHashSq8, 3);
  o.rerank_depth = 3000;  // the shortlist holds every row: nothing approximate is left
  auto hash = make(o, &w.source);
  auto flat = make(options(IndexKind::kFlat), nullptr);
  ASSERT_TRUE(hash->add(w.ids, w.source.rows()).is_ok());
  ASSERT_TRUE(flat->add(w.ids, w.source.rows()).is_ok());
  const auto q = w.probes({5, 500, 1500, 2999});
  auto a = hash->search(q, 30);
  auto b = flat->search(q, 30);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->ids, b->ids);
}

TEST(HashSq8Index, RemovedRowsVanishAndSwappedRowsStayFindable) {
  World w(9000);  // three pages of 4096 rows: removal moves rows across pages
  auto idx = make(options(IndexKind::kHashSq8), &w.source);
  ASSERT_TRUE(idx->add(w.ids, w.source.rows()).is_ok());
  std::vector<std::uint64_t> gone;
  for (std::uint64_t i = 1; i <= 9000; i += 7) gone.push_back(i);
  ASSERT_TRUE(idx->remove(gone).is_ok());
  EXPECT_EQ(idx->size(), 9000u - gone.size());
  // Self-queries: a kept row (some were moved by swap-with-last) finds itself at cosine 1.
  for (std::uint64_t id : {2ull, 4100ull, 8999ull, 9000ull, 8000ull}) {
    auto r = idx->search(std::span(w.source.rows()).subspan((id - 1) * kDim, kDim), 3);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->ids_of(0)[0], id);
    EXPECT_NEAR(r->scores_of(0)[0], 1.0f, 1e-5);
  }
  auto r = idx->search(std::span(w.source.rows()).first(50 * kDim), 20);  // ids 1..50
  ASSERT_TRUE(r.has_value());
  for (auto id : r->ids) EXPECT_NE(id % 7, 1u) << "removed id " << id << " returned";
}

class TempDir {
 public:
  TempDir() : path_(std::filesystem::temp_directory_path() / ("tunggal-cindex-" + std::to_string(::getpid()) + "-" + std::to_string(n_++))) {
    std::filesystem::remove_all(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::filesystem::path& path() const { return path_; }

 private:
  static inline int n_ = 0;
  std::filesystem::path path_;
};

// Store changes: seq i adds id i; the snapshot covers seq 6000; then 6001..9000 and removals.
void snapshot_replay_equals_rebuild(IndexOptions o) {
  World w(9000);
  const auto rows = std::span(w.source.rows());
  const auto ids = std::span(w.ids);
  std::vector<std::uint64_t> removed{17, 6100, 4242};
  TempDir dir;
  {
    auto live = make(o, &w.source);
    ASSERT_TRUE(live->add(ids.first(6000), rows.first(6000 * kDim)).is_ok());
    ASSERT_TRUE(live->save(dir.path(), 6000).is_ok());
  }
  auto loaded = load_index(dir.path(), &w.source);
  ASSERT_TRUE(loaded.has_value()) << loaded.status().to_string();
  EXPECT_EQ(loaded->covered_seq, 6000u);
  ASSERT_TRUE(loaded->index->add(ids.subspan(6000), rows.subspan(6000 * kDim)).is_ok());
  ASSERT_TRUE(loaded->index->remove(removed).is_ok());

  auto rebuilt = make(o, &w.source);
  ASSERT_TRUE(rebuilt->add(ids.first(6000), rows.first(6000 * kDim)).is_ok());
  ASSERT_TRUE(rebuilt->add(ids.subspan(6000), rows.subspan(6000 * kDim)).is_ok());
  ASSERT_TRUE(rebuilt->remove(removed).is_ok());

  EXPECT_EQ(loaded->index->describe(), rebuilt->describe());
  std::vector<std::uint64_t> mates;
  for (std::uint64_t i = 1; i <= 9000; i += 97) mates.push_back(i);
  const auto q = w.probes(mates);
  auto a = loaded->index->search(q, 20);
  auto b = rebuilt->search(q, 20);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->ids, b->ids);
  EXPECT_EQ(a->scores, b->scores);
}

TEST(HashSq8Index, SnapshotPlusReplayEqualsRebuild) { snapshot_replay_equals_rebuild(options(IndexKind::kHashSq8, 2)); }

// An index saved with one Hamming shortlist searches with the loading process's own when it asks
// (the engine passes EngineOptions::fused_shortlist_per_million): a default raised later applies to
// existing data directories without a rebuild, and the next snapshot records it.
TEST(HashSq8Index, LoadedSnapshotSearchesWithTheOverriddenShortlist) {
  World w(6000);
  const auto rows = std::span(w.source.rows());
  const auto ids = std::span(w.ids);
  auto saved_with = options(IndexKind::kHashSq8, 2);  // 1000 per million: the re-rank depth rules
  auto wanted = saved_with;
  wanted.hash_shortlist_per_million = 400000;  // 40% of each shard
  TempDir dir, again;
  {
    auto live = make(saved_with, &w.source);
    ASSERT_TRUE(live->add(ids, rows).is_ok());
    ASSERT_TRUE(live->save(dir.path(), 6000).is_ok());
  }
  auto fresh = make(wanted, &w.source);
  ASSERT_TRUE(fresh->add(ids, rows).is_ok());
  auto as_saved = load_index(dir.path(), &w.source);
  ASSERT_TRUE(as_saved.has_value()) << as_saved.status().to_string();
  ASSERT_NE(as_saved->index->describe(), fresh->describe());

  auto loaded = load_index(dir.path(), &w.source, SearchOverrides{400000});
  ASSERT_TRUE(loaded.has_value()) << loaded.status().to_string();
  EXPECT_EQ(loaded->index->describe(), fresh->describe());
  std::vector<std::uint64_t> mates;
  for (std::uint64_t i = 1; i <= 6000; i += 61) mates.push_back(i);
  const auto q = w.probes(mates);
  auto a = loaded->index->search(q, 20);
  auto b = fresh->search(q, 20);
  ASSERT_TRUE(a.has_value() && b.has_value());
  EXPECT_EQ(a->ids, b->ids);

  ASSERT_TRUE(loaded->index->save(again.path(), 6000).is_ok());
  auto reloaded = load_index(again.path(), &w.source);
  ASSERT_TRUE(reloaded.has_value());
  EXPECT_EQ(reloaded->index->describe(), fresh->describe());
  EXPECT_EQ(load_index(dir.path(), &w.source, SearchOverrides{-1}).status().code(), ErrorCode::kInvalidArgument);
}

TEST(IvfSq8Index, SnapshotPlusReplayEqualsRebuild) {
  auto o = options(IndexKind::kIvfSq8, 2);
  o.ivf_vectors_per_list = 64;  // trains at 1024 vectors per shard
  snapshot_replay_equals_rebuild(o);
}

TEST(IvfSq8Index, TrainsOnceTrainableAndRetrainsWhenGrown) {
  World w(12000);
  auto o = options(IndexKind::kIvfSq8);
  o.ivf_vectors_per_list = 50;  // trainable at 800
  o.retrain_growth = 4;
  o.ivf_probe_fraction = 0.25f;
  auto idx = make(o, &w.source);
  const auto rows = std::span(w.source.rows());
  ASSERT_TRUE(idx->add(std::span(w.ids).first(500), rows.first(500 * kDim)).is_ok());
  EXPECT_EQ(idx->describe(), "1 shard x Flat");
  ASSERT_TRUE(idx->add(std::span(w.ids).subspan(500, 500), rows.subspan(500 * kDim, 500 * kDim)).is_ok());
  EXPECT_NE(idx->describe().find("IVF20,SQ8"), std::string::npos) << idx->describe();  // 1000 / 50 lists
  ASSERT_TRUE(idx->add(std::span(w.ids).subspan(1000, 2000), rows.subspan(1000 * kDim, 2000 * kDim)).is_ok());
  EXPECT_NE(idx->describe().find("IVF20,SQ8"), std::string::npos) << "3000 < 4 x 1000: no retraining yet";
  ASSERT_TRUE(idx->add(std::span(w.ids).subspan(3000), rows.subspan(3000 * kDim)).is_ok());
  EXPECT_NE(idx->describe().find("IVF240,SQ8"), std::string::npos) << idx->describe();  // retrained at 12000
  EXPECT_EQ(idx->size(), 12000u);
  // Self-queries land in their own list, always probed.
  auto r = idx->search(rows.first(100 * kDim), 1);
  ASSERT_TRUE(r.has_value());
  for (int i = 0; i < 100; ++i) EXPECT_EQ(r->ids_of(i)[0], static_cast<std::uint64_t>(i + 1));
}

TEST(AutoIndex, StaysExactWhileSmallThenSwitchesToHash) {
  World w(6000);
  auto o = options(IndexKind::kAuto, 2);
  o.auto_switch_size = 5000;
  auto idx = make(o, &w.source);
  const auto rows = std::span(w.source.rows());
  ASSERT_TRUE(idx->add(std::span(w.ids).first(4000), rows.first(4000 * kDim)).is_ok());
  EXPECT_EQ(idx->describe(), "2 shards x Flat");
  ASSERT_TRUE(idx->add(std::span(w.ids).subspan(4000), rows.subspan(4000 * kDim)).is_ok());
  EXPECT_NE(idx->describe().find("Hash128+SQ8"), std::string::npos) << idx->describe();
  EXPECT_EQ(idx->describe().find("Flat"), std::string::npos) << idx->describe();
  EXPECT_EQ(idx->size(), 6000u);
  auto r = idx->search(w.probes({1, 4500, 6000}), 5);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->ids_of(0)[0], 1u);
  EXPECT_EQ(r->ids_of(1)[0], 4500u);
  EXPECT_EQ(r->ids_of(2)[0], 6000u);
}

TEST(CompressedIndex, UnbuiltKindsAreRefusedWithAReason) {
  auto o = options(IndexKind::kHnsw);
  auto idx = make_index(o);
  ASSERT_FALSE(idx.has_value());
  EXPECT_NE(idx.status().message().find("not built"), std::string::npos);
}

}  // namespace
}  // namespace tunggal::index

namespace tunggal::index {
namespace {
// A batch of probes must get the answers each probe gets alone (the engine searches micro-batches;
// diagnostics and identify search one probe).
TEST(HashSq8Index, BatchedSearchAnswersAsSingleSearches) {
  World w(60000, 64);
  IndexOptions o = options(IndexKind::kHashSq8, 4);
  o.dimension = 64;
  auto idx = make(o, nullptr);
  ASSERT_TRUE(idx->add(w.ids, w.source.rows()).is_ok());
  std::vector<std::uint64_t> mates;
  for (std::uint64_t i = 0; i < 64; ++i) mates.push_back(1 + i * 797);
  const auto q = w.probes(mates);
  auto batch = idx->search(q, 200);
  ASSERT_TRUE(batch);
  int differ = 0;
  for (std::size_t i = 0; i < mates.size(); ++i) {
    auto one = idx->search(std::span(q).subspan(i * 64, 64), 200);
    ASSERT_TRUE(one);
    const auto a = batch->ids_of(static_cast<int>(i));
    const auto b = one->ids_of(0);
    differ += !std::equal(a.begin(), a.end(), b.begin(), b.end());
  }
  EXPECT_EQ(differ, 0) << "of 64 probes";
}
}  // namespace
}  // namespace tunggal::index
