// `tunggal eval codes`: retrieval quality of the fixed-length finger codes (issue 3, item 5) —
// hit rate vs penetration rate (the fraction of the gallery that must be re-scored by the full
// matcher to keep the true mate), on FVC2002 and on generated identities with four fingers.
//
// FVC2002: every impression of a set is a probe against a gallery of all the set's other
// impressions (7 mates + 72 impostors per probe), and against all four sets pooled (319). "any
// mate" counts a hit when one of the mates is in the top K, "each mate" ranks every single mate
// among the impostors alone (the stricter view: one enrolled impression per finger).
//
// Generated (datasets::Population): N identities enrolled with capture 0; probes are capture 1 of
// M of them. Per indexed finger (index fingers and thumbs) top-K lists by inner product (brute
// force, what a FAISS flat index returns); four fingers combined = union of the four top-K lists,
// penetration = |union| / N; also the union cut to the best C by summed code score, and the
// rank under plain score-sum fusion of the four codes.
#include <algorithm>
#include <array>
#include <limits>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <map>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <tbb/parallel_for.h>

#include "cli/command_registry.h"
#include "core/json_text.h"
#include "datasets/fvc_set.h"
#include "datasets/population.h"
#include "matcher/detail/finger_code_model.h"
#include "matcher/detail/linear_algebra.h"
#include "matcher/detail/synthetic_finger.h"
#include "matcher/finger_code.h"
#include "matcher/finger_code_centre.h"

namespace tunggal::cli {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;  // keeps the order results were added in
using matcher::detail::FingerCodeModel;
using matcher::detail::FingerCodeOptions;

struct Args {
  std::string fvc_dir = "../shared/data/fvc2002";
  int gallery = 10000;
  int probes = 500;
  std::uint64_t seed = 7;
  bool json_out = false;
  bool skip_fvc = false, skip_generated = false;
  FingerCodeOptions model;  // experiment knobs; the defaults are the shipped code
  bool x_vlad = true;
  bool centre = true;               // probes search with the gallery's mean code taken off
  bool x_normalisations = false;    // experiment: score normalisations of the four-finger sum
  bool x_sum_clip = true;           // experiment: the four-finger sum counts negative similarities as 0
  bool fused_index_sums = false;    // the engine's fused list: 4 and 10 fingers side by side
  float x_quality_gamma = 0;        // experiment: weight each finger's similarity by (quality/100)^gamma
  int x_quality_side = 3;           // ... of the probe (1), the gallery (2) or both (3)
};

// Experiment: an impression's weight in the four-finger sum from its quality; `side` 1 for a
// probe's, 2 for a gallery impression's (weighted only when --x-quality-side includes it).
float quality_weight(const Args& a, int quality, int side) {
  if (a.x_quality_gamma <= 0 || !(a.x_quality_side & side)) return 1.0f;
  return std::pow(std::max(quality, 1) / 100.0f, a.x_quality_gamma);
}

float dot(const float* a, const float* b, int d) {
  float s = 0;
  for (int k = 0; k < d; ++k) s += a[k] * b[k];
  return s;
}

// Codes of many prepared templates, row-major.
struct Codes {
  int dim = 0;
  std::vector<float> v;
  const float* row(std::size_t i) const { return &v[i * std::size_t(dim)]; }
};

// The rank a mate must reach to count as found at penetration p: K = ceil(p * gallery), at least 1.
int rank_cutoff(int gallery, double p) { return std::max(1, static_cast<int>(std::ceil(p * gallery - 1e-9))); }

// Fraction of probes whose (best) mate rank, 1-based, is <= rank_cutoff(gallery, p).
double hit_at(const std::vector<int>& ranks, int gallery, double p) {
  const int k = rank_cutoff(gallery, p);
  return double(std::count_if(ranks.begin(), ranks.end(), [&](int r) { return r <= k; })) / double(ranks.size());
}

// Smallest penetration that keeps `target` of the mates.
double penetration_for(std::vector<int> ranks, int gallery, double target) {
  if (ranks.empty()) return 0;
  std::sort(ranks.begin(), ranks.end());
  const std::size_t i = std::min(ranks.size() - 1, static_cast<std::size_t>(std::ceil(target * ranks.size()) - 1));
  return double(ranks[i]) / gallery;
}

json rank_summary(const std::vector<int>& ranks, int gallery) {
  json j;
  if (ranks.empty()) return j;
  std::vector<int> s = ranks;
  std::sort(s.begin(), s.end());
  j["probes"] = ranks.size();
  j["gallery"] = gallery;
  j["rank1"] = hit_at(ranks, gallery, 0.0);
  j["median_rank"] = s[s.size() / 2];
  j["mean_rank"] = std::accumulate(s.begin(), s.end(), 0.0) / double(s.size());
  j["worst_rank"] = s.back();
  for (double p : {0.01, 0.05, 0.10, 0.20}) j["hit_at_" + std::to_string(int(p * 100 + 0.5)) + "pct"] = hit_at(ranks, gallery, p);
  j["penetration_for_90pct"] = penetration_for(ranks, gallery, 0.90);
  j["penetration_for_99pct"] = penetration_for(ranks, gallery, 0.99);
  j["penetration_for_100pct"] = penetration_for(ranks, gallery, 1.0);
  return j;
}

// ---------------------------------------------------------------- FVC2002
struct FvcItem {
  int set = 0, finger = 0;
  bool ok = false;
};

// `probes`: the codes each item searches with (centred), `codes`: what the gallery holds.
json eval_fvc_gallery(const std::vector<FvcItem>& items, const Codes& codes, const Codes& probes,
                      const std::vector<std::size_t>& idx) {
  std::vector<int> any_rank, each_rank;
  const int gallery = static_cast<int>(idx.size()) - 1;
  for (std::size_t a : idx) {
    std::vector<float> mates, impostors;
    for (std::size_t b : idx) {
      if (a == b) continue;
      const float s = dot(probes.row(a), codes.row(b), codes.dim);
      (items[a].set == items[b].set && items[a].finger == items[b].finger ? mates : impostors).push_back(s);
    }
    if (mates.empty()) continue;
    auto rank_of = [&](float s) {
      return 1 + static_cast<int>(std::count_if(impostors.begin(), impostors.end(), [&](float x) { return x >= s; }));
    };
    any_rank.push_back(rank_of(*std::max_element(mates.begin(), mates.end())));
    for (float m : mates) each_rank.push_back(rank_of(m));
  }
  json j;
  j["any_mate"] = rank_summary(any_rank, gallery);
  // Each mate is ranked against the impostors only: the gallery is then impostors + 1.
  const int g1 = gallery - static_cast<int>(std::count_if(idx.begin(), idx.end(), [&](std::size_t b) {
                   return items[b].set == items[idx[0]].set && items[b].finger == items[idx[0]].finger;
                 })) + 1 + 1;
  j["each_mate"] = rank_summary(each_rank, g1);
  return j;
}

Expected<json> eval_fvc(const Args& a, const FingerCodeModel& model) {
  // The loader undoes the records' stretched geometry (see datasets/fvc_set.h).
  auto sets = datasets::load_fvc_sets(a.fvc_dir);
  if (!sets) return sets.status();
  const matcher::FingerMatcher m;
  std::vector<FvcItem> items;
  Codes codes{model.dimension(), {}};
  int failed = 0;
  for (std::size_t s = 0; s < sets->size(); ++s)
    for (const auto& imp : (*sets)[s].impressions) {
      auto prep = m.prepare(imp.finger_template);
      if (!prep) {
        ++failed;
        continue;
      }
      items.push_back({int(s) + 1, imp.finger, true});
      codes.v.resize(items.size() * std::size_t(codes.dim));
      model.encode(*prep, std::span<float>(&codes.v[(items.size() - 1) * codes.dim], std::size_t(codes.dim)));
    }
  // Probe codes centred as the engine centres them (matcher/finger_code_centre.h), by the mean of
  // the other three sets' codes: a set's own mean would hold 7 of every probe's 79 mates and
  // impostors, far more than a national gallery's mean holds of anyone.
  Codes probes = codes;
  if (a.centre) {
    for (std::size_t s = 0; s < sets->size(); ++s) {
      matcher::FingerCodeCentre centre(codes.dim);
      for (std::size_t i = 0; i < items.size(); ++i)
        if (items[i].set != int(s) + 1) centre.add(std::span<const float>(codes.row(i), std::size_t(codes.dim)));
      for (std::size_t i = 0; i < items.size(); ++i)
        if (items[i].set == int(s) + 1)
          centre.centre(std::span<const float>(codes.row(i), std::size_t(codes.dim)),
                        std::span<float>(&probes.v[i * std::size_t(codes.dim)], std::size_t(codes.dim)));
    }
  }
  json j;
  j["templates"] = items.size();
  j["rejected_by_prepare"] = failed;
  j["probe_codes_centred"] = a.centre;
  for (std::size_t s = 0; s < sets->size(); ++s) {
    std::vector<std::size_t> idx;
    for (std::size_t i = 0; i < items.size(); ++i)
      if (items[i].set == int(s) + 1) idx.push_back(i);
    if (!idx.empty()) j[(*sets)[s].name] = eval_fvc_gallery(items, codes, probes, idx);
  }
  std::vector<std::size_t> all(items.size());
  std::iota(all.begin(), all.end(), 0);
  j["all_sets_pooled"] = eval_fvc_gallery(items, codes, probes, all);
  return j;
}

// ---------------------------------------------------------------- generated identities
// The engine indexes index fingers and thumbs (engine/probe.h).
constexpr std::array<FingerPosition, 4> kCodeFingers = {FingerPosition::kRightIndex, FingerPosition::kLeftIndex,
                                                        FingerPosition::kRightThumb, FingerPosition::kLeftThumb};
constexpr int kFingers = static_cast<int>(kCodeFingers.size());

// Mated ranks (probe p = capture 1 of identity p, its mate capture 0) split by what the generator
// did to the pair (datasets/population.h): a very low quality capture on either side (3% of
// captures each), and among the others a worn or scarred, or a missing, indexed finger. The misses
// are not spread evenly; this says where they are.
json ranks_by_condition(const datasets::Population& pop, const std::vector<int>& ranks, int gallery) {
  std::uint16_t indexed_bits = 0;
  for (FingerPosition f : kCodeFingers) indexed_bits = std::uint16_t(indexed_bits | (1u << finger_slot(f)));
  std::map<std::string, std::vector<int>> by;
  for (std::size_t p = 0; p < ranks.size(); ++p) {
    const bool lq_probe = pop.low_quality_capture(p, 1), lq_gallery = pop.low_quality_capture(p, 0);
    const auto traits = pop.traits(p);
    by[lq_probe && lq_gallery ? "both_captures_low_quality"
       : lq_probe             ? "probe_capture_low_quality"
       : lq_gallery           ? "gallery_capture_low_quality"
                              : "neither_capture_low_quality"]
        .push_back(ranks[p]);
    if (lq_probe || lq_gallery) continue;
    if (traits.damaged_fingers & indexed_bits) by["neither_low_quality_but_indexed_finger_damaged"].push_back(ranks[p]);
    if (traits.missing_fingers & indexed_bits) by["neither_low_quality_but_indexed_finger_missing"].push_back(ranks[p]);
  }
  const int at_1pct = rank_cutoff(gallery, 0.01);
  json out;
  for (auto& [cls, r] : by) {
    json s = rank_summary(r, gallery);  // its "probes" is the class's size
    s["missed_at_1pct"] = std::count_if(r.begin(), r.end(), [&](int x) { return x > at_1pct; });
    out[cls] = s;
  }
  return out;
}

// Codes of the given fingers of one capture (out[f], present[row * fingers.size() + f]);
// `present` false where the finger is missing or unusable (the engine then searches no list for it).
void encode_capture(const Enrollment& e, const matcher::FingerMatcher& m, const FingerCodeModel& model,
                    std::span<const FingerPosition> fingers, std::vector<Codes>& out,
                    std::vector<std::uint8_t>& present, std::size_t row,
                    std::vector<std::uint8_t>* quality = nullptr) {
  const auto d = static_cast<std::size_t>(model.dimension());
  for (std::size_t f = 0; f < fingers.size(); ++f) {
    const FingerTemplate* t = e.finger(fingers[f]);
    if (quality && t) (*quality)[row * fingers.size() + f] = t->quality;
    auto p = t ? m.prepare(*t) : Expected<matcher::PreparedTemplate>(not_found("no finger"));
    present[row * fingers.size() + f] = p.has_value();
    if (p) model.encode(*p, std::span<float>(&out[f].v[row * d], d));
  }
}

// Codes of the generated gallery (capture 0 of identities [0, n)) and of its mated probes (capture 1
// of identities [0, np)) over the given fingers, with each impression's quality; probe i's mate is
// gallery i.
struct GeneratedCodes {
  std::vector<Codes> gal, prb;                   // by finger
  std::vector<std::uint8_t> gal_ok, prb_ok;      // [row * fingers + f]
  std::vector<std::uint8_t> gal_q, prb_q;        // impression quality, same layout
  double encode_seconds = 0;
};

GeneratedCodes encode_generated(const datasets::Population& pop, const matcher::FingerMatcher& m,
                                const FingerCodeModel& model, std::span<const FingerPosition> fingers, int n, int np) {
  const int d = model.dimension();
  const std::size_t nf = fingers.size();
  GeneratedCodes c;
  c.gal.assign(nf, Codes{d, std::vector<float>(std::size_t(n) * d)});
  c.prb.assign(nf, Codes{d, std::vector<float>(std::size_t(np) * d)});
  c.gal_ok.resize(std::size_t(n) * nf);
  c.prb_ok.resize(std::size_t(np) * nf);
  c.gal_q.resize(std::size_t(n) * nf);
  c.prb_q.resize(std::size_t(np) * nf);
  const auto t0 = std::chrono::steady_clock::now();
  tbb::parallel_for(0, n, [&](int i) {
    encode_capture(pop.capture(std::uint64_t(i), 0), m, model, fingers, c.gal, c.gal_ok, std::size_t(i), &c.gal_q);
    if (i < np) encode_capture(pop.capture(std::uint64_t(i), 1), m, model, fingers, c.prb, c.prb_ok, std::size_t(i), &c.prb_q);
  });
  c.encode_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return c;
}

// The probes' codes as the engine searches with them: each finger's gallery mean code taken off
// (matcher/finger_code_centre.h, learnt from the first FingerCodeCentre::kFreezeAt gallery codes).
std::vector<Codes> centred_probes(const GeneratedCodes& c) {
  const std::size_t nf = c.gal.size();
  std::vector<Codes> out = c.prb;
  for (std::size_t f = 0; f < nf; ++f) {
    const auto d = static_cast<std::size_t>(c.gal[f].dim);
    matcher::FingerCodeCentre centre(c.gal[f].dim);
    for (std::size_t g = 0; g < c.gal_ok.size() / nf; ++g)
      if (c.gal_ok[g * nf + f]) centre.add(std::span<const float>(c.gal[f].row(g), d));
    for (std::size_t p = 0; p < c.prb_ok.size() / nf; ++p)
      centre.centre(std::span<const float>(c.prb[f].row(p), d), std::span<float>(&out[f].v[p * d], d));
  }
  return out;
}

// Quality-adaptive depth: a probe whose indexed fingers' mean impression quality is below
// `poor_below` is searched `poor_depth` deep, the others as deep as leaves the average penetration
// at `budget` (so the gallery fraction re-scored per probe is still `budget` on average). A poor
// capture's mate ranks far lower (docs/finger_codes.md), so the same average budget finds more
// mates when spent where the ranking is unsure. The probe's quality is what the capture says of
// itself (ISO impression quality), never the generator's ground truth.
json adaptive_depth(const std::vector<int>& ranks, const std::vector<float>& probe_quality, int gallery, double budget) {
  json out = json::array();
  const auto np = static_cast<double>(ranks.size());
  for (float poor_below : {25.0f, 30.0f, 35.0f, 40.0f})
    for (double poor_depth : {0.05, 0.10, 0.20}) {
      const int poor_k = rank_cutoff(gallery, poor_depth);
      double poor = 0;
      for (float q : probe_quality) poor += q < poor_below;
      if (poor >= np) continue;
      // Rows left for the others so that the mean list length is budget * gallery.
      const double rest = (budget * gallery * np - poor * poor_k) / (np - poor);
      if (rest < 1) continue;
      const int normal_k = static_cast<int>(std::floor(rest));
      double hits = 0, rows = 0;
      for (std::size_t i = 0; i < ranks.size(); ++i) {
        const int k = probe_quality[i] < poor_below ? poor_k : normal_k;
        hits += ranks[i] <= k;
        rows += k;
      }
      out.push_back({{"poor_below_quality", poor_below},
                     {"poor_depth", poor_depth},
                     {"poor_probes", poor},
                     {"normal_depth", double(normal_k) / gallery},
                     {"mean_penetration", rows / np / gallery},
                     {"hit_rate", hits / np}});
    }
  return out;
}

// The engine's fused finger-code list (engine/index_factory.h): per probe, the gallery ranked by
// the inner product of the fingers' codes side by side, the probe's centred, zeros for a missing
// finger, each gallery vector normalised as the index normalises it (sum / sqrt(its fingers));
// negative similarities count, as in the index. Over the indexed four fingers and over all ten.
json fused_index_sums(const Args& a, const FingerCodeModel& model) {
  const int n = a.gallery, np = std::min(a.probes, a.gallery), d = model.dimension();
  const matcher::FingerMatcher m;
  const datasets::Population pop(datasets::PopulationConfig{.seed = a.seed});
  std::array<FingerPosition, kFingerCount> all;  // by slot
  for (int f = 0; f < kFingerCount; ++f) all[std::size_t(f)] = finger_at_slot(f);
  const GeneratedCodes c = encode_generated(pop, m, model, all, n, np);
  const std::vector<Codes>& gal = c.gal;
  const std::vector<Codes> prb = a.centre ? centred_probes(c) : c.prb;
  const std::vector<std::uint8_t>& gal_ok = c.gal_ok;
  const std::vector<std::uint8_t>& prb_ok = c.prb_ok;
  std::vector<int> four;
  for (FingerPosition p : kCodeFingers) four.push_back(finger_slot(p));
  std::vector<int> ten(kFingerCount);
  std::iota(ten.begin(), ten.end(), 0);
  json out;
  for (const auto& [name, slots] : {std::pair<const char*, const std::vector<int>&>{"four_fingers", four}, {"ten_fingers", ten}}) {
    std::vector<int> ranks(np, n + 1);
    tbb::parallel_for(0, np, [&](int p) {
      std::vector<float> sum(n, 0.0f);
      for (int g = 0; g < n; ++g) {
        int present = 0;
        for (int f : slots) {
          const std::size_t gf = std::size_t(g) * kFingerCount + std::size_t(f);
          if (!gal_ok[gf]) continue;
          ++present;
          if (prb_ok[std::size_t(p) * kFingerCount + std::size_t(f)])
            sum[g] += dot(prb[std::size_t(f)].row(std::size_t(p)), gal[std::size_t(f)].row(std::size_t(g)), d);
        }
        sum[g] = present > 0 ? sum[g] / std::sqrt(float(present)) : -1e9f;
      }
      ranks[p] = 1 + static_cast<int>(std::count_if(sum.begin(), sum.end(), [&](float x) { return x > sum[p]; }));
    });
    out[name] = rank_summary(ranks, n);
    out[std::string(name) + "_by_condition"] = ranks_by_condition(pop, ranks, n);
    // Each probe's quality: the mean impression quality of its fingers in `slots` that are present.
    std::vector<float> quality(std::size_t(np), 0.0f);
    for (int p = 0; p < np; ++p) {
      float sum = 0;
      int present = 0;
      for (int f : slots)
        if (prb_ok[std::size_t(p) * kFingerCount + std::size_t(f)]) {
          sum += c.prb_q[std::size_t(p) * kFingerCount + std::size_t(f)];
          ++present;
        }
      quality[std::size_t(p)] = present > 0 ? sum / float(present) : 0.0f;
    }
    out[std::string(name) + "_quality_adaptive_1pct"] = adaptive_depth(ranks, quality, n, 0.01);
  }
  return out;
}

json eval_generated(const Args& a, const FingerCodeModel& model) {
  const int n = a.gallery, np = std::min(a.probes, a.gallery), d = model.dimension();
  const matcher::FingerMatcher m;
  const datasets::Population pop(datasets::PopulationConfig{.seed = a.seed});
  const GeneratedCodes c = encode_generated(pop, m, model, kCodeFingers, n, np);
  const std::vector<Codes>& gal = c.gal;
  const std::vector<Codes>& prb_raw = c.prb;
  // Probes search with the gallery's mean code taken off, as the engine does.
  const std::vector<Codes> prb = a.centre ? centred_probes(c) : c.prb;
  const std::vector<std::uint8_t>& gal_ok = c.gal_ok;
  const std::vector<std::uint8_t>& prb_ok = c.prb_ok;
  const double build_s = c.encode_seconds;
  // Experiment: each impression's weight in the four-finger sum (1 unless --x-quality-gamma).
  std::vector<float> prb_w(c.prb_q.size()), gal_w(c.gal_q.size());
  for (std::size_t i = 0; i < prb_w.size(); ++i) prb_w[i] = quality_weight(a, c.prb_q[i], 1);
  for (std::size_t i = 0; i < gal_w.size(); ++i) gal_w[i] = quality_weight(a, c.gal_q[i], 2);

  // Per probe and finger: the top kmax gallery ids with their scores, and the rank of the mate
  // (probe i's mate is gallery i; an absent finger on either side never finds it).
  const int kNever = n + 1;  // worse than any rank: the mate cannot be found
  const int kmax = std::max(1, n / 20);  // lists up to 5% of the gallery
  std::vector<std::vector<std::pair<float, int>>> top(std::size_t(np) * kFingers);
  std::vector<int> rank(std::size_t(np) * kFingers, kNever), fused_rank(np, kNever);
  tbb::parallel_for(0, np, [&](int p) {
    std::vector<float> s(n), fused(n, 0.0f);
    std::vector<int> order(n);
    for (int f = 0; f < kFingers; ++f) {
      if (!prb_ok[std::size_t(p) * kFingers + f]) continue;
      for (int g = 0; g < n; ++g) {
        s[g] = gal_ok[std::size_t(g) * kFingers + f] ? dot(prb[f].row(p), gal[f].row(g), d) : -2.0f;
        fused[g] += (a.x_sum_clip ? std::max(s[g], 0.0f) : s[g]) * prb_w[std::size_t(p) * kFingers + f] * gal_w[std::size_t(g) * kFingers + f];
      }
      if (gal_ok[std::size_t(p) * kFingers + f])
        rank[p * kFingers + f] = 1 + static_cast<int>(std::count_if(s.begin(), s.end(), [&](float x) { return x > s[p]; }));
      std::iota(order.begin(), order.end(), 0);
      std::partial_sort(order.begin(), order.begin() + kmax, order.end(), [&](int x, int y) { return s[x] > s[y]; });
      auto& t = top[p * kFingers + f];
      for (int k = 0; k < kmax; ++k) t.push_back({s[order[k]], order[k]});
    }
    fused_rank[p] = 1 + static_cast<int>(std::count_if(fused.begin(), fused.end(), [&](float x) { return x > fused[p]; }));
  });

  // Score normalisation of the four-finger sum (experiment). Cohort: capture 1 of identities
  // [n, n + cohort), mated with no one in the gallery. Per gallery code: mean and deviation of its
  // similarity to the cohort (hubness: some codes sit close to everyone); per probe code: mean and
  // deviation of its similarity to the gallery.
  json norm_j;
  if (a.x_normalisations) {
    const std::vector<Codes>& prb = prb_raw;  // the experiments normalise the raw probe codes
    const int nc = std::min(1000, n);
    std::vector<Codes> coh(kFingers, Codes{d, std::vector<float>(std::size_t(nc) * d)});
    std::vector<std::uint8_t> coh_ok(std::size_t(nc) * kFingers);
    tbb::parallel_for(0, nc, [&](int i) { encode_capture(pop.capture(std::uint64_t(n + i), 1), m, model, kCodeFingers, coh, coh_ok, std::size_t(i)); });
    std::vector<float> gmu(std::size_t(n) * kFingers, 0.0f), gsd(std::size_t(n) * kFingers, 1.0f);
    tbb::parallel_for(0, n, [&](int g) {
      for (int f = 0; f < kFingers; ++f) {
        if (!gal_ok[std::size_t(g) * kFingers + f]) continue;
        double s1 = 0, s2 = 0;
        int c = 0;
        for (int i = 0; i < nc; ++i) {
          if (!coh_ok[std::size_t(i) * kFingers + f]) continue;
          const double x = dot(coh[f].row(i), gal[f].row(g), d);
          s1 += x, s2 += x * x, ++c;
        }
        if (c < 2) continue;
        const double mu = s1 / c;
        gmu[std::size_t(g) * kFingers + f] = float(mu);
        gsd[std::size_t(g) * kFingers + f] = float(std::sqrt(std::max(1e-8, s2 / c - mu * mu)));
      }
    });
    enum { kRaw, kClip, kProbeZ, kGalleryCentre, kGalleryZ, kBothZ, kProduct, kVariants };
    const char* names[kVariants] = {"raw_sum", "clipped_sum", "probe_z", "gallery_centred", "gallery_z", "probe_z_plus_gallery_z", "product_z"};
    std::vector<std::vector<int>> vr(kVariants, std::vector<int>(np, kNever));
    tbb::parallel_for(0, np, [&](int p) {
      std::vector<std::vector<float>> fused(kVariants, std::vector<float>(n, 0.0f));
      std::vector<float> s(n);
      for (int f = 0; f < kFingers; ++f) {
        if (!prb_ok[std::size_t(p) * kFingers + f]) continue;
        double s1 = 0, s2 = 0;
        int c = 0;
        for (int g = 0; g < n; ++g) {
          if (!gal_ok[std::size_t(g) * kFingers + f]) continue;
          s[g] = dot(prb[f].row(p), gal[f].row(g), d);
          s1 += s[g], s2 += double(s[g]) * s[g], ++c;
        }
        if (c < 2) continue;
        const float pmu = float(s1 / c), psd = float(std::sqrt(std::max(1e-8, s2 / c - (s1 / c) * (s1 / c))));
        for (int g = 0; g < n; ++g) {
          if (!gal_ok[std::size_t(g) * kFingers + f]) continue;
          const float mu = gmu[std::size_t(g) * kFingers + f], sd = gsd[std::size_t(g) * kFingers + f];
          fused[kRaw][g] += s[g];
          fused[kClip][g] += std::max(s[g], 0.0f);
          fused[kProbeZ][g] += (s[g] - pmu) / psd;
          fused[kGalleryCentre][g] += s[g] - mu;
          fused[kGalleryZ][g] += (s[g] - mu) / sd;
          fused[kBothZ][g] += (s[g] - pmu) / psd + (s[g] - mu) / sd;
          fused[kProduct][g] += (s[g] - mu) / (sd * psd);
        }
      }
      for (int v = 0; v < kVariants; ++v) {
        const auto& x = fused[v];
        vr[v][p] = 1 + static_cast<int>(std::count_if(x.begin(), x.end(), [&](float y) { return y > x[p]; }));
      }
    });
    for (int v = 0; v < kVariants; ++v) norm_j[names[v]] = rank_summary(vr[v], n);
    norm_j["cohort"] = nc;

    // Query-side transforms learnt from the gallery's own codes (what an engine can do: the
    // enrolled codes are its data): q' = A (q - m) with m the gallery mean of that finger and
    // A = (C + eps I)^-alpha, C the gallery covariance; the stored codes stay as they are.
    struct Tf {
      const char* name;
      bool centre;
      double alpha, shrink;
    };
    const std::vector<Tf> tfs = {{"gal_centre", true, 0.0, 0.0},       {"gal_whiten_a0.25", true, 0.25, 0.1},
                                 {"gal_whiten_a0.5", true, 0.5, 0.1},  {"gal_whiten_a0.5_s0.01", true, 0.5, 0.01},
                                 {"gal_whiten_a1", true, 1.0, 0.1}};
    std::vector<std::vector<float>> gm(kFingers, std::vector<float>(d, 0.0f));
    std::vector<std::vector<double>> gc(kFingers, std::vector<double>(std::size_t(d) * d, 0.0));
    for (int f = 0; f < kFingers; ++f) {
      std::vector<double> mu(d, 0.0);
      int c = 0;
      for (int g = 0; g < n; ++g)
        if (gal_ok[std::size_t(g) * kFingers + f]) {
          for (int k = 0; k < d; ++k) mu[k] += gal[f].row(g)[k];
          ++c;
        }
      for (int k = 0; k < d; ++k) gm[f][k] = float(mu[k] / std::max(c, 1));
      auto& C = gc[f];
      std::vector<double> x(d);
      for (int g = 0; g < n; ++g) {
        if (!gal_ok[std::size_t(g) * kFingers + f]) continue;
        for (int k = 0; k < d; ++k) x[k] = gal[f].row(g)[k] - gm[f][k];
        for (int r = 0; r < d; ++r)
          for (int k = r; k < d; ++k) C[std::size_t(r) * d + k] += x[r] * x[k];
      }
      for (int r = 0; r < d; ++r)
        for (int k = r; k < d; ++k) C[std::size_t(k) * d + r] = C[std::size_t(r) * d + k] /= std::max(c - 1, 1);
    }
    std::vector<matcher::detail::SymmetricEigen> eig;
    for (int f = 0; f < kFingers; ++f) eig.push_back(matcher::detail::symmetric_eigen(gc[f], d));
    for (const Tf& tf : tfs) {
      std::vector<std::vector<float>> A(kFingers);
      for (int f = 0; f < kFingers; ++f) {
        A[f].assign(std::size_t(d) * d, 0.0f);
        double mean_ev = 0;
        for (double v : eig[f].values) mean_ev += std::max(v, 0.0) / d;
        for (int i = 0; i < d; ++i) {
          const double w = std::pow(std::max(eig[f].values[i], 0.0) + tf.shrink * mean_ev, -tf.alpha);
          const double* v = &eig[f].vectors[std::size_t(i) * d];
          for (int r = 0; r < d; ++r)
            for (int k = 0; k < d; ++k) A[f][std::size_t(r) * d + k] += float(w * v[r] * v[k]);
        }
      }
      std::vector<int> sum_rank(np, kNever), sum_unit_rank(np, kNever);
      std::vector<std::vector<int>> fr(kFingers);
      for (auto& x : fr) x.assign(np, kNever);
      tbb::parallel_for(0, np, [&](int p) {
        std::vector<float> fused(n, 0.0f), fused_unit(n, 0.0f), s(n), qc(d), q(d);
        for (int f = 0; f < kFingers; ++f) {
          if (!prb_ok[std::size_t(p) * kFingers + f]) continue;
          for (int k = 0; k < d; ++k) qc[k] = prb[f].row(p)[k] - (tf.centre ? gm[f][k] : 0.0f);
          double nq = 0;
          for (int r = 0; r < d; ++r) {
            float v = qc[r];
            if (tf.alpha > 0) v = dot(&A[f][std::size_t(r) * d], qc.data(), d);
            q[r] = v;
          }
          // The norm of A(q - m) as the gallery sees it: the spread of the probe's scores.
          double s1 = 0, s2 = 0;
          int c = 0;
          for (int g = 0; g < n; ++g) {
            if (!gal_ok[std::size_t(g) * kFingers + f]) {
              s[g] = -1e9f;
              continue;
            }
            s[g] = dot(q.data(), gal[f].row(g), d);
            s1 += s[g], s2 += double(s[g]) * s[g], ++c;
          }
          nq = std::sqrt(std::max(1e-12, s2 / std::max(c, 1) - (s1 / std::max(c, 1)) * (s1 / std::max(c, 1))));
          for (int g = 0; g < n; ++g) {
            if (!gal_ok[std::size_t(g) * kFingers + f]) continue;
            fused[g] += s[g];
            fused_unit[g] += float(s[g] / nq);
          }
          if (gal_ok[std::size_t(p) * kFingers + f])
            fr[f][p] = 1 + static_cast<int>(std::count_if(s.begin(), s.end(), [&](float x) { return x > s[p]; }));
        }
        sum_rank[p] = 1 + static_cast<int>(std::count_if(fused.begin(), fused.end(), [&](float x) { return x > fused[p]; }));
        sum_unit_rank[p] = 1 + static_cast<int>(std::count_if(fused_unit.begin(), fused_unit.end(), [&](float x) { return x > fused_unit[p]; }));
      });
      norm_j[std::string(tf.name) + "_sum"] = rank_summary(sum_rank, n);
      norm_j[std::string(tf.name) + "_sum_probe_scaled"] = rank_summary(sum_unit_rank, n);
      for (int f = 0; f < kFingers; ++f) {
        std::vector<int> r;
        for (int p = 0; p < np; ++p)
          if (fr[f][p] != kNever) r.push_back(fr[f][p]);
        norm_j[std::string(tf.name) + "_finger_" + std::to_string(f)] = rank_summary(r, n);
      }
    }
  }

  json j;
  j["population_seed"] = a.seed;
  j["probe_codes_centred"] = a.centre;
  j["gallery"] = n;
  j["probes"] = np;
  j["encode_seconds"] = build_s;
  json per;
  for (int f = 0; f < kFingers; ++f) {
    std::vector<int> r;
    for (int p = 0; p < np; ++p)
      if (prb_ok[std::size_t(p) * kFingers + f] && gal_ok[std::size_t(p) * kFingers + f]) r.push_back(rank[p * kFingers + f]);
    json s = rank_summary(r, n);
    s["position"] = std::string(finger_name(kCodeFingers[f]));
    s["pairs_with_both_present"] = r.size();
    per.push_back(s);
  }
  j["per_finger"] = per;
  j["fused_score_sum"] = rank_summary(fused_rank, n);
  j["fused_score_sum_by_condition"] = ranks_by_condition(pop, fused_rank, n);
  if (a.x_normalisations) j["fused_normalised"] = norm_j;

  // Ceiling: probes whose mate the full matcher itself recognises on at least one of the four
  // fingers (best mated MCC score above t; FVC2002 impostors stay below ~0.06).
  std::vector<float> best_mcc(np, 0.0f);
  tbb::parallel_for(0, np, [&](int p) {
    const Enrollment g = pop.capture(std::uint64_t(p), 0), q = pop.capture(std::uint64_t(p), 1);
    for (int f = 0; f < kFingers; ++f) {
      const FingerTemplate* a = g.finger(kCodeFingers[f]);
      const FingerTemplate* b = q.finger(kCodeFingers[f]);
      if (!a || !b) continue;
      auto pa = m.prepare(*a);
      auto pb = m.prepare(*b);
      if (pa && pb) best_mcc[p] = std::max(best_mcc[p], m.score(*pa, *pb));
    }
  });
  json mm;
  for (float t : {0.04f, 0.06f, 0.1f})
    mm[std::to_string(t).substr(0, 4)] = double(std::count_if(best_mcc.begin(), best_mcc.end(), [&](float x) { return x > t; })) / np;
  j["probes_matchable_by_mcc"] = mm;

  // What the engine's cascade does: the union of the per-finger top-K lists (penetration =
  // |union| / gallery), and that union ranked by the sum of the code scores it saw (a candidate
  // missing from a list gets that list's K-th score), cut to the best C for full matching.
  json uni = json::array();
  std::vector<int> ks;
  for (int k = 1; k <= kmax; k = std::max(k + 1, int(k * 1.5))) ks.push_back(k);
  if (ks.back() != kmax) ks.push_back(kmax);
  std::vector<int> cs;
  for (int c : {1, 2, 5, 10, 20, 32, 50, 100, 200, 500, 1000})
    if (c <= n) cs.push_back(c);
  for (int k : ks) {
    double pen = 0;
    int hits = 0;
    std::vector<int> kept_hits(cs.size(), 0);
    std::vector<std::pair<int, float>> u;
    for (int p = 0; p < np; ++p) {
      u.clear();
      bool hit = false;
      float floor_sum = 0;
      for (int f = 0; f < kFingers; ++f) {
        const auto& t = top[p * kFingers + f];
        if (t.empty()) continue;
        const float kth = std::max(t[std::size_t(k) - 1].first, 0.0f);
        floor_sum += kth;
        for (int r = 0; r < k; ++r) u.push_back({t[r].second, std::max(t[r].first, 0.0f) - kth});
        hit |= rank[p * kFingers + f] <= k;
      }
      std::sort(u.begin(), u.end());
      std::vector<std::pair<float, int>> merged;  // (pre-score, id)
      for (std::size_t i = 0; i < u.size();) {
        float s = floor_sum;
        const int id = u[i].first;
        for (; i < u.size() && u[i].first == id; ++i) s += u[i].second;
        merged.push_back({s, id});
      }
      pen += double(merged.size()) / n;
      hits += hit;
      std::sort(merged.begin(), merged.end(), [](auto x, auto y) { return x.first != y.first ? x.first > y.first : x.second < y.second; });
      for (std::size_t ci = 0; ci < cs.size(); ++ci)
        for (int r = 0; r < std::min<int>(cs[ci], int(merged.size())); ++r)
          if (merged[r].second == p) {
            ++kept_hits[ci];
            break;
          }
    }
    json row = {{"k_per_finger", k}, {"penetration", pen / np}, {"hit_rate", double(hits) / np}};
    json kept = json::object();
    for (std::size_t ci = 0; ci < cs.size(); ++ci) kept[std::to_string(cs[ci])] = double(kept_hits[ci]) / np;
    row["hit_rate_keeping_best_c_by_summed_score"] = kept;
    uni.push_back(row);
  }
  j["four_fingers_union"] = uni;
  return j;
}

void print_summary(const std::string& name, const json& r) {
  std::cout << std::left << std::setw(26) << name << std::right << std::fixed << std::setprecision(3)
            << " rank1 " << r.value("rank1", 0.0) << "  hit@1% " << r.value("hit_at_1pct", 0.0) << "  hit@5% "
            << r.value("hit_at_5pct", 0.0) << "  hit@10% " << r.value("hit_at_10pct", 0.0) << "  pen99 "
            << r.value("penetration_for_99pct", 0.0) << "  pen100 " << r.value("penetration_for_100pct", 0.0)
            << "  median rank " << r.value("median_rank", 0) << "/" << r.value("gallery", 0) << "\n";
}

int run(const Args& a0) {
  Args a = a0;
  if (!a.skip_fvc && !std::filesystem::is_directory(a.fvc_dir)) {
    std::cerr << "tunggal eval codes: FVC2002 directory " << a.fvc_dir
              << " not found (use --fvc-dir, or --skip-fvc)\n";
    return kExitUnavailable;
  }
  a.model.aggregation = a.x_vlad ? matcher::detail::CodeAggregation::kVlad : matcher::detail::CodeAggregation::kBagOfWords;
  const auto t0 = std::chrono::steady_clock::now();
  const FingerCodeModel model(a.model);
  const double train_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  json out;
  out["code"] = {{"version", matcher::finger_code_version()}, {"dimension", model.dimension()},
                 {"blocks", a.model.blocks}, {"projection", a.model.projection}, {"lda", a.model.lda},
                 {"vlad", a.x_vlad}, {"soft_words", a.model.soft_words}, {"soft_sigma", a.model.soft_sigma},
                 {"signed_sqrt", a.model.signed_sqrt}, {"model_build_seconds", train_s}};
  if (!a.skip_fvc) {
    auto f = eval_fvc(a, model);
    if (!f) {
      std::cerr << "tunggal eval codes: " << f.status().to_string() << "\n";
      return kExitUnavailable;
    }
    out["fvc2002"] = *f;
  }
  if (!a.skip_generated) out["generated"] = eval_generated(a, model);
  if (!a.skip_generated && a.fused_index_sums) out["generated"]["fused_index"] = fused_index_sums(a, model);
  if (a.json_out) {
    std::cout << json_text(out, 2) << "\n";
    return kExitOk;
  }
  if (out.contains("fvc2002"))
    for (auto& [k, v] : out["fvc2002"].items())
      if (v.is_object()) {
        print_summary("fvc " + k + " any", v["any_mate"]);
        print_summary("fvc " + k + " each", v["each_mate"]);
      }
  if (out.contains("generated")) {
    const auto& g = out["generated"];
    print_summary("gen 4 fingers score sum", g["fused_score_sum"]);
    for (auto& [cls, v] : g["fused_score_sum_by_condition"].items())
      std::cout << "  " << std::left << std::setw(50) << cls << std::right << " probes " << v["probes"].get<int>()
                << "  missed at 1% " << v["missed_at_1pct"].get<int>() << "  hit@1% " << v["hit_at_1pct"].get<double>() << "\n";
    if (g.contains("fused_index")) {
      print_summary("gen fused index, 4 fingers", g["fused_index"]["four_fingers"]);
      print_summary("gen fused index, 10 fingers", g["fused_index"]["ten_fingers"]);
    }
    if (g.contains("fused_normalised"))
      for (auto& [k, v] : g["fused_normalised"].items())
        if (v.is_object()) print_summary("gen 4f " + k, v);
    std::cout << "gen probes whose best mated MCC score over the 4 fingers exceeds t:";
    for (auto& [t, v] : g["probes_matchable_by_mcc"].items()) std::cout << " t=" << t << " " << v.get<double>();
    std::cout << "\n";
    for (int f = 0; f < kFingers; ++f) print_summary("gen " + g["per_finger"][f]["position"].get<std::string>(), g["per_finger"][f]);
    for (const auto& u : g["four_fingers_union"]) {
      std::cout << "gen 4-finger union K=" << std::setw(4) << u["k_per_finger"].get<int>() << " penetration "
                << u["penetration"].get<double>() << " hit " << u["hit_rate"].get<double>() << "   keeping best C by summed score:";
      for (auto& [c, h] : u["hit_rate_keeping_best_c_by_summed_score"].items()) std::cout << " C=" << c << " " << h.get<double>();
      std::cout << "\n";
    }
  }
  return kExitOk;
}

RegisterCommand reg{{"eval codes", "finger-code retrieval: hit rate vs penetration (FVC2002 and generated)",
                     [](CLI::App& cmd) {
                       auto a = std::make_shared<Args>();
                       cmd.add_option("--fvc-dir", a->fvc_dir, "FVC2002 directory (DB1_B..DB4_B with .iso files)");
                       cmd.add_option("--gallery", a->gallery, "generated gallery size (identities)")->check(CLI::Range(10, 2000000));
                       cmd.add_option("--probes", a->probes, "generated probes")->check(CLI::Range(1, 100000));
                       cmd.add_option("--seed", a->seed, "population seed of the generated identities");
                       cmd.add_flag("--json", a->json_out, "print the full results as JSON");
                       cmd.add_flag("--skip-fvc", a->skip_fvc, "do not evaluate on FVC2002");
                       cmd.add_flag("--skip-generated", a->skip_generated, "do not evaluate on generated identities");
                       cmd.add_flag("--fused-index", a->fused_index_sums,
                                    "also rank the generated gallery as the engine's fused finger-code list does, "
                                    "over the indexed 4 fingers and over all 10 (fused_index in --json)");
                       cmd.add_flag("!--no-centre", a->centre,
                                    "probe codes search as they are, without the gallery's mean code taken off");
                       // Experiment knobs (the defaults are the shipped code; other values are not
                       // what make_finger_code() produces).
                       cmd.add_option("--x-blocks", a->model.blocks, "experiment: spatial pooling blocks per side");
                       cmd.add_option("--x-dim", a->model.dimension, "experiment: code dimension");
                       cmd.add_option("--x-prior", a->model.prior_density, "experiment: prior density");
                       cmd.add_option("--x-sqrt", a->model.signed_sqrt, "experiment: signed sqrt (0/1)");
                       cmd.add_flag("--x-normalisations", a->x_normalisations,
                                    "experiment: score normalisations of the four-finger sum (on uncentred probe codes)");
                       cmd.add_option("--x-quality-gamma", a->x_quality_gamma, "experiment: four-finger sum weights (quality/100)^gamma");
                       cmd.add_option("--x-quality-side", a->x_quality_side, "experiment: quality weights of the probe (1), gallery (2), both (3)");
                       cmd.add_option("--x-sum-clip", a->x_sum_clip, "experiment: four-finger sum counts negative similarities as 0 (0/1)");
                       cmd.add_option("--x-post-centre", a->model.post_centre, "experiment: centre the normalised code (0/1)");
                       cmd.add_option("--x-proj", a->model.projection, "experiment: projected dimensions");
                       cmd.add_option("--x-lda", a->model.lda, "experiment: LDA (1) or PCA whitening (0)");
                       cmd.add_option("--x-vlad", a->x_vlad, "experiment: VLAD (1) or bag of words (0)");
                       cmd.add_option("--x-soft", a->model.soft_words, "experiment: words per cylinder");
                       cmd.add_option("--x-soft-sigma", a->model.soft_sigma, "experiment: soft assignment sigma");
                       cmd.add_option("--x-train", a->model.train_fingers, "experiment: training fingers");
                       cmd.add_option("--x-border-gamma", a->model.border_weight_gamma, "experiment: border cylinder weight exponent");
                       cmd.add_option("--x-words", a->model.words, "experiment: codebook size (with --x-code-lda)");
                       cmd.add_option("--x-code-lda", a->model.code_lda, "experiment: LDA of the aggregated code (0/1)");
                       cmd.add_option("--x-code-train", a->model.code_train_fingers, "experiment: fingers for the code LDA");
                       return [a]() { return run(*a); };
                     }}};

}  // namespace
}  // namespace tunggal::cli
