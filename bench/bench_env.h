#pragma once
// What the benchmarks that set up a gallery share: sizes from the environment (so one binary runs
// at 20k or at 1M), a scratch directory, wall time since a point, and a Status turned into an
// exception that Google Benchmark reports as the run's error instead of measuring a half-built
// fixture.
#include <chrono>
#include <cstddef>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <unistd.h>

#include "core/status.h"

namespace tunggal::bench {

using Clock = std::chrono::steady_clock;

inline double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// The variable `name` as a count, `fallback` when it is unset or empty.
inline std::size_t env_size(const char* name, std::size_t fallback) {
  const char* v = std::getenv(name);
  return v && *v ? static_cast<std::size_t>(std::strtoull(v, nullptr, 10)) : fallback;
}

// An empty directory for one benchmark's data: tunggal_NAME_PID under $TUNGGAL_BENCH_DIR (a disk of
// one's choosing, e.g. the one a deployment would use), else the system's temporary directory.
// Whatever was there under that name is removed first.
inline std::filesystem::path scratch_dir(const std::string& name) {
  const char* base = std::getenv("TUNGGAL_BENCH_DIR");
  const std::filesystem::path root = base && *base ? std::filesystem::path(base) : std::filesystem::temp_directory_path();
  const std::filesystem::path p = root / ("tunggal_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(p);
  return p;
}

inline void check(const Status& s) {
  if (!s) throw StatusError(s);
}

}  // namespace tunggal::bench
