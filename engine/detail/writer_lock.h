#pragma once
// The one-writer rule of a data directory, held by tunggal itself before RocksDB is touched.
//
// RocksDB's own LOCK is taken only inside DB::Open, after the MANIFEST has been read; a second
// writer that races a live one can meet a file the live one is replacing and report damage
// instead of "in use". Taking flock() on a file of our own first makes "another process holds
// this directory" a clean, immediate answer, and lets read-only openers tell a live writer
// (retry a vanished file) from real damage (report it).
#include <filesystem>

#include "core/status.h"

namespace tunggal::engine::detail {

class WriterLock {
 public:
  WriterLock() = default;
  WriterLock(WriterLock&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  WriterLock& operator=(WriterLock&& o) noexcept;
  WriterLock(const WriterLock&) = delete;
  WriterLock& operator=(const WriterLock&) = delete;
  ~WriterLock();

  // Takes the directory for writing; kLocked when another process (or another Store in this
  // process) holds it.
  static Expected<WriterLock> acquire(const std::filesystem::path& dir);

  // True when a live process holds the directory for writing (never creates a file).
  static bool held_by_other(const std::filesystem::path& dir);

 private:
  explicit WriterLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace tunggal::engine::detail
