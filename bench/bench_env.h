#pragma once
// What the benchmarks that set up a gallery share: sizes from the environment (so one binary runs
// at 20k or at 1M), wall time since a point, and a Status turned into an exception that Google
// Benchmark reports as the run's error instead of measuring a half-built fixture.
#include <chrono>
#include <cstddef>
#include <cstdlib>

#include "core/status.h"

namespace tunggal::bench {

using Clock = std::chrono::steady_clock;

inline double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// The variable `name` as a count, `fallback` when it is unset or empty.
inline std::size_t env_size(const char* name, std::size_t fallback) {
  const char* v = std::getenv(name);
  return v && *v ? static_cast<std::size_t>(std::strtoull(v, nullptr, 10)) : fallback;
}

inline void check(const Status& s) {
  if (!s) throw StatusError(s);
}

}  // namespace tunggal::bench
