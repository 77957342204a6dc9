#include "engine/engine.h"
#include "engine/detail/record_codec.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <shared_mutex>
#include <unordered_map>

#include <fmt/format.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include "core/durable_file.h"
#include "engine/cascade.h"
#include "engine/data_copy.h"
#include "engine/gallery.h"
#include "engine/index_factory.h"
#include "engine/probe.h"
#include "engine/store.h"
#include "matcher/finger_code.h"
#include "matcher/finger_code_centre.h"
#include "matcher/finger_matcher.h"

namespace tunggal {

namespace fs = std::filesystem;
using engine::Durability;
using engine::Store;

std::string_view to_string(SubmitAck::Kind k) {
  switch (k) {
    case SubmitAck::Kind::kAccepted: return "ACCEPTED";
    case SubmitAck::Kind::kDuplicateId: return "DUPLICATE_ID";
    case SubmitAck::Kind::kRejected: return "REJECTED";
  }
  return "?";
}

namespace {

// The fingers as the store gives them back (it keeps minutia angles to 1/2048 of a turn, the RAM
// gallery to 1/256). The gallery is filled from this form at enrollment too: a restart fills it
// from the store, and the same probe must then get the same scores.
std::vector<FingerTemplate> as_stored(std::span<const FingerTemplate> fingers) {
  std::vector<FingerTemplate> out;
  out.reserve(fingers.size());
  std::string bytes;
  for (const FingerTemplate& f : fingers) {
    bytes.clear();
    engine::detail::encode(f, bytes);
    auto back = engine::detail::decode_template(bytes);
    out.push_back(back ? std::move(*back) : f);
  }
  return out;
}

constexpr const char* kFusionKey = "fusion_model";
constexpr const char* kCodeVersionKey = "index_finger_code_version";

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The vectors one subject contributes to the candidate indexes.
struct IndexRow {
  std::uint64_t id = 0;
  const FaceEmbedding* face = nullptr;
  std::array<std::vector<float>, kFingerCount> codes;  // by finger slot, the coded_slots() only
};

std::string describe_verdict(const Verdict& v) {
  std::string s = fmt::format("{} decision={}", to_string(v.kind), to_string(v.decision));
  if (v.subject.valid()) s += fmt::format(" subject={}", v.subject.value);
  if (v.linked_subject.valid()) s += fmt::format(" linked={}", v.linked_subject.value);
  if (!v.candidates.empty())
    s += fmt::format(" best={}@{:.2f}", v.candidates.front().subject.value, v.candidates.front().score);
  return s;
}

}  // namespace

struct Engine::Impl {
  EngineOptions options;
  FusionModel fusion;
  matcher::FingerMatcher matcher;
  std::unique_ptr<Store> store;
  Gallery gallery;
  GalleryFaceSource face_source;
  CandidateIndexes indexes;
  CodeCentres centres;
  std::unique_ptr<Cascade> cascade;

  std::mutex decide_mu;  // one decider at a time: batches are serialised
  // One index snapshot save at a time (the server's snapshot thread, finish_import, backup, the
  // destructor): a save writes <name>.new and renames over <name>, which two at once would undo
  // under each other. Taken before decide_mu, never while holding it.
  std::mutex save_mu;
  // Held shared by each revocation's erasure of the table files (which runs after decide_mu is
  // released), exclusively by a backup: a backup started while a delete is erasing waits for it,
  // so it never hard-links table files that still hold biometrics already committed as deleted.
  std::shared_mutex erase_mu;
  std::mutex submit_mu;  // duplicate-id checks and enqueue are atomic per call
  std::uint64_t next_subject = 1;
  std::atomic<std::uint64_t> decided{0}, retrieved{0}, fully_matched{0}, comparisons{0};
  // EngineOptions::threads: the engine's own TBB work runs in this arena (see bounded()); null
  // when 0, and it runs where the caller is (TBB's default: every core).
  std::unique_ptr<tbb::task_arena> arena;

  Impl(EngineOptions o, FusionModel f)
      : options(std::move(o)), fusion(std::move(f)), gallery(options.face_dimension), face_source(gallery) {
    for (auto& c : centres) c = std::make_unique<matcher::FingerCodeCentre>(matcher::finger_code_dimension());
    if (options.threads > 0) {
      arena = std::make_unique<tbb::task_arena>(options.threads);
      arena->initialize();
    }
  }

  // Runs f with its TBB work, and that of everything it calls (the cascade, make_probe, the
  // matcher), on at most options.threads threads. Every parallel step of the engine goes through
  // here; a nested call runs f directly (the thread is in the arena already). Isolated: a thread
  // waiting inside f for its own tasks never picks up another call's work, which may want a lock
  // this call holds.
  template <class F>
  auto bounded(const F& f) const -> decltype(f()) {
    if (!arena) return f();
    std::unique_lock turn(one_caller, std::defer_lock);
    if (options.threads == 1) turn.lock();
    return arena->execute([&] { return tbb::this_task_arena::isolate(f); });
  }
  // TBB gives every arena at least two slots (room for the worker it adds to run enqueued work), so
  // an arena of one thread still lets a second caller in beside the first (measured: two identify
  // calls matched at once): with threads = 1, callers take turns here. Wider arenas have exactly
  // their size in slots. Recursive: a bounded step may call another.
  mutable std::recursive_mutex one_caller;

  // Meta key of one finger slot's code centre; codes of another version need their own.
  static std::string centre_key(int slot) {
    return fmt::format("finger_code_centre_v{}_{}", matcher::finger_code_version(), static_cast<int>(finger_at_slot(slot)));
  }

  // The saved centres of this code version, if any (a damaged one is learnt again).
  void restore_centres() {
    for (int slot : coded_slots(options)) {
      const auto k = static_cast<std::size_t>(slot);
      auto v = store->meta(centre_key(slot));
      if (!v || !*v) continue;
      if (Status s = centres[k]->restore(**v); !s)
        centres[k] = std::make_unique<matcher::FingerCodeCentre>(matcher::finger_code_dimension());
    }
  }

  // A centre that learnt nothing although the gallery has codes for it (a gallery indexed before
  // centres were saved, or a damaged one) is learnt from an even sample of the gallery. Any other
  // is right already: restored with the snapshots and extended by the replayed changes, or learnt
  // again by a rebuild. (Relearning every centre still under kFreezeAt codes at each open cost up
  // to 2,000 x 10 prepare() calls, seconds, for the galleries that are quickest to open.)
  void learn_centres_from_gallery() {
    bool all_learnt = true;
    for (int slot : coded_slots(options)) all_learnt = all_learnt && centres[static_cast<std::size_t>(slot)]->count() > 0;
    if (all_learnt || gallery.size() == 0) return;
    std::vector<SubjectId> ids = gallery.ids();
    std::sort(ids.begin(), ids.end(), [](SubjectId a, SubjectId b) { return a.value < b.value; });
    const std::size_t want = std::min<std::size_t>(ids.size(), matcher::FingerCodeCentre::kFreezeAt);
    std::vector<SubjectId> sample;
    for (std::size_t i = 0; i < want; ++i) sample.push_back(ids[i * ids.size() / want]);
    std::vector<std::optional<FaceEmbedding>> faces;
    const std::vector<IndexRow> rows = rows_from_gallery(sample, faces);
    for (int slot : coded_slots(options)) {
      const auto k = static_cast<std::size_t>(slot);
      if (centres[k]->count() > 0) continue;
      for (const IndexRow& r : rows)
        if (!r.codes[k].empty()) centres[k]->add(r.codes[k]);
    }
  }

  std::string indexes_at_open;  // EngineStats::indexes_at_open
  std::uint64_t changes_replayed_at_open = 0;  // EngineStats::changes_replayed_at_open
  // The change seq that every index snapshot on disk covers (the oldest of them): a crash now
  // replays the changes after it at the next open. 0 while none does (an open that rebuilt the
  // indexes, until its first save).
  std::atomic<std::uint64_t> snapshot_seq{0};

  fs::path index_dir() const { return options.data_dir / "index"; }
  // 0 = face, 1..4 = finger positions (when EngineOptions::finger_code_lists), 5 = the fused
  // finger codes (when EngineOptions::fused_finger_codes).
  static constexpr std::size_t kFusedIndex = 1 + kIndexedFingers.size();
  std::vector<std::size_t> kept_indexes() const {
    std::vector<std::size_t> out{0};
    for (std::size_t w = 1; w < kFusedIndex && options.finger_code_lists; ++w) out.push_back(w);
    if (options.fused_finger_codes) out.push_back(kFusedIndex);
    return out;
  }
  fs::path index_path(std::size_t which) const {
    if (which == 0) return index_dir() / "face";
    if (which == kFusedIndex) return index_dir() / "fingers-fused";
    return index_dir() / fmt::format("finger-{}", static_cast<int>(kIndexedFingers[which - 1]));
  }
  index::VectorIndex* index_at(std::size_t which) const {
    if (which == kFusedIndex) return indexes.fused.get();
    return which == 0 ? indexes.face.get() : indexes.fingers[which - 1].get();
  }
  int index_dimension(std::size_t which) const {
    if (which == 0) return options.face_dimension;
    return which == kFusedIndex ? fused_code_dimension(options) : matcher::finger_code_dimension();
  }

  Thresholds current_thresholds() const {
    Thresholds t = thresholds_for(options.target_fpir, options.review_fpir, std::max<std::uint64_t>(gallery.size(), 1));
    // Face-led review at the duplicate threshold: the face alone would meet the target FPIR if
    // there were no look-alikes (EngineOptions::face_led_review).
    if (options.face_led_review && !fusion.face_tail().empty()) t.face_led = t.duplicate;
    return t;
  }

  bool is_coded(FingerPosition p) const {
    if (!is_known_finger(p)) return false;
    const std::vector<int> slots = coded_slots(options);
    return std::find(slots.begin(), slots.end(), finger_slot(p)) != slots.end();
  }

  // Finger codes of the coded slots, from raw templates (import, rebuild, adjudication).
  std::array<std::vector<float>, kFingerCount> codes_for(std::span<const FingerTemplate> fingers) const {
    std::array<std::vector<float>, kFingerCount> out;
    for (const FingerTemplate& f : fingers) {
      if (!is_coded(f.position)) continue;
      auto prepared = matcher.prepare(f);
      if (prepared) out[static_cast<std::size_t>(finger_slot(f.position))] = matcher::make_finger_code(*prepared);
    }
    return out;
  }

  // into: the indexes (numbered as in kept_indexes) that get the rows; empty = every one. The code
  // centres learn from the rows only with teach_centres (load_snapshots replays some rows into
  // some indexes only).
  Status add_to_indexes(const std::vector<IndexRow>& rows, const std::set<std::size_t>& into = {},
                        bool teach_centres = true) {
    auto wanted = [&](std::size_t w) { return into.empty() || into.count(w) > 0; };
    std::vector<std::uint64_t> ids;
    std::vector<float> vecs;
    for (const IndexRow& r : rows) {
      if (!r.face) continue;
      ids.push_back(r.id);
      vecs.insert(vecs.end(), r.face->values().begin(), r.face->values().end());
    }
    if (!ids.empty() && wanted(0))
      if (Status s = indexes.face->add(ids, vecs); !s) return s;
    for (int slot : coded_slots(options))
      if (teach_centres)
      for (const IndexRow& r : rows)
        if (!r.codes[static_cast<std::size_t>(slot)].empty())
          centres[static_cast<std::size_t>(slot)]->add(r.codes[static_cast<std::size_t>(slot)]);  // until frozen
    for (std::size_t k = 0; k < kIndexedFingers.size(); ++k) {
      if (!indexes.fingers[k] || !wanted(1 + k)) continue;
      const auto slot = static_cast<std::size_t>(finger_slot(kIndexedFingers[k]));
      ids.clear();
      vecs.clear();
      for (const IndexRow& r : rows) {
        if (r.codes[slot].empty()) continue;
        ids.push_back(r.id);
        vecs.insert(vecs.end(), r.codes[slot].begin(), r.codes[slot].end());
      }
      if (!ids.empty())
        if (Status s = indexes.fingers[k]->add(ids, vecs); !s) return s;
    }
    if (indexes.fused && wanted(kFusedIndex)) {
      const std::vector<int> slots = fused_slots(options);
      ids.clear();
      vecs.clear();
      for (const IndexRow& r : rows) {
        const std::vector<float> v = fused_code(r.codes, slots);
        if (v.empty()) continue;
        ids.push_back(r.id);
        vecs.insert(vecs.end(), v.begin(), v.end());
      }
      if (!ids.empty())
        if (Status s = indexes.fused->add(ids, vecs); !s) return s;
    }
    return Status::ok();
  }

  // into: as for add_to_indexes; empty = every index.
  void remove_from_indexes(std::uint64_t id, const std::set<std::size_t>& into = {}) {
    const std::uint64_t ids[1] = {id};
    for (std::size_t w : kept_indexes())
      if (into.empty() || into.count(w) > 0) (void)index_at(w)->remove(ids);  // absent: not_found, fine
  }

  // Rows for subjects already in the RAM gallery (rebuild and replay), codes computed in parallel.
  std::vector<IndexRow> rows_from_gallery(const std::vector<SubjectId>& ids,
                                          std::vector<std::optional<FaceEmbedding>>& faces) const {
    std::vector<IndexRow> rows(ids.size());
    faces.assign(ids.size(), std::nullopt);
    bounded([&] {
      tbb::parallel_for(std::size_t{0}, ids.size(), [&](std::size_t i) {
        rows[i].id = ids[i].value;
        if (gallery.has_face(ids[i])) {
          std::vector<float> v(static_cast<std::size_t>(gallery.face_dimension()));
          gallery.face(ids[i], v);
          auto fe = FaceEmbedding::make(v);
          if (fe) faces[i] = std::move(*fe);
        }
        std::vector<FingerTemplate> fingers;
        for (int slot : coded_slots(options))
          if (auto f = gallery.finger(ids[i], finger_at_slot(slot))) fingers.push_back(std::move(*f));
        rows[i].codes = codes_for(fingers);
      });
    });
    for (std::size_t i = 0; i < ids.size(); ++i) rows[i].face = faces[i] ? &*faces[i] : nullptr;
    return rows;
  }

  Status rebuild_indexes() {
    // A centre still learning is learnt again from what is re-added; a frozen one stays.
    for (auto& c : centres)
      if (!c->frozen()) c = std::make_unique<matcher::FingerCodeCentre>(matcher::finger_code_dimension());
    auto fresh = make_candidate_indexes(options, &face_source);
    if (!fresh) return fresh.error();
    indexes = std::move(*fresh);
    const std::vector<SubjectId> ids = gallery.ids();
    constexpr std::size_t kChunk = 20000;
    for (std::size_t b = 0; b < ids.size(); b += kChunk) {
      std::vector<SubjectId> part(ids.begin() + static_cast<std::ptrdiff_t>(b),
                                  ids.begin() + static_cast<std::ptrdiff_t>(std::min(ids.size(), b + kChunk)));
      std::vector<std::optional<FaceEmbedding>> faces;
      if (Status s = add_to_indexes(rows_from_gallery(part, faces)); !s) return s;
    }
    return Status::ok();
  }

  // Loads index snapshots and replays the gallery changes made after them; false (and the
  // caller rebuilds) when there is no usable snapshot.
  bool load_snapshots() {
    if (!options.read_only)
      for (std::size_t w : kept_indexes()) recover_snapshot(w);
    auto version = store->meta(kCodeVersionKey);
    if (!version || !*version || **version != std::to_string(matcher::finger_code_version())) return false;
    CandidateIndexes loaded;
    std::map<std::size_t, std::uint64_t> covered_by;  // index -> the change seq its snapshot covers
    std::uint64_t covered = UINT64_MAX;
    for (std::size_t w : kept_indexes()) {
      if (!fs::exists(index_path(w))) return false;
      // The fused index searches with this process's shortlist, not the one it was saved with.
      index::SearchOverrides search;
      if (w == kFusedIndex) search.hash_shortlist_per_million = options.fused_shortlist_per_million;
      auto li = index::load_index(index_path(w), w == 0 ? &face_source : nullptr, search);
      if (!li) return false;
      if (li->index->dimension() != index_dimension(w)) return false;
      covered_by[w] = li->covered_seq;
      covered = std::min(covered, li->covered_seq);
      (w == 0 ? loaded.face : w == kFusedIndex ? loaded.fused : loaded.fingers[w - 1]) = std::move(li->index);
    }
    if (std::any_of(covered_by.begin(), covered_by.end(), [&](const auto& c) { return c.second > store->last_change_seq(); }))
      return false;  // a snapshot newer than the store: distrust
    indexes = std::move(loaded);
    std::vector<engine::ChangeEntry> changes;  // after the oldest snapshot, in commit order
    Status s = store->for_each_change(
        [&](const engine::ChangeEntry& c) {
          changes.push_back(c);
          return true;
        },
        covered);
    if (!s) return false;
    // Snapshots are captured and replaced one index at a time (save_snapshots), each at the change
    // seq current when it was captured, so the indexes of even a whole save cover different
    // seqs, and a crash part-way through leaves some at the new save and the rest at the one
    // before. Each index is brought forward from its own covered seq: replaying the older seq into
    // all of them re-added subjects the newer snapshots hold, which the index refuses, and the
    // open fell back to a full rebuild.
    std::map<std::uint64_t, std::set<std::size_t>> groups;  // covered seq -> indexes at it
    for (const auto& [w, c] : covered_by) groups[c].insert(w);
    for (const auto& [from, group] : groups) {
      // Net effect per subject of the changes after `from`.
      std::unordered_map<std::uint64_t, bool> last;
      for (const engine::ChangeEntry& c : changes)
        if (c.seq > from) last[c.subject.value] = c.added;
      std::vector<SubjectId> added;
      for (auto& [id, is_added] : last) {
        if (is_added && gallery.contains(SubjectId{id})) added.push_back(SubjectId{id});
        else remove_from_indexes(id, group);
      }
      // A snapshot holds exactly the changes up to its seq (captures and index adds both run
      // under the decide lock, after the commit), so the added subjects are not in it yet. The
      // centres were saved as they were at the oldest snapshot (save_snapshots copies them with
      // its first index and commits them after its last), so they learn from that group's rows
      // only.
      std::vector<std::optional<FaceEmbedding>> faces;
      if (!add_to_indexes(rows_from_gallery(added, faces), group, from == covered).is_ok()) return false;
    }
    snapshot_seq = covered;
    changes_replayed_at_open = changes.size();
    return true;
  }

  // A snapshot is written as <name>.new (complete once its MANIFEST is in it, which
  // ShardedIndex::save renames in last), the current one is moved aside to <name>.old, the new
  // one renamed to <name>, the old one deleted; every step fsynced. A crash leaves one of:
  // <name> and a partial <name>.new; <name>.old and a complete <name>.new; <name> and
  // <name>.old. Each is put back to <name> alone here, without a rebuild (which takes long at a
  // million subjects).
  void recover_snapshot(std::size_t w) const {
    const fs::path final_path = index_path(w);
    const fs::path fresh = final_path.string() + ".new", old = final_path.string() + ".old";
    std::error_code ec;
    if (!fs::exists(final_path, ec)) {
      if (fs::exists(fresh / "MANIFEST", ec)) fs::rename(fresh, final_path, ec);
      else if (fs::exists(old, ec)) fs::rename(old, final_path, ec);
      (void)sync_directory(index_dir());
    }
    fs::remove_all(fresh, ec);
    fs::remove_all(old, ec);
  }

  // The caller holds save_mu. Each index is copied into memory under decide_mu together with the
  // change seq it covers (read under the same lock hold: a subject added or revoked after it is in
  // the change log after that seq, and the next open replays it), then written, fsynced and
  // renamed into place without the lock, so verdicts are decided meanwhile; only one index's copy
  // is held at a time. decide_locked: the caller holds decide_mu for the whole save (a backup,
  // whose snapshots must not hold a subject revoked while they were written).
  Status save_snapshots(bool decide_locked, SnapshotCost* cost = nullptr) {
    using Clock = std::chrono::steady_clock;
    auto ms_since = [](Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); };
    const auto started = Clock::now();
    SnapshotCost spent;
    std::error_code ec;
    fs::create_directories(index_dir(), ec);
    if (ec) return io_error(fmt::format("cannot create {}: {}", index_dir().string(), ec.message()));
    // The first capture's seq is the oldest this save leaves on disk, and the next open teaches
    // the code centres the changes after the oldest snapshot only (load_snapshots): so the centres
    // are copied as they were at the first capture, and committed after the last rename.
    std::optional<std::uint64_t> oldest;
    std::vector<std::pair<std::string, std::string>> centre_meta;
    for (std::size_t w : kept_indexes()) {
      // Allocated and touched before the lock: the copy under it is then a plain memcpy (1 GiB:
      // 0.09 s, against 0.5-1.3 s into fresh pages on the 2-core test machine).
      std::unique_ptr<index::CaptureSpace> space = index_at(w)->reserve_capture();
      std::unique_ptr<index::IndexImage> image;
      {
        std::unique_lock lock(decide_mu, std::defer_lock);
        if (!decide_locked) lock.lock();
        const auto t = Clock::now();
        image = index_at(w)->capture(store->last_change_seq(), std::move(space));
        if (!oldest) {
          oldest = image->covered_seq();
          for (int slot : coded_slots(options))
            centre_meta.emplace_back(centre_key(slot), centres[static_cast<std::size_t>(slot)]->serialise());
        }
        const double held = ms_since(t);
        spent.locked_ms += held;
        spent.longest_locked_ms = std::max(spent.longest_locked_ms, held);
      }
      spent.largest_image_bytes = std::max(spent.largest_image_bytes, image->bytes());
      const fs::path final_path = index_path(w);
      if (options.after_snapshot_capture) options.after_snapshot_capture(final_path.filename().string());
      const fs::path tmp = final_path.string() + ".new", old = final_path.string() + ".old";
      fs::remove_all(tmp, ec);
      fs::remove_all(old, ec);
      if (Status s = image->write(tmp); !s) return s;
      image.reset();  // before the next index is copied
      if (Status s = sync_directory(index_dir()); !s) return s;  // <name>.new's own entry
      if (fs::exists(final_path, ec)) {
        fs::rename(final_path, old, ec);
        if (ec) return io_error(fmt::format("cannot move the old snapshot {} aside: {}", final_path.string(), ec.message()));
      }
      fs::rename(tmp, final_path, ec);
      if (ec) return io_error(fmt::format("cannot move snapshot into {}: {}", final_path.string(), ec.message()));
      if (Status s = sync_directory(index_dir()); !s) return s;
      fs::remove_all(old, ec);
    }
    auto b = store->batch();
    b.put_meta(kCodeVersionKey, std::to_string(matcher::finger_code_version()));
    for (auto& [key, value] : centre_meta) b.put_meta(key, std::move(value));
    if (Status s = store->commit(std::move(b), Durability::kSynced); !s) return s;
    // Only now: until every index is replaced, the oldest snapshot on disk is the previous save's.
    snapshot_seq = *oldest;
    spent.total_ms = ms_since(started);
    if (cost) *cost = spent;
    return Status::ok();
  }

  engine::StoredSubject stored_subject(SubjectId id, const Enrollment& e, std::int64_t at) const {
    engine::StoredSubject s;
    s.record.id = id;
    s.record.nik = e.nik.str();
    s.record.site = e.site;
    s.record.enrollment = e.id;
    s.record.enrolled_at_ms = at;
    s.fingers = e.fingers;
    s.face = e.face;
    return s;
  }
};

Engine::Engine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Engine::~Engine() {
  if (impl_ && impl_->store && !impl_->options.read_only) {
    std::lock_guard saving(impl_->save_mu);
    (void)impl_->save_snapshots(false);
  }
}

Expected<std::unique_ptr<Engine>> Engine::open(const EngineOptions& options, std::optional<FusionModel> fusion) {
  if (options.data_dir.empty()) return invalid_argument("engine needs a data directory (--data-dir)");
  if (options.shards < 1 || options.shards > EngineOptions::kMaxShards)
    return invalid_argument(fmt::format("shards must be 1..{}, got {}", EngineOptions::kMaxShards, options.shards));
  if (options.threads < 0) return invalid_argument(fmt::format("threads must be >= 0 (0 = all cores), got {}", options.threads));
  if (options.fused_fingers != 4 && options.fused_fingers != 8 && options.fused_fingers != 10)
    return invalid_argument(fmt::format("fused_fingers must be 4, 8 or 10, got {}", options.fused_fingers));
  std::error_code ec;
  if (options.create_if_missing) fs::create_directories(options.data_dir, ec);

  engine::StoreOptions so;
  so.path = options.data_dir / "store";
  so.create_if_missing = options.create_if_missing;
  so.read_only = options.read_only;
  // The gallery's shape is fixed when it is created; reopening uses what is stored, whatever the
  // options say (a CLI opening an existing directory need not repeat --shards).
  if (!fs::exists(so.path)) so.gallery = engine::GalleryConfig{options.face_dimension, options.shards};
  auto store = Store::open(so);
  if (!store) return store.error();

  auto stored_model = (*store)->meta(kFusionKey);
  if (!stored_model) return stored_model.error();
  FusionModel model;
  if (*stored_model) {
    auto m = FusionModel::deserialize(**stored_model);
    if (!m) return corruption(fmt::format("stored fusion model unreadable: {}", m.error().message()));
    model = std::move(*m);
  } else if (fusion) {
    model = std::move(*fusion);
    if (!options.read_only) {
      auto b = (*store)->batch();
      b.put_meta(kFusionKey, model.serialize());
      if (Status s = (*store)->commit(std::move(b), Durability::kSynced); !s) return s;
    }
  } else {
    return failed_precondition(fmt::format(
        "{} has no calibrated score model; create the gallery with `tunggal import` or `tunggal demo`, "
        "which calibrate one",
        options.data_dir.string()));
  }

  auto impl = std::make_unique<Impl>(options, std::move(model));
  impl->options.face_dimension = (*store)->gallery_config().face_dimension;
  impl->options.shards = (*store)->gallery_config().shard_count;
  impl->store = std::move(*store);
  impl->next_subject = impl->store->max_subject_id() + 1;

  Status scan = impl->store->for_each_subject([&](const engine::StoredSubject& s) {
    impl->gallery.put(s.record.id, s.fingers, s.face);
    return true;
  });
  if (!scan) return scan;
  impl->restore_centres();
  impl->indexes_at_open = "snapshot";
  if (!impl->load_snapshots()) {
    impl->indexes_at_open = "rebuilt";
    if (Status s = impl->rebuild_indexes(); !s) return s;
  }
  impl->learn_centres_from_gallery();
  impl->cascade = std::make_unique<Cascade>(impl->gallery, impl->indexes, impl->centres, impl->matcher, impl->fusion,
                                            impl->options);
  return std::unique_ptr<Engine>(new Engine(std::move(impl)));
}

Expected<std::vector<SubmitAck>> Engine::submit(std::span<const Enrollment> enrollments) {
  Impl& m = *impl_;
  std::lock_guard lock(m.submit_mu);
  std::vector<SubmitAck> acks(enrollments.size());
  auto batch = m.store->batch();
  std::unordered_map<std::string, bool> in_call;
  const std::int64_t at = now_ms();
  for (std::size_t i = 0; i < enrollments.size(); ++i) {
    const Enrollment& e = enrollments[i];
    acks[i].id = e.id;
    if (Status s = validate(e); !s) {
      acks[i].kind = SubmitAck::Kind::kRejected;
      acks[i].reason = s.message();
      continue;
    }
    if (e.face && e.face->dimension() != m.options.face_dimension) {
      acks[i].kind = SubmitAck::Kind::kRejected;
      acks[i].reason = fmt::format("face embedding has dimension {}, this gallery uses {}", e.face->dimension(),
                                   m.options.face_dimension);
      continue;
    }
    auto existing = m.store->enrollment(e.id);
    if (!existing) return existing.error();
    if (*existing || in_call.count(e.id.value)) {
      acks[i].kind = SubmitAck::Kind::kDuplicateId;
      acks[i].reason = "enrollment id already submitted; its verdict stands";
      continue;
    }
    in_call[e.id.value] = true;
    batch.enqueue(e, at);
  }
  if (!batch.empty())
    if (Status s = m.store->commit(std::move(batch), Durability::kSynced); !s) return s;
  return acks;
}

Expected<std::vector<Verdict>> Engine::process() {
  Impl& m = *impl_;
  std::lock_guard lock(m.decide_mu);
  auto pending = m.store->pending(static_cast<std::size_t>(std::max(1, m.options.max_batch)));
  if (!pending) return pending.error();
  const std::size_t n = pending->size();
  if (n == 0) return std::vector<Verdict>{};

  std::vector<Probe> probes(n);
  m.bounded([&] {
    tbb::parallel_for(std::size_t{0}, n,
                      [&](std::size_t i) { probes[i] = make_probe(std::move((*pending)[i]), m.matcher, m.options); });
  });
  std::vector<const Probe*> live;
  std::vector<std::size_t> live_at;
  for (std::size_t i = 0; i < n; ++i)
    if (probes[i].reject_reason.empty()) {
      live.push_back(&probes[i]);
      live_at.push_back(i);
    }
  CascadeCounters counters;
  auto found = m.bounded([&] { return m.cascade->search(live, &counters); });
  if (!found) return found.error();
  std::vector<std::vector<Candidate>> candidates(n);
  for (std::size_t k = 0; k < live.size(); ++k) candidates[live_at[k]] = std::move((*found)[k]);

  const Thresholds t = m.current_thresholds();
  const std::uint64_t first_new = m.next_subject;
  std::uint64_t next = first_new;
  std::vector<Verdict> verdicts(n);
  std::vector<std::uint64_t> new_id(n, 0);
  const std::int64_t at = now_ms();
  std::atomic<std::uint64_t> inbatch_comparisons{0};
  for (std::size_t j = 0; j < n; ++j) {
    const Probe& p = probes[j];
    if (!p.reject_reason.empty()) {
      verdicts[j].enrollment = p.enrollment.id;
      verdicts[j].kind = VerdictKind::kRejected;
      verdicts[j].reject_reason = p.reject_reason;
      verdicts[j].duplicate_threshold = t.duplicate;
      verdicts[j].review_threshold = t.review;
      verdicts[j].decided_at_ms = at;
      continue;
    }
    // The in-batch check: against every earlier probe of this batch that became UNIQUE.
    std::vector<std::size_t> earlier;
    for (std::size_t i = 0; i < j; ++i)
      if (new_id[i]) earlier.push_back(i);
    std::vector<Candidate> same_batch(earlier.size());
    m.bounded([&] {
      tbb::parallel_for(std::size_t{0}, earlier.size(), [&](std::size_t e) {
        std::uint64_t c = 0;
        same_batch[e] = m.cascade->score_probe(p, probes[earlier[e]], SubjectId{new_id[earlier[e]]}, &c);
        inbatch_comparisons += c;
      });
    });
    auto& list = candidates[j];
    list.insert(list.end(), same_batch.begin(), same_batch.end());
    verdicts[j] = decide(p.enrollment.id, std::move(list), t, m.options.max_reported_candidates);
    verdicts[j].decided_at_ms = at;
    if (verdicts[j].kind == VerdictKind::kUnique) {
      new_id[j] = next++;
      verdicts[j].subject = SubjectId{new_id[j]};
    }
  }

  // One synced WriteBatch: verdicts, new subjects, queue removal; all or nothing.
  auto batch = m.store->batch();
  for (std::size_t j = 0; j < n; ++j) {
    batch.record_verdict(verdicts[j]);
    if (new_id[j]) batch.put_subject(m.stored_subject(SubjectId{new_id[j]}, probes[j].enrollment, at));
  }
  if (Status s = m.store->commit(std::move(batch), Durability::kSynced); !s) return s;
  m.next_subject = next;

  // Only now the RAM gallery and the indexes see the new subjects.
  std::vector<IndexRow> rows;
  for (std::size_t j = 0; j < n; ++j) {
    if (!new_id[j]) continue;
    const Enrollment& e = probes[j].enrollment;
    m.gallery.put(SubjectId{new_id[j]}, as_stored(e.fingers), e.face);
    IndexRow r;
    r.id = new_id[j];
    r.face = e.face ? &*e.face : nullptr;
    for (int slot : coded_slots(m.options)) r.codes[static_cast<std::size_t>(slot)] = probes[j].codes[static_cast<std::size_t>(slot)];
    rows.push_back(std::move(r));
  }
  if (Status s = m.add_to_indexes(rows); !s) return s;

  m.decided += n;
  m.retrieved += counters.retrieved;
  m.fully_matched += counters.fully_matched;
  m.comparisons += counters.finger_comparisons + inbatch_comparisons.load();
  return verdicts;
}

Expected<std::vector<Verdict>> Engine::process_all() {
  std::vector<Verdict> all;
  for (;;) {
    auto v = process();
    if (!v) return v.error();
    if (v->empty()) return all;
    for (auto& x : *v) all.push_back(std::move(x));
  }
}

Expected<std::optional<Verdict>> Engine::verdict(const EnrollmentId& id) const { return impl_->store->verdict(id); }

Expected<VerdictLogPage> Engine::verdicts_since(std::uint64_t after_seq, std::size_t max_items,
                                                std::string_view id_prefix, std::size_t max_scan) const {
  const Store& st = *impl_->store;
  VerdictLogPage page;
  page.next = after_seq;
  std::size_t scanned = 0;
  Status failed = Status::ok();
  Status s = st.for_each_verdict_log(
      [&](std::uint64_t seq, const std::string& id) {
        if (scanned >= max_scan) {
          page.more = true;
          return false;
        }
        if (id.starts_with(id_prefix)) {
          if (page.verdicts.size() >= max_items) {
            page.more = true;
            return false;
          }
          auto v = st.verdict(EnrollmentId{id});
          if (!v) {
            failed = v.error();
            return false;
          }
          // The entry names the enrollment; the verdict read is its current state (an adjudicated
          // verdict shows its final form at both of its entries).
          if (*v) page.verdicts.push_back({seq, std::move(**v)});
        }
        ++scanned;
        page.next = seq;
        return true;
      },
      after_seq);
  if (!s) return s;
  if (!failed) return failed;
  return page;
}

std::uint64_t Engine::last_verdict_seq() const { return impl_->store->last_verdict_seq(); }

Expected<std::uint64_t> Engine::verdict_log_epoch() {
  Impl& m = *impl_;
  static constexpr const char* kKey = "verdict_log.epoch";
  std::lock_guard lock(m.decide_mu);
  auto have = m.store->meta(kKey);
  if (!have) return have.error();
  if (*have) {
    try {
      return std::stoull(**have);
    } catch (const std::exception&) {
      return corruption(fmt::format("meta {} is not a number: '{}'", kKey, **have));
    }
  }
  std::random_device rd;
  const std::uint64_t epoch = ((std::uint64_t{rd()} << 32) | rd()) | 1;
  auto b = m.store->batch();
  b.put_meta(kKey, std::to_string(epoch));
  if (Status s = m.store->commit(std::move(b), Durability::kSynced); !s) return s;
  return epoch;
}

Expected<bool> Engine::received(const EnrollmentId& id) const {
  auto r = impl_->store->enrollment(id);
  if (!r) return r.error();
  return r->has_value();
}

Expected<Verdict> Engine::identify(const Enrollment& enrollment) const {
  auto all = identify_many(std::span<const Enrollment>(&enrollment, 1));
  if (!all) return all.error();
  return std::move((*all)[0]);
}

Expected<std::vector<Expected<Verdict>>> Engine::identify_many(std::span<const Enrollment> enrollments,
                                                               std::span<const SubjectId> self) const {
  Impl& m = *impl_;
  const std::size_t n = enrollments.size();
  if (!self.empty() && self.size() != n)
    return invalid_argument(fmt::format("identify_many: {} probes but {} own subject ids", n, self.size()));
  std::vector<Probe> probes(n);
  std::vector<Status> usable(n);  // ok, or why probe i is invalid or REJECTED
  m.bounded([&] {
    tbb::parallel_for(std::size_t{0}, n, [&](std::size_t i) {
      if (Status s = validate(enrollments[i]); !s) {
        usable[i] = std::move(s);
        return;
      }
      probes[i] = make_probe(enrollments[i], m.matcher, m.options);
      if (!self.empty()) probes[i].self = self[i];
      if (!probes[i].reject_reason.empty()) usable[i] = invalid_argument(probes[i].reject_reason);
    });
  });
  std::vector<const Probe*> live;
  std::vector<std::size_t> live_at;
  for (std::size_t i = 0; i < n; ++i)
    if (usable[i]) {
      live.push_back(&probes[i]);
      live_at.push_back(i);
    }
  auto found = m.bounded([&] { return m.cascade->search(live); });
  if (!found) return found.error();
  std::vector<std::vector<Candidate>> candidates(n);
  for (std::size_t k = 0; k < live.size(); ++k) candidates[live_at[k]] = std::move((*found)[k]);

  const Thresholds t = m.current_thresholds();
  const std::int64_t at = now_ms();
  std::vector<Expected<Verdict>> out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    if (!usable[i]) {
      out.emplace_back(std::move(usable[i]));
      continue;
    }
    Verdict v = decide(enrollments[i].id, std::move(candidates[i]), t, m.options.max_reported_candidates);
    v.decided_at_ms = at;
    out.emplace_back(std::move(v));
  }
  return out;
}

Expected<std::vector<Candidate>> Engine::identify_exhaustive(const Enrollment& enrollment) const {
  Impl& m = *impl_;
  if (Status s = validate(enrollment); !s) return s;
  Probe p = m.bounded([&] { return make_probe(enrollment, m.matcher, m.options); });
  if (!p.reject_reason.empty()) return invalid_argument(p.reject_reason);
  auto all = m.bounded([&] { return m.cascade->search_exhaustive(p); });
  std::sort(all.begin(), all.end(), [](const Candidate& a, const Candidate& b) { return a.score > b.score; });
  return all;
}

Expected<Candidate> Engine::compare(const Enrollment& enrollment, SubjectId subject) const {
  Impl& m = *impl_;
  if (!m.gallery.contains(subject)) return not_found(fmt::format("subject {} is not in the gallery", subject.value));
  Probe p = m.bounded([&] { return make_probe(enrollment, m.matcher, m.options); });
  if (!p.reject_reason.empty()) return invalid_argument(p.reject_reason);
  return m.bounded([&] { return m.cascade->score_subject(p, subject, false); });
}

Expected<CascadeTrace> Engine::trace(const Enrollment& enrollment, SubjectId subject, SubjectId ignore) const {
  Impl& m = *impl_;
  if (!m.gallery.contains(subject)) return not_found(fmt::format("subject {} is not in the gallery", subject.value));
  Probe p = m.bounded([&] { return make_probe(enrollment, m.matcher, m.options); });
  if (!p.reject_reason.empty()) return invalid_argument(p.reject_reason);
  return m.bounded([&] { return m.cascade->trace(p, subject, ignore); });
}

namespace {

// The re-search before an adjudicated DISTINCT is committed. The case's candidates were searched
// when it was decided; anyone enrolled since (typically the same person's other enrollment, held
// for review against the same look-alike and adjudicated DISTINCT first: neither was in the
// gallery when the other was decided, and the in-batch check only compares with UNIQUEs) was
// never compared. So the enrollment is searched again with the real cascade against the gallery
// as it is now, and judged by the verdict policy with today's thresholds; the candidates the case
// lists, which the adjudicator has just ruled out, do not count (they keep their place in the
// ranking, like Probe::self, so the others reaching full matching are those of a plain search).
// Returns the candidates the case does not list that would hold a new enrollment for review,
// best first; empty when the enrollment may be committed.
Expected<std::vector<Candidate>> unlisted_candidates(Engine::Impl& m, const Enrollment& enrollment,
                                                     const std::vector<Candidate>& listed) {
  Probe p = make_probe(enrollment, m.matcher, m.options);
  if (!p.reject_reason.empty())
    return failed_precondition(fmt::format(
        "enrollment {} can no longer be searched against the gallery ({}), so it cannot be enrolled as a new subject",
        enrollment.id.value, p.reject_reason));
  const Probe* one[1] = {&p};
  CascadeCounters counters;
  auto found = m.cascade->search(one, &counters);
  if (!found) return found.error();
  m.retrieved += counters.retrieved;
  m.fully_matched += counters.fully_matched;
  m.comparisons += counters.finger_comparisons;
  std::vector<Candidate> fresh = std::move((*found)[0]);
  std::erase_if(fresh, [&](const Candidate& c) {
    return std::any_of(listed.begin(), listed.end(), [&](const Candidate& l) { return l.subject == c.subject; });
  });
  Verdict v = decide(enrollment.id, std::move(fresh), m.current_thresholds(), m.options.max_reported_candidates);
  return std::move(v.candidates);
}

std::string describe_candidates(const std::vector<Candidate>& cs) {
  std::string s;
  for (const Candidate& c : cs) s += fmt::format("{}{}@{:.2f}", s.empty() ? "" : ",", c.subject.value, c.score);
  return s;
}

// DISTINCT refused: the case gets the candidates it did not list and stays open (a DUPLICATE once
// one reaches the duplicate threshold), audited, in one commit, and the adjudicator is told whom to
// look at. Deciding DISTINCT again then rules them out too: nobody is locked out of a decision.
Status reopen_case(Engine::Impl& m, Verdict reopened, const std::vector<Candidate>& added, const std::string& admin,
                   const std::string& reason, const std::string& before, std::int64_t at) {
  const Thresholds t = m.current_thresholds();
  const Candidate& best = added.front();
  if (best.score >= t.duplicate) reopened.kind = VerdictKind::kDuplicate;
  reopened.candidates.insert(reopened.candidates.end(), added.begin(), added.end());
  std::stable_sort(reopened.candidates.begin(), reopened.candidates.end(),
                   [](const Candidate& a, const Candidate& b) { return a.score > b.score; });
  auto batch = m.store->batch();
  batch.record_verdict(reopened);
  engine::AuditEntry audit;
  audit.at_ms = at;
  audit.actor = admin;
  audit.action = "adjudicate-reopened";
  audit.target = reopened.enrollment.value;
  audit.reason = reason;
  audit.before = before;
  audit.after = fmt::format("{} added={} (DISTINCT refused: not listed when decided)", describe_verdict(reopened),
                            describe_candidates(added));
  batch.append_audit(std::move(audit));
  if (Status s = m.store->commit(std::move(batch), Durability::kSynced); !s) return s;
  return failed_precondition(fmt::format(
      "enrollment {} was not enrolled: a search of the gallery as it is now found {} candidate(s) the case did not "
      "list (enrolled after it was decided), best subject {} with score {:.2f} (review threshold {:.2f}, duplicate "
      "{:.2f}); the case now lists them ({}: {}). Compare them (`tunggal admin review show {}`), then decide again: "
      "--decision duplicate --link {} if the same person, --decision distinct if not",
      reopened.enrollment.value, added.size(), best.subject.value, best.score, t.review, t.duplicate, to_string(reopened.kind),
      describe_candidates(added), reopened.enrollment.value, best.subject.value));
}

}  // namespace

Status Engine::adjudicate(const EnrollmentId& id, Decision decision, const std::string& admin,
                          const std::string& reason, SubjectId linked) {
  Impl& m = *impl_;
  if (admin.empty()) return invalid_argument("adjudication needs the admin's identity");
  if (reason.empty()) return invalid_argument("adjudication needs a reason");
  if (decision == Decision::kNone) return invalid_argument("decision must be duplicate or distinct");
  std::lock_guard lock(m.decide_mu);
  auto found = m.store->verdict(id);
  if (!found) return found.error();
  if (!*found) return not_found(fmt::format("no verdict for enrollment {}", id.value));
  Verdict v = std::move(**found);
  if (v.kind != VerdictKind::kDuplicate && v.kind != VerdictKind::kReview)
    return failed_precondition(fmt::format("enrollment {} is {}, only DUPLICATE or REVIEW cases are adjudicated",
                                           id.value, to_string(v.kind)));
  if (v.decision != Decision::kNone)
    return failed_precondition(fmt::format("enrollment {} was already adjudicated {} by {}", id.value,
                                           to_string(v.decision), v.decided_by));
  const std::string before = describe_verdict(v);
  const std::int64_t at = now_ms();
  auto batch = m.store->batch();
  std::optional<Enrollment> to_commit;
  if (decision == Decision::kConfirmedDuplicate) {
    if (!linked.valid()) {
      if (v.candidates.empty()) return invalid_argument("no candidate to link to; name the subject");
      linked = v.candidates.front().subject;
    }
    auto subject = m.store->subject(linked);
    if (!subject) return subject.error();
    if (!*subject || (*subject)->state != engine::SubjectState::kActive)
      return not_found(fmt::format("subject {} is not an active enrolled subject", linked.value));
    v.linked_subject = linked;
  } else {
    auto rec = m.store->enrollment(id);
    if (!rec) return rec.error();
    if (!*rec) return corruption(fmt::format("verdict for {} exists but its enrollment record is missing", id.value));
    to_commit = (*rec)->enrollment;
    auto unlisted = m.bounded([&] { return unlisted_candidates(m, *to_commit, v.candidates); });
    if (!unlisted) return unlisted.error();
    if (!unlisted->empty()) return reopen_case(m, std::move(v), *unlisted, admin, reason, before, at);
    v.subject = SubjectId{m.next_subject};
    batch.put_subject(m.stored_subject(v.subject, *to_commit, at));
  }
  v.decision = decision;
  v.decided_by = admin;
  v.decision_reason = reason;
  v.adjudicated_at_ms = at;
  batch.record_verdict(v);
  engine::AuditEntry audit;
  audit.at_ms = at;
  audit.actor = admin;
  audit.action = "adjudicate";
  audit.target = id.value;
  audit.reason = reason;
  audit.before = before;
  audit.after = describe_verdict(v);
  batch.append_audit(std::move(audit));
  if (Status s = m.store->commit(std::move(batch), Durability::kSynced); !s) return s;
  if (to_commit) {
    ++m.next_subject;
    m.gallery.put(v.subject, as_stored(to_commit->fingers), to_commit->face);
    IndexRow r;
    r.id = v.subject.value;
    r.face = to_commit->face ? &*to_commit->face : nullptr;
    r.codes = m.bounded([&] { return m.codes_for(to_commit->fingers); });
    if (Status s = m.add_to_indexes({r}); !s) return s;
  }
  return Status::ok();
}

Status Engine::revoke_subject(SubjectId subject, const std::string& admin, const std::string& reason,
                              RevokeCost* cost) {
  Impl& m = *impl_;
  if (admin.empty()) return invalid_argument("revocation needs the admin's identity");
  if (reason.empty()) return invalid_argument("revocation needs a reason");
  RevokeCost spent;
  using Clock = std::chrono::steady_clock;
  auto ms_since = [](Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); };
  auto report = [&] {
    if (cost) *cost = spent;
  };
  std::unique_lock lock(m.decide_mu);
  const auto locked_at = Clock::now();
  auto rec = m.store->subject(subject);
  if (!rec) return rec.error();
  if (!*rec) return not_found(fmt::format("no subject {}", subject.value));
  if ((*rec)->state == engine::SubjectState::kRevoked)
    return failed_precondition(fmt::format("subject {} was already revoked: {}", subject.value, (*rec)->revoked_reason));
  const std::int64_t at = now_ms();
  auto batch = m.store->batch();
  batch.revoke_subject(subject, reason, at);
  // Enrollments an admin confirmed as this person's duplicates carry their biometrics too: the
  // store indexes them by subject (a scan of every verdict held the lock for 0.86 s at 1M
  // verdicts, linear in them: docs/store.md "Deleting at scale").
  auto t = Clock::now();
  auto found = m.store->confirmed_duplicates_of(subject);
  if (!found) return found.error();
  std::vector<EnrollmentId> linked = std::move(found->enrollments);
  spent.verdicts_read = found->verdicts_read;
  spent.find_ms = ms_since(t);
  spent.linked = linked.size();
  for (const EnrollmentId& e : linked) batch.strip_enrollment_biometrics(e);
  engine::AuditEntry audit;
  audit.at_ms = at;
  audit.actor = admin;
  audit.action = "revoke";
  audit.target = std::to_string(subject.value);
  audit.reason = reason;
  audit.before = fmt::format("ACTIVE nik={} enrollment={}", (*rec)->nik, (*rec)->enrollment.value);
  audit.after = "REVOKED";
  batch.append_audit(std::move(audit));
  t = Clock::now();
  if (Status s = m.store->commit(std::move(batch), Durability::kSynced); !s) return s;
  spent.commit_ms = ms_since(t);
  t = Clock::now();
  m.gallery.remove(subject);
  m.remove_from_indexes(subject.value);
  spent.unindex_ms = ms_since(t);
  // Deleted means erased from disk too, not only unreadable (docs/store.md "Revocation"). The
  // flush and compactions need no lock and take the most time, so verdicts go on meanwhile: what
  // they erase is already committed as deleted, and nothing written later can put it back (subject
  // ids are never reused, and every later write of a stripped enrollment keeps it stripped).
  linked.push_back((*rec)->enrollment);
  std::shared_lock erasing(m.erase_mu);  // taken before the decide lock goes: no backup slips in
  lock.unlock();
  spent.locked_ms = ms_since(locked_at);
  t = Clock::now();
  Status erased = m.store->erase_overwritten(subject, linked);
  spent.erase_ms = ms_since(t);
  report();
  if (!erased)
    return Status(erased.code(), fmt::format("subject {} is revoked and its biometrics can no longer be read, but erasing "
                                             "them from the store's table files failed ({}); the next compaction of those "
                                             "files erases them",
                                             subject.value, erased.message()));
  return Status::ok();
}

Expected<ImportResult> Engine::import(std::span<const Enrollment> enrollments) {
  Impl& m = *impl_;
  std::lock_guard lock(m.decide_mu);
  ImportResult result;
  std::vector<const Enrollment*> ok;
  for (const Enrollment& e : enrollments) {
    Status s = validate(e);
    if (s && e.face && e.face->dimension() != m.options.face_dimension)
      s = invalid_argument(fmt::format("face dimension {} != gallery's {}", e.face->dimension(), m.options.face_dimension));
    if (!s) result.skipped.push_back(fmt::format("{}: {}", e.id.value, s.message()));
    else ok.push_back(&e);
  }
  std::vector<IndexRow> rows(ok.size());
  m.bounded([&] {
    tbb::parallel_for(std::size_t{0}, ok.size(), [&](std::size_t i) {
      rows[i].id = m.next_subject + i;
      rows[i].face = ok[i]->face ? &*ok[i]->face : nullptr;
      rows[i].codes = m.codes_for(ok[i]->fingers);
    });
  });
  const std::int64_t at = now_ms();
  auto batch = m.store->batch();
  for (std::size_t i = 0; i < ok.size(); ++i) batch.put_subject(m.stored_subject(SubjectId{rows[i].id}, *ok[i], at));
  if (Status s = m.store->commit(std::move(batch), Durability::kBuffered); !s) return s;
  m.next_subject += ok.size();
  for (std::size_t i = 0; i < ok.size(); ++i) m.gallery.put(SubjectId{rows[i].id}, as_stored(ok[i]->fingers), ok[i]->face);
  if (Status s = m.add_to_indexes(rows); !s) return s;
  result.imported = ok.size();
  return result;
}

Status Engine::finish_import() {
  Impl& m = *impl_;
  std::lock_guard saving(m.save_mu);
  {
    std::lock_guard lock(m.decide_mu);
    if (Status s = m.store->flush(); !s) return s;
  }
  return m.save_snapshots(false);
}

Status Engine::snapshot(SnapshotCost* cost) {
  std::lock_guard saving(impl_->save_mu);
  return impl_->save_snapshots(false, cost);
}

std::uint64_t Engine::changes_since_snapshot() const {
  const std::uint64_t last = impl_->store->last_change_seq(), covered = impl_->snapshot_seq.load();
  return last > covered ? last - covered : 0;
}

const engine::Store& Engine::store() const { return *impl_->store; }

Status Engine::with_store(const std::function<Status(engine::Store&)>& fn) {
  std::lock_guard lock(impl_->decide_mu);
  return fn(*impl_->store);
}

Status Engine::backup(const fs::path& dir) {
  Impl& m = *impl_;
  if (m.options.read_only) return failed_precondition("a read-only engine cannot write index snapshots for a backup");
  std::error_code ec;
  if (fs::exists(dir, ec)) return Status{ErrorCode::kAlreadyExists, fmt::format("{} already exists; choose a new directory", dir.string())};
  std::lock_guard saving(m.save_mu);
  // The whole save under the decide lock, unlike snapshot(): the backup's index files must not
  // hold a subject revoked before its store checkpoint (docs/store.md "Revocation").
  std::lock_guard lock(m.decide_mu);
  std::unique_lock no_erasing(m.erase_mu);  // deletes already committed finish erasing first
  if (Status s = m.save_snapshots(true); !s) return s;
  fs::create_directories(dir, ec);
  if (ec) return io_error(fmt::format("cannot create {}: {}", dir.string(), ec.message()));
  if (Status s = engine::mark_as_copy(dir, {.source = m.options.data_dir.string(), .made_by = "server backup"}); !s)
    return s;
  if (Status s = m.store->checkpoint(dir / "store"); !s) return s;
  // The snapshot files are never written again once renamed into place (save_snapshots writes a
  // new directory and renames it over), so the backup may share them: hard links take no time
  // under the decide lock, where copying an index of hundreds of GB stopped every verdict for the
  // whole copy. Across file systems, where links cannot be made, the files are copied.
  fs::copy(m.index_dir(), dir / "index", fs::copy_options::recursive | fs::copy_options::create_hard_links, ec);
  if (ec) {
    fs::remove_all(dir / "index", ec);
    ec.clear();
    fs::copy(m.index_dir(), dir / "index", fs::copy_options::recursive, ec);
  }
  if (ec) return io_error(fmt::format("copying index snapshots into {}: {}", dir.string(), ec.message()));
  return Status::ok();
}

EngineStats Engine::stats() const {
  const Impl& m = *impl_;
  EngineStats s;
  s.gallery_size = m.gallery.size();
  s.pending = m.store->pending_count();
  s.shards = m.options.shards;
  s.thresholds = m.current_thresholds();
  s.gallery_bytes = m.gallery.memory_bytes();
  for (std::size_t w : m.kept_indexes()) s.index_bytes += m.index_at(w)->memory_bytes();
  s.decided = m.decided.load();
  s.retrieved = m.retrieved.load();
  s.fully_matched = m.fully_matched.load();
  s.finger_comparisons = m.comparisons.load();
  s.indexes_at_open = m.indexes_at_open;
  s.changes_replayed_at_open = m.changes_replayed_at_open;
  s.snapshot_change_seq = m.snapshot_seq.load();
  s.changes_since_snapshot = changes_since_snapshot();
  s.face_index = m.indexes.face->describe();
  if (m.indexes.fused) s.fused_finger_index = m.indexes.fused->describe();
  // The finger-code index in use: the per-position lists when built, else the fused one.
  s.finger_index = m.indexes.fingers[0] ? m.indexes.fingers[0]->describe() : s.fused_finger_index;
  return s;
}

Thresholds Engine::thresholds() const { return impl_->current_thresholds(); }
const FusionModel& Engine::fusion() const { return impl_->fusion; }
const EngineOptions& Engine::options() const { return impl_->options; }

}  // namespace tunggal
