// Index snapshots while serving (ServerOptions::snapshot_every_changes): a server that decides
// enrollments saves the engine's index snapshots from its own thread once enough gallery changes
// are committed, so a crash costs the next open only the changes after that snapshot, not every
// change since the last clean stop (each added subject's finger codes computed again).
//
// The crash is a copy of the data directory taken while the engine runs (a RocksDB checkpoint of
// the store and the index snapshots as they are on disk, under the engine's decide lock): what a
// kill -9 at that moment leaves, without the snapshot a clean stop writes.
#include <gtest/gtest.h>

#include <thread>

#include <fmt/format.h>

#include "server/client.h"
#include "server/server.h"
#include "tests/engine_fixture.h"
#include "tests/prometheus_sample.h"

namespace tunggal::server {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using tunggal::testing::capture_as;
using tunggal::testing::make_temp_dir;
using tunggal::testing::prometheus_sample;
using tunggal::testing::take_crash_image;
using tunggal::testing::test_engine_options;
using tunggal::testing::test_fusion_model;

constexpr int kEnrolled = 12;  // enrolled through the server, each a new person: one change each

class ServerSnapshotTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = make_temp_dir("server-snapshot");
    // A gallery closed cleanly: its snapshots cover everything before the server starts.
    auto e = open(dir_);
    ASSERT_TRUE(e);
    std::vector<Enrollment> gallery;
    for (std::uint64_t i = 0; i < 10; ++i) gallery.push_back(pop_.capture(i, 0));
    ASSERT_TRUE(e->import(gallery));
    ASSERT_TRUE(e->finish_import());
    base_seq_ = e->stats().snapshot_change_seq;
    ASSERT_EQ(e->changes_since_snapshot(), 0u);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<Engine> open(const fs::path& dir) {
    auto e = Engine::open(test_engine_options(dir), test_fusion_model());
    EXPECT_TRUE(e) << e.error().to_string();
    return e ? std::move(*e) : nullptr;
  }

  // Serves dir_ with snapshots every `every` changes, enrolls kEnrolled new people, waits until
  // they are decided and the snapshot thread has nothing left to do, and returns a crash image of
  // the data directory taken at that moment. `snapshots` gets the server's count of them.
  fs::path serve_and_crash(std::uint64_t every, std::uint64_t& snapshots) {
    auto eng = open(dir_);
    if (!eng) return {};
    auto backend = engine_backend(*eng);
    ServerOptions o;
    o.port = 0;
    o.snapshot_every_changes = every;
    o.snapshot_check = 20ms;
    auto server = Server::start(o, *backend);
    EXPECT_TRUE(server) << server.error().to_string();
    if (!server) return {};
    {
      ClientOptions co;
      co.port = (*server)->port();
      co.site = "site-a";
      co.timeout = 20s;
      auto c = Client::connect(co);
      EXPECT_TRUE(c) << c.error().to_string();
      if (!c) return {};
      // Small batches, so changes are committed in several micro-batches, as in service.
      for (int i = 0; i < kEnrolled; i += 3) {
        std::vector<Enrollment> batch;
        for (int k = i; k < i + 3; ++k) batch.push_back(capture_as(pop_, 100 + k, 0, fmt::format("e{}", k)));
        auto acks = (*c)->submit(batch);
        EXPECT_TRUE(acks) << acks.error().to_string();
      }
    }
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    auto settled = [&] {
      const EngineStats st = eng->stats();
      return st.pending == 0 && st.gallery_size == 10 + kEnrolled &&
             (every == 0 || eng->changes_since_snapshot() < every);
    };
    while (!settled() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(10ms);
    EXPECT_TRUE(settled()) << "not decided, or the snapshot thread did not catch up: "
                           << eng->changes_since_snapshot() << " changes since the last snapshot";
    const std::string metrics = (*server)->prometheus_text();
    const double taken = prometheus_sample(metrics, "tunggal_index_snapshots_total");
    EXPECT_GE(taken, 0) << metrics;
    snapshots = taken < 0 ? 0 : static_cast<std::uint64_t>(taken);
    EXPECT_NE(metrics.find(fmt::format("tunggal_changes_since_index_snapshot {}\n", eng->changes_since_snapshot())),
              std::string::npos)
        << metrics;

    const fs::path image = dir_.string() + "-crash";
    const Status s = take_crash_image(*eng, dir_, image);
    EXPECT_TRUE(s) << s.to_string();
    (*server)->stop();
    return image;
  }

  fs::path dir_;
  datasets::Population pop_{datasets::PopulationConfig{.seed = 61}};
  std::uint64_t base_seq_ = 0;
};

TEST_F(ServerSnapshotTest, ACrashReplaysOnlyTheChangesAfterTheLastSnapshotTheServerSaved) {
  std::uint64_t snapshots = 0;
  const fs::path image = serve_and_crash(5, snapshots);
  ASSERT_FALSE(image.empty());
  EXPECT_GE(snapshots, 1u) << "the server saved no snapshot while serving";
  auto e = open(image);
  ASSERT_TRUE(e);
  const EngineStats st = e->stats();
  EXPECT_EQ(st.indexes_at_open, "snapshot");
  EXPECT_EQ(st.gallery_size, 10u + kEnrolled);
  // At most every-1 changes were left after the last snapshot; without it all 12 would be.
  EXPECT_LT(st.changes_replayed_at_open, 5u);
  EXPECT_GE(st.snapshot_change_seq, base_seq_ + kEnrolled - 4);
  // The indexes are whole: a mate of someone enrolled through the server is found.
  auto v = e->identify(capture_as(pop_, 100 + 7, 1, "q7"));
  ASSERT_TRUE(v) << v.error().to_string();
  EXPECT_EQ(v->kind, VerdictKind::kDuplicate);
  e.reset();
  fs::remove_all(image);
}

TEST_F(ServerSnapshotTest, WithoutSnapshotsWhileServingACrashReplaysEverySinceTheCleanStop) {
  std::uint64_t snapshots = 0;
  const fs::path image = serve_and_crash(0, snapshots);
  ASSERT_FALSE(image.empty());
  EXPECT_EQ(snapshots, 0u);
  auto e = open(image);
  ASSERT_TRUE(e);
  const EngineStats st = e->stats();
  EXPECT_EQ(st.indexes_at_open, "snapshot");
  EXPECT_EQ(st.snapshot_change_seq, base_seq_);
  EXPECT_EQ(st.changes_replayed_at_open, static_cast<std::uint64_t>(kEnrolled));
  e.reset();
  fs::remove_all(image);
}

}  // namespace
}  // namespace tunggal::server
