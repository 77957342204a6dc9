#include "datasets/population_stats.h"

#include <tbb/parallel_for.h>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <optional>

#include "datasets/detail/random.h"
#include "datasets/fvc_set.h"
#include "matcher/finger_matcher.h"

namespace tunggal::datasets {
namespace {

constexpr int kImpressionsPerFinger = 8;  // as in FVC

// Scan resolution of the FVC2002 sets (Maio et al., "FVC2002: Second Fingerprint Verification
// Competition", ICPR 2002, Table 1): DB2's optical sensor is 569 dpi, the others 500 dpi.
double fvc_ppi(const std::string& set_name) { return set_name.find("DB2") != std::string::npos ? 569.0 : 500.0; }

void nearest_neighbours(const FingerTemplate& t, double scale, std::vector<float>& out) {
  const auto& m = t.minutiae;
  for (std::size_t i = 0; i < m.size(); ++i) {
    float best = 1e30f;
    for (std::size_t j = 0; j < m.size(); ++j) {
      if (i == j) continue;
      const float dx = float(m[i].x) - float(m[j].x), dy = float(m[i].y) - float(m[j].y);
      best = std::min(best, dx * dx + dy * dy);
    }
    if (m.size() > 1) out.push_back(static_cast<float>(std::sqrt(best) * scale));
  }
}

struct Impression {
  int finger;
  const FingerTemplate* tpl;
};

// Minutiae/NN statistics and matcher scores of a set of impressions grouped by finger.
SetStatistics analyse(const std::string& name, const std::vector<Impression>& im, double scale,
                      std::size_t max_impostors, std::uint64_t seed) {
  SetStatistics s;
  s.name = name;
  s.impressions = im.size();
  std::vector<float> counts, nn;
  for (const auto& i : im) {
    counts.push_back(static_cast<float>(i.tpl->minutiae.size()));
    nearest_neighbours(*i.tpl, scale, nn);
  }
  s.minutiae = describe(counts);
  s.nearest = describe(nn);

  const matcher::FingerMatcher m;
  std::vector<std::optional<matcher::PreparedTemplate>> prepared(im.size());
  tbb::parallel_for(std::size_t{0}, im.size(), [&](std::size_t k) {
    if (auto p = m.prepare(*im[k].tpl)) prepared[k] = std::move(*p);
  });
  for (const auto& p : prepared) s.unusable += !p.has_value();

  std::vector<std::pair<int, int>> gen, imp;
  const int n = static_cast<int>(im.size());
  for (int a = 0; a < n; ++a) {
    for (int b = a + 1; b < n && im[b].finger == im[a].finger; ++b) gen.emplace_back(a, b);
  }
  const std::size_t all_cross = [&] {
    std::size_t c = 0;
    for (int a = 0; a < n; ++a)
      for (int b = a + 1; b < n; ++b) c += im[a].finger != im[b].finger;
    return c;
  }();
  if (all_cross <= max_impostors) {
    for (int a = 0; a < n; ++a)
      for (int b = a + 1; b < n; ++b)
        if (im[a].finger != im[b].finger) imp.emplace_back(a, b);
  } else {
    detail::Rng rng(seed);
    while (imp.size() < max_impostors) {
      const int a = static_cast<int>(rng.below(n)), b = static_cast<int>(rng.below(n));
      if (im[a].finger != im[b].finger) imp.emplace_back(a, b);
    }
  }
  s.fingers = 0;
  for (int a = 0; a < n; ++a) s.fingers += a == 0 || im[a].finger != im[a - 1].finger;

  auto score = [&](const std::vector<std::pair<int, int>>& pairs) {
    std::vector<float> out(pairs.size());
    tbb::parallel_for(std::size_t{0}, pairs.size(), [&](std::size_t k) {
      const auto& pa = prepared[pairs[k].first];
      const auto& pb = prepared[pairs[k].second];
      out[k] = pa && pb ? m.score(*pa, *pb) : 0.0f;
    });
    return out;
  };
  const std::vector<float> g = score(gen), i = score(imp);
  s.rates = compute_error_rates(g, i);
  s.rates.det.clear();
  s.genuine = describe(g);
  s.impostor = describe(i);
  return s;
}

}  // namespace

Distribution describe(std::vector<float> v) {
  Distribution d;
  d.n = v.size();
  if (v.empty()) return d;
  std::sort(v.begin(), v.end());
  auto q = [&](double p) { return double(v[static_cast<std::size_t>(p * double(v.size() - 1) + 0.5)]); };
  double sum = 0;
  for (float x : v) sum += x;
  d.mean = sum / double(v.size());
  d.p01 = q(0.01), d.p05 = q(0.05), d.p10 = q(0.10), d.p25 = q(0.25), d.p50 = q(0.5), d.p90 = q(0.9),
  d.p99 = q(0.99), d.max = v.back();
  return d;
}

Expected<PopulationStatistics> population_stats(const Population& pop, const PopulationStatsOptions& o) {
  PopulationStatistics r;
  if (!o.fvc_dir.empty()) {
    auto sets = load_fvc_sets(o.fvc_dir);
    if (!sets) return sets.error();
    for (const auto& set : *sets) {
      std::vector<Impression> im;
      for (const auto& i : set.impressions) im.push_back({i.finger, &i.finger_template});
      r.fvc.push_back(analyse(set.name, im, 500.0 / fvc_ppi(set.name), 1'000'000, 1));
    }
  }

  // The generated set: finger slot g % 10 of identity g / 10 (all ten fingers of consecutive
  // people, as a ten-print gallery has), captures 0..7. A finger missing in the identity is skipped;
  // a capture that yields no view keeps an empty template (unusable, scored 0).
  std::vector<FingerTemplate> templates;
  std::vector<int> finger_of;
  templates.reserve(static_cast<std::size_t>(o.generated_fingers) * kImpressionsPerFinger);
  int fingers = 0;
  for (std::uint64_t id = 0; fingers < o.generated_fingers; ++id) {
    std::vector<Enrollment> caps;
    for (int k = 0; k < kImpressionsPerFinger; ++k) caps.push_back(pop.capture(id, k));
    const IdentityTraits t = pop.traits(id);
    for (int slot = 0; slot < kFingerCount && fingers < o.generated_fingers; ++slot) {
      if (t.missing_fingers & (1u << slot)) continue;
      for (const auto& c : caps) {
        const FingerTemplate* f = c.finger(finger_at_slot(slot));
        FingerTemplate empty;
        empty.width = static_cast<std::uint16_t>(pop.config().frame_width);
        empty.height = static_cast<std::uint16_t>(pop.config().frame_height);
        templates.push_back(f ? *f : empty);
        finger_of.push_back(fingers);
      }
      ++fingers;
    }
  }
  std::vector<Impression> im;
  for (std::size_t k = 0; k < templates.size(); ++k) im.push_back({finger_of[k], &templates[k]});
  r.generated = analyse(fmt::format("generated (seed {})", pop.config().seed), im, 1.0, o.generated_impostors,
                        pop.config().seed);

  std::vector<float> fg, fi;
  for (std::uint64_t id = 0; id < 1000; ++id) {
    const Enrollment a = pop.capture(id, 0), b = pop.capture(id, 1), c = pop.capture(id + 1000, 0);
    if (a.face && b.face) fg.push_back(a.face->cosine(*b.face));
    if (a.face && c.face) fi.push_back(a.face->cosine(*c.face));
  }
  r.face_genuine = describe(fg);
  r.face_impostor = describe(fi);
  return r;
}

std::string format_population_stats(const PopulationStatistics& s) {
  std::vector<const SetStatistics*> all;
  for (const auto& f : s.fvc) all.push_back(&f);
  all.push_back(&s.generated);
  std::string out;
  // A Markdown table's separator row of n columns.
  auto sep = [](int n) {
    std::string r;
    for (int i = 0; i < n; ++i) r += "---|";
    return r;
  };
  out += "## Minutiae per impression\n\n| set | fingers | impressions | mean | p10 | median | p90 | max |\n|" + sep(8) + "\n";
  for (const auto* x : all)
    out += fmt::format("| {} | {} | {} | {:.1f} | {:.0f} | {:.0f} | {:.0f} | {:.0f} |\n", x->name, x->fingers,
                       x->impressions, x->minutiae.mean, x->minutiae.p10, x->minutiae.p50, x->minutiae.p90,
                       x->minutiae.max);
  out += "\n## Nearest-neighbour distance between minutiae (px at 500 ppi)\n\n| set | minutiae | mean | p10 | p25 | median | p90 |\n|" +
         sep(7) + "\n";
  for (const auto* x : all)
    out += fmt::format("| {} | {} | {:.1f} | {:.1f} | {:.1f} | {:.1f} | {:.1f} |\n", x->name, x->nearest.n,
                       x->nearest.mean, x->nearest.p10, x->nearest.p25, x->nearest.p50, x->nearest.p90);
  out += "\n## MCC matcher scores\n\n| set | genuine | impostor | unusable | genuine p5 | genuine p25 | genuine median | "
         "impostor p99 | impostor max | EER | FNMR@FMR=1% | FNMR@FMR=0.1% |\n|" +
         sep(12) + "\n";
  for (const auto* x : all)
    out += fmt::format("| {} | {} | {} | {} | {:.3f} | {:.3f} | {:.3f} | {:.3f} | {:.3f} | {:.2f}% | {:.2f}% | {:.2f}% |\n",
                       x->name, x->genuine.n, x->impostor.n, x->unusable, x->genuine.p05, x->genuine.p25,
                       x->genuine.p50, x->impostor.p99, x->impostor.max, 100 * x->rates.eer,
                       100 * x->rates.fnmr_at_fmr_1e2, 100 * x->rates.fnmr_at_fmr_1e3);
  out += "\n## Face cosines (generated, 1000 identities)\n\n| pairs | mean | p5 | median | p99 | max |\n|" + sep(6) + "\n";
  out += fmt::format(
      "| genuine (capture 0 vs 1) | {:.3f} | {:.3f} | {:.3f} | {:.3f} | {:.3f} |\n"
          "| impostor | {:.3f} | {:.3f} | {:.3f} | {:.3f} | {:.3f} |\n",
      s.face_genuine.mean, s.face_genuine.p05, s.face_genuine.p50, s.face_genuine.p99, s.face_genuine.max,
      s.face_impostor.mean, s.face_impostor.p05, s.face_impostor.p50, s.face_impostor.p99, s.face_impostor.max);
  return out;
}

}  // namespace tunggal::datasets
