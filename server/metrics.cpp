#include "server/metrics.h"

#include <fmt/format.h>

namespace tunggal::server {

void LatencyHistogram::record_ms(double ms) {
  std::size_t b = 0;
  while (b < kBoundsMs.size() && ms > kBoundsMs[b]) ++b;
  buckets_[b].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_us_.fetch_add(static_cast<std::uint64_t>(ms * 1000.0), std::memory_order_relaxed);
}

LatencyHistogram::Snapshot LatencyHistogram::snapshot() const {
  Snapshot s;
  std::uint64_t run = 0;
  for (const auto& b : buckets_) {
    run += b.load(std::memory_order_relaxed);
    s.cumulative.push_back(run);
  }
  s.count = run;
  s.sum_ms = static_cast<double>(sum_us_.load(std::memory_order_relaxed)) / 1000.0;
  return s;
}

double LatencyHistogram::Snapshot::quantile_ms(double q) const {
  if (count == 0) return 0;
  const auto rank = static_cast<std::uint64_t>(q * static_cast<double>(count));
  for (std::size_t b = 0; b < cumulative.size(); ++b)
    if (cumulative[b] > rank || cumulative[b] == count)
      return b < kBoundsMs.size() ? kBoundsMs[b] : std::numeric_limits<double>::infinity();
  return std::numeric_limits<double>::infinity();
}

std::vector<std::pair<std::string, std::uint64_t>> ServerMetrics::counters() const {
  std::vector<std::pair<std::string, std::uint64_t>> out;
#define TUNGGAL_LIST_COUNTER(name) out.emplace_back(#name, name.load(std::memory_order_relaxed));
  TUNGGAL_SERVER_COUNTERS(TUNGGAL_LIST_COUNTER)
#undef TUNGGAL_LIST_COUNTER
  out.emplace_back("connections_open", static_cast<std::uint64_t>(std::max<std::int64_t>(0, connections_open.load())));
  return out;
}

std::string ServerMetrics::prometheus_text() const {
  std::string s;
  for (const auto& [name, value] : counters()) {
    const bool gauge = name == "connections_open";
    s += fmt::format("# TYPE tunggal_{}{} {}\ntunggal_{}{} {}\n", name, gauge ? "" : "_total",
                     gauge ? "gauge" : "counter", name, gauge ? "" : "_total", value);
  }
  auto hist = [&](const char* name, const LatencyHistogram& h) {
    const auto snap = h.snapshot();
    s += fmt::format("# TYPE tunggal_{}_seconds histogram\n", name);
    for (std::size_t b = 0; b < snap.cumulative.size(); ++b) {
      const std::string le = b < LatencyHistogram::kBoundsMs.size()
                                 ? fmt::format("{}", LatencyHistogram::kBoundsMs[b] / 1000.0)
                                 : std::string("+Inf");
      s += fmt::format("tunggal_{}_seconds_bucket{{le=\"{}\"}} {}\n", name, le, snap.cumulative[b]);
    }
    s += fmt::format("tunggal_{}_seconds_sum {}\ntunggal_{}_seconds_count {}\n", name, snap.sum_ms / 1000.0, name,
                     snap.count);
  };
  hist("submit", submit_ms);
  hist("request", request_ms);
  hist("decide_batch", decide_batch_ms);
  hist("extract_image", extract_image_ms);
  hist("index_snapshot", index_snapshot_ms);
  return s;
}

}  // namespace tunggal::server
