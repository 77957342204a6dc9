#include "datasets/population_calibration.h"

#include <mutex>
#include <optional>

#include <tbb/parallel_for.h>

namespace tunggal::datasets {

namespace {

struct Prepared {
  std::array<std::optional<matcher::PreparedTemplate>, kFingerCount> fingers;
  std::optional<FaceEmbedding> face;
};

Prepared prepare(const Enrollment& e, const matcher::FingerMatcher& m) {
  Prepared p;
  for (const FingerTemplate& f : e.fingers) {
    if (!is_known_finger(f.position)) continue;
    auto t = m.prepare(f);
    if (t) p.fingers[static_cast<std::size_t>(finger_slot(f.position))] = std::move(*t);
  }
  p.face = e.face;
  return p;
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
  tbb::parallel_for(std::size_t{0}, n, [&](std::size_t i) {
    CalibrationSamples local;
    for (std::size_t s = 0; s < kFingerCount && options.fingers; ++s) {
      const auto& a = second[i].fingers[s];
      if (!a) continue;
      if (first[i].fingers[s]) local.finger_genuine.push_back(matcher.score(*a, *first[i].fingers[s]));
      for (int k = 1; k <= options.impostor_partners; ++k) {
        const std::size_t j = (i + static_cast<std::size_t>(k) * 7919u) % n;  // fixed, spread partners
        if (j == i || !first[j].fingers[s]) continue;
        local.finger_impostor.push_back(matcher.score(*a, *first[j].fingers[s]));
      }
    }
    if (options.face && second[i].face) {
      if (first[i].face) local.face_genuine.push_back(second[i].face->cosine(*first[i].face));
      for (int k = 1; k <= options.impostor_partners * 10; ++k) {
        const std::size_t j = (i + static_cast<std::size_t>(k) * 104729u) % n;
        if (j == i || !first[j].face) continue;
        local.face_impostor.push_back(second[i].face->cosine(*first[j].face));
      }
    }
    std::lock_guard lock(mu);
    auto append = [](std::vector<float>& to, const std::vector<float>& from) {
      to.insert(to.end(), from.begin(), from.end());
    };
    append(out.finger_genuine, local.finger_genuine);
    append(out.finger_impostor, local.finger_impostor);
    append(out.face_genuine, local.face_genuine);
    append(out.face_impostor, local.face_impostor);
  });
  // Deterministic regardless of TBB scheduling.
  for (auto* v : {&out.finger_genuine, &out.finger_impostor, &out.face_genuine, &out.face_impostor})
    std::sort(v->begin(), v->end());
  return out;
}

Expected<FusionModel> calibrate_fusion(const Population& population, const matcher::FingerMatcher& matcher,
                                       const CalibrationOptions& options) {
  if (options.identities < 20) return invalid_argument("calibration needs at least 20 identities");
  const CalibrationSamples s = calibration_samples(population, matcher, options);
  ScoreCalibration finger, face;
  if (options.fingers) {
    auto f = ScoreCalibration::fit(s.finger_genuine, s.finger_impostor);
    if (!f) return f.error();
    finger = std::move(*f);
  }
  if (options.face) {
    auto f = ScoreCalibration::fit(s.face_genuine, s.face_impostor);
    if (!f) return f.error();
    face = std::move(*f);
  }
  return FusionModel::build(std::move(finger), std::move(face));
}

}  // namespace tunggal::datasets
