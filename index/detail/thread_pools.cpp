#include "index/detail/thread_pools.h"

#include <dlfcn.h>

#include <algorithm>
#include <thread>

namespace tunggal::index::detail {

int resolve_threads(int threads) {
  if (threads > 0) return threads;
  return std::max(1u, std::thread::hardware_concurrency());
}

void set_blas_threads(int threads) {
  using SetFn = void (*)(int);
  static SetFn fn = reinterpret_cast<SetFn>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
  if (fn) fn(std::max(1, threads));
}

}  // namespace tunggal::index::detail
