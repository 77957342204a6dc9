#include "index/detail/snapshot_image.h"

#include <algorithm>
#include <fstream>

#include "core/durable_file.h"

namespace tunggal::index::detail {

std::size_t SnapshotImage::bytes() const {
  std::size_t n = manifest_.size();
  for (const File& f : files_) n += f.bytes->size();
  return n;
}

Status SnapshotImage::write(const std::filesystem::path& dir) const {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return io_error("cannot create snapshot directory " + dir.string() + ": " + ec.message());
  std::string manifest = manifest_;
  for (const File& f : files_) {
    if (Status st = f.bytes->write_to(dir / f.name); !st) return st;
    if (Status st = sync_file(dir / f.name); !st) return st;
    manifest += "file " + f.name + "\n";
  }
  const auto tmp = dir / "MANIFEST.tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << manifest;
    out.flush();
    if (!out) return io_error("cannot write " + tmp.string());
  }
  if (Status st = sync_file(tmp); !st) return st;
  if (Status st = sync_directory(dir); !st) return st;  // the shard files' entries
  std::filesystem::rename(tmp, dir / "MANIFEST", ec);
  if (ec) return io_error("cannot rename " + tmp.string() + ": " + ec.message());
  if (Status st = sync_directory(dir); !st) return st;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name.rfind("shard-", 0) == 0 &&
        std::none_of(files_.begin(), files_.end(), [&](const File& f) { return f.name == name; })) {
      std::filesystem::remove(e.path(), ec);
    }
  }
  return Status::ok();
}

}  // namespace tunggal::index::detail
