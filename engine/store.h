#pragma once
// The durable home of the gallery, the enrollment queue, verdicts and the audit log: one RocksDB
// database with a column family per record kind (subjects, templates, faces, enrollments, queue,
// verdicts, audit, changes, meta). RocksDB stays behind the pimpl.
//
// Writes go through a Batch that is committed as one rocksdb::WriteBatch: all of it or nothing.
// The counters (active subjects, pending jobs, highest subject id, audit/change/queue sequence
// numbers) live in the meta column family and are written in that same WriteBatch, so they are
// exact after any crash and cost nothing at open.
//
// Thread safety: any number of concurrent readers; commits are serialised inside the store.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/enrollment.h"
#include "core/ids.h"
#include "core/status.h"
#include "core/verdict.h"
#include "engine/store_records.h"

namespace tunggal::engine {

// kSynced: the WAL is fsynced before commit returns (what an acknowledgement to a station needs).
// kBuffered: written to the WAL in the OS page cache; survives a process crash, not a power cut,
// until flush() or a later synced commit. For bulk import.
enum class Durability { kSynced, kBuffered };

struct StoreOptions {
  std::filesystem::path path;
  bool create_if_missing = true;
  bool read_only = false;
  std::size_t block_cache_bytes = 256u << 20;
  std::optional<GalleryConfig> gallery;  // required when creating; checked when opening
};

class Store {
 public:
  // The on-disk format this build reads and writes (meta "format_version").
  static constexpr int kFormatVersion = 1;

  // Errors: kLocked (another process, or another Store in this one, holds the directory),
  // kIncompatible (other format version), kCorruption, kFailedPrecondition (not a tunggal store),
  // kInvalidArgument (missing or different gallery config), kNotFound (no store and not creating).
  static Expected<std::unique_ptr<Store>> open(const StoreOptions& options);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  const GalleryConfig& gallery_config() const;
  const std::filesystem::path& path() const;

  // Accumulates writes; nothing is visible until Store::commit. Checks that need the stored state
  // (revoking an unknown subject, enqueueing an id twice, a face of the wrong dimension) happen at
  // commit, which then fails as a whole.
  class Batch {
   public:
    Batch();
    ~Batch();
    Batch(Batch&&) noexcept;
    Batch& operator=(Batch&&) noexcept;

    // Adds or replaces a subject with its biometrics (fingers at distinct positions) + a change
    // entry {added}. Putting a revoked subject's id again re-activates it.
    void put_subject(const StoredSubject& subject);
    void put_subject(StoredSubject&& subject);  // the same, without copying (bulk import)
    // Marks an active subject revoked, deletes its templates and face and strips them from the
    // enrollment that created it (as strip_enrollment_biometrics), + a change entry {removed}.
    // Commit fails with kNotFound for an unknown subject, kFailedPrecondition for a revoked one.
    void revoke_subject(SubjectId id, std::string reason, std::int64_t at_ms);
    // Rewrites a stored enrollment without fingers, finger images and face, keeping its job header,
    // id, site, NIK and capture time (a deleted person's other enrollments). No such enrollment, or
    // one already stripped, is not an error.
    void strip_enrollment_biometrics(const EnrollmentId& id);
    // Stores the enrollment as a pending job at the end of the FIFO queue. Commit fails with
    // kAlreadyExists if this enrollment id was received before.
    void enqueue(const Enrollment& enrollment, std::int64_t received_at_ms);
    // Stores (or replaces, e.g. after adjudication) the verdict; a pending job becomes kDecided
    // and leaves the queue.
    void record_verdict(const Verdict& verdict);
    void append_audit(AuditEntry entry);  // seq assigned at commit
    void put_meta(std::string key, std::string value);

    bool empty() const;
    std::size_t size() const;

    struct Ops;  // opaque, in store.cpp

   private:
    friend class Store;
    std::unique_ptr<Ops> ops_;
  };

  Batch batch() const;
  // Atomic: one rocksdb::WriteBatch, all or nothing. The batch is consumed either way.
  Status commit(Batch&& batch, Durability durability = Durability::kSynced);
  // Makes everything committed so far durable (WAL fsynced, memtables written to table files):
  // the end of a bulk import done with kBuffered commits.
  Status flush();
  // Erases from disk what a revocation deleted or overwrote: RocksDB keeps old values in its
  // table files (unreadable through the store, but there byte for byte, and hard-linked into any
  // checkpoint) until a compaction rewrites those files. Flushes every memtable (which also retires
  // the write-ahead logs that held them), then compacts just the subject's template and face keys
  // and the given enrollment records down to the last level.
  Status erase_overwritten(SubjectId subject, std::span<const EnrollmentId> enrollments);

  // Reads. A missing record is an empty optional; an error is I/O or corruption.
  Expected<std::optional<StoredSubject>> load_subject(SubjectId id) const;
  Expected<std::optional<SubjectRecord>> subject(SubjectId id) const;
  Expected<std::optional<EnrollmentRecord>> enrollment(const EnrollmentId& id) const;
  Expected<std::optional<Verdict>> verdict(const EnrollmentId& id) const;
  Expected<std::vector<Enrollment>> pending(std::size_t max) const;  // oldest first
  std::uint64_t pending_count() const;
  std::uint64_t subject_count() const;  // active subjects
  std::uint64_t max_subject_id() const;  // 0 if none; the engine assigns max+1 (ids never reused)

  // The enrollments whose verdict is CONFIRMED_DUPLICATE of `subject`: what deleting the subject
  // must strip too. Read from the index the store keeps beside the verdicts (meta "dup_of/" keys,
  // written in the same WriteBatch as the verdict), each hit checked against its verdict. A
  // read-only store from before that index (a writable open backfills it once) scans every verdict.
  struct ConfirmedDuplicates {
    std::vector<EnrollmentId> enrollments;
    std::uint64_t verdicts_read = 0;  // the index's hits, or every verdict when it scanned
  };
  Expected<ConfirmedDuplicates> confirmed_duplicates_of(SubjectId subject) const;

  // Iteration for rebuilds and reprocessing, over a consistent snapshot; return false from fn to
  // stop early.
  Status for_each_subject(const std::function<bool(const StoredSubject&)>& fn, SubjectId from = {}) const;  // active only, id order
  // The same records without their biometrics (templates and faces are not read): counting or
  // selecting subjects, e.g. reprocessing's selection, costs a scan of the small records only.
  Status for_each_subject_record(const std::function<bool(const SubjectRecord&)>& fn, SubjectId from = {}) const;
  Status for_each_verdict(const std::function<bool(const Verdict&)>& fn) const;
  Status for_each_audit(const std::function<bool(const AuditEntry&)>& fn, std::uint64_t after_seq = 0) const;
  Status for_each_change(const std::function<bool(const ChangeEntry&)>& fn, std::uint64_t after_seq = 0) const;
  std::uint64_t last_change_seq() const;  // what an index snapshot records as "covered"
  // The verdict log: every record_verdict ever committed, in commit order, as (seq, enrollment id),
  // seq counting from 1 with no gaps (a store from before the log starts it empty). Readers
  // resume "after seq" across restarts: the station protocol's verdict cursors.
  Status for_each_verdict_log(const std::function<bool(std::uint64_t seq, const std::string& id)>& fn,
                              std::uint64_t after_seq = 0) const;
  std::uint64_t last_verdict_seq() const;
  std::uint64_t last_audit_seq() const;

  Expected<std::optional<std::string>> meta(const std::string& key) const;
  // Every meta key (as given to put_meta) starting with `prefix`, in key order, over a consistent
  // snapshot: record sets kept in meta, e.g. reprocessing's review cases.
  Status for_each_meta(const std::string& prefix,
                       const std::function<bool(const std::string& key, const std::string& value)>& fn) const;
  // A consistent online copy into `dir` (which must not exist), openable as a store.
  Status checkpoint(const std::filesystem::path& dir) const;
  // Reads every table file and checks its block checksums: kCorruption names what is damaged.
  Status verify_checksums() const;
  // Recounts what the counters summarise (active subjects, highest id, pending jobs, last
  // sequence numbers) from the records themselves and compares: kCorruption lists any difference.
  // A full scan of the subject records (not their biometrics); for `tunggal` health checks.
  Status check_counters() const;

  // What an operator's status page shows.
  struct Stats {
    std::uint64_t active_subjects = 0, max_subject_id = 0, pending_jobs = 0;
    std::uint64_t last_change_seq = 0, last_audit_seq = 0;
    std::uint64_t table_bytes = 0;     // table files on disk, all column families
    std::uint64_t memtable_bytes = 0;  // not yet flushed
  };
  Stats stats() const;

  struct Impl;  // opaque: RocksDB lives behind it, in store.cpp

 private:
  explicit Store(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tunggal::engine
