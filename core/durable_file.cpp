#include "core/durable_file.h"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

namespace tunggal {
namespace {

Status sync_path(const std::filesystem::path& p, int flags, const char* what) {
  const int fd = ::open(p.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return io_error(fmt::format("cannot open {} {} to sync it: {}", what, p.string(), std::strerror(errno)));
  int rc;
  do {
    rc = ::fsync(fd);
  } while (rc != 0 && errno == EINTR);
  const int err = errno;
  ::close(fd);
  if (rc != 0) return io_error(fmt::format("cannot sync {} {}: {}", what, p.string(), std::strerror(err)));
  return Status::ok();
}

}  // namespace

Status sync_file(const std::filesystem::path& file) { return sync_path(file, O_RDONLY, "file"); }

Status sync_directory(const std::filesystem::path& dir) {
  return sync_path(dir.empty() ? std::filesystem::path(".") : dir, O_RDONLY | O_DIRECTORY, "directory");
}

}  // namespace tunggal
