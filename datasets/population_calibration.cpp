#include "datasets/population_calibration.h"

#include <mutex>
#include <optional>

#include <tbb/parallel_for.h>

namespace tunggal::datasets {

namespace {

struct Prepared {
  std::array<std::optional<matcher::PreparedTemplate>, kFingerCount> fingers;
  std::array<int, kFingerCount> quality{};
  std::optional<FaceEmbedding> face;
};

Prepared prepare(const Enrollment& e, const matcher::FingerMatcher& m) {
  Prepared p;
  for (const FingerTemplate& f : e.fingers) {
    if (!is_known_finger(f.position)) continue;
    auto t = m.prepare(f);
    const auto slot = static_cast<std::size_t>(finger_slot(f.position));
    if (t) p.fingers[slot] = std::move(*t);
    p.quality[slot] = f.quality;
  }
  p.face = e.face;
  return p;
}

}  // namespace

namespace {

bool is_poor(int qa, int qb, int bound) {
  const auto poor = [&](int q) { return q > 0 && q <= bound; };
  return poor(qa) || poor(qb);
}

void append(std::vector<float>& to, const std::vector<float>& from) { to.insert(to.end(), from.begin(), from.end()); }

// Worn-finger identities: the poor class's stratum (CalibrationOptions::worn_identities).
void add_worn_samples(const Population& population, const matcher::FingerMatcher& matcher,
                      const CalibrationOptions& options, const std::vector<Prepared>& natural_first,
                      CalibrationSamples& out) {
  PopulationConfig worn_config = population.config();
  worn_config.seed = population.config().seed ^ 0x3072e0f1a9b5c4d7ULL;
  worn_config.damaged_rate = 1.0;
  const Population worn(worn_config);
  const std::size_t n = options.worn_identities, natural = natural_first.size();
  std::vector<Prepared> first(n), second(n);
  tbb::parallel_for(std::size_t{0}, n, [&](std::size_t i) {
    first[i] = prepare(worn.capture(i, 0), matcher);
    second[i] = prepare(worn.capture(i, 1), matcher);
  });
  std::mutex mu;
  tbb::parallel_for(std::size_t{0}, n, [&](std::size_t i) {
    std::vector<float> gen, imp;
    for (std::size_t s = 0; s < kFingerCount; ++s) {
      const auto& a = second[i].fingers[s];
      if (!a) continue;
      const int qa = second[i].quality[s];
      if (first[i].fingers[s] && is_poor(qa, first[i].quality[s], options.poor_quality_at_most))
        gen.push_back(matcher.score(*a, *first[i].fingers[s]));
      // A worn applicant against the (natural) enrolled population.
      for (int k = 1; k <= options.impostor_partners && natural > 0; ++k) {
        const std::size_t j = (i * 31u + static_cast<std::size_t>(k) * 7919u) % natural;
        const auto& b = natural_first[j].fingers[s];
        if (!b || !is_poor(qa, natural_first[j].quality[s], options.poor_quality_at_most)) continue;
        imp.push_back(matcher.score(*a, *b));
      }
    }
    std::lock_guard lock(mu);
    append(out.finger_genuine_poor, gen);
    append(out.finger_impostor_poor, imp);
  });
}

}  // namespace

CalibrationSamples calibration_samples(const Population& population, const matcher::FingerMatcher& matcher,
                                       const CalibrationOptions& options) {
  const std::size_t n = options.identities;
  std::vector<Prepared> first(n), second(n);
  tbb::parallel_for(std::size_t{0}, n, [&](std::size_t i) {
    first[i] = prepare(population.capture(i, 0), matcher);
    second[i] = prepare(population.capture(i, 1), matcher);
  });
  CalibrationSamples out;
  std::mutex mu;
  const int bound = options.poor_quality_at_most;
  tbb::parallel_for(std::size_t{0}, n, [&](std::size_t i) {
    CalibrationSamples local;
    for (std::size_t s = 0; s < kFingerCount && options.fingers; ++s) {
      const auto& a = second[i].fingers[s];
      if (!a) continue;
      const int qa = second[i].quality[s];
      if (first[i].fingers[s]) {
        const float v = matcher.score(*a, *first[i].fingers[s]);
        (is_poor(qa, first[i].quality[s], bound) ? local.finger_genuine_poor : local.finger_genuine).push_back(v);
      }
      for (int k = 1; k <= options.impostor_partners; ++k) {
        const std::size_t j = (i + static_cast<std::size_t>(k) * 7919u) % n;  // fixed, spread partners
        if (j == i || !first[j].fingers[s]) continue;
        const float v = matcher.score(*a, *first[j].fingers[s]);
        (is_poor(qa, first[j].quality[s], bound) ? local.finger_impostor_poor : local.finger_impostor).push_back(v);
      }
    }
    if (options.face && second[i].face) {
      if (first[i].face) local.face_genuine.push_back(second[i].face->cosine(*first[i].face));
      for (int k = 1; k <= options.impostor_partners * 10; ++k) {
        const std::size_t j = (i + static_cast<std::size_t>(k) * 104729u) % n;
        if (j == i || !first[j].face) continue;
        const float v = second[i].face->cosine(*first[j].face);
        local.face_impostor.push_back(v);
        // Look-alike twins (i, i^1) are impostors the face can not separate: they belong in the
        // face's calibration, not in the tail of unrelated faces (CalibrationSamples).
        if ((i ^ 1) != j || !population.traits(i).twin) local.face_impostor_unrelated.push_back(v);
      }
    }
    std::lock_guard lock(mu);
    append(out.finger_genuine, local.finger_genuine);
    append(out.finger_impostor, local.finger_impostor);
    append(out.finger_genuine_poor, local.finger_genuine_poor);
    append(out.finger_impostor_poor, local.finger_impostor_poor);
    append(out.face_genuine, local.face_genuine);
    append(out.face_impostor, local.face_impostor);
    append(out.face_impostor_unrelated, local.face_impostor_unrelated);
  });
  if (options.fingers && options.worn_identities > 0) add_worn_samples(population, matcher, options, first, out);
  // Deterministic regardless of TBB scheduling.
  for (auto* v : {&out.finger_genuine, &out.finger_impostor, &out.face_genuine, &out.face_impostor,
                  &out.finger_genuine_poor, &out.finger_impostor_poor, &out.face_impostor_unrelated})
    std::sort(v->begin(), v->end());
  return out;
}

Expected<FusionModel> calibrate_fusion(const Population& population, const matcher::FingerMatcher& matcher,
                                       const CalibrationOptions& options) {
  if (options.identities < 20) return invalid_argument("calibration needs at least 20 identities");
  const CalibrationSamples s = calibration_samples(population, matcher, options);
  ScoreCalibration finger, face, poor;
  FaceTail tail;
  if (options.fingers) {
    auto f = ScoreCalibration::fit(s.finger_genuine, s.finger_impostor);
    if (!f) return f.error();
    finger = std::move(*f);
    // Without enough poor pairs to fit, every pair is judged by the one calibration (as before).
    if (s.finger_genuine_poor.size() >= 10 && s.finger_impostor_poor.size() >= 10) {
      auto p = ScoreCalibration::fit(s.finger_genuine_poor, s.finger_impostor_poor);
      if (!p) return p.error();
      poor = std::move(*p);
    }
  }
  if (options.face) {
    auto f = ScoreCalibration::fit(s.face_genuine, s.face_impostor);
    if (!f) return f.error();
    face = std::move(*f);
    if (auto t = FaceTail::fit(s.face_impostor_unrelated, options.face_tail_fraction)) tail = *t;  // else: no tail, as before
  }
  return FusionModel::build(std::move(finger), std::move(face), std::move(poor), tail, options.poor_quality_at_most);
}

}  // namespace tunggal::datasets
