#pragma once
// The deduplication engine: one data directory holding the durable store (RocksDB), the RAM
// gallery, and the candidate indexes, with the operations every door (server, CLI, batch jobs)
// uses. Flow of one enrollment:
//
//   submit  -> validated, written to the durable queue (synced WAL) -> acknowledged
//   process -> a micro-batch of pending enrollments: probes prepared, cascade against the
//              committed gallery, each probe also against the earlier UNIQUEs of its own batch
//              (so one person in one batch, or from two stations at once, never gets two
//              UNIQUEs), verdicts; then verdicts + new subjects in ONE synced WriteBatch;
//              only then the RAM gallery and indexes are extended.
//
// After a crash, the store is the truth: every acknowledged enrollment is decided or still
// pending, and the gallery and indexes are rebuilt from (or replayed onto snapshots from) it.
//
// Thread safety: all methods may be called from any thread. Deciding (process, adjudicate,
// revoke, import) is serialised by one mutex; searching (identify) runs concurrently with it.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/enrollment.h"
#include "core/status.h"
#include "core/verdict.h"
#include "engine/cascade_trace.h"
#include "engine/engine_options.h"
#include "engine/verdict_policy.h"
#include "matcher/fusion_model.h"

namespace tunggal {

namespace engine {
class Store;
}

// The answer to one submitted enrollment, before it is decided.
struct SubmitAck {
  enum class Kind : std::uint8_t {
    kAccepted,     // durable in the queue; a verdict will follow
    kDuplicateId,  // this enrollment id was submitted before: nothing new was stored
    kRejected,     // structurally invalid (see reason); nothing stored, fix and resubmit
  };
  EnrollmentId id;
  Kind kind = Kind::kAccepted;
  std::string reason;
};
std::string_view to_string(SubmitAck::Kind k);  // "ACCEPTED", "DUPLICATE_ID", "REJECTED"

struct EngineStats {
  std::uint64_t gallery_size = 0;
  std::uint64_t pending = 0;
  int shards = 0;
  Thresholds thresholds;
  std::size_t gallery_bytes = 0;  // RAM of the compact gallery
  std::size_t index_bytes = 0;    // RAM of all candidate indexes
  std::uint64_t decided = 0;      // since open
  std::uint64_t retrieved = 0, fully_matched = 0, finger_comparisons = 0;  // cascade, since open
  // Index descriptions. finger_index: the per-position finger-code lists when they are built
  // (EngineOptions::finger_code_lists), else the fused one; fused_finger_index: empty when off.
  std::string face_index, finger_index;
  std::string fused_finger_index;
  // How this open got its indexes: "snapshot" (loaded, then brought forward by the gallery
  // changes made after it) or "rebuilt" (from the whole gallery: minutes at a million subjects).
  std::string indexes_at_open;
  // Gallery change entries read and replayed onto the snapshots at open (0 when rebuilt): what a
  // crash cost, each added subject's finger codes computed again.
  std::uint64_t changes_replayed_at_open = 0;
  // The store change seq the index snapshots on disk cover (0: none, after a rebuild until the
  // first save), and the changes committed since: what a crash now would replay.
  std::uint64_t snapshot_change_seq = 0;
  std::uint64_t changes_since_snapshot = 0;
};

// Where one revocation's time went (Engine::revoke_subject's optional report; bench/revoke_bench).
// Everything but erase_ms is spent holding the decide lock, when no verdict can be decided.
struct RevokeCost {
  std::uint64_t verdicts_read = 0;  // verdicts read to find the enrollments confirmed as the subject's
  std::uint64_t linked = 0;         // of those, the confirmed-duplicate enrollments stripped
  double find_ms = 0;               // finding them
  double commit_ms = 0;             // the synced WriteBatch (revoke, strips, audit)
  double unindex_ms = 0;            // out of the RAM gallery and every candidate index
  double erase_ms = 0;              // Store::erase_overwritten (flush + targeted compactions)
  double locked_ms = 0;             // the decide lock held, in all
};

// Where one index snapshot save's time went (Engine::snapshot's optional report;
// bench/snapshot_bench). Only locked_ms is spent holding the decide lock.
struct SnapshotCost {
  double locked_ms = 0;          // the decide lock held, in all: copying each index into memory
  double longest_locked_ms = 0;  // of those holds, the longest: the longest a verdict waited
  double total_ms = 0;           // the whole save: the copies, writing, fsyncs, renames, meta
  std::size_t largest_image_bytes = 0;  // the largest index copied: the save's transient memory
};

struct ImportResult {
  std::uint64_t imported = 0;
  std::vector<std::string> skipped;  // "id: reason" for enrollments that could not be imported
};

// A page of the verdict log (see Engine::verdicts_since).
struct VerdictLogPage {
  std::vector<std::pair<std::uint64_t, Verdict>> verdicts;  // (log seq, current verdict), oldest first
  std::uint64_t next = 0;  // the last log seq looked at: the next page starts after it
  bool more = false;       // the page stopped at max_items or max_scan, not at the log's end
};

class Engine {
 public:
  // Opens the data directory, creating it when options.create_if_missing. A new gallery needs a
  // fusion model (calibrated score model, see datasets/population_calibration.h); it is stored
  // with the gallery and used on every later open (a model passed then is ignored).
  static Expected<std::unique_ptr<Engine>> open(const EngineOptions& options,
                                                std::optional<FusionModel> fusion = std::nullopt);
  ~Engine();  // saves index snapshots so the next open does not rebuild them
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Durable acknowledgement: accepted items are in the queue (synced) when this returns.
  Expected<std::vector<SubmitAck>> submit(std::span<const Enrollment> enrollments);
  // Decides one micro-batch (at most options.max_batch) of the oldest pending enrollments.
  Expected<std::vector<Verdict>> process();
  // Decides until the queue is empty.
  Expected<std::vector<Verdict>> process_all();

  Expected<std::optional<Verdict>> verdict(const EnrollmentId& id) const;
  // Whether this enrollment id was ever accepted (pending or decided): tells a pending job from an
  // unknown id, which verdict() cannot.
  Expected<bool> received(const EnrollmentId& id) const;

  // The durable verdict log (every decision and adjudication, in commit order; survives
  // restarts): entries after `after_seq` whose enrollment id starts with `id_prefix` ("site/" for
  // one site's), at most max_items of them, looking at most at max_scan entries.
  Expected<VerdictLogPage> verdicts_since(std::uint64_t after_seq, std::size_t max_items,
                                          std::string_view id_prefix = {}, std::size_t max_scan = SIZE_MAX) const;
  std::uint64_t last_verdict_seq() const;
  // A random id of this data directory's verdict log, created on first use and kept in the store:
  // log positions are only comparable under the same epoch.
  Expected<std::uint64_t> verdict_log_epoch();

  // 1:N search without inserting (MOSIP "identify"): scored candidates best first, those at or
  // above the review threshold, at most max_reported_candidates. REJECTED probes: error.
  Expected<Verdict> identify(const Enrollment& probe) const;
  // identify() of many probes at once, as the engine decides its micro-batches: probes prepared
  // in parallel, each index searched once for the whole batch (FAISS's flat scan goes through
  // BLAS for batches and is several times cheaper per probe than one query at a time), every
  // candidate scored in parallel. One result per probe, in order: its verdict, or why it is
  // invalid/REJECTED. The outer error is a failed index search (nothing answered).
  // `self` (empty, or one per probe): when probe i is enrolled subject self[i] (batch
  // reprocessing of the gallery), that subject keeps its place in the candidate ranking, so the
  // others fully matched are exactly those of a plain search, but it is not scored or reported:
  // matching a capture against itself costs all ten fingers and tells nothing.
  Expected<std::vector<Expected<Verdict>>> identify_many(std::span<const Enrollment> probes,
                                                         std::span<const SubjectId> self = {}) const;
  // Every enrolled subject scored with no cascade shortcuts (small galleries; measures the
  // cascade's loss). Sorted best first, all subjects.
  Expected<std::vector<Candidate>> identify_exhaustive(const Enrollment& probe) const;

  // The full score of `probe` against one enrolled subject, every common finger compared (no
  // early exit): what an exhaustive search would have scored for that subject. Used to measure
  // the cascade's loss on known mates.
  Expected<Candidate> compare(const Enrollment& probe, SubjectId subject) const;
  // Where `subject` stood at each stage of the cascade for `probe` (index ranks, pre-score rank,
  // score with and without the early exit): the attribution of a missed mate.
  // `ignore`: a subject treated as absent (the probe's own subject when it was committed UNIQUE).
  Expected<CascadeTrace> trace(const Enrollment& probe, SubjectId subject, SubjectId ignore = {}) const;

  // Adjudication of a DUPLICATE/REVIEW verdict by an identified admin (audited). kDistinct
  // commits the enrollment as a new subject, but only after a fresh 1:N search of the current
  // gallery finds nobody the case does not list (subjects enrolled since it was decided: the same
  // person's other enrollment adjudicated DISTINCT first). When it finds one, nothing is
  // committed: the new candidates are added to the case (audited "adjudicate-reopened"; a
  // DUPLICATE when one reaches the duplicate threshold) and FAILED_PRECONDITION names them, so
  // the adjudicator looks at them and decides again. kConfirmedDuplicate links it to `linked`
  // (or the best candidate when unset) and never commits it.
  Status adjudicate(const EnrollmentId& id, Decision decision, const std::string& admin,
                    const std::string& reason, SubjectId linked = {});
  // Removes a subject from the gallery and every index (e.g. death registration); audited. Its
  // biometrics, and those of the enrollments confirmed as its duplicates, are stripped and then
  // erased from the table files before this returns; verdicts are decided during the erasure (the
  // decide lock covers the commit and the index removal only). `cost`, when given, is filled with
  // where the time went.
  Status revoke_subject(SubjectId subject, const std::string& admin, const std::string& reason,
                        RevokeCost* cost = nullptr);

  // Bulk load of an already-deduplicated population without 1:N search (migration; the gallery
  // of `eval dedup`). Subject ids are assigned in order. Writes are buffered; call
  // finish_import() at the end to make them durable and snapshot the indexes.
  Expected<ImportResult> import(std::span<const Enrollment> enrollments);
  Status finish_import();

  // Writes new index snapshots, one index at a time: each is copied into memory under the decide
  // lock with the store change seq it covers, and written, fsynced and renamed into place after
  // the lock is released, so verdicts are decided during the writing (docs/engine.md has the cost
  // by gallery size). Saves never overlap: a second waits for the first (the server's snapshot
  // thread, finish_import, backup, the destructor). `cost`, when given, says where the time went.
  Status snapshot(SnapshotCost* cost = nullptr);
  // Gallery changes (subjects added or removed) committed since the index snapshots on disk were
  // written (since the oldest of them: a save in progress counts once it is complete): what the
  // next open would replay after a crash. Two counters; any thread.
  std::uint64_t changes_since_snapshot() const;

  // The durable store, for read-only reports (tunggal admin status/show/audit over the protocol):
  // its reads are safe from any thread, concurrently with deciding.
  const engine::Store& store() const;
  // Runs fn on the store while no batch, adjudication or revocation is being decided: admin
  // changes that read, check and write several records (deciding a reprocessing review case)
  // never interleave with the engine's own.
  Status with_store(const std::function<Status(engine::Store&)>& fn);
  // A consistent online copy of the data directory into `dir` (must not exist): under the decide
  // lock, index snapshots are written and the store checkpointed (hard links where possible), so
  // the copy's indexes cover exactly its store and an engine opened on it does not rebuild them.
  // Unlike snapshot(), the lock is held while the files are written too: a subject revoked during
  // the writing would otherwise stay in the backup's index files (docs/store.md "Revocation").
  // Backups are rare; verdicts wait for this one.
  Status backup(const std::filesystem::path& dir);

  EngineStats stats() const;
  Thresholds thresholds() const;
  const FusionModel& fusion() const;
  const EngineOptions& options() const;

  struct Impl;

 private:
  explicit Engine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tunggal
