#pragma once
// Candidate index over unit vectors (face embeddings, finger codes): top-K by inner product
// (= cosine), sharded by subject-id hash, searched in parallel and merged exactly as one index.
//
// Modelled on faiss::Index: one small batch-first contract, composed implementations behind it
// (exact flat scan for small galleries; a partitioned, compressed index with an exact re-rank of
// its shortlist from full-precision vectors for large ones). FAISS itself never appears here.
//
// Input rules (every violation is an invalid_argument naming the row and the reason, and nothing
// is changed): vectors are n x dimension row-major floats, finite, not all zero; ids are non-zero
// and unique (within the batch and against the index). Vectors that are not unit length are
// NORMALISED on add and on search (scores are therefore always cosines).
//
// Thread safety: search() may run concurrently with add()/remove() (writers are serialised
// internally). Each shard is guarded by its own shared_mutex: a search sees every shard either
// entirely before or entirely after a given add/remove, never a half-written vector or a
// mismatched id; a batch touching several shards may be visible in some shards a moment before
// the others.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"

namespace tunggal::index {

inline constexpr std::uint64_t kNoId = 0;  // ids are subject ids, never 0

// Row-major queries x k, best (highest score) first; rows are padded with kNoId / -inf when the
// index holds fewer than k vectors.
struct SearchResults {
  int queries = 0, k = 0;
  std::vector<std::uint64_t> ids;
  std::vector<float> scores;  // inner product of unit vectors (cosine)

  std::span<const std::uint64_t> ids_of(int q) const {
    return {ids.data() + static_cast<std::size_t>(q) * k, static_cast<std::size_t>(k)};
  }
  std::span<const float> scores_of(int q) const {
    return {scores.data() + static_cast<std::size_t>(q) * k, static_cast<std::size_t>(k)};
  }
};

// Full-precision vectors kept elsewhere (the engine's RAM gallery, or the store), used for the
// exact re-rank of a compressed index's shortlist and for (re)training. Must be safe to call from
// several threads at once.
class VectorSource {
 public:
  virtual ~VectorSource() = default;
  virtual int dimension() const = 0;
  virtual bool get(std::uint64_t id, std::span<float> out) const = 0;  // false if unknown
};

enum class IndexKind {
  kAuto,     // flat while small, kHashSq8 once large (auto_switch_size)
  kFlat,     // exact: FAISS IndexFlatIP per shard (BLAS for batches)
  kHashSq8,  // no training: SimHash scan of all vectors -> 8-bit re-score -> exact re-rank (hash_sq8_shard.h)
  kIvfSq8,   // IVF partitions, int8 codes scanned by our own SIMD kernel, exact re-rank
  // Named by issue 4 as candidates; measured against kIvfSq8 in docs/index.md and not built:
  // make_index rejects them with a message saying so.
  kIvfFlat,
  kIvfPq,
  kHnsw,
};

std::string_view to_string(IndexKind kind);

struct IndexOptions {
  int dimension = 512;
  int shards = 1;                    // shard = mix(id) % shards; searched in parallel (TBB), merged exactly
  IndexKind kind = IndexKind::kAuto;
  int threads = 0;                   // 0 = all cores; sets the FAISS OpenMP and OpenBLAS pools on purpose

  // kAuto turns its flat shards into kHashSq8 once the whole index holds this many vectors
  // (docs/index.md: below it, exact flat search is fast enough).
  std::uint64_t auto_switch_size = 200'000;
  // IVF: lists per shard = clamp(ivf_vectors_per_list-th of the shard size at training, 16, 65536).
  int ivf_vectors_per_list = 256;
  // Fraction of each shard's lists scanned per query (at least 1 list); docs/index.md.
  float ivf_probe_fraction = 0.02f;
  // kHashSq8: rows kept from the Hamming scan per million vectors in the shard (at least
  // 256 and rerank_depth); docs/index.md.
  int hash_shortlist_per_million = 1000;
  // Candidates kept from the compressed scan per query and re-scored exactly from the
  // VectorSource (or, without one, ranked on the int8 scores).
  int rerank_depth = 64;
  // Training sample per shard, and the growth (size / size at last training) that triggers a
  // retraining of a shard's partitions.
  int train_sample = 65'536;
  float retrain_growth = 4.0f;
  std::uint64_t seed = 1234;
};

// An index's snapshot held in memory (VectorIndex::capture): its files as save() writes them.
// Capturing costs a memory copy of the index; write() then costs the disk, with no lock held
// (the engine captures under its decide lock and writes after releasing it).
class IndexImage {
 public:
  virtual ~IndexImage() = default;
  virtual std::uint64_t covered_seq() const = 0;
  virtual std::size_t bytes() const = 0;  // held in memory: about the index's size on disk
  // Writes the snapshot into `dir` (created if missing), crash-safe as save() says.
  virtual Status write(const std::filesystem::path& dir) const = 0;
};

// Memory for a capture (VectorIndex::reserve_capture), allocated and touched before the caller
// takes its lock: a capture into it is a plain memory copy, several times quicker than one into
// fresh pages (index/detail/byte_chunks.h).
class CaptureSpace {
 public:
  virtual ~CaptureSpace() = default;
  virtual std::size_t bytes() const = 0;
};

class VectorIndex {
 public:
  virtual ~VectorIndex() = default;
  virtual int dimension() const = 0;
  // vectors: ids.size() x dimension, row-major; see the input rules above.
  virtual Status add(std::span<const std::uint64_t> ids, std::span<const float> vectors) = 0;
  // Unknown id: not_found naming it, and nothing removed.
  virtual Status remove(std::span<const std::uint64_t> ids) = 0;
  // queries: n x dimension, row-major; k >= 1.
  virtual Expected<SearchResults> search(std::span<const float> queries, int k) const = 0;
  virtual std::uint64_t size() const = 0;
  virtual std::size_t memory_bytes() const = 0;
  virtual std::string describe() const = 0;  // e.g. "4 shards x IVF1024,SQ8 + rerank 200"
  // Snapshot into a directory (created if missing), recording the store change sequence it covers:
  // capture(covered_seq)->write(dir).
  Status save(const std::filesystem::path& dir, std::uint64_t covered_seq) const;
  // The snapshot as it would be written now, copied into memory (bytes() of it, the index's size
  // on disk): adds and removes wait for the copy only, not for the disk. `space`: from
  // reserve_capture(), taken a moment before (what was added since is copied into fresh memory).
  virtual std::unique_ptr<IndexImage> capture(std::uint64_t covered_seq,
                                              std::unique_ptr<CaptureSpace> space = nullptr) const = 0;
  // Memory for a capture of the index as it is now, allocated and touched.
  virtual std::unique_ptr<CaptureSpace> reserve_capture() const = 0;
};

Expected<std::unique_ptr<VectorIndex>> make_index(const IndexOptions& options,
                                                  const VectorSource* source = nullptr);

// Face embeddings (issue 4's FaceIndex) and the matcher's finger codes (FingerCodeIndex): the same
// index with the options that suit each.
Expected<std::unique_ptr<VectorIndex>> make_face_index(int dimension, int shards,
                                                       const VectorSource* source = nullptr);
Expected<std::unique_ptr<VectorIndex>> make_finger_code_index(int dimension, int shards,
                                                              const VectorSource* source = nullptr);

struct LoadedIndex {
  std::unique_ptr<VectorIndex> index;
  std::uint64_t covered_seq = 0;
};
// What a loaded index may do differently from the snapshot it was saved with: search-time settings
// only (the stored vectors and codes do not depend on them). Unset fields keep the MANIFEST's.
struct SearchOverrides {
  std::optional<int> hash_shortlist_per_million;  // IndexOptions::hash_shortlist_per_million
};
Expected<LoadedIndex> load_index(const std::filesystem::path& dir, const VectorSource* source = nullptr,
                                 const SearchOverrides& overrides = {});

}  // namespace tunggal::index
