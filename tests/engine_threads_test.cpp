// EngineOptions::threads bounds the engine's own parallel work, not only the candidate indexes':
// an operator who sets engine-threads = 1 to leave cores to something else had the full matching
// of candidates (tbb::parallel_for) run on every core anyway.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <tbb/info.h>
#include <tbb/task_arena.h>

#include "engine/engine.h"
#include "tests/engine_fixture.h"

namespace tunggal {
namespace {

using testing::make_temp_dir;
using testing::test_engine_options;
using testing::test_fusion_model;

constexpr std::uint64_t kGallery = 40;

// What the full matching of candidates ran on, seen from EngineOptions::on_full_match.
struct Observed {
  std::atomic<int> now{0}, most_at_once{0}, calls{0}, arena_concurrency{0};
  std::mutex mu;
  std::set<std::thread::id> threads;

  void on_full_match() {
    const int at = ++now;
    int seen = most_at_once.load();
    while (at > seen && !most_at_once.compare_exchange_weak(seen, at)) {
    }
    const int c = tbb::this_task_arena::max_concurrency();
    int wide = arena_concurrency.load();
    while (c > wide && !arena_concurrency.compare_exchange_weak(wide, c)) {
    }
    {
      std::lock_guard lock(mu);
      threads.insert(std::this_thread::get_id());
    }
    ++calls;
    // Long enough for another thread of the arena, if it has one, to take the next candidate.
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    --now;
  }
};

class EngineThreadsTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = make_temp_dir("engine-threads"); }
  void TearDown() override {
    engine_.reset();
    std::filesystem::remove_all(dir_);
  }
  // An engine of `threads` over a small gallery, its full matches reported to observed_.
  void open(int threads) {
    EngineOptions o = test_engine_options(dir_);
    o.threads = threads;
    o.on_full_match = [this] { observed_.on_full_match(); };
    auto e = Engine::open(o, test_fusion_model());
    ASSERT_TRUE(e) << e.error().to_string();
    engine_ = std::move(*e);
    std::vector<Enrollment> gallery;
    for (std::uint64_t i = 0; i < kGallery; ++i) gallery.push_back(pop_.capture(i, 0));
    auto r = engine_->import(gallery);
    ASSERT_TRUE(r) << r.error().to_string();
    ASSERT_EQ(r->imported, kGallery);
  }
  // Second captures of identities [first, first + n): each a mate of one gallery subject.
  std::vector<Enrollment> probes(std::uint64_t first, std::uint64_t n) const {
    std::vector<Enrollment> out;
    for (std::uint64_t i = first; i < first + n; ++i) out.push_back(testing::capture_as(pop_, i, 1, fmt::format("p-{}", i)));
    return out;
  }
  // The subject each probe's verdict names best, or 0.
  static std::vector<std::uint64_t> best_subjects(const std::vector<Expected<Verdict>>& verdicts) {
    std::vector<std::uint64_t> out;
    for (const auto& v : verdicts) out.push_back(v && !v->candidates.empty() ? v->candidates.front().subject.value : 0);
    return out;
  }

  std::filesystem::path dir_;
  datasets::Population pop_{datasets::PopulationConfig{.seed = 42}};
  Observed observed_;
  std::unique_ptr<Engine> engine_;
};

TEST_F(EngineThreadsTest, OneThreadMatchesCandidatesOnOneThreadEvenForTwoCallersAtOnce) {
  open(1);
  // Two identify calls at once (the server's blocking threads) share the engine's one thread.
  std::vector<Expected<Verdict>> a, b;
  std::thread other([&] {
    auto r = engine_->identify_many(probes(0, 3));
    ASSERT_TRUE(r) << r.error().to_string();
    a = std::move(*r);
  });
  auto r = engine_->identify_many(probes(3, 3));
  other.join();
  ASSERT_TRUE(r) << r.error().to_string();
  b = std::move(*r);
  ASSERT_GT(observed_.calls.load(), 20);
  EXPECT_EQ(observed_.arena_concurrency.load(), 1);
  EXPECT_EQ(observed_.most_at_once.load(), 1);
  // And a batch decided by process() too.
  ASSERT_TRUE(engine_->submit(probes(6, 3)));
  auto decided = engine_->process_all();
  ASSERT_TRUE(decided) << decided.error().to_string();
  EXPECT_EQ(decided->size(), 3u);
  EXPECT_EQ(observed_.most_at_once.load(), 1);
  // The bound changes where the work runs, not what it finds: each probe's mate is its best.
  EXPECT_EQ(best_subjects(a), (std::vector<std::uint64_t>{1, 2, 3}));
  EXPECT_EQ(best_subjects(b), (std::vector<std::uint64_t>{4, 5, 6}));
}

TEST_F(EngineThreadsTest, TwoThreadsMatchOnAtMostTwoWhateverTheCallers) {
  open(2);
  auto r = engine_->identify_many(probes(0, 4));
  ASSERT_TRUE(r) << r.error().to_string();
  ASSERT_GT(observed_.calls.load(), 20);
  EXPECT_EQ(observed_.arena_concurrency.load(), 2);
  EXPECT_LE(observed_.most_at_once.load(), 2);
  // With two cores a second thread takes part (with one, TBB has no worker to give).
  if (tbb::info::default_concurrency() >= 2) {
    EXPECT_GE(observed_.threads.size(), 2u);
  }
  EXPECT_EQ(best_subjects(*r), (std::vector<std::uint64_t>{1, 2, 3, 4}));
  // Three callers at once still share the two.
  std::vector<std::thread> callers;
  std::vector<std::vector<std::uint64_t>> best(3);
  for (std::uint64_t c = 0; c < 3; ++c)
    callers.emplace_back([&, c] {
      auto v = engine_->identify_many(probes(4 + 2 * c, 2));
      ASSERT_TRUE(v) << v.error().to_string();
      best[c] = best_subjects(*v);
    });
  for (auto& t : callers) t.join();
  EXPECT_LE(observed_.most_at_once.load(), 2);
  for (std::uint64_t c = 0; c < 3; ++c) EXPECT_EQ(best[c], (std::vector<std::uint64_t>{5 + 2 * c, 6 + 2 * c}));
}

TEST_F(EngineThreadsTest, ANegativeThreadCountIsRefusedAtOpen) {
  EngineOptions o = test_engine_options(dir_);
  o.threads = -1;
  auto e = Engine::open(o, test_fusion_model());
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(e.error().message().find("threads must be >= 0"), std::string::npos) << e.error().message();
}

}  // namespace
}  // namespace tunggal
