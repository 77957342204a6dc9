#pragma once
// The IndexImage of a ShardedIndex: one shard file per shard in memory and the MANIFEST text
// naming them. write() lays them out as the snapshot format says (snapshot_format.h): shard files
// named after the covered sequence first, the MANIFEST that points at them renamed into place
// last, so a crash mid-write leaves the previous snapshot whole; stale shard files are deleted
// afterwards. Files, MANIFEST and directory are fsynced before and after that rename: a MANIFEST
// that survives a power cut names files that did too.
#include <memory>
#include <string>
#include <vector>

#include "index/detail/byte_chunks.h"
#include "index/vector_index.h"

namespace tunggal::index::detail {

class SnapshotImage final : public IndexImage {
 public:
  struct File {
    std::string name;
    std::unique_ptr<ByteChunks> bytes;
  };
  // manifest: the MANIFEST's text without its "file" lines, which are added from `files`.
  SnapshotImage(std::uint64_t covered_seq, std::string manifest, std::vector<File> files)
      : covered_seq_(covered_seq), manifest_(std::move(manifest)), files_(std::move(files)) {}

  std::uint64_t covered_seq() const override { return covered_seq_; }
  std::size_t bytes() const override;
  Status write(const std::filesystem::path& dir) const override;

 private:
  std::uint64_t covered_seq_;
  std::string manifest_;
  std::vector<File> files_;
};

}  // namespace tunggal::index::detail
