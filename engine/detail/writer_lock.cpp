#include "engine/detail/writer_lock.h"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <fmt/format.h>

namespace tunggal::engine::detail {

namespace {
constexpr const char* kLockFile = "TUNGGAL.LOCK";  // beside RocksDB's LOCK; RocksDB ignores it
}

WriterLock& WriterLock::operator=(WriterLock&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.fd_;
    o.fd_ = -1;
  }
  return *this;
}

WriterLock::~WriterLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the flock
}

Expected<WriterLock> WriterLock::acquire(const std::filesystem::path& dir) {
  const std::filesystem::path file = dir / kLockFile;
  const int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    return io_error(fmt::format("cannot open the lock file {}: {}; check the permissions of the data directory",
                                file.string(), std::strerror(errno)));
  }
  // flock locks belong to the open file description, so a second Store in this process is refused
  // as well, unlike POSIX record locks.
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    ::close(fd);
    if (err == EWOULDBLOCK) {
      return Status{ErrorCode::kLocked,
                    fmt::format("data directory {} is in use by another tunggal process or store ({} is held); stop "
                                "it or choose another --data-dir",
                                dir.string(), file.string())};
    }
    return io_error(fmt::format("cannot lock {}: {}", file.string(), std::strerror(err)));
  }
  return WriterLock(fd);
}

bool WriterLock::held_by_other(const std::filesystem::path& dir) {
  const int fd = ::open((dir / kLockFile).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool held = ::flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  ::close(fd);
  return held;
}

}  // namespace tunggal::engine::detail
