// The server's snapshot thread after a failed save (ServerOptions::snapshot_retry): the failure is
// counted, the next try waits the retry interval instead of the next check, and a later save that
// works is counted as one. The backend stands in for an engine whose disk is full at first.
#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include "server/backend.h"
#include "server/server.h"
#include "tests/forwarding_backend.h"
#include "tests/prometheus_sample.h"

namespace tunggal::server {
namespace {

using namespace std::chrono_literals;
using tunggal::testing::prometheus_sample;
using Clock = std::chrono::steady_clock;

// The zero-cost backend with index snapshots that fail the first `failures` times.
class FlakySnapshotBackend : public tunggal::testing::ForwardingBackend {
 public:
  explicit FlakySnapshotBackend(int failures) : ForwardingBackend(zero_cost_backend()), failures_left_(failures) {}

  // Five changes wait until a save works.
  std::uint64_t changes_since_snapshot() const override {
    std::lock_guard l(mu_);
    return saved_ ? 0 : 5;
  }
  Status snapshot() override {
    std::lock_guard l(mu_);
    tries_.push_back(Clock::now());
    if (failures_left_ > 0) {
      --failures_left_;
      return io_error("cannot write the index snapshot: No space left on device");
    }
    saved_ = true;
    return Status::ok();
  }
  std::vector<Clock::time_point> tries() const {
    std::lock_guard l(mu_);
    return tries_;
  }
  bool saved() const {
    std::lock_guard l(mu_);
    return saved_;
  }

 private:
  mutable std::mutex mu_;
  int failures_left_;
  bool saved_ = false;
  std::vector<Clock::time_point> tries_;
};

TEST(ServerSnapshotRetry, AFailedSaveIsCountedAndTriedAgainAfterTheRetryInterval) {
  FlakySnapshotBackend backend(1);
  ServerOptions o;
  o.port = 0;
  o.snapshot_every_changes = 1;
  o.snapshot_check = 10ms;
  o.snapshot_retry = 400ms;
  auto srv = Server::start(o, backend);
  ASSERT_TRUE(srv) << srv.error().to_string();
  const auto deadline = Clock::now() + 30s;
  while (!backend.saved() && Clock::now() < deadline) std::this_thread::sleep_for(10ms);
  ASSERT_TRUE(backend.saved()) << "the save that works after the failure never came";
  const auto tries = backend.tries();
  ASSERT_EQ(tries.size(), 2u);  // one failure, one success, nothing after: no changes left
  // Not at the next 10 ms check: a disk that stays full would be hammered and the log flooded.
  EXPECT_GE(tries[1] - tries[0], 400ms);
  const std::string m = (*srv)->prometheus_text();
  EXPECT_EQ(prometheus_sample(m, "tunggal_index_snapshot_failures_total"), 1) << m;
  EXPECT_EQ(prometheus_sample(m, "tunggal_index_snapshots_total"), 1) << m;
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(backend.tries().size(), 2u) << "a save with nothing to cover";
  (*srv)->stop();
}

}  // namespace
}  // namespace tunggal::server
