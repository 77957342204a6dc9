#pragma once
// Counters and latency histograms of the server, lock-free to update from any thread; read by the
// stats operation and rendered as Prometheus text.
#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

namespace tunggal::server {

class LatencyHistogram {
 public:
  // Upper bounds in milliseconds, Prometheus "le" buckets; the last bucket is +Inf.
  static constexpr std::array<double, 16> kBoundsMs = {0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500,
                                                       1000, 2500, 5000, 10000};
  void record_ms(double ms);
  struct Snapshot {
    std::vector<std::uint64_t> cumulative;  // per bound, then +Inf
    std::uint64_t count = 0;
    double sum_ms = 0;
    double quantile_ms(double q) const;  // upper bound of the bucket holding quantile q
  };
  Snapshot snapshot() const;

 private:
  std::array<std::atomic<std::uint64_t>, kBoundsMs.size() + 1> buckets_{};
  std::atomic<std::uint64_t> count_{0};
  std::atomic<std::uint64_t> sum_us_{0};
};

struct ServerMetrics {
#define TUNGGAL_SERVER_COUNTERS(X)                                                                      \
  X(connections_accepted) X(connections_refused) X(tls_handshake_failures) X(frames_in) X(frames_out)   \
  X(bad_frames) X(wrong_version) X(timeouts) X(slow_consumers_closed) X(permission_denied) X(busy)      \
  X(requests) X(submitted_items) X(accepted_items) X(duplicate_id_items) X(rejected_items) X(verdicts_decided) \
  X(verdicts_pushed) X(engine_errors) X(images_extracted) X(images_failed) X(index_snapshots)                \
  X(index_snapshot_failures)
#define TUNGGAL_DECLARE_COUNTER(name) std::atomic<std::uint64_t> name{0};
  TUNGGAL_SERVER_COUNTERS(TUNGGAL_DECLARE_COUNTER)
#undef TUNGGAL_DECLARE_COUNTER
  std::atomic<std::int64_t> connections_open{0};
  LatencyHistogram submit_ms;        // submit request received -> acknowledgement sent
  LatencyHistogram request_ms;       // every other request
  LatencyHistogram decide_batch_ms;  // one engine micro-batch (process())
  LatencyHistogram extract_image_ms; // one finger image decoded and extracted (extraction pool)
  LatencyHistogram index_snapshot_ms; // one index snapshot while serving (the whole save; the decide lock only while copying)

  std::vector<std::pair<std::string, std::uint64_t>> counters() const;
  std::string prometheus_text() const;
};

}  // namespace tunggal::server
