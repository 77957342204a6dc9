#pragma once
// Where the FVC2002 sets live for tests: $TUNGGAL_FVC_DIR, else ../shared/data/fvc2002 next to the
// repository. Empty when neither exists; tests then GTEST_SKIP() saying so.
#include <cstdlib>
#include <filesystem>
#include <string>

namespace tunggal::testing {

inline std::filesystem::path fvc_data_dir() {
  if (const char* env = std::getenv("TUNGGAL_FVC_DIR"); env && *env) {
    if (std::filesystem::is_directory(env)) return env;
    return {};
  }
  std::filesystem::path p = std::filesystem::path(TUNGGAL_SOURCE_DIR) / ".." / "shared" / "data" / "fvc2002";
  return std::filesystem::is_directory(p) ? p.lexically_normal() : std::filesystem::path{};
}

inline constexpr const char* kNoFvcMessage =
    "FVC2002 data not found: set TUNGGAL_FVC_DIR or place the sets in ../shared/data/fvc2002";

}  // namespace tunggal::testing
