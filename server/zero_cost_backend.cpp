// Benchmark-only Backend (see backend.h): the protocol's overhead with matching and storage
// costing nothing, so `tunggal station` against it measures framing, TLS, parsing and the
// server's queues alone.
#include <chrono>
#include <deque>
#include <mutex>
#include <random>
#include <unordered_map>

#include "server/backend.h"

namespace tunggal::server {
namespace {

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class ZeroCostBackend final : public Backend {
 public:
  Expected<std::vector<SubmitAck>> submit(std::span<const Enrollment> items) override {
    std::vector<SubmitAck> acks(items.size());
    std::lock_guard lock(mu_);
    for (std::size_t i = 0; i < items.size(); ++i) {
      acks[i].id = items[i].id;
      if (Status s = validate(items[i]); !s) {
        acks[i].kind = SubmitAck::Kind::kRejected;
        acks[i].reason = s.message();
      } else if (!known_.emplace(items[i].id.value, std::nullopt).second) {
        acks[i].kind = SubmitAck::Kind::kDuplicateId;
        acks[i].reason = "enrollment id already submitted; its verdict stands";
      } else {
        queue_.push_back(items[i].id);
      }
    }
    return acks;
  }
  Expected<std::vector<Verdict>> process() override {
    std::lock_guard lock(mu_);
    std::vector<Verdict> out;
    const std::int64_t at = now_ms();
    while (!queue_.empty() && out.size() < 256) {
      Verdict v;
      v.enrollment = std::move(queue_.front());
      queue_.pop_front();
      v.kind = VerdictKind::kUnique;
      v.subject = SubjectId{++subjects_};
      v.decided_at_ms = at;
      known_[v.enrollment.value] = v;
      log_.push_back(v.enrollment.value);
      if (log_.size() > kLogCapacity) {
        log_.pop_front();
        ++log_first_;
      }
      out.push_back(std::move(v));
    }
    return out;
  }
  Expected<std::optional<Verdict>> verdict(const EnrollmentId& id) const override {
    std::lock_guard lock(mu_);
    auto it = known_.find(id.value);
    if (it == known_.end()) return std::optional<Verdict>{};
    return it->second;
  }
  Expected<bool> received(const EnrollmentId& id) const override {
    std::lock_guard lock(mu_);
    return known_.count(id.value) > 0;
  }
  Expected<Verdict> identify(const Enrollment& probe) const override {
    Verdict v;
    v.enrollment = probe.id;
    v.kind = VerdictKind::kUnique;
    return v;
  }
  Status adjudicate(const EnrollmentId&, Decision, const std::string&, const std::string&, SubjectId) override {
    return failed_precondition("the zero-cost policy has nothing to adjudicate");
  }
  Status revoke_subject(SubjectId, const std::string&, const std::string&) override {
    return not_found("the zero-cost policy keeps no subjects");
  }
  // In RAM like everything here: the last kLogCapacity verdicts, a new epoch per process.
  Expected<std::uint64_t> verdict_log_epoch() override { return epoch_; }
  Expected<VerdictLogPage> verdicts_since(std::uint64_t after, std::size_t max_items, std::string_view prefix,
                                          std::size_t max_scan) const override {
    std::lock_guard lock(mu_);
    VerdictLogPage page;
    page.next = after;
    if (after + 1 < log_first_)
      return failed_precondition("the cursor is older than the verdicts the zero-cost policy keeps");
    std::size_t scanned = 0;
    for (std::uint64_t seq = std::max(after + 1, log_first_); seq < log_first_ + log_.size(); ++seq) {
      const std::string& id = log_[seq - log_first_];
      if (scanned >= max_scan || (id.starts_with(prefix) && page.verdicts.size() >= max_items)) {
        page.more = true;
        break;
      }
      if (id.starts_with(prefix)) page.verdicts.push_back({seq, *known_.at(id)});
      ++scanned;
      page.next = seq;
    }
    return page;
  }
  std::uint64_t last_verdict_seq() const override {
    std::lock_guard lock(mu_);
    return log_first_ + log_.size() - 1;
  }

  EngineStats stats() const override {
    std::lock_guard lock(mu_);
    EngineStats s;
    s.gallery_size = subjects_;
    s.pending = queue_.size();
    return s;
  }

 private:
  mutable std::mutex mu_;
  std::unordered_map<std::string, std::optional<Verdict>> known_;
  std::deque<EnrollmentId> queue_;
  std::uint64_t subjects_ = 0;
  static constexpr std::size_t kLogCapacity = 1u << 20;
  std::deque<std::string> log_;  // enrollment ids; log_[0] has seq log_first_
  std::uint64_t log_first_ = 1;
  std::uint64_t epoch_ = [] {
    std::random_device rd;
    return ((std::uint64_t{rd()} << 32) | rd()) | 1;
  }();
};

}  // namespace

std::unique_ptr<Backend> zero_cost_backend() { return std::make_unique<ZeroCostBackend>(); }

}  // namespace tunggal::server
