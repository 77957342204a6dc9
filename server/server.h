#pragma once
// The station server: the only door into the data center (docs/protocol.md). Boost.Asio with
// C++20 coroutines, one coroutine per connection reading frames, one per request answering it;
// each connection's state lives on its own strand. Asio, OpenSSL and protobuf stay in server.cpp.
//
// Flow: fingers sent as images are extracted on the extraction pool first (ingest/enrollment_images.h;
// the engine sees templates only); submit requests go to a bounded queue (BUSY when full) drained by a submitter thread that
// hands everything queued to one Backend::submit (one fsync for many stations: group commit);
// a decider thread calls Backend::process() and pushes verdicts to subscribers; a snapshot thread
// saves the engine's index snapshots every snapshot_every_changes gallery changes.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "core/status.h"
#include "server/backend.h"
#include "server/frame.h"
#include "server/request_service.h"
#include "ingest/minutiae_extractor.h"

namespace tunggal::server {

// PEM files of a TLS endpoint: its own certificate and key, and the CA that signs the peers.
struct TlsFiles {
  std::filesystem::path ca, cert, key;
  // The files `tunggal certs --out DIR` writes for `name` (server, a site or an admin).
  static TlsFiles in_dir(const std::filesystem::path& dir, const std::string& name);
};

struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 7700;  // 0: any free port (tests); see Server::port()
  // Mutual TLS: the client certificate's CN is the site id, OU=admin marks an admin. nullopt is a
  // plaintext listener that trusts the identity claimed in hello: local development only, and
  // only when the operator asked for it explicitly (--insecure-plaintext).
  std::optional<TlsFiles> tls;

  std::uint32_t max_frame_bytes = kDefaultMaxFrameBytes;
  std::uint32_t max_batch_items = 1000;
  std::uint32_t max_in_flight_per_connection = 8;  // requests being answered; more: BUSY
  std::uint32_t max_in_flight_total = 512;
  std::uint32_t max_queued_items = 20000;  // enrollments waiting for the engine; more: BUSY
  std::uint32_t max_connections = 2048;
  std::size_t max_output_bytes = 64u << 20;  // a connection that does not read its answers is closed
  // Frame bodies being received, all connections together: a frame is admitted only when its
  // announced length fits (it waits meanwhile, TCP pushing back on its client), so 2048 clients
  // announcing 16 MiB each cannot make the server hold 32 GiB. At least max_frame_bytes.
  std::size_t max_receiving_bytes = 256u << 20;

  std::chrono::milliseconds handshake_timeout{10'000};
  std::chrono::milliseconds idle_timeout{120'000};  // no frame begun for this long: closed
  std::chrono::milliseconds read_timeout{30'000};   // a frame begun must arrive completely within this
  std::chrono::milliseconds write_timeout{30'000};  // an answer must be taken by the client within this
  std::chrono::milliseconds drain_timeout{10'000};  // graceful stop: answers still owed get this long

  int io_threads = 2;
  int blocking_threads = 2;  // engine reads, identify, admin operations
  // Fingers sent as images are extracted on a pool of their own (never on an I/O thread) before
  // the enrollment is queued: ~20-90 images/s per thread (docs/extraction.md). 0 = all cores.
  int extract_threads = 0;
  std::uint32_t max_queued_images = 2000;  // images waiting for or in extraction; more: BUSY
  ingest::ExtractorOptions extractor;      // its quality gate and image limits (bombs, bit depth)
  bool run_decider = true;   // false: verdicts come from someone else calling process()
  std::chrono::milliseconds decider_idle{20};
  std::size_t max_verdicts_scanned = 100'000;  // log entries one "since cursor" reply looks at
  std::uint32_t max_verdicts_per_reply = 1000;
  // Index snapshots while serving: once at least this many gallery changes (subjects added or
  // removed) are committed since the last snapshot, a snapshot thread of its own writes new ones
  // (Backend::snapshot), so a crash replays at most about this many at the next open instead of
  // everything since the last clean stop. 0: only at a clean stop. The engine's decide lock is
  // held only while each index is copied into memory, not while the copies are written: at
  // 100,000 subjects verdicts wait 0.14 s of a 4.3 s save (it was all 9.1 s), and the save holds
  // the largest index's copy, 1 GB, meanwhile (`TUNGGAL_BENCH_SUBJECTS=100000
  // build/bench/snapshot_bench --benchmark_counters_tabular=true`, load ~4). The default and its
  // cost by gallery size: docs/engine.md, "Snapshots while serving".
  std::uint64_t snapshot_every_changes = 10'000;
  std::chrono::milliseconds snapshot_check{1'000};  // how often the snapshot thread looks
  // After a failed save (a full disk, say) the next try waits this long, not snapshot_check: a
  // save that fails at once would otherwise be retried, and logged, every second.
  std::chrono::milliseconds snapshot_retry{60'000};
  std::string name = "tunggal 0.1.0";
};

class Server {
 public:
  // Binds, listens and starts serving on background threads. The backend (and `requests`, the
  // KTP-el request workflow, when given; without it request operations are refused) must outlive
  // the server.
  static Expected<std::unique_ptr<Server>> start(const ServerOptions& options, Backend& backend,
                                                 RequestService* requests = nullptr);
  ~Server();  // stop()
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  std::uint16_t port() const;
  // Graceful: stops accepting and reading, answers every request already read (within
  // drain_timeout), lets the engine finish the micro-batch it is deciding, then closes.
  // Nothing acknowledged is lost: acknowledged means durable in the engine. Idempotent.
  void stop();
  // Counters, latency histograms and the backend's gauges (gallery, pending, verdict log) in
  // Prometheus text format: what GET /metrics answers (server/metrics_http.h).
  std::string prometheus_text() const;

  struct Impl;

 private:
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tunggal::server
