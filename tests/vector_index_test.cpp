// Issue 4: the candidate index. Exactness of the shard merge against one index and a brute-force
// scan, bad input, removal, snapshot + replay == rebuild, concurrent add + search.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <filesystem>
#include <limits>
#include <random>
#include <thread>

#include "index/vector_index.h"

namespace tunggal::index {
namespace {

// Deterministic vector for an id, so any reader can recompute what an id's vector must be.
std::vector<float> vector_for(std::uint64_t id, int dim) {
  std::mt19937_64 rng(id * 7919 + 17);
  std::normal_distribution<float> g;
  std::vector<float> v(dim);
  double n2 = 0;
  for (float& x : v) { x = g(rng); n2 += x * x; }
  for (float& x : v) x = static_cast<float>(x / std::sqrt(n2));
  return v;
}

std::vector<float> vectors_for(const std::vector<std::uint64_t>& ids, int dim) {
  std::vector<float> all;
  for (auto id : ids) { auto v = vector_for(id, dim); all.insert(all.end(), v.begin(), v.end()); }
  return all;
}

std::vector<std::uint64_t> id_range(std::uint64_t from, std::uint64_t to) {
  std::vector<std::uint64_t> ids;
  for (auto i = from; i < to; ++i) ids.push_back(i);
  return ids;
}

std::unique_ptr<VectorIndex> flat(int dim, int shards) {
  IndexOptions o;
  o.dimension = dim;
  o.shards = shards;
  o.kind = IndexKind::kFlat;
  auto idx = make_index(o);
  EXPECT_TRUE(idx.has_value()) << idx.status().to_string();
  return std::move(*idx);
}

float dot(std::span<const float> a, std::span<const float> b) {
  double s = 0;
  for (std::size_t i = 0; i < a.size(); ++i) s += static_cast<double>(a[i]) * b[i];
  return static_cast<float>(s);
}

constexpr int kDim = 64;

TEST(VectorIndex, FlatMatchesBruteForceScan) {
  auto idx = flat(kDim, 1);
  const auto ids = id_range(1, 2001);
  ASSERT_TRUE(idx->add(ids, vectors_for(ids, kDim)).is_ok());
  const auto qids = id_range(5000, 5030);  // 30 queries: FAISS takes its BLAS path (>= 20)
  const auto q = vectors_for(qids, kDim);
  auto r = idx->search(q, 10);
  ASSERT_TRUE(r.has_value());
  for (int i = 0; i < r->queries; ++i) {
    std::vector<std::pair<float, std::uint64_t>> all;
    for (auto id : ids) all.emplace_back(dot(std::span(q).subspan(i * kDim, kDim), vector_for(id, kDim)), id);
    std::sort(all.begin(), all.end(), [](auto& a, auto& b) { return a.first > b.first; });
    for (int j = 0; j < 10; ++j) {
      EXPECT_EQ(r->ids_of(i)[j], all[j].second) << "query " << i << " rank " << j;
      EXPECT_NEAR(r->scores_of(i)[j], all[j].first, 1e-5);
    }
  }
}

TEST(VectorIndex, ShardsMergeExactlyAsOneIndex) {
  auto one = flat(kDim, 1);
  auto many = flat(kDim, 5);
  const auto ids = id_range(1, 3001);
  const auto v = vectors_for(ids, kDim);
  ASSERT_TRUE(one->add(ids, v).is_ok());
  ASSERT_TRUE(many->add(ids, v).is_ok());
  EXPECT_EQ(many->size(), 3000u);
  for (int nq : {1, 7, 64}) {  // single probes (SIMD scan) and batches (BLAS)
    const auto q = vectors_for(id_range(10000, 10000 + nq), kDim);
    auto a = one->search(q, 50);
    auto b = many->search(q, 50);
    ASSERT_TRUE(a && b);
    EXPECT_EQ(a->ids, b->ids) << nq << " queries";
    for (std::size_t i = 0; i < a->scores.size(); ++i) EXPECT_NEAR(a->scores[i], b->scores[i], 1e-5);
  }
  EXPECT_NE(many->describe().find("5 shards"), std::string::npos) << many->describe();
}

TEST(VectorIndex, SelfQueryFindsItselfAndRowsArePadded) {
  auto idx = flat(kDim, 3);
  const auto ids = id_range(100, 104);
  ASSERT_TRUE(idx->add(ids, vectors_for(ids, kDim)).is_ok());
  auto r = idx->search(vector_for(102, kDim), 8);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->ids_of(0)[0], 102u);
  EXPECT_NEAR(r->scores_of(0)[0], 1.0f, 1e-5);
  for (int j = 4; j < 8; ++j) {
    EXPECT_EQ(r->ids_of(0)[j], kNoId);
    EXPECT_EQ(r->scores_of(0)[j], -std::numeric_limits<float>::infinity());
  }
  auto empty = flat(kDim, 2)->search(vector_for(1, kDim), 3);
  ASSERT_TRUE(empty.has_value());
  EXPECT_EQ(empty->ids_of(0)[0], kNoId);
}

TEST(VectorIndex, NonUnitVectorsAreNormalised) {
  auto idx = flat(kDim, 2);
  auto v = vector_for(9, kDim);
  for (float& x : v) x *= 37.5f;
  std::vector<std::uint64_t> id{9};
  ASSERT_TRUE(idx->add(id, v).is_ok());
  auto q = vector_for(9, kDim);
  for (float& x : q) x *= 0.01f;
  auto r = idx->search(q, 1);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->ids_of(0)[0], 9u);
  EXPECT_NEAR(r->scores_of(0)[0], 1.0f, 1e-5);  // a cosine, not 375
}

TEST(VectorIndex, RejectsBadInputAndChangesNothing) {
  auto idx = flat(kDim, 2);
  const auto ids = id_range(1, 11);
  ASSERT_TRUE(idx->add(ids, vectors_for(ids, kDim)).is_ok());
  auto v = vectors_for({20, 21}, kDim);
  std::vector<std::uint64_t> two{20, 21};

  EXPECT_EQ(idx->add(two, std::span(v).first(kDim * 2 - 1)).code(), ErrorCode::kInvalidArgument);  // wrong size
  auto nan = v;
  nan[kDim + 3] = std::numeric_limits<float>::quiet_NaN();
  Status s = idx->add(two, nan);
  EXPECT_EQ(s.code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(s.message().find("vector 1"), std::string::npos) << s.message();
  auto inf = v;
  inf[0] = std::numeric_limits<float>::infinity();
  EXPECT_EQ(idx->add(two, inf).code(), ErrorCode::kInvalidArgument);
  auto zero = v;
  std::fill(zero.begin() + kDim, zero.end(), 0.0f);
  s = idx->add(two, zero);
  EXPECT_EQ(s.code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(s.message().find("zeros"), std::string::npos) << s.message();
  std::vector<std::uint64_t> with_zero{20, 0}, repeated{20, 20}, existing{20, 5};
  EXPECT_EQ(idx->add(with_zero, v).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(idx->add(repeated, v).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(idx->add(existing, v).code(), ErrorCode::kAlreadyExists);
  EXPECT_EQ(idx->size(), 10u) << "a rejected batch must add nothing";

  std::vector<std::uint64_t> unknown{3, 999};
  s = idx->remove(unknown);
  EXPECT_EQ(s.code(), ErrorCode::kNotFound);
  EXPECT_NE(s.message().find("999"), std::string::npos) << s.message();
  EXPECT_EQ(idx->size(), 10u) << "a rejected remove must remove nothing";

  EXPECT_EQ(idx->search(std::span(v).first(kDim - 1), 5).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(idx->search(std::span(v).first(kDim), 0).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(idx->search(std::span(nan).subspan(kDim), 5).status().code(), ErrorCode::kInvalidArgument);

  IndexOptions bad;
  bad.dimension = 0;
  EXPECT_FALSE(make_index(bad).has_value());
  bad.dimension = 64;
  bad.shards = 0;
  EXPECT_FALSE(make_index(bad).has_value());
}

TEST(VectorIndex, RemovedIdsAreNeverReturned) {
  auto idx = flat(kDim, 3);
  const auto ids = id_range(1, 501);
  ASSERT_TRUE(idx->add(ids, vectors_for(ids, kDim)).is_ok());
  std::vector<std::uint64_t> gone;
  for (std::uint64_t i = 1; i <= 500; i += 3) gone.push_back(i);
  ASSERT_TRUE(idx->remove(gone).is_ok());
  EXPECT_EQ(idx->size(), 500u - gone.size());
  const auto q = vectors_for(gone, kDim);
  auto r = idx->search(q, 5);
  ASSERT_TRUE(r.has_value());
  for (int i = 0; i < r->queries; ++i) {
    for (auto id : r->ids_of(i)) EXPECT_NE(id % 3, 1u) << "removed id " << id << " returned";
  }
  // A kept vector still finds itself after the swap-with-last removals.
  auto self = idx->search(vector_for(500, kDim), 1);
  EXPECT_EQ(self->ids_of(0)[0], 500u);
  // Re-adding a removed id is allowed.
  std::vector<std::uint64_t> back{1};
  EXPECT_TRUE(idx->add(back, vector_for(1, kDim)).is_ok());
}

class TempDir {
 public:
  TempDir() : path_(std::filesystem::temp_directory_path() / ("tunggal-index-test-" + std::to_string(::getpid()) + "-" +
                                                              std::to_string(counter_++))) {
    std::filesystem::remove_all(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::filesystem::path& path() const { return path_; }

 private:
  static inline int counter_ = 0;
  std::filesystem::path path_;
};

TEST(VectorIndex, SnapshotPlusReplayEqualsRebuild) {
  TempDir dir;
  // "Store": change i adds id i (i <= 1500), then removes some; snapshot after change 1000.
  auto live = flat(kDim, 4);
  const auto first = id_range(1, 1001);
  ASSERT_TRUE(live->add(first, vectors_for(first, kDim)).is_ok());
  ASSERT_TRUE(live->save(dir.path(), 1000).is_ok());
  const auto later = id_range(1001, 1501);
  std::vector<std::uint64_t> removed{7, 1200, 333};
  ASSERT_TRUE(live->add(later, vectors_for(later, kDim)).is_ok());
  ASSERT_TRUE(live->remove(removed).is_ok());

  auto loaded = load_index(dir.path());
  ASSERT_TRUE(loaded.has_value()) << loaded.status().to_string();
  EXPECT_EQ(loaded->covered_seq, 1000u);
  EXPECT_EQ(loaded->index->size(), 1000u);
  ASSERT_TRUE(loaded->index->add(later, vectors_for(later, kDim)).is_ok());  // replay what is newer
  ASSERT_TRUE(loaded->index->remove(removed).is_ok());

  auto rebuilt = flat(kDim, 4);
  auto all = id_range(1, 1501);
  ASSERT_TRUE(rebuilt->add(all, vectors_for(all, kDim)).is_ok());
  ASSERT_TRUE(rebuilt->remove(removed).is_ok());

  const auto q = vectors_for(id_range(20000, 20040), kDim);
  auto a = loaded->index->search(q, 20);
  auto b = rebuilt->search(q, 20);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->ids, b->ids);
  EXPECT_EQ(loaded->index->size(), rebuilt->size());

  // A second save replaces the first and leaves no stale shard files.
  ASSERT_TRUE(loaded->index->save(dir.path(), 1503).is_ok());
  int files = 0;
  for ([[maybe_unused]] auto& e : std::filesystem::directory_iterator(dir.path())) ++files;
  EXPECT_EQ(files, 5);
  EXPECT_EQ(load_index(dir.path())->covered_seq, 1503u);
}

// capture() copies the index as it is, so the engine can release its decide lock before the disk
// is written: adds and removes after the capture are not in what write() puts on disk. Over 64 KiB
// per shard, so the in-memory copy spans several chunks; flat and compressed shards both. The
// memory is reserved (reserve_capture) before the last rows are added, as the engine reserves it
// before taking its lock: those rows go into fresh chunks beyond the reserved ones.
TEST(VectorIndex, ACaptureWrittenLaterHoldsTheIndexAsItWasCaptured) {
  for (IndexKind kind : {IndexKind::kFlat, IndexKind::kHashSq8}) {
    SCOPED_TRACE(std::string(to_string(kind)));
    TempDir dir;
    IndexOptions o;
    o.dimension = kDim;
    o.shards = 3;
    o.kind = kind;
    auto made = make_index(o);
    ASSERT_TRUE(made.has_value()) << made.status().to_string();
    std::unique_ptr<VectorIndex> live = std::move(*made);
    const auto first = id_range(1, 3001);  // ~256 KiB of flat vectors per shard
    const auto most = id_range(1, 2901), rest = id_range(2901, 3001);
    ASSERT_TRUE(live->add(most, vectors_for(most, kDim)).is_ok());
    auto space = live->reserve_capture();
    ASSERT_NE(space, nullptr);
    EXPECT_GT(space->bytes(), 2900u * kDim);
    ASSERT_TRUE(live->add(rest, vectors_for(rest, kDim)).is_ok());
    auto image = live->capture(3000, std::move(space));
    ASSERT_NE(image, nullptr);
    EXPECT_EQ(image->covered_seq(), 3000u);
    EXPECT_GT(image->bytes(), 3000u * (kind == IndexKind::kFlat ? kDim * sizeof(float) : kDim));
    const auto later = id_range(3001, 3201);
    const std::vector<std::uint64_t> removed{7, 1200, 333};
    ASSERT_TRUE(live->add(later, vectors_for(later, kDim)).is_ok());
    ASSERT_TRUE(live->remove(removed).is_ok());
    ASSERT_TRUE(image->write(dir.path()).is_ok());

    auto loaded = load_index(dir.path());
    ASSERT_TRUE(loaded.has_value()) << loaded.status().to_string();
    EXPECT_EQ(loaded->covered_seq, 3000u);
    EXPECT_EQ(loaded->index->size(), 3000u);
    auto same = make_index(o);
    ASSERT_TRUE(same.has_value());
    ASSERT_TRUE((*same)->add(first, vectors_for(first, kDim)).is_ok());
    const auto q = vectors_for({7, 333, 1200, 3100, 42}, kDim);
    auto a = loaded->index->search(q, 5);
    auto b = (*same)->search(q, 5);
    ASSERT_TRUE(a && b);
    EXPECT_EQ(a->ids, b->ids);
    EXPECT_EQ(a->ids_of(0)[0], 7u) << "a subject removed after the capture is in its snapshot";
    EXPECT_NE(a->ids_of(3)[0], 3100u) << "a subject added after the capture is in its snapshot";
  }
}

TEST(VectorIndex, CorruptOrMissingSnapshotIsAnError) {
  TempDir dir;
  EXPECT_EQ(load_index(dir.path()).status().code(), ErrorCode::kNotFound);
  auto idx = flat(kDim, 2);
  const auto ids = id_range(1, 50);
  ASSERT_TRUE(idx->add(ids, vectors_for(ids, kDim)).is_ok());
  ASSERT_TRUE(idx->save(dir.path(), 5).is_ok());
  for (auto& e : std::filesystem::directory_iterator(dir.path())) {
    if (e.path().extension() == ".bin") std::filesystem::resize_file(e.path(), std::filesystem::file_size(e.path()) / 2);
  }
  EXPECT_EQ(load_index(dir.path()).status().code(), ErrorCode::kCorruption);
}

TEST(VectorIndex, ConcurrentAddAndSearchGiveConsistentResults) {
  auto idx = flat(kDim, 4);
  const auto seed = id_range(1, 201);
  ASSERT_TRUE(idx->add(seed, vectors_for(seed, kDim)).is_ok());
  std::atomic<bool> done{false};
  std::atomic<int> torn{0}, searches{0};
  auto reader = [&](std::uint64_t qid) {
    const auto q = vectors_for(id_range(qid, qid + 8), kDim);
    while (!done) {
      auto r = idx->search(q, 10);
      if (!r) { ++torn; continue; }
      for (int i = 0; i < r->queries; ++i) {
        for (int j = 0; j < 10; ++j) {
          const auto id = r->ids_of(i)[j];
          if (id == kNoId) { ++torn; continue; }
          // Every returned score must be exactly that id's vector against the query.
          if (std::abs(r->scores_of(i)[j] - dot(std::span(q).subspan(i * kDim, kDim), vector_for(id, kDim))) > 1e-4f) ++torn;
          if (j > 0 && r->scores_of(i)[j] > r->scores_of(i)[j - 1]) ++torn;
        }
      }
      ++searches;
    }
  };
  std::thread r1(reader, 90000), r2(reader, 91000);
  while (searches.load() == 0) std::this_thread::yield();  // writes must overlap searches
  for (std::uint64_t b = 0; b < 40; ++b) {
    const auto ids = id_range(1000 + b * 50, 1050 + b * 50);
    ASSERT_TRUE(idx->add(ids, vectors_for(ids, kDim)).is_ok());
    if (b % 4 == 3) {
      std::vector<std::uint64_t> gone{1000 + b * 50, 1001 + b * 50};
      ASSERT_TRUE(idx->remove(gone).is_ok());
    }
    std::this_thread::yield();
  }
  done = true;
  r1.join();
  r2.join();
  EXPECT_EQ(torn.load(), 0);
  EXPECT_GT(searches.load(), 0);
  EXPECT_EQ(idx->size(), 200u + 40 * 50 - 20);
}

// hash-SQ8 answers "are these ids new?" without a scan when they are above every id it holds
// (the engine's ids only grow); ids at or below that mark must still be checked, before and
// after a snapshot is loaded.
TEST(VectorIndex, HashSq8RefusesExistingIdsWhateverTheirOrder) {
  IndexOptions o;
  o.dimension = kDim;
  o.shards = 2;
  o.kind = IndexKind::kHashSq8;
  auto made = make_index(o);
  ASSERT_TRUE(made.has_value()) << made.status().to_string();
  auto& idx = *made;
  const auto first = id_range(1, 201);
  ASSERT_TRUE(idx->add(first, vectors_for(first, kDim)).is_ok());
  const std::vector<std::uint64_t> old_one{150}, new_and_old{300, 50}, fresh{201, 202};
  EXPECT_EQ(idx->add(old_one, vectors_for(old_one, kDim)).code(), ErrorCode::kAlreadyExists);
  EXPECT_EQ(idx->add(new_and_old, vectors_for(new_and_old, kDim)).code(), ErrorCode::kAlreadyExists);
  ASSERT_TRUE(idx->add(fresh, vectors_for(fresh, kDim)).is_ok());
  const std::vector<std::uint64_t> gone{100};
  ASSERT_TRUE(idx->remove(gone).is_ok());
  ASSERT_TRUE(idx->add(gone, vectors_for(gone, kDim)).is_ok()) << "a removed id may come back";
  EXPECT_EQ(idx->size(), 202u);

  TempDir dir;
  ASSERT_TRUE(idx->save(dir.path(), 7).is_ok());
  auto loaded = load_index(dir.path());
  ASSERT_TRUE(loaded.has_value()) << loaded.status().to_string();
  EXPECT_EQ(loaded->index->add(old_one, vectors_for(old_one, kDim)).code(), ErrorCode::kAlreadyExists);
  const std::vector<std::uint64_t> top{202}, later{203};
  EXPECT_EQ(loaded->index->add(top, vectors_for(top, kDim)).code(), ErrorCode::kAlreadyExists);
  EXPECT_TRUE(loaded->index->add(later, vectors_for(later, kDim)).is_ok());
  EXPECT_EQ(loaded->index->size(), 203u);
}

}  // namespace
}  // namespace tunggal::index
