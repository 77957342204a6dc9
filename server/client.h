#pragma once
// A blocking client of the station protocol (docs/protocol.md): what `tunggal station`, admin
// tools and the tests use. One connection, one thread; every call waits for its answer (pushed
// verdicts that arrive meanwhile are kept for take_pushes). Asio, OpenSSL and protobuf stay in
// client.cpp.
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/enrollment.h"
#include "core/status.h"
#include "core/verdict.h"
#include "server/server.h"

namespace tunggal::wire {
class Request;
class Response;
}  // namespace tunggal::wire

namespace tunggal::server {

struct ClientOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 7700;
  std::optional<TlsFiles> tls;  // nullopt: plaintext (the server must run --insecure-plaintext)
  // The name the server's certificate must carry (subjectAltName DNS or IP); empty: `host`.
  std::string server_name;
  std::chrono::milliseconds timeout{30'000};  // connect, and each answer
  // The identity claimed in hello: must match the certificate over TLS (or be empty); trusted as
  // is by a plaintext server.
  std::string site;
  bool admin = false;
  std::string client_name = "tunggal-client";
  std::uint32_t protocol_version = 1;  // tests set others
  bool send_hello = true;              // tests send their own bytes instead
};

struct ServerHello {
  std::string site;
  bool admin = false;
  std::uint32_t max_frame_bytes = 0, max_batch_items = 0, max_in_flight = 0;
  std::string server;
};

struct ItemAck {
  enum class Kind { kAccepted, kDuplicateId, kRejected };
  std::string id;
  Kind kind = Kind::kAccepted;
  std::string reason;
  std::optional<Verdict> verdict;  // DUPLICATE_ID of a decided enrollment
};

struct VerdictState {
  enum class State { kUnknown, kPending, kDecided };
  std::string id;
  State state = State::kUnknown;
  std::optional<Verdict> verdict;
};

struct WireCursor {
  std::uint64_t epoch = 0, seq = 0;
};

struct PushedVerdict {
  Verdict verdict;
  std::string site;
  WireCursor cursor;
  std::chrono::steady_clock::time_point received;
};

struct SinceResult {
  std::vector<Verdict> verdicts;
  WireCursor next;
  bool more = false;
};

struct ServerStats {
  std::map<std::string, std::uint64_t> counters;
  struct Histogram {
    std::string name;
    std::vector<double> upper_bounds_ms;
    std::vector<std::uint64_t> cumulative;
    std::uint64_t count = 0;
    double sum_ms = 0;
  };
  std::vector<Histogram> histograms;
  std::uint64_t gallery_size = 0, pending = 0;
  float duplicate_threshold = 0, review_threshold = 0;
  std::uint32_t connections = 0;
};

// Server errors arrive as Status: kBusy (retry later), kPermissionDenied, kIncompatible (protocol
// version), kInvalidArgument, kNotFound, kFailedPrecondition, kIoError (connection lost, timeout),
// kMalformedRecord (the server's bytes did not parse).
class Client {
 public:
  static Expected<std::unique_ptr<Client>> connect(const ClientOptions& options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  const ServerHello& hello() const;

  Expected<std::vector<ItemAck>> submit(std::span<const Enrollment> enrollments);
  Expected<std::vector<VerdictState>> verdicts(std::span<const std::string> ids);
  Expected<SinceResult> verdicts_since(WireCursor cursor, std::uint32_t max_items = 0);
  Expected<WireCursor> subscribe();
  Status ping();
  Expected<std::uint64_t> pending_count();
  Expected<std::uint64_t> reference_count();
  Expected<Verdict> identify(const Enrollment& probe);
  Status delete_subject(SubjectId subject, const std::string& reason);
  Status adjudicate(const std::string& enrollment_id, Decision decision, const std::string& reason,
                    SubjectId linked = {});
  Expected<ServerStats> stats();
  // The admin block (`tunggal admin --connect`): the JSON document the server answers with.
  // query.actor is ignored: the server records the authenticated identity.
  Expected<std::string> admin(const admin::AdminQuery& query);

  // Pushed verdicts received so far; waits up to max_wait for at least one when none is buffered.
  Expected<std::vector<PushedVerdict>> take_pushes(std::chrono::milliseconds max_wait);

  // One request and its answer, for the protocol's additional blocks that have their own typed
  // client (server/request_client.h): sets req's request_id; a server error is the Status.
  Status call(wire::Request& req, wire::Response& out);

  // For tests and tools: raw bytes out, one raw frame payload in (kIoError on close or timeout).
  Status send_raw(std::string_view bytes);
  Expected<std::string> read_frame(std::chrono::milliseconds timeout);
  // Whether the server closes the connection within `timeout` (reads and discards until then).
  bool closed_by_server(std::chrono::milliseconds timeout);

  struct Impl;

 private:
  explicit Client(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tunggal::server
