// The production Backend: every call goes straight to the engine; admin reports are computed by
// admin/reports.h from the engine's own store (the server holds no gallery logic).
#include <chrono>

#include <fmt/format.h>

#include "admin/reports.h"
#include "core/json_text.h"
#include "server/backend.h"

namespace tunggal::server {
namespace {

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class EngineBackend final : public Backend {
 public:
  explicit EngineBackend(Engine& e) : e_(e) {}
  Expected<std::vector<SubmitAck>> submit(std::span<const Enrollment> items) override { return e_.submit(items); }
  Expected<std::vector<Verdict>> process() override { return e_.process(); }
  Expected<std::optional<Verdict>> verdict(const EnrollmentId& id) const override { return e_.verdict(id); }
  Expected<bool> received(const EnrollmentId& id) const override { return e_.received(id); }
  Expected<Verdict> identify(const Enrollment& probe) const override { return e_.identify(probe); }
  Status adjudicate(const EnrollmentId& id, Decision d, const std::string& admin, const std::string& reason,
                    SubjectId linked) override {
    return e_.adjudicate(id, d, admin, reason, linked);
  }
  Status revoke_subject(SubjectId s, const std::string& admin, const std::string& reason) override {
    return e_.revoke_subject(s, admin, reason);
  }
  EngineStats stats() const override { return e_.stats(); }
  Status snapshot() override { return e_.snapshot(); }
  std::uint64_t changes_since_snapshot() const override { return e_.changes_since_snapshot(); }
  const engine::Store* store() const override { return &e_.store(); }
  Expected<std::uint64_t> verdict_log_epoch() override { return e_.verdict_log_epoch(); }
  Expected<VerdictLogPage> verdicts_since(std::uint64_t after, std::size_t max_items, std::string_view prefix,
                                          std::size_t max_scan) const override {
    return e_.verdicts_since(after, max_items, prefix, max_scan);
  }
  std::uint64_t last_verdict_seq() const override { return e_.last_verdict_seq(); }

  Expected<std::string> admin(const admin::AdminQuery& q) override {
    using K = admin::AdminQuery::Kind;
    if (q.kind == K::kBackup) {
      if (q.id.empty()) return invalid_argument("backup needs a directory on the server host");
      if (Status s = e_.backup(q.id); !s) return s;
      auto subjects = admin::verify_copy(q.id);
      if (!subjects) return subjects.error();
      return json_text(nlohmann::json{{"backup", q.id}, {"subjects", *subjects}});
    }
    if (q.kind == K::kAdjudicateCase) {
      nlohmann::json out;
      Status s = e_.with_store([&](engine::Store& store) -> Status {
        auto r = admin::adjudicate_case(store, q, wall_ms());
        if (!r) return r.error();
        out = std::move(*r);
        return Status::ok();
      });
      if (!s) return s;
      return json_text(out);
    }
    auto j = admin::answer(e_.store(), q, e_.options(), wall_ms());
    if (!j) return j.error();
    if (q.kind == K::kStatus) {
      const EngineStats st = e_.stats();
      (*j)["engine"] = {{"gallery_bytes", st.gallery_bytes},     {"index_bytes", st.index_bytes},
                        {"decided_since_start", st.decided},     {"face_index", st.face_index},
                        {"finger_index", st.finger_index},       {"shards", st.shards},
                        {"fused_finger_index", st.fused_finger_index},
                        {"indexes_at_open", st.indexes_at_open},
                        // What a crash now would make the next open replay (snapshot-every-changes).
                        {"changes_replayed_at_open", st.changes_replayed_at_open},
                        {"snapshot_change_seq", st.snapshot_change_seq},
                        {"changes_since_snapshot", st.changes_since_snapshot}};
    }
    return json_text(*j);
  }

 private:
  Engine& e_;
};

}  // namespace

std::unique_ptr<Backend> engine_backend(Engine& engine) { return std::make_unique<EngineBackend>(engine); }

}  // namespace tunggal::server
