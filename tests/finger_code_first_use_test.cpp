// The finger-code model is trained (with tbb::parallel_for) on first use, inside a function-local
// static (matcher/finger_code.cpp). That first use usually comes from TBB tasks (the engine
// prepares a probe's fingers in parallel). A thread waiting in the training's parallel_for may
// run other ready tasks; without isolation it can pick up a sibling task that reaches the same
// static, which then waits on its own initialisation forever.
//
// A binary of its own, so that the model is not yet built when this test starts (ctest also runs
// every test case in a process of its own). Bounded in time: on a hang it reports and exits
// instead of holding CI until ctest's timeout.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <vector>

#include <tbb/blocked_range.h>
#include <tbb/global_control.h>
#include <tbb/parallel_for.h>
#include <tbb/partitioner.h>
#include <tbb/task_arena.h>

#include "matcher/detail/synthetic_finger.h"
#include "matcher/finger_code.h"

namespace tunggal::matcher {
namespace {

TEST(FingerCodeFirstUse, ManyTbbTasksAtOnceFinish) {
  constexpr int kTasks = 32;
  // More threads than this machine's cores on purpose: the hang needs a thread that is free to
  // steal part of the training while the initialising thread runs out of its own training tasks
  // and takes a sibling instead; threads blocked on the static use no CPU. Without the isolation
  // on a 2-core machine this hung 7 runs of 8 (16 tasks on 16 threads: 3 of 8; 64 tasks on 16
  // threads, where every thread soon blocks on the static and none is free: 0 of 5).
  constexpr int kThreads = 32;
  constexpr auto kLimit = std::chrono::seconds(120);

  // Prepared first: prepare() does not touch the finger-code model.
  std::vector<PreparedTemplate> probes;
  for (int i = 0; i < kTasks; ++i) {
    auto p = FingerMatcher{}.prepare(detail::synthetic_finger(std::uint64_t(1000 + i), 30 + i % 20));
    ASSERT_TRUE(p.has_value()) << p.status().to_string();
    probes.push_back(std::move(p).value());
  }

  tbb::global_control allow(tbb::global_control::max_allowed_parallelism, kThreads);
  tbb::task_arena arena(kThreads);
  std::vector<std::vector<float>> codes(kTasks);
  auto done = std::async(std::launch::async, [&] {
    arena.execute([&] {
      // One task per item, so that every thread's deque holds sibling tasks that make a first use.
      tbb::parallel_for(
          tbb::blocked_range<int>(0, kTasks, 1),
          [&](const tbb::blocked_range<int>& r) {
            for (int i = r.begin(); i != r.end(); ++i) codes[std::size_t(i)] = make_finger_code(probes[std::size_t(i)]);
          },
          tbb::simple_partitioner{});
    });
  });
  if (done.wait_for(kLimit) != std::future_status::ready) {
    std::fprintf(stderr,
                 "FingerCodeFirstUse: %d TBB tasks making the first use of the finger-code model did not finish "
                 "in %lld s: the model's training (FingerCodeModel::train) most likely ran a sibling task that "
                 "waits on the same function-local static (deadlock). Is the training still isolated "
                 "(tbb::this_task_arena::isolate)?\n",
                 kTasks, static_cast<long long>(kLimit.count()));
    std::fflush(stderr);
    std::_Exit(1);  // the hung threads cannot be joined; exit rather than hang in ~future
  }
  done.get();

  // The codes made at once are those made one by one.
  for (int i = 0; i < kTasks; ++i)
    EXPECT_EQ(codes[std::size_t(i)], make_finger_code(probes[std::size_t(i)])) << "probe " << i;
}

}  // namespace
}  // namespace tunggal::matcher
