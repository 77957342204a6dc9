#include "index/vector_index.h"

#include <fstream>
#include <sstream>

#include "index/detail/flat_shard.h"
#include "index/detail/hash_sq8_shard.h"
#include "index/detail/ivf_sq8_shard.h"
#include "index/detail/thread_pools.h"
#include "index/detail/sharded_index.h"
#include "index/detail/snapshot_format.h"

namespace tunggal::index {

std::string_view to_string(IndexKind kind) {
  switch (kind) {
    case IndexKind::kAuto: return "auto";
    case IndexKind::kFlat: return "flat";
    case IndexKind::kIvfSq8: return "ivf-sq8";
    case IndexKind::kHashSq8: return "hash-sq8";
    case IndexKind::kIvfFlat: return "ivf-flat";
    case IndexKind::kIvfPq: return "ivf-pq";
    case IndexKind::kHnsw: return "hnsw";
  }
  return "?";
}

namespace {

Expected<IndexKind> kind_from_string(std::string_view s) {
  for (IndexKind k : {IndexKind::kAuto, IndexKind::kFlat, IndexKind::kHashSq8, IndexKind::kIvfSq8, IndexKind::kIvfFlat, IndexKind::kIvfPq,
                      IndexKind::kHnsw}) {
    if (to_string(k) == s) return k;
  }
  return invalid_argument("unknown index kind '" + std::string(s) + "'");
}

Status check_options(const IndexOptions& o, const VectorSource* source) {
  if (o.dimension < 1 || o.dimension > 4096) return invalid_argument("index dimension must be 1..4096, got " + std::to_string(o.dimension));
  if (o.shards < 1 || o.shards > 1024) return invalid_argument("index shards must be 1..1024, got " + std::to_string(o.shards));
  if (o.threads < 0) return invalid_argument("index threads must be >= 0 (0 = all cores)");
  if (o.kind == IndexKind::kIvfFlat || o.kind == IndexKind::kIvfPq || o.kind == IndexKind::kHnsw) {
    return invalid_argument("index kind " + std::string(to_string(o.kind)) +
                            " is not built (docs/index.md); use auto, flat, hash-sq8 or ivf-sq8");
  }
  if (o.ivf_vectors_per_list < 1 || !(o.ivf_probe_fraction > 0 && o.ivf_probe_fraction <= 1) || o.rerank_depth < 1 ||
      o.train_sample < 1 || !(o.retrain_growth > 1) || o.hash_shortlist_per_million < 0) {
    return invalid_argument("IVF options out of range (vectors_per_list >= 1, 0 < probe_fraction <= 1, rerank_depth >= 1, "
                            "train_sample >= 1, retrain_growth > 1)");
  }
  if (source && source->dimension() != o.dimension) {
    return invalid_argument("vector source has dimension " + std::to_string(source->dimension()) + ", index " +
                            std::to_string(o.dimension));
  }
  return Status::ok();
}

}  // namespace

Status VectorIndex::save(const std::filesystem::path& dir, std::uint64_t covered_seq) const {
  return capture(covered_seq)->write(dir);
}

Expected<std::unique_ptr<VectorIndex>> make_index(const IndexOptions& options, const VectorSource* source) {
  if (Status s = check_options(options, source); !s) return s;
  return detail::make_sharded_index(options, source);
}

Expected<std::unique_ptr<VectorIndex>> make_face_index(int dimension, int shards, const VectorSource* source) {
  IndexOptions o;
  o.dimension = dimension;
  o.shards = shards;
  return make_index(o, source);
}

Expected<std::unique_ptr<VectorIndex>> make_finger_code_index(int dimension, int shards, const VectorSource* source) {
  IndexOptions o;
  o.dimension = dimension;
  o.shards = shards;
  return make_index(o, source);
}

Expected<LoadedIndex> load_index(const std::filesystem::path& dir, const VectorSource* source,
                                 const SearchOverrides& overrides) {
  const auto manifest = dir / "MANIFEST";
  std::ifstream in(manifest);
  if (!in) return not_found("no index snapshot in " + dir.string() + " (MANIFEST missing)");
  std::string line;
  std::getline(in, line);
  if (line != detail::kManifestHeader) {
    return Status(ErrorCode::kIncompatible, manifest.string() + " starts with '" + line + "', expected '" + detail::kManifestHeader + "'");
  }
  IndexOptions o;
  std::uint64_t covered_seq = 0;
  std::vector<std::string> files;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string key, value;
    ls >> key >> value;
    if (key.empty()) continue;
    try {
      if (key == "dimension") o.dimension = std::stoi(value);
      else if (key == "shards") o.shards = std::stoi(value);
      else if (key == "kind") {
        auto k = kind_from_string(value);
        if (!k) return corruption(manifest.string() + ": " + k.error().message());
        o.kind = *k;
      } else if (key == "threads") o.threads = std::stoi(value);
      else if (key == "auto_switch_size") o.auto_switch_size = std::stoull(value);
      else if (key == "hash_shortlist_per_million") o.hash_shortlist_per_million = std::stoi(value);
      else if (key == "ivf_vectors_per_list") o.ivf_vectors_per_list = std::stoi(value);
      else if (key == "ivf_probe_fraction") o.ivf_probe_fraction = std::stof(value);
      else if (key == "rerank_depth") o.rerank_depth = std::stoi(value);
      else if (key == "train_sample") o.train_sample = std::stoi(value);
      else if (key == "retrain_growth") o.retrain_growth = std::stof(value);
      else if (key == "seed") o.seed = std::stoull(value);
      else if (key == "covered_seq") covered_seq = std::stoull(value);
      else if (key == "file") files.push_back(value);
      // unknown keys: written by a newer minor version, safe to ignore
    } catch (const std::exception&) {
      return corruption(manifest.string() + ": bad value '" + value + "' for " + key);
    }
  }
  if (Status s = check_options(o, source); !s) return corruption(manifest.string() + ": " + s.message());
  // Search-time settings of this process win over the saved ones (an index saved before a default
  // changed searches like a new one without a rebuild); the next snapshot records them.
  if (overrides.hash_shortlist_per_million) {
    if (*overrides.hash_shortlist_per_million < 0)
      return invalid_argument("hash_shortlist_per_million " + std::to_string(*overrides.hash_shortlist_per_million) +
                              " is negative");
    o.hash_shortlist_per_million = *overrides.hash_shortlist_per_million;
  }
  if (files.size() != static_cast<std::size_t>(o.shards)) {
    return corruption(manifest.string() + " lists " + std::to_string(files.size()) + " shard files for " + std::to_string(o.shards) + " shards");
  }
  std::vector<std::unique_ptr<detail::Shard>> shards;
  for (const auto& name : files) {
    const auto path = dir / name;
    std::ifstream f(path, std::ios::binary);
    if (!f) return corruption("snapshot shard file " + path.string() + " is missing");
    detail::BinaryReader r(f, path.string());
    std::uint32_t magic = 0, version = 0, format = 0;
    std::int32_t dim = 0;
    for (Status s : {r.pod(magic), r.pod(version), r.pod(format), r.pod(dim)}) {
      if (!s) return s;
    }
    if (magic != detail::kShardMagic) return corruption(path.string() + " is not an index shard file");
    if (version != detail::kShardFormatVersion) {
      return Status(ErrorCode::kIncompatible, path.string() + " has shard format " + std::to_string(version) + ", this build reads " +
                                            std::to_string(detail::kShardFormatVersion));
    }
    if (dim != o.dimension) return corruption(path.string() + " has dimension " + std::to_string(dim));
    Expected<std::unique_ptr<detail::Shard>> shard = corruption(path.string() + " has unknown shard format " + std::to_string(format));
    if (format == static_cast<std::uint32_t>(detail::ShardFormat::kFlat)) shard = detail::load_flat_shard(dim, r);
    if (format == static_cast<std::uint32_t>(detail::ShardFormat::kHashSq8) ||
        format == static_cast<std::uint32_t>(detail::ShardFormat::kHashSq8Compact)) {
      shard = detail::load_hash_sq8_shard(dim, detail::hash_params(o, source, detail::resolve_threads(o.threads)),
                                          static_cast<detail::ShardFormat>(format), r);
    }
    if (format == static_cast<std::uint32_t>(detail::ShardFormat::kIvfSq8)) {
      shard = detail::load_ivf_sq8_shard(dim, detail::ivf_params(o, source), r);
    }
    if (!shard) return shard.error();
    shards.push_back(std::move(*shard));
  }
  auto idx = detail::make_sharded_index(o, source, std::move(shards));
  if (!idx) return idx.error();
  return LoadedIndex{std::move(*idx), covered_seq};
}

}  // namespace tunggal::index
