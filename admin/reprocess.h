#pragma once
// All-against-all re-deduplication of an existing gallery with the current matcher and
// thresholds (`tunggal reprocess`): every selected active subject is rebuilt as a probe from its
// stored biometrics and searched 1:N against the whole gallery (Engine::identify_many, a batch at
// a time; its own subject is ranked but not matched); candidates other than itself at or above
// the review threshold become findings, each pair once (A < B).
//
// Resumable: subjects are taken in id order, in batches searched as one; after each batch
// one line (its last subject id, counts, and findings) is appended to a journal and fsynced. A
// line has a checksum, so a torn last line from a kill is dropped on resume. A rerun replays the
// journal and continues after the last completed batch; since each subject's search depends only
// on the (read-only) gallery, the final findings equal an uninterrupted run's.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <vector>

#include "admin/review_cases.h"
#include "core/status.h"
#include "engine/engine.h"
#include "engine/store.h"

namespace tunggal::admin {

// An exclusive hold (flock) on a reprocessing journal: two runs appending to one journal (the
// same --report twice) would interleave their batches and both store the cases. The caller takes
// it before anything the journal decides (resuming a checkpoint, --restart) and keeps it until
// the journal is removed; reprocess() takes it itself when not given one. Creates the journal.
class JournalLock {
 public:
  // kLocked, naming the journal, when another run (another process or JournalLock) holds it.
  static Expected<JournalLock> acquire(const std::filesystem::path& journal);
  JournalLock(JournalLock&& other) noexcept;
  JournalLock& operator=(JournalLock&&) = delete;
  ~JournalLock();  // an empty journal (a run that never started) is removed

  int fd() const { return fd_; }
  const std::filesystem::path& path() const { return path_; }
  Status discard();  // empties the journal: --restart
  Status remove();   // unlinks the journal while still holding it: the job is done

 private:
  JournalLock(int fd, std::filesystem::path path) : fd_(fd), path_(std::move(path)) {}
  int fd_ = -1;
  std::filesystem::path path_;
  bool removed_ = false;
};

struct ReprocessOptions {
  std::uint64_t first_subject = 0;  // probes only subjects in [first, last]; 0 = unbounded
  std::uint64_t last_subject = 0;
  std::string site;                 // probes only subjects enrolled at this site; empty = all
  std::filesystem::path journal;    // required: progress lives here; resumed when it exists
  JournalLock* lock = nullptr;      // the caller's hold on `journal`; taken (and released) here when null
  std::size_t batch = 512;          // subjects per journal line
  // Called after each batch: subjects probed so far (including resumed ones), total to probe.
  std::function<void(std::uint64_t done, std::uint64_t total, std::uint64_t findings)> progress;
  // Test hook: stop (as if interrupted) after this many batches in this run; 0 = never.
  std::uint64_t stop_after_batches = 0;
};

struct ReprocessResult {
  std::uint64_t selected = 0;  // subjects to probe
  std::uint64_t probed = 0;    // searched (this run and resumed)
  std::uint64_t resumed = 0;   // of which done by an earlier, interrupted run
  std::uint64_t unusable = 0;  // stored biometrics the engine rejects as a probe (listed below)
  std::vector<std::string> unusable_reasons;
  bool complete = false;       // false only when stopped by stop_after_batches
  Thresholds thresholds;
  bool face_led_review = true;  // the engine's EngineOptions::face_led_review, which the journal header records
  std::vector<ReviewCase> findings;  // one per pair, sorted by (a, b)
};

// `gallery` and `store` must be the same data (the engine opened read-only on a checkpoint, and
// its store opened read-only). Journal errors and a journal written for another gallery or other
// options are reported, never silently overwritten: kFailedPrecondition for a journal of another
// gallery state, thresholds, selection or face-led policy (the engine's face_led_review and
// face_led_min_finger_llr, which its header records), naming what differs.
Expected<ReprocessResult> reprocess(const Engine& gallery, const engine::Store& store, const ReprocessOptions& options);

// Whether `journal` starts a job on exactly the gallery state in `store` (its intact header names
// the store's subject count, last change seq and highest subject id); false when there is no
// journal or no intact header. How `--from-checkpoint` knows that an existing checkpoint is the
// one its journal resumes on.
Expected<bool> journal_matches_gallery(const std::filesystem::path& journal, const engine::Store& store);

// Report writers: CSV (one row per finding, per-finger columns) or JSON (an object with a summary
// and a "findings" array).
std::string findings_csv(const std::vector<ReviewCase>& findings);
std::string result_json(const ReprocessResult& result);

}  // namespace tunggal::admin
