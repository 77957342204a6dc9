#pragma once
// A server Backend that passes every call on to another one. A test derives from it, overrides the
// one or two calls it makes misbehave (stats that throw, a snapshot that fails), and inherits the
// rest, instead of spelling out every forwarding method again.
#include <memory>
#include <utility>

#include "server/backend.h"

namespace tunggal::testing {

class ForwardingBackend : public server::Backend {
 public:
  explicit ForwardingBackend(std::unique_ptr<server::Backend> inner) : inner_(std::move(inner)) {}

  Expected<std::vector<SubmitAck>> submit(std::span<const Enrollment> e) override { return inner_->submit(e); }
  Expected<std::vector<Verdict>> process() override { return inner_->process(); }
  Expected<std::optional<Verdict>> verdict(const EnrollmentId& id) const override { return inner_->verdict(id); }
  Expected<bool> received(const EnrollmentId& id) const override { return inner_->received(id); }
  Expected<Verdict> identify(const Enrollment& probe) const override { return inner_->identify(probe); }
  Status adjudicate(const EnrollmentId& id, Decision d, const std::string& admin, const std::string& reason,
                    SubjectId linked) override {
    return inner_->adjudicate(id, d, admin, reason, linked);
  }
  Status revoke_subject(SubjectId s, const std::string& admin, const std::string& reason) override {
    return inner_->revoke_subject(s, admin, reason);
  }
  EngineStats stats() const override { return inner_->stats(); }
  Status snapshot() override { return inner_->snapshot(); }
  std::uint64_t changes_since_snapshot() const override { return inner_->changes_since_snapshot(); }
  const engine::Store* store() const override { return inner_->store(); }
  Expected<std::uint64_t> verdict_log_epoch() override { return inner_->verdict_log_epoch(); }
  Expected<VerdictLogPage> verdicts_since(std::uint64_t after, std::size_t max_items, std::string_view prefix,
                                          std::size_t max_scan) const override {
    return inner_->verdicts_since(after, max_items, prefix, max_scan);
  }
  std::uint64_t last_verdict_seq() const override { return inner_->last_verdict_seq(); }
  Expected<std::string> admin(const admin::AdminQuery& query) override { return inner_->admin(query); }

 private:
  std::unique_ptr<server::Backend> inner_;
};

}  // namespace tunggal::testing
