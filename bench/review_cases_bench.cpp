// `tunggal admin show subject ID` (admin::answer, kShowSubject) against a store holding many
// reprocessing review cases: how long one subject's page takes, and how many cases the store keeps.
// BM_ShowSubject reads a store written by add_cases (cases indexed per subject);
// BM_ShowSubjectCasesBeforeIndex one whose cases were written before the per-subject index existed
// (no "review_case_of/" keys), which is read by scanning every case until add_cases next runs.
// Reports times; never passes or fails on time.
//
//   TUNGGAL_BENCH_CASES=100000 build/bench/review_cases_bench --benchmark_counters_tabular=true
//
// TUNGGAL_BENCH_KEEP=1 keeps the two data directories (printed on stderr) for timing the CLI on
// them: `time build/cli/tunggal admin show subject ID --data-dir DIR`.
//
// The gallery: 2 x cases subject records (no biometrics: the page reads one subject's, which are
// not what is measured); each case names two subjects drawn at random, so a subject has about one
// case, as in a gallery whose duplicates are rare. The shown subjects are the first of ten cases'.
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <random>
#include <set>
#include <string>
#include <unistd.h>
#include <vector>

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include "admin/reports.h"
#include "admin/review_cases.h"
#include "bench/bench_env.h"
#include "engine/store.h"

using namespace tunggal;
namespace fs = std::filesystem;

namespace {

using namespace bench;  // Clock, check, env_size, seconds_since (bench/bench_env.h)

struct Fixture {
  fs::path dir;
  std::size_t cases = 0;
  std::vector<SubjectId> shown;  // subjects with at least one case
  double fill_s = 0;
};

admin::ReviewCase make_case(std::mt19937_64& rng, std::uint64_t subjects, std::int64_t at_ms) {
  std::uniform_int_distribution<std::uint64_t> pick(1, subjects);
  std::uint64_t a = pick(rng), b = pick(rng);
  while (b == a) b = pick(rng);
  admin::ReviewCase c;
  c.a = SubjectId{std::min(a, b)};
  c.b = SubjectId{std::max(a, b)};
  c.probe = c.b;
  c.evidence.subject = c.a;
  c.evidence.score = 8.0f + static_cast<float>(rng() % 400) / 100.0f;
  c.evidence.face_score = 0.45f;
  for (std::size_t k = 0; k < c.evidence.finger_scores.size(); ++k)
    c.evidence.finger_scores[k] = 0.05f * static_cast<float>(k);
  c.kind = c.evidence.score >= 9.2f ? VerdictKind::kDuplicate : VerdictKind::kReview;
  c.duplicate_threshold = 9.2f;
  c.review_threshold = 7.1f;
  c.found_at_ms = at_ms;
  return c;
}

// A store of `subjects` subject records and `n` cases. `indexed`: through add_cases, as
// `tunggal reprocess` stores them; otherwise written as a store from before the per-subject index
// holds them (the case keys and values only: admin/review_cases.cpp's format).
Fixture build(const std::string& tag, bool indexed) {
  Fixture x;
  x.cases = env_size("TUNGGAL_BENCH_CASES", 100'000);
  const std::uint64_t subjects = 2 * x.cases;
  x.dir = scratch_dir("review_cases_bench_" + tag);
  const auto t0 = Clock::now();
  engine::StoreOptions so;
  so.path = x.dir / "store";
  so.gallery = engine::GalleryConfig{};
  auto store = engine::Store::open(so);
  if (!store) throw StatusError(store.error());
  auto b = (*store)->batch();
  for (std::uint64_t s = 1; s <= subjects; ++s) {
    engine::StoredSubject sub;
    sub.record.id = SubjectId{s};
    sub.record.nik = fmt::format("32730155059{:05}", s % 100'000);
    sub.record.site = "3273-KEC-SUKAJADI-01";
    sub.record.enrollment = EnrollmentId{fmt::format("3273-KEC-SUKAJADI-01/{:09}", s)};
    sub.record.enrolled_at_ms = 1'780'000'000'000 + static_cast<std::int64_t>(s);
    b.put_subject(std::move(sub));
    if (b.size() >= 20'000) check((*store)->commit(std::move(b), engine::Durability::kBuffered));
  }
  check((*store)->commit(std::move(b), engine::Durability::kBuffered));
  std::mt19937_64 rng(20261127);
  std::set<std::pair<std::uint64_t, std::uint64_t>> pairs;
  std::vector<admin::ReviewCase> part;
  auto flush = [&] {
    if (indexed) {
      auto added = admin::add_cases(**store, part);
      if (!added) throw StatusError(added.error());
    } else {
      auto ob = (*store)->batch();
      for (const auto& c : part)
        ob.put_meta(fmt::format("review_case/{:020}-{:020}", c.a.value, c.b.value), admin::encode_case(c));
      check((*store)->commit(std::move(ob), engine::Durability::kBuffered));
    }
    part.clear();
  };
  while (pairs.size() < x.cases) {
    admin::ReviewCase c = make_case(rng, subjects, 1'780'100'000'000 + static_cast<std::int64_t>(pairs.size()));
    if (!pairs.insert({c.a.value, c.b.value}).second) continue;
    if (pairs.size() % (x.cases / 10 + 1) == 1) x.shown.push_back(c.a);
    part.push_back(std::move(c));
    if (part.size() == 10'000) flush();
  }
  flush();
  check((*store)->flush());
  x.fill_s = seconds_since(t0);
  if (std::getenv("TUNGGAL_BENCH_KEEP"))
    std::cerr << fmt::format("{}: {} cases, e.g. `admin show subject {}`\n", x.dir.string(), x.cases, x.shown.front().value);
  return x;
}

Fixture& fixture(bool indexed) {
  static Fixture* with_index = nullptr;
  static Fixture* before_index = nullptr;
  Fixture*& f = indexed ? with_index : before_index;
  if (!f) {
    f = new Fixture(build(indexed ? "indexed" : "before_index", indexed));
    if (!std::getenv("TUNGGAL_BENCH_KEEP")) std::atexit(indexed ? +[] { fs::remove_all(with_index->dir); }
                                                                : +[] { fs::remove_all(before_index->dir); });
  }
  return *f;
}

// One `admin show subject` per iteration (the store opened read-only, as the offline CLI does),
// cycling through the shown subjects.
void show_subject(benchmark::State& state, bool indexed) {
  Fixture& f = fixture(indexed);
  auto store = admin::open_store(f.dir, false);
  if (!store) {
    state.SkipWithError(store.error().to_string().c_str());
    return;
  }
  std::size_t next = 0, listed = 0;
  for (auto _ : state) {
    const SubjectId s = f.shown[next++ % f.shown.size()];
    auto j = admin::answer(**store, {.kind = admin::AdminQuery::Kind::kShowSubject, .id = std::to_string(s.value)},
                           EngineOptions{}, 0);
    if (!j) {
      state.SkipWithError(j.error().to_string().c_str());
      return;
    }
    listed += (*j)["review_cases"].size();
    benchmark::DoNotOptimize(j);
  }
  state.counters["cases"] = static_cast<double>(f.cases);
  state.counters["listed_per_show"] = static_cast<double>(listed) / static_cast<double>(state.iterations());
  state.counters["fill_s"] = f.fill_s;
}

void BM_ShowSubject(benchmark::State& state) { show_subject(state, true); }
void BM_ShowSubjectCasesBeforeIndex(benchmark::State& state) { show_subject(state, false); }

BENCHMARK(BM_ShowSubject)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ShowSubjectCasesBeforeIndex)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
