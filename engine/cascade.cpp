#include "engine/cascade.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <unordered_map>

#include <tbb/parallel_for.h>

#include "engine/detail/candidate_ranking.h"
#include "matcher/finger_code_centre.h"

namespace tunggal {

using engine::detail::collect;
using engine::detail::fused_collect;
using engine::detail::ListCuts;
using engine::detail::pre_score;
using engine::detail::Seed;
using engine::detail::select_for_matching;

namespace {

// Slots in matching order: the primary fingers first (they carry the most evidence and are the
// ones the early exit looks at), then the others.
constexpr std::array<int, kFingerCount> kMatchOrder = [] {
  std::array<int, kFingerCount> order{};
  int n = 0;
  for (FingerPosition p : kPrimaryFingers) order[n++] = finger_slot(p);
  for (int s = 0; s < kFingerCount; ++s) {
    bool primary = false;
    for (FingerPosition p : kPrimaryFingers) primary |= finger_slot(p) == s;
    if (!primary) order[n++] = s;
  }
  return order;
}();

}  // namespace

// The fingers compared so far for one candidate.
struct Cascade::FingerTally {
  float llr = 0.0f;        // summed finger LLRs (each in its quality class)
  int compared = 0;
  std::uint16_t poor = 0;  // bit slot: that pair was judged in the poor-quality class
};

void Cascade::tally(Candidate& c, FingerTally& t, int slot, float score, bool poor) const {
  c.finger_scores[static_cast<std::size_t>(slot)] = score;
  if (poor) t.poor |= static_cast<std::uint16_t>(1u << slot);
  t.llr += fusion_.finger_llr(score, poor);
  ++t.compared;
}

// The early exit: clearly an impostor after early_exit_after_fingers fingers, or after one when
// the face was compared and `one_finger_rule` (face_early_exit_llr); never when the face vouches.
bool Cascade::clearly_impostor(const FingerTally& t, float face_llr, bool one_finger_rule) const {
  if (face_llr >= options_.face_vouch_llr) return false;  // the face vouches: match every finger
  if (t.compared >= options_.early_exit_after_fingers && t.llr + face_llr < options_.early_exit_llr) return true;
  return one_finger_rule && t.compared == 1 && t.llr + face_llr < options_.face_early_exit_llr;
}

std::vector<Seed> Cascade::rankable(std::unordered_map<std::uint64_t, Seed>& seeds, const ListCuts& cuts) const {
  std::vector<Seed> list;
  list.reserve(seeds.size());
  for (auto& [id, s] : seeds) {
    if (!gallery_.contains(SubjectId{id})) continue;  // removed since the index answered
    s.pre = pre_score(s, cuts, face_llr_of(s), options_.code_scores_per_list);
    list.push_back(s);
  }
  return list;
}

std::vector<float> Cascade::fused_query(const Probe& probe, int* positions) const {
  std::array<std::vector<float>, kFingerCount> codes;
  const std::vector<int> slots = fused_slots(options_);
  int n = 0;
  for (int slot : slots) {
    const auto at = static_cast<std::size_t>(slot);
    const auto& code = probe.codes[at];
    if (code.empty()) continue;
    codes[at] = options_.centre_finger_codes ? centres_[at]->centre(code) : code;
    ++n;
  }
  if (positions) *positions = n;
  return fused_code(codes, slots);
}

float Cascade::face_llr_of(const Seed& s) const {
  return s.face > -2.0f && fusion_.has_face_model() ? fusion_.face_calibration().llr(s.face) : 0.0f;
}

// The fused score of a compared candidate, and its face-led score when the fingers compared do
// not contradict the face (EngineOptions::face_led_review).
void Cascade::finish(Candidate& c, std::uint16_t poor) const {
  const FusedScore f = fusion_.fuse(c.finger_scores, c.face_score, poor);
  c.score = f.score;
  if (f.face && f.finger_llr >= options_.face_led_min_finger_llr) c.face_led_score = fusion_.face_tail_score(c.face_score);
}

Candidate Cascade::score_subject(const Probe& probe, SubjectId subject, bool early_exit,
                                 std::uint64_t* comparisons) const {
  Candidate c;
  c.subject = subject;
  float face_llr = 0.0f;
  if (probe.has_face() && fusion_.has_face_model()) {
    const float cos = gallery_.face_cosine(subject, probe.enrollment.face->values());
    if (!std::isnan(cos)) {
      c.face_score = cos;
      face_llr = fusion_.face_calibration().llr(cos);
    }
  }
  const std::uint16_t mask = gallery_.finger_mask(subject);
  FingerTally t;
  for (int slot : kMatchOrder) {
    const auto at = static_cast<std::size_t>(slot);
    if (!probe.fingers[at] || !(mask & (1u << slot))) continue;
    auto stored = gallery_.finger(subject, finger_at_slot(slot));
    if (!stored) continue;
    auto prepared = matcher_.prepare(*stored);
    if (!prepared) continue;  // enrolled finger unusable for matching: not evidence either way
    tally(c, t, slot, matcher_.score(*probe.fingers[at], *prepared),
          fusion_.poor_pair(probe.quality[at], stored->quality));
    if (comparisons) ++*comparisons;
    if (early_exit && clearly_impostor(t, face_llr, !std::isnan(c.face_score))) break;
  }
  finish(c, t.poor);
  return c;
}

Candidate Cascade::score_probe(const Probe& a, const Probe& b, SubjectId b_subject,
                               std::uint64_t* comparisons) const {
  Candidate c;
  c.subject = b_subject;
  float face_llr = 0.0f;
  if (a.has_face() && b.has_face() && fusion_.has_face_model()) {
    c.face_score = a.enrollment.face->cosine(*b.enrollment.face);
    face_llr = fusion_.face_calibration().llr(c.face_score);
  }
  FingerTally t;
  for (int slot : kMatchOrder) {
    const auto at = static_cast<std::size_t>(slot);
    const auto& fa = a.fingers[at];
    const auto& fb = b.fingers[at];
    if (!fa || !fb) continue;
    tally(c, t, slot, matcher_.score(*fa, *fb), fusion_.poor_pair(a.quality[at], b.quality[at]));
    if (comparisons) ++*comparisons;
    if (clearly_impostor(t, face_llr, /*one_finger_rule=*/false)) break;
  }
  finish(c, t.poor);
  return c;
}

int Cascade::depth_of(const Probe& probe) const {
  const float q = indexed_finger_quality(probe);
  return q > 0 && q < static_cast<float>(options_.poor_probe_quality) ? std::max(1, options_.poor_probe_depth) : 1;
}

Expected<std::vector<std::vector<Candidate>>> Cascade::search(std::span<const Probe* const> probes,
                                                              CascadeCounters* counters) const {
  const std::size_t n = probes.size();
  std::vector<std::unordered_map<std::uint64_t, Seed>> seeds(n);
  std::vector<ListCuts> cuts(n);
  // How deep each probe searches (depth_of): its fused list and its full-match shortlist.
  std::vector<int> depth(n);
  for (std::size_t i = 0; i < n; ++i) depth[i] = depth_of(*probes[i]);

  // 1. Retrieval, batched per index (batched FAISS search goes through BLAS and is far faster
  //    than one probe at a time).
  if (indexes_.face && indexes_.face->size() > 0) {
    std::vector<float> queries;
    std::vector<int> rows;
    for (std::size_t i = 0; i < n; ++i) {
      if (!probes[i]->reject_reason.empty() || !probes[i]->has_face()) continue;
      const auto& v = probes[i]->enrollment.face->values();
      queries.insert(queries.end(), v.begin(), v.end());
      rows.push_back(static_cast<int>(i));
    }
    if (!rows.empty()) {
      auto r = indexes_.face->search(queries, options_.face_candidates);
      if (!r) return r.error();
      collect(*r, rows, true, seeds, cuts);
    }
  }
  for (std::size_t f = 0; f < kIndexedFingers.size() && options_.finger_code_lists; ++f) {
    const auto& idx = indexes_.fingers[f];
    if (!idx || idx->size() == 0) continue;
    const int slot = finger_slot(kIndexedFingers[f]);
    std::vector<float> queries;
    std::vector<int> rows;
    for (std::size_t i = 0; i < n; ++i) {
      const auto& code = probes[i]->codes[static_cast<std::size_t>(slot)];
      if (!probes[i]->reject_reason.empty() || code.empty()) continue;
      const std::size_t at = queries.size();
      queries.resize(at + code.size());
      if (options_.centre_finger_codes)
        centres_[static_cast<std::size_t>(slot)]->centre(code, std::span<float>(queries).subspan(at));
      else std::copy(code.begin(), code.end(), queries.begin() + static_cast<std::ptrdiff_t>(at));
      rows.push_back(static_cast<int>(i));
    }
    if (rows.empty()) continue;
    auto r = idx->search(queries, options_.finger_candidates);
    if (!r) return r.error();
    collect(*r, rows, false, seeds, cuts);
  }
  if (indexes_.fused && indexes_.fused->size() > 0) {
    std::vector<float> queries;
    std::vector<int> rows;
    std::vector<float> scale;
    for (std::size_t i = 0; i < n; ++i) {
      if (!probes[i]->reject_reason.empty()) continue;
      int positions = 0;
      const std::vector<float> q = fused_query(*probes[i], &positions);
      if (q.empty()) continue;
      queries.insert(queries.end(), q.begin(), q.end());
      rows.push_back(static_cast<int>(i));
      scale.push_back(static_cast<float>(positions));
    }
    if (!rows.empty()) {
      // A very poor capture searches deeper (depth_of). One batched search at the deepest K any
      // probe needs, the other probes' lists cut back to the usual K: a second search would scan
      // the whole index again.
      int deepest = 1;
      for (int row : rows) deepest = std::max(deepest, depth[static_cast<std::size_t>(row)]);
      auto r = indexes_.fused->search(queries, options_.fused_candidates * deepest);
      if (!r) return r.error();
      if (deepest > 1)
        for (int q = 0; q < r->queries; ++q) {
          const int keep = options_.fused_candidates * depth[static_cast<std::size_t>(rows[static_cast<std::size_t>(q)])];
          for (int i = keep; i < r->k; ++i) r->ids[static_cast<std::size_t>(q) * r->k + i] = index::kNoId;
        }
      fused_collect(*r, rows, scale, seeds, cuts);
    }
  }

  // 2. Ranking: keep the most promising candidates for full matching.
  struct Task {
    std::size_t probe;
    std::uint64_t subject;
  };
  std::vector<Task> tasks;
  std::uint64_t retrieved = 0;
  for (std::size_t i = 0; i < n; ++i) {
    std::vector<Seed> list = rankable(seeds[i], cuts[i]);
    retrieved += list.size();
    for (const Seed& s : select_for_matching(std::move(list), options_.full_match_candidates * depth[i],
                                             options_.face_reserved_candidates))
      if (s.id != probes[i]->self.value) tasks.push_back({i, s.id});
  }

  // 3. Full matching of every (probe, candidate) pair in parallel.
  std::vector<Candidate> scored(tasks.size());
  std::atomic<std::uint64_t> comparisons{0};
  tbb::parallel_for(std::size_t{0}, tasks.size(), [&](std::size_t t) {
    if (options_.on_full_match) options_.on_full_match();
    std::uint64_t local = 0;
    scored[t] = score_subject(*probes[tasks[t].probe], SubjectId{tasks[t].subject}, true, &local);
    comparisons += local;
  });

  std::vector<std::vector<Candidate>> out(n);
  for (std::size_t t = 0; t < tasks.size(); ++t) out[tasks[t].probe].push_back(std::move(scored[t]));
  if (counters) {
    counters->retrieved += retrieved;
    counters->fully_matched += tasks.size();
    counters->finger_comparisons += comparisons.load();
  }
  return out;
}

Expected<CascadeTrace> Cascade::trace(const Probe& probe, SubjectId subject, SubjectId ignore) const {
  CascadeTrace t;
  std::vector<std::unordered_map<std::uint64_t, Seed>> one(1);
  std::vector<ListCuts> cuts(1);
  const std::vector<int> row{0};
  // (1-based rank of `subject` in a single-query answer, `ignore` skipped; its position) or (0, 0).
  const auto rank_in = [&](const index::SearchResults& r) -> std::pair<int, std::size_t> {
    auto ids = r.ids_of(0);
    int rank = 0;
    for (std::size_t i = 0; i < ids.size(); ++i) {
      if (ignore.value != 0 && ids[i] == ignore.value) continue;
      ++rank;
      if (ids[i] == subject.value) return {rank, i};
    }
    return {0, 0};
  };
  if (probe.reject_reason.empty() && indexes_.face && indexes_.face->size() > 0 && probe.has_face()) {
    auto r = indexes_.face->search(probe.enrollment.face->values(), options_.face_candidates);
    if (!r) return r.error();
    if (const auto [rank, at] = rank_in(*r); rank > 0) {
      t.face_rank = rank;
      t.face_index_score = r->scores_of(0)[at];
    }
    collect(*r, row, true, one, cuts);
  }
  for (std::size_t f = 0; f < kIndexedFingers.size() && probe.reject_reason.empty() && options_.finger_code_lists; ++f) {
    const auto& idx = indexes_.fingers[f];
    const int slot = finger_slot(kIndexedFingers[f]);
    const auto& code = probe.codes[static_cast<std::size_t>(slot)];
    if (!idx || idx->size() == 0 || code.empty()) continue;
    ++t.code_lists;
    auto r = idx->search(options_.centre_finger_codes ? centres_[static_cast<std::size_t>(slot)]->centre(code) : code,
                         options_.finger_candidates);
    if (!r) return r.error();
    t.code_rank[static_cast<std::size_t>(slot)] = rank_in(*r).first;
    collect(*r, row, false, one, cuts);
  }
  if (probe.reject_reason.empty() && indexes_.fused && indexes_.fused->size() > 0) {
    int positions = 0;
    const std::vector<float> q = fused_query(probe, &positions);
    if (!q.empty()) {
      auto r = indexes_.fused->search(q, options_.fused_candidates * depth_of(probe));
      if (!r) return r.error();
      t.fused_rank = rank_in(*r).first;
      fused_collect(*r, row, {static_cast<float>(positions)}, one, cuts);
    }
  }
  // The same ranking as search().
  one[0].erase(ignore.value);
  std::vector<Seed> list = rankable(one[0], cuts[0]);
  std::vector<Seed> ranked;
  const std::vector<Seed> chosen =
      select_for_matching(std::move(list), options_.full_match_candidates * depth_of(probe), options_.face_reserved_candidates,
                          &ranked);
  t.retrieved = static_cast<int>(ranked.size());
  for (std::size_t i = 0; i < ranked.size(); ++i)
    if (ranked[i].id == subject.value) t.pre_rank = static_cast<int>(i + 1);
  t.fully_matched = std::any_of(chosen.begin(), chosen.end(), [&](const Seed& c) { return c.id == subject.value; });
  if (gallery_.contains(subject)) {
    t.with_early_exit = score_subject(probe, subject, true);
    t.full = score_subject(probe, subject, false);
    if (!std::isnan(t.full.face_score) && fusion_.has_face_model())
      t.face_llr = fusion_.face_calibration().llr(t.full.face_score);
    for (int s = 0; s < kFingerCount; ++s) {
      const auto at = static_cast<std::size_t>(s);
      const float fs = t.full.finger_scores[at];
      if (std::isnan(fs)) continue;
      const auto stored = gallery_.finger(subject, finger_at_slot(s));
      const bool poor = stored && fusion_.poor_pair(probe.quality[at], stored->quality);
      t.finger_llr[at] = fusion_.finger_llr(fs, poor);
      if (poor) t.poor_fingers |= static_cast<std::uint16_t>(1u << s);
    }
  }
  return t;
}

std::vector<Candidate> Cascade::search_exhaustive(const Probe& probe) const {
  const std::vector<SubjectId> ids = gallery_.ids();
  std::vector<Candidate> out(ids.size());
  tbb::parallel_for(std::size_t{0}, ids.size(),
                    [&](std::size_t i) { out[i] = score_subject(probe, ids[i], false); });
  return out;
}

}  // namespace tunggal
