// The Prometheus endpoint of tunggal serve, scraped over real HTTP the way Prometheus would:
// the counters move with the traffic, histograms have their buckets, other paths are 404.
#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>

#include "server/client.h"
#include "server/metrics_http.h"
#include "server/server.h"
#include "tests/engine_fixture.h"
#include "tests/forwarding_backend.h"
#include "tests/prometheus_sample.h"
#include "tests/http_get.h"

namespace tunggal::server {
namespace {

using namespace std::chrono_literals;
using tunggal::testing::prometheus_sample;
using tunggal::testing::capture_as;

using tunggal::testing::http_exchange;
std::string get(std::uint16_t port, const std::string& path) { return tunggal::testing::http_get(port, path); }
std::string http(std::uint16_t port, const std::string& request) { return http_exchange(port, request); }

TEST(MetricsHttpTest, ScrapeShowsTheServersCountersAndHistograms) {
  auto backend = zero_cost_backend();
  ServerOptions o;
  o.port = 0;
  auto srv = Server::start(o, *backend);
  ASSERT_TRUE(srv) << srv.error().to_string();
  Server* s = srv->get();
  auto http_ep = MetricsHttp::start("127.0.0.1", 0, [s] { return s->prometheus_text(); });
  ASSERT_TRUE(http_ep) << http_ep.error().to_string();
  const std::uint16_t port = (*http_ep)->port();
  ASSERT_NE(port, 0);

  const std::string before = get(port, "/metrics");
  ASSERT_EQ(before.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << before;
  EXPECT_NE(before.find("Content-Type: text/plain; version=0.0.4"), std::string::npos);
  EXPECT_EQ(prometheus_sample(before, "tunggal_accepted_items_total"), 0);

  ClientOptions co;
  co.port = (*srv)->port();
  co.site = "site-a";
  auto c = Client::connect(co);
  ASSERT_TRUE(c) << c.error().to_string();
  datasets::Population pop(datasets::PopulationConfig{.seed = 5});
  ASSERT_TRUE((*c)->submit(std::vector<Enrollment>{capture_as(pop, 1, 0, "a"), capture_as(pop, 2, 0, "b")}));
  ASSERT_TRUE((*c)->ping());

  const std::string after = get(port, "/metrics");
  EXPECT_EQ(prometheus_sample(after, "tunggal_accepted_items_total"), 2) << after;
  EXPECT_EQ(prometheus_sample(after, "tunggal_connections_open"), 1);
  EXPECT_GE(prometheus_sample(after, "tunggal_requests_total"), 2);
  EXPECT_EQ(prometheus_sample(after, "tunggal_submit_seconds_count"), 1);
  EXPECT_NE(after.find("# TYPE tunggal_submit_seconds histogram"), std::string::npos);
  EXPECT_NE(after.find("tunggal_submit_seconds_bucket{le=\"+Inf\"} 1"), std::string::npos) << after;
  EXPECT_GE(prometheus_sample(after, "tunggal_gallery_size"), 0);
  EXPECT_GE(prometheus_sample(after, "tunggal_pending_enrollments"), 0);

  EXPECT_EQ(get(port, "/").rfind("HTTP/1.1 404", 0), 0u);
  EXPECT_EQ(http(port, "POST /metrics HTTP/1.1\r\n\r\n").rfind("HTTP/1.1 405", 0), 0u);
  // Garbage and a silent client do not stop it from answering the next scrape.
  http(port, std::string(9000, 'x'));
  EXPECT_EQ(get(port, "/metrics").rfind("HTTP/1.1 200", 0), 0u);
  (*http_ep)->stop();
  EXPECT_TRUE(get(port, "/metrics").empty()) << "stopped: nobody answers";
}

// The zero-cost backend, except that stats() throws what it is told to: the backend seam of the
// server, standing in for an engine whose store fails underneath it.
class ThrowingStatsBackend : public tunggal::testing::ForwardingBackend {
 public:
  enum Fail { kNone, kStdException, kInt };
  std::atomic<Fail> fail{kNone};  // what stats() throws
  ThrowingStatsBackend() : ForwardingBackend(zero_cost_backend()) {}
  EngineStats stats() const override {
    if (fail == kStdException) throw std::runtime_error("store: IO error: /data/engine/000123.sst: Input/output error");
    if (fail == kInt) throw 42;
    return ForwardingBackend::stats();
  }
};

TEST(MetricsHttpTest, AThrowingBackendIsA500AndTheNextScrapeIsServed) {
  ThrowingStatsBackend backend;
  ServerOptions o;
  o.port = 0;
  auto srv = Server::start(o, backend);
  ASSERT_TRUE(srv) << srv.error().to_string();
  Server* s = srv->get();
  auto http_ep = MetricsHttp::start("127.0.0.1", 0, [s] { return s->prometheus_text(); });
  ASSERT_TRUE(http_ep) << http_ep.error().to_string();
  const std::uint16_t port = (*http_ep)->port();

  backend.fail = ThrowingStatsBackend::kStdException;
  const std::string failed = get(port, "/metrics");
  ASSERT_EQ(failed.rfind("HTTP/1.1 500 Internal Server Error\r\n", 0), 0u) << failed;
  EXPECT_NE(failed.find("could not read its metrics"), std::string::npos) << failed;
  EXPECT_EQ(failed.find("/data/engine"), std::string::npos) << "the reason is logged, not told to the scraper";
  // Not even an exception outside std::exception ends the responder (it would end the process).
  backend.fail = ThrowingStatsBackend::kInt;
  EXPECT_EQ(get(port, "/metrics").rfind("HTTP/1.1 500", 0), 0u);

  backend.fail = ThrowingStatsBackend::kNone;
  const std::string ok = get(port, "/metrics");
  ASSERT_EQ(ok.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << ok;
  EXPECT_EQ(prometheus_sample(ok, "tunggal_gallery_size"), 0) << ok;
}

TEST(MetricsHttpTest, AnAddressInUseIsAClearError) {
  auto first = MetricsHttp::start("127.0.0.1", 0, [] { return std::string(); });
  ASSERT_TRUE(first);
  auto second = MetricsHttp::start("127.0.0.1", (*first)->port(), [] { return std::string(); });
  ASSERT_FALSE(second);
  EXPECT_NE(second.error().message().find("metrics endpoint: cannot listen on 127.0.0.1"), std::string::npos)
      << second.error().message();
}

}  // namespace
}  // namespace tunggal::server
