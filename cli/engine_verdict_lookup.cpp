#include "cli/engine_verdict_lookup.h"

#include <filesystem>

#include <fmt/format.h>

#include "engine/store.h"

namespace tunggal::cli {

namespace {

// Reads penunggalan answers from the engine's store (read-only: the engine may be running).
class StoreVerdictLookup final : public workflow::VerdictLookup {
 public:
  explicit StoreVerdictLookup(std::unique_ptr<engine::Store> store) : store_(std::move(store)) {}

  workflow::IdentityStatus status(const std::string& enrollment_id) const override {
    using K = workflow::IdentityStatus;
    const EnrollmentId id{enrollment_id};
    auto v = store_->verdict(id);
    if (!v) return {K::kUnknown, "engine store unreadable: " + v.error().message()};
    if (!*v) {
      auto e = store_->enrollment(id);
      if (e && *e) return {K::kPending, "awaiting penunggalan"};
      return {K::kUnknown, "the engine has no enrollment " + enrollment_id};
    }
    const Verdict& verdict = **v;
    if (verdict.decision == Decision::kDistinct)
      return {K::kDistinct, fmt::format("adjudicated DISTINCT by {}; subject {}", verdict.decided_by,
                                        verdict.subject.value)};
    if (verdict.decision == Decision::kConfirmedDuplicate)
      return {K::kConfirmedDuplicate, fmt::format("same person as subject {} (adjudicated by {})",
                                                  verdict.linked_subject.value, verdict.decided_by)};
    switch (verdict.kind) {
      case VerdictKind::kUnique: return {K::kUnique, fmt::format("subject {}", verdict.subject.value)};
      case VerdictKind::kDuplicate:
        return {K::kDuplicate, verdict.candidates.empty()
                                   ? std::string("duplicate")
                                   : fmt::format("resembles subject {}", verdict.candidates.front().subject.value)};
      case VerdictKind::kReview: return {K::kReview, "awaiting adjudication"};
      case VerdictKind::kRejected: return {K::kRejected, verdict.reject_reason};
    }
    return {K::kUnknown, "unknown verdict kind"};
  }

 private:
  std::unique_ptr<engine::Store> store_;
};

}  // namespace

Expected<std::unique_ptr<workflow::VerdictLookup>> make_engine_verdict_lookup(const std::string& data_dir) {
  const std::filesystem::path path = std::filesystem::path(data_dir) / "store";
  if (!std::filesystem::exists(path))
    return failed_precondition(fmt::format(
        "engine store not available: {} holds no engine data (create it with `tunggal import` or `tunggal serve`)",
        path.string()));
  engine::StoreOptions so;
  so.path = path;
  so.create_if_missing = false;
  so.read_only = true;
  auto store = engine::Store::open(so);
  if (!store) return store.error();
  return std::unique_ptr<workflow::VerdictLookup>(new StoreVerdictLookup(std::move(*store)));
}

}  // namespace tunggal::cli
