// The production Backend: every call goes straight to the engine.
#include "server/backend.h"

namespace tunggal::server {
namespace {

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
  Expected<std::uint64_t> verdict_log_epoch() override { return e_.verdict_log_epoch(); }
  Expected<VerdictLogPage> verdicts_since(std::uint64_t after, std::size_t max_items, std::string_view prefix,
                                          std::size_t max_scan) const override {
    return e_.verdicts_since(after, max_items, prefix, max_scan);
  }
  std::uint64_t last_verdict_seq() const override { return e_.last_verdict_seq(); }

 private:
  Engine& e_;
};

}  // namespace

std::unique_ptr<Backend> engine_backend(Engine& engine) { return std::make_unique<EngineBackend>(engine); }

}  // namespace tunggal::server
