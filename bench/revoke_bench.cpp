// `tunggal admin delete` (Engine::revoke_subject) against a store holding many verdicts: the time
// per delete split into finding the enrollments confirmed as the subject's duplicates, the synced
// commit, the removal from the RAM gallery and indexes, and Store::erase_overwritten, with the
// verdicts read to find them. Everything but the erase holds the engine's decide lock, during
// which no verdict is decided. Reports times and rates; never passes or fails on time.
//
//   TUNGGAL_BENCH_VERDICTS=200000 build/bench/revoke_bench --benchmark_counters_tabular=true
//
// BM_IndexAtFirstOpen then times the one-time indexing of confirmed duplicates that the first
// writable open of a store written before that index does (docs/store.md "Revocation").
//
// The store is filled the fastest way that writes what the engine writes: Store batches of 5,000
// jobs, each enqueued with its whole enrollment (ten fingers, a 512-d face: what submit() stores)
// and given its verdict in the same batch (what process() records), committed kBuffered, then
// flushed. The mix of verdicts: 1 in 50 REVIEW with 2 candidates, 1 in 100 DUPLICATE with 1, the
// rest UNIQUE; one enrollment per deleted subject is an adjudicated CONFIRMED_DUPLICATE of it,
// spread through the log. The gallery (TUNGGAL_BENCH_SUBJECTS, default 2,000) is imported through
// Engine::import so that its indexes are the engine's own.
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <stdexcept>
#include <vector>
#include <unistd.h>

#include <benchmark/benchmark.h>
#include <rocksdb/db.h>

#include "bench/bench_env.h"
#include "datasets/population.h"
#include "datasets/population_calibration.h"
#include "engine/engine.h"
#include "engine/store.h"
#include "matcher/finger_matcher.h"

using namespace tunggal;
namespace fs = std::filesystem;

namespace {

using namespace bench;  // Clock, check, env_size, seconds_since (bench/bench_env.h)

constexpr std::size_t kDeletes = 10;  // subjects 1..kDeletes are deleted, one per iteration

struct Fixture {
  fs::path dir;
  std::unique_ptr<Engine> engine;
  std::size_t verdicts = 0, subjects = 0;
  double fill_s = 0, import_s = 0, open_s = 0;
  std::uint64_t store_bytes = 0;
};

EngineOptions options(const fs::path& dir) {
  EngineOptions o;
  o.data_dir = dir;
  o.shards = 4;
  return o;
}

// The jobs' enrollments: a few distinct captures reused under new ids (generation is not measured).
const std::vector<Enrollment>& job_pool(const datasets::Population& pop) {
  static const std::vector<Enrollment> pool = [&] {
    std::vector<Enrollment> out;
    for (std::uint64_t i = 0; i < 64; ++i) out.push_back(pop.capture(1'000'000 + i, 1));
    return out;
  }();
  return pool;
}

Candidate candidate(std::uint64_t subject, float score) {
  Candidate c;
  c.subject = SubjectId{subject};
  c.score = score;
  for (std::size_t k = 0; k < c.finger_scores.size(); ++k) c.finger_scores[k] = 0.1f * static_cast<float>(k);
  c.face_score = 0.4f;
  return c;
}

// Verdict i of the log; `linked` (valid) makes it a confirmed duplicate of that subject.
Verdict verdict(std::size_t i, const EnrollmentId& id, std::uint64_t gallery, SubjectId linked) {
  Verdict v;
  v.enrollment = id;
  v.duplicate_threshold = 9.2f;
  v.review_threshold = 7.1f;
  v.decided_at_ms = 1'780'000'000'000 + static_cast<std::int64_t>(i);
  const std::uint64_t other = 1 + (i * 7919) % gallery;
  if (linked.valid()) {
    v.kind = VerdictKind::kDuplicate;
    v.candidates = {candidate(linked.value, 14.0f)};
    v.decision = Decision::kConfirmedDuplicate;
    v.linked_subject = linked;
    v.decided_by = "admin.sari";
    v.decision_reason = "same person, second application";
    v.adjudicated_at_ms = v.decided_at_ms + 3'600'000;
  } else if (i % 100 == 1) {
    v.kind = VerdictKind::kDuplicate;
    v.candidates = {candidate(other, 12.5f)};
  } else if (i % 50 == 2) {
    v.kind = VerdictKind::kReview;
    v.candidates = {candidate(other, 8.0f), candidate(1 + (other * 31) % gallery, 7.4f)};
  } else {
    v.kind = VerdictKind::kUnique;
    v.subject = SubjectId{gallery + 1 + i};
  }
  return v;
}

Fixture* g_fixture = nullptr;

Fixture build() {
  {
    Fixture x;
    x.verdicts = env_size("TUNGGAL_BENCH_VERDICTS", 200'000);
    x.subjects = std::max(env_size("TUNGGAL_BENCH_SUBJECTS", 2'000), kDeletes + 1);
    x.dir = scratch_dir("revoke_bench");
    const datasets::Population pop(datasets::PopulationConfig{.seed = 42});

    datasets::CalibrationOptions co;
    co.identities = 80;
    co.worn_identities = 80;
    auto model = datasets::calibrate_fusion(datasets::Population({.seed = 777}), matcher::FingerMatcher{}, co);
    if (!model) throw StatusError(model.error());
    auto t0 = Clock::now();
    {
      auto e = Engine::open(options(x.dir), *model);
      if (!e) throw StatusError(e.error());
      for (std::size_t done = 0; done < x.subjects;) {
        std::vector<Enrollment> part;
        for (; part.size() < 500 && done < x.subjects; ++done) part.push_back(pop.capture(done, 0));
        auto r = (*e)->import(part);
        if (!r) throw StatusError(r.error());
      }
      check((*e)->finish_import());
    }
    x.import_s = seconds_since(t0);

    t0 = Clock::now();
    {
      engine::StoreOptions so;
      so.path = x.dir / "store";
      auto store = engine::Store::open(so);
      if (!store) throw StatusError(store.error());
      const auto& pool = job_pool(pop);
      const std::size_t every = std::max<std::size_t>(x.verdicts / kDeletes, 1);
      auto b = (*store)->batch();
      for (std::size_t i = 0; i < x.verdicts; ++i) {
        Enrollment e = pool[i % pool.size()];
        e.id = EnrollmentId{"3273-KEC-" + std::to_string(i % 97) + "/" + std::to_string(10'000'000 + i)};
        // The k-th deleted subject's confirmed duplicate sits k/kDeletes of the way through the log.
        const SubjectId linked = i % every == every / 2 && i / every < kDeletes ? SubjectId{1 + i / every} : SubjectId{};
        b.enqueue(e, 1'780'000'000'000 + static_cast<std::int64_t>(i));
        b.record_verdict(verdict(i, e.id, x.subjects, linked));
        if (b.size() >= 10'000) check((*store)->commit(std::move(b), engine::Durability::kBuffered));
      }
      check((*store)->commit(std::move(b), engine::Durability::kBuffered));
      check((*store)->flush());
      x.store_bytes = (*store)->stats().table_bytes;
    }
    x.fill_s = seconds_since(t0);

    t0 = Clock::now();
    auto e = Engine::open(options(x.dir));
    if (!e) throw StatusError(e.error());
    x.engine = std::move(*e);
    x.open_s = seconds_since(t0);
    return x;
  }
}

Fixture& fixture() {
  if (!g_fixture) {
    g_fixture = new Fixture(build());
    std::atexit([] {
      g_fixture->engine.reset();
      fs::remove_all(g_fixture->dir);
    });
  }
  return *g_fixture;
}

// One delete per iteration, subjects 1, 2, ...: each has one confirmed duplicate among the verdicts.
void BM_RevokeSubject(benchmark::State& state) {
  Fixture& f = fixture();
  std::uint64_t next = 1;
  RevokeCost sum;
  for (auto _ : state) {
    RevokeCost c;
    const auto t0 = Clock::now();
    check(f.engine->revoke_subject(SubjectId{next++}, "admin.bench", "bench", &c));
    state.SetIterationTime(seconds_since(t0));
    sum.verdicts_read += c.verdicts_read;
    sum.linked += c.linked;
    sum.find_ms += c.find_ms;
    sum.commit_ms += c.commit_ms;
    sum.unindex_ms += c.unindex_ms;
    sum.erase_ms += c.erase_ms;
    sum.locked_ms += c.locked_ms;
  }
  const auto n = static_cast<double>(state.iterations());
  state.counters["verdicts"] = static_cast<double>(f.verdicts);
  state.counters["verdicts_read"] = static_cast<double>(sum.verdicts_read) / n;
  state.counters["linked"] = static_cast<double>(sum.linked) / n;
  state.counters["find_ms"] = sum.find_ms / n;
  state.counters["commit_ms"] = sum.commit_ms / n;
  state.counters["unindex_ms"] = sum.unindex_ms / n;
  state.counters["erase_ms"] = sum.erase_ms / n;
  state.counters["locked_ms"] = sum.locked_ms / n;
  if (sum.find_ms > 0)
    state.counters["read_per_s"] = static_cast<double>(sum.verdicts_read) / (sum.find_ms / 1000.0);
  state.counters["fill_jobs_per_s"] = static_cast<double>(f.verdicts) / f.fill_s;
  state.counters["store_GB"] = static_cast<double>(f.store_bytes) / 1e9;
  state.counters["open_s"] = f.open_s;
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RevokeSubject)->Iterations(kDeletes)->UseManualTime()->Unit(benchmark::kMillisecond);

// Makes the closed store at `dir` look as a build from before the index of confirmed duplicates
// left it: no "dup_of/" keys, no "dup_of.through" mark.
void forget_confirmed_duplicate_index(const fs::path& dir) {
  std::vector<std::string> names;
  rocksdb::Status s = rocksdb::DB::ListColumnFamilies({}, dir.string(), &names);
  std::vector<rocksdb::ColumnFamilyDescriptor> descs;
  for (const auto& n : names) descs.emplace_back(n, rocksdb::ColumnFamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  if (s.ok()) s = rocksdb::DB::Open({}, dir.string(), descs, &handles, &db);
  if (!s.ok()) throw std::runtime_error("cannot open " + dir.string() + ": " + s.ToString());
  const auto meta = handles[static_cast<std::size_t>(std::find(names.begin(), names.end(), "meta") - names.begin())];
  s = db->DeleteRange({}, meta, "dup_of/", "dup_of0");
  if (s.ok()) s = db->Delete({}, meta, "dup_of.through");
  for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
  delete db;
  if (!s.ok()) throw std::runtime_error("cannot edit " + dir.string() + ": " + s.ToString());
}

// The first writable open of a store from before the index: one scan of every verdict, the keys
// and the mark in one synced WriteBatch. The engine is closed first (it holds the store).
void BM_IndexAtFirstOpen(benchmark::State& state) {
  Fixture& f = fixture();
  f.engine.reset();
  const fs::path store_dir = f.dir / "store";
  double lookup_reads = 0;
  for (auto _ : state) {
    forget_confirmed_duplicate_index(store_dir);
    engine::StoreOptions so;
    so.path = store_dir;
    const auto t0 = Clock::now();
    auto store = engine::Store::open(so);
    if (!store) throw StatusError(store.error());
    state.SetIterationTime(seconds_since(t0));
    auto found = (*store)->confirmed_duplicates_of(SubjectId{1});
    if (!found) throw StatusError(found.error());
    lookup_reads = static_cast<double>(found->verdicts_read);
  }
  state.counters["verdicts"] = static_cast<double>(f.verdicts);
  state.counters["verdicts_read_after"] = lookup_reads;
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * f.verdicts));
}
BENCHMARK(BM_IndexAtFirstOpen)->Iterations(3)->UseManualTime()->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
