#pragma once
// What the server needs from a deduplicator: the engine's door operations, nothing else. The
// server holds no matching logic; it calls a Backend. Two implementations compose behind this
// contract: the real engine, and a zero-cost policy that only exists to measure the protocol's
// own overhead (tunggal serve --zero-cost-policy, never for production).
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "admin/admin_query.h"
#include "core/enrollment.h"
#include "core/status.h"
#include "core/verdict.h"
#include "engine/engine.h"

namespace tunggal::server {

class Backend {
 public:
  virtual ~Backend() = default;
  // Durable when it returns (see Engine::submit).
  virtual Expected<std::vector<SubmitAck>> submit(std::span<const Enrollment> enrollments) = 0;
  // Decides one micro-batch; empty when nothing is pending.
  virtual Expected<std::vector<Verdict>> process() = 0;
  virtual Expected<std::optional<Verdict>> verdict(const EnrollmentId& id) const = 0;
  virtual Expected<bool> received(const EnrollmentId& id) const = 0;
  virtual Expected<Verdict> identify(const Enrollment& probe) const = 0;
  virtual Status adjudicate(const EnrollmentId& id, Decision decision, const std::string& admin,
                            const std::string& reason, SubjectId linked) = 0;
  virtual Status revoke_subject(SubjectId subject, const std::string& admin, const std::string& reason) = 0;
  virtual EngineStats stats() const = 0;
  // Index snapshots (Engine::snapshot, Engine::changes_since_snapshot): the server asks for one
  // once enough changes have piled up since the last (ServerOptions::snapshot_every_changes). A
  // backend that keeps no indexes has nothing to save and never anything to replay.
  virtual Status snapshot() { return Status::ok(); }
  virtual std::uint64_t changes_since_snapshot() const { return 0; }
  // The engine's durable store, for read-only views of it (the request workflow's penunggalan
  // answers, admin/workflow_lookup.h); nullptr when the backend keeps none (zero-cost policy).
  virtual const engine::Store* store() const { return nullptr; }

  // The verdict log behind "verdicts since a cursor" and pushes (see Engine::verdicts_since): the
  // engine's is durable, so cursors survive a server restart. The epoch names the log.
  virtual Expected<std::uint64_t> verdict_log_epoch() = 0;
  virtual Expected<VerdictLogPage> verdicts_since(std::uint64_t after_seq, std::size_t max_items,
                                                  std::string_view id_prefix, std::size_t max_scan) const = 0;
  virtual std::uint64_t last_verdict_seq() const = 0;
  // Admin reports and changes (`tunggal admin --connect`): the JSON document the offline command
  // prints for the same query (admin/reports.h). query.actor is the authenticated admin.
  virtual Expected<std::string> admin(const admin::AdminQuery& query) {
    (void)query;
    return failed_precondition("this server keeps no gallery (zero-cost policy): no admin reports");
  }
};

// The engine, which the caller keeps alive longer than the backend.
std::unique_ptr<Backend> engine_backend(Engine& engine);

// Benchmark only: accepts every structurally valid enrollment into a RAM queue (no disk) and
// decides each UNIQUE without matching. Measures what the protocol costs, not dedup.
std::unique_ptr<Backend> zero_cost_backend();

}  // namespace tunggal::server
