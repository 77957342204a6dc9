#include "cli/engine_verdict_lookup.h"

#include <filesystem>

#include <fmt/format.h>

#include "engine/store.h"
#include "workflow/verdict_status.h"

namespace tunggal::cli {

namespace {

// Reads penunggalan answers from the engine's store (read-only: the engine may be running).
class StoreVerdictLookup final : public workflow::VerdictLookup {
 public:
  explicit StoreVerdictLookup(std::unique_ptr<engine::Store> store) : store_(std::move(store)) {}

  workflow::IdentityStatus status(const std::string& enrollment_id) const override {
    const EnrollmentId id{enrollment_id};
    auto v = store_->verdict(id);
    if (!v) return {workflow::IdentityStatus::kUnknown, "engine store unreadable: " + v.error().message()};
    bool received = v->has_value();
    if (!received) {
      auto e = store_->enrollment(id);
      received = e && *e;
    }
    return workflow::identity_status(*v, received, enrollment_id);
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
