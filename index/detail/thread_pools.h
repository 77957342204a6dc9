#pragma once
// FAISS's OpenMP threads and OpenBLAS's own pthread pool multiply with our TBB shard tasks; this
// sets them on purpose. OpenBLAS is reached through dlsym so that any libblas.so.3 alternative
// still works (the call is then simply skipped).
namespace tunggal::index::detail {

int resolve_threads(int threads);  // 0 -> hardware concurrency
void set_blas_threads(int threads);

}  // namespace tunggal::index::detail
