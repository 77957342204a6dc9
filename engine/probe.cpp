#include "engine/probe.h"

#include <algorithm>

#include <fmt/format.h>
#include <tbb/parallel_for.h>

#include "matcher/finger_code.h"

namespace tunggal {

float indexed_finger_quality(const Probe& probe) {
  float sum = 0;
  int reported = 0;
  for (FingerPosition p : kIndexedFingers) {
    const auto slot = static_cast<std::size_t>(finger_slot(p));
    if (!probe.fingers[slot] || probe.quality[slot] == 0) continue;
    sum += probe.quality[slot];
    ++reported;
  }
  return reported > 0 ? sum / float(reported) : 0.0f;
}

Probe make_probe(Enrollment enrollment, const matcher::FingerMatcher& matcher,
                 const EngineOptions& options) {
  Probe probe;
  probe.enrollment = std::move(enrollment);
  const auto& fingers = probe.enrollment.fingers;
  std::vector<std::string> notes(fingers.size());
  tbb::parallel_for(std::size_t{0}, fingers.size(), [&](std::size_t i) {
    const FingerTemplate& f = fingers[i];
    if (!is_known_finger(f.position)) {
      notes[i] = "finger with unknown position ignored";
      return;
    }
    const int slot = finger_slot(f.position);
    if (f.quality != 0 && f.quality < options.min_finger_quality) {
      notes[i] = fmt::format("{}: impression quality {} below {}, quality too low", finger_name(f.position),
                             f.quality, options.min_finger_quality);
      return;
    }
    auto prepared = matcher.prepare(f);
    if (!prepared) {
      notes[i] = fmt::format("{}: {}", finger_name(f.position), prepared.error().message());
      return;
    }
    // Every usable finger's code (about a tenth of prepare()): which ones search is the cascade's
    // choice (EngineOptions::fused_fingers).
    probe.codes[slot] = matcher::make_finger_code(*prepared);
    probe.fingers[slot] = std::move(*prepared);
    probe.quality[slot] = f.quality;
  });
  for (auto& n : notes)
    if (!n.empty()) probe.finger_notes.push_back(std::move(n));
  probe.usable_fingers = static_cast<int>(
      std::count_if(probe.fingers.begin(), probe.fingers.end(), [](const auto& f) { return f.has_value(); }));

  const auto& face = probe.enrollment.face;
  if (face && face->dimension() != options.face_dimension) {
    probe.reject_reason = fmt::format("face embedding has dimension {}, this gallery uses {}",
                                      face->dimension(), options.face_dimension);
    return probe;
  }
  const int needed = face ? options.min_fingers_with_face : options.min_usable_fingers;
  if (probe.usable_fingers < needed) {
    std::string why = fmt::format("{} usable finger(s), at least {} needed{}; recapture", probe.usable_fingers,
                                  needed, face ? " with a face" : " without a face");
    for (const auto& n : probe.finger_notes) why += "; " + n;
    probe.reject_reason = std::move(why);
  }
  return probe;
}

}  // namespace tunggal
