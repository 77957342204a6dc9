#include "cli/engine_verdict_lookup.h"

#include <filesystem>

#include <fmt/format.h>

#include "admin/workflow_lookup.h"
#include "engine/store.h"

namespace tunggal::cli {

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
  return admin::workflow_lookup(std::move(*store));
}

}  // namespace tunggal::cli
