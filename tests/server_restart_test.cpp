// Verdict cursors across a server restart: a station that collected verdicts up to a cursor,
// then lost the server (graceful stop), continues from that cursor against the restarted server
// on the same data directory and gets every later verdict of its own site exactly once.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "server/client.h"
#include "server/server.h"
#include "tests/engine_fixture.h"

namespace tunggal::server {
namespace {

using namespace std::chrono_literals;
using tunggal::testing::capture_as;
using tunggal::testing::make_temp_dir;
using tunggal::testing::test_engine_options;
using tunggal::testing::test_fusion_model;

class ServerRestartTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = make_temp_dir("server-restart"); }
  void TearDown() override {
    stop();
    std::filesystem::remove_all(dir_);
  }
  // Engine + server on dir_ (the same data directory every time).
  void start() {
    auto e = Engine::open(test_engine_options(dir_), test_fusion_model());
    ASSERT_TRUE(e) << e.error().to_string();
    engine_ = std::move(*e);
    backend_ = engine_backend(*engine_);
    ServerOptions o;
    o.port = 0;
    auto s = Server::start(o, *backend_);
    ASSERT_TRUE(s) << s.error().to_string();
    server_ = std::move(*s);
  }
  void stop() {
    if (server_) server_->stop();
    server_.reset();
    backend_.reset();
    engine_.reset();
  }
  std::unique_ptr<Client> connect(const std::string& site) {
    ClientOptions o;
    o.port = server_->port();
    o.site = site;
    o.timeout = 20s;
    auto c = Client::connect(o);
    EXPECT_TRUE(c) << c.error().to_string();
    return c ? std::move(*c) : nullptr;
  }
  // Follows the cursor until `want` verdicts arrived (or time runs out); counts every id seen.
  WireCursor collect(Client& c, WireCursor cursor, std::size_t want, std::map<std::string, int>& seen) {
    std::size_t got = 0;
    for (int i = 0; i < 400 && got < want; ++i) {
      auto page = c.verdicts_since(cursor);
      EXPECT_TRUE(page) << page.error().to_string();
      if (!page) break;
      for (const Verdict& v : page->verdicts) {
        ++seen[v.enrollment.value];
        ++got;
      }
      cursor = page->next;
      if (!page->more && got < want) std::this_thread::sleep_for(25ms);
    }
    return cursor;
  }
  std::vector<Enrollment> batch(int from, int to) {
    std::vector<Enrollment> out;
    for (int i = from; i < to; ++i) out.push_back(capture_as(pop_, 100 + i, 0, fmt::format("e{}", i)));
    return out;
  }

  std::filesystem::path dir_;
  datasets::Population pop_{datasets::PopulationConfig{.seed = 11}};
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<Backend> backend_;
  std::unique_ptr<Server> server_;
};

TEST_F(ServerRestartTest, CursorContinuesAfterRestartWithoutLossOrRepeat) {
  start();
  std::map<std::string, int> seen;
  WireCursor cursor;
  {
    auto a = connect("site-a");
    auto b = connect("site-b");
    ASSERT_TRUE(a && b);
    ASSERT_TRUE(a->submit(batch(0, 4)));
    ASSERT_TRUE(b->submit(std::vector<Enrollment>{capture_as(pop_, 900, 0, "b0")}));
    cursor = collect(*a, WireCursor{}, 4, seen);
    ASSERT_EQ(seen.size(), 4u);
    EXPECT_NE(cursor.epoch, 0u);
    // Accepted just before the stop: decided before it, or after the restart; either way the
    // cursor must deliver them once.
    auto acks = a->submit(batch(4, 7));
    ASSERT_TRUE(acks) << acks.error().to_string();
    for (const auto& k : *acks) ASSERT_EQ(k.kind, ItemAck::Kind::kAccepted) << k.id;
  }
  stop();
  start();
  auto a = connect("site-a");
  ASSERT_TRUE(a);
  ASSERT_TRUE(a->submit(batch(7, 9)));  // and some decided only by the new run
  const WireCursor end = collect(*a, cursor, 5, seen);
  EXPECT_EQ(end.epoch, cursor.epoch) << "the verdict log's epoch belongs to the data directory";
  ASSERT_EQ(seen.size(), 9u);
  for (const auto& [id, n] : seen) {
    EXPECT_EQ(n, 1) << id << " delivered " << n << " times";
    EXPECT_NE(id, "b0") << "site-b's verdict leaked to site-a";
  }
  auto rest = a->verdicts_since(end);
  ASSERT_TRUE(rest);
  EXPECT_TRUE(rest->verdicts.empty());
  // A subscription after the restart starts where the log is, not at 0.
  auto sub = a->subscribe();
  ASSERT_TRUE(sub);
  EXPECT_EQ(sub->epoch, cursor.epoch);
  EXPECT_GE(sub->seq, end.seq);
}

TEST_F(ServerRestartTest, ForeignOrFutureCursorsAreRefusedClearly) {
  start();
  auto a = connect("site-a");
  ASSERT_TRUE(a);
  ASSERT_TRUE(a->submit(batch(0, 1)));
  std::map<std::string, int> seen;
  const WireCursor c = collect(*a, WireCursor{}, 1, seen);
  auto other = a->verdicts_since(WireCursor{c.epoch + 2, 0});
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(other.error().message().find("another data directory"), std::string::npos) << other.error().message();
  auto ahead = a->verdicts_since(WireCursor{c.epoch, c.seq + 1000});
  ASSERT_FALSE(ahead);
  EXPECT_EQ(ahead.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(ahead.error().message().find("ahead"), std::string::npos) << ahead.error().message();
}

TEST_F(ServerRestartTest, AdjudicationIsLoggedAfterTheDecision) {
  // The engine's log: decisions and later changes, in commit order, across reopen.
  start();
  const std::uint64_t before = engine_->last_verdict_seq();
  ASSERT_TRUE(engine_->submit(batch(0, 3)));
  ASSERT_TRUE(engine_->process_all());
  auto page = engine_->verdicts_since(before, 10);
  ASSERT_TRUE(page) << page.error().to_string();
  ASSERT_EQ(page->verdicts.size(), 3u);
  EXPECT_EQ(page->verdicts[0].first, before + 1);
  EXPECT_EQ(page->next, before + 3);
  EXPECT_FALSE(page->more);
  auto limited = engine_->verdicts_since(before, 2);
  ASSERT_TRUE(limited);
  EXPECT_EQ(limited->verdicts.size(), 2u);
  EXPECT_TRUE(limited->more);
  auto none = engine_->verdicts_since(before, 10, "nobody/");
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->verdicts.empty());
  EXPECT_EQ(none->next, before + 3) << "a filtered page still moves the cursor past what it looked at";
  auto epoch = engine_->verdict_log_epoch();
  ASSERT_TRUE(epoch);
  stop();
  start();
  EXPECT_EQ(engine_->last_verdict_seq(), before + 3);
  auto again = engine_->verdict_log_epoch();
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, *epoch);
}

}  // namespace
}  // namespace tunggal::server
