#pragma once
// Everything an operator can set on the engine, with the defaults we measured (docs/dedup.md).
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

namespace tunggal {

struct EngineOptions {
  std::filesystem::path data_dir;  // RocksDB store and index snapshots live here
  bool create_if_missing = true;
  bool read_only = false;  // inspection (CLI `show`, backups): no writes, no snapshots

  // Gallery partitions by subject-id hash; searched in parallel. Engine::open refuses more than
  // kMaxShards (so does every setting that reaches it: `tunggal serve`'s shards key).
  static constexpr int kMaxShards = 1024;
  int shards = 4;
  int face_dimension = 512;

  // Thresholds are derived, never hand-set: the duplicate threshold meets target_fpir at the
  // current gallery size; the review threshold meets review_fpir (a looser rate whose extra
  // alarms go to a person rather than blocking a card).
  double target_fpir = 1e-3;
  double review_fpir = 1e-2;

  // REJECTED when fewer usable fingers than this arrive and there is no usable face.
  int min_usable_fingers = 4;
  // REJECTED when fewer usable fingers than this arrive, face or not (a face alone cannot
  // separate twins).
  int min_fingers_with_face = 1;
  // A finger whose impression quality (0..100, as the station reports it; 0 = not reported) is
  // below this is not usable: matching it adds noise, not evidence. A capture left with too few
  // usable fingers is REJECTED with "quality too low" so the station recaptures on the spot.
  int min_finger_quality = 10;

  // Cascade: candidates per probe from the face index, and per finger position from the finger
  // code indexes (index fingers and thumbs), before full minutiae matching.
  int face_candidates = 20;
  int finger_candidates = 200;
  // Candidates kept in a verdict (those above the review threshold, best first).
  int max_reported_candidates = 10;
  // Of the retrieved candidates, at most this many (best pre-score first: face LLR and how many
  // finger-code lists found them) reach full minutiae matching.
  int full_match_candidates = 32;
  // A very poor capture searches deeper: a probe whose indexed fingers' mean reported quality is
  // below poor_probe_quality gets poor_probe_depth times fused_candidates and
  // full_match_candidates. Its mate ranks far lower in the finger-code lists than a clear
  // capture's (the same average list finds more mates when spent there: docs/finger_codes.md "Six
  // populations"); such captures are a few percent of all, so the extra matching is small
  // (docs/dedup.md). poor_probe_depth 1 = off.
  int poor_probe_quality = 35;
  int poor_probe_depth = 4;
  // Of those, this many are always the best by face similarity (when the face index found them),
  // whatever their finger-code evidence: at 20,000 every missed mate was the face index's rank 1-2
  // that no finger-code list had found, ranked out by candidates one code list had found.
  int face_reserved_candidates = 4;
  // The ranking puts every finger-code list on one scale (similarities measured from each list's
  // own K-th score) instead of summing raw similarities (engine/cascade.cpp, docs/dedup.md).
  bool code_scores_per_list = true;
  // One more finger-code index over the four indexed positions' codes side by side (index fingers
  // and thumbs, 4 x 256 floats; a position without a usable code is zeros): its inner product is
  // the sum of the four code similarities, so a mate whose every finger is only moderately close
  // is found even when no single finger's list returns it. The lists per position still run
  // (finger_code_lists) and a candidate's pre-score is its four-finger sum when this list found
  // it (docs/dedup.md).
  bool fused_finger_codes = true;
  int fused_candidates = 200;
  // How many fingers the fused index holds: 4 (the indexed ones), 8 (all but the little fingers:
  // 8 x 256 = 2048) or 10 (2560, 1.25x the memory and scan of 8, and the fewest missed mates;
  // fingers only at 100k, 500 mated: 24 / 7 / 3 missed. docs/dedup.md).
  int fused_fingers = 10;
  // Once compressed (above 200,000 subjects), the fused index keeps this many rows per million of
  // a shard from its Hamming scan for re-scoring (index::IndexOptions::hash_shortlist_per_million;
  // at least 256 per shard). Deeper than the face index's 1000: a fused code's mate is much
  // closer to the impostors than a face's, and at 1M, fingers only, 1000 lost mates that the full
  // matcher scores far above the duplicate threshold (docs/dedup.md, session 8).
  int fused_shortlist_per_million = 4000;
  // The per-position finger-code lists (finger_candidates each).
  bool finger_code_lists = false;
  // Probe finger codes search with the gallery's mean code taken off (matcher/finger_code_centre.h):
  // the codes' shared direction otherwise favours the same gallery codes for every probe.
  bool centre_finger_codes = true;
  // Full matching of a candidate stops once this many fingers were compared and their summed
  // finger LLR plus the face LLR is below early_exit_llr: clearly an impostor, the remaining
  // fingers cannot plausibly lift it to the review threshold. The cascade loss this causes is
  // measured by `tunggal eval dedup --exhaustive` (docs/dedup.md).
  int early_exit_after_fingers = 2;
  float early_exit_llr = -2.0f;
  // When the face was compared too, one finger is enough to stop if finger plus face LLR is below
  // this stricter bound (an impostor's face LLR is about -2.5 and its first finger's about -1.5;
  // a mate would need a failed face and a failed best finger at once). Candidate preparation is
  // most of an enrollment's cost, so this nearly halves it (docs/dedup.md).
  float face_early_exit_llr = -3.0f;
  // Neither early exit applies to a candidate whose face LLR is at least this: the face already
  // says it may be the same person, and the fingers of a mate with worn or poor prints pile up
  // impostor-like LLRs before the one that matches. At 1M a mate whose full score was 11.3
  // (DUPLICATE) was stopped after 7 of 10 fingers at 6.4 (UNIQUE), its 8th finger the matching
  // one (docs/dedup.md). Impostors rarely have such a face (their face LLR is about -2.5), so the
  // cost is a few comparisons per probe. +infinity turns this off.
  float face_vouch_llr = 2.0f;

  // Face-led review (docs/dedup.md, "Worn fingers and twins"). A candidate whose face alone, by
  // the fusion model's extreme-value face tail, would meet the duplicate threshold, and whose
  // compared fingers (LLRs conditioned on quality) sum to at least face_led_min_finger_llr, is
  // sent to REVIEW even when the fused score is below the review threshold. It never makes a
  // DUPLICATE: a look-alike twin has the same face, and only clear fingers tell them apart, which
  // is what the finger bound checks (a twin's clear prints sum far below it).
  bool face_led_review = true;
  float face_led_min_finger_llr = -3.0f;

  // Micro-batch: at most this many enrollments are decided together (searched against the gallery
  // and against each other, then committed in one WriteBatch).
  int max_batch = 64;

  // Threads the engine computes with (0 = all cores). Each candidate index searches with a pool of
  // this many (index::IndexOptions::threads); the engine's own parallel work (probe preparation and
  // finger codes, full matching of candidates, the in-batch check, index rebuilds) runs in one TBB
  // arena of this many threads, shared by every call: identify calls from several threads share
  // those threads rather than each taking every core. Each pool is bounded, not their sum: a
  // search overlapping another call's matching runs beside it.
  int threads = 0;

  // Tests only: called by a snapshot save after it copied one index into memory and released the
  // decide lock, before it writes that copy to disk, with the index's directory name ("face",
  // "fingers-fused", ...). Lets a test decide enrollments while a save is writing, deterministically.
  // (A backup's save holds the lock throughout, this call included.)
  std::function<void(const std::string& index)> after_snapshot_capture;
  // Tests only: called on the thread that fully matches a candidate, as it starts (once per
  // candidate of a cascade search). Lets a test see how many threads the matching runs on.
  std::function<void()> on_full_match;
};

}  // namespace tunggal
