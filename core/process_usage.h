#pragma once
// What this process has used so far, for the throughput figures the evaluations report per
// CPU-second (wall-clock rates on a shared 2-core machine depend on who else runs; CPU time
// does not).
#include <sys/resource.h>

#include <cstddef>

namespace tunggal {

// User + system CPU seconds of this process so far, all threads.
inline double process_cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e-6;
}

// Peak resident set size of this process so far, in bytes.
inline std::size_t process_peak_rss_bytes() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<std::size_t>(u.ru_maxrss) * 1024;
}

}  // namespace tunggal
