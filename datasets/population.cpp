#include "datasets/population.h"

#include <fmt/format.h>

#include <algorithm>

#include "datasets/detail/face_model.h"
#include "datasets/detail/impression.h"
#include "datasets/detail/master_finger.h"
#include "datasets/detail/nik_generator.h"
#include "datasets/detail/population_detail.h"
#include "datasets/detail/random.h"

namespace tunggal::datasets {
namespace {

using detail::key;
using detail::Rng;
using detail::Stream;

// KTP-el mass enrollment began in 2011 (ms since the Unix epoch for 2011-07-01T00:00Z).
constexpr std::int64_t kRolloutStartMs = 1309478400000LL;
constexpr std::int64_t kYearMs = 365LL * 24 * 3600 * 1000;

std::uint64_t twin_pair(std::uint64_t identity) { return identity >> 1; }

}  // namespace

namespace detail {

std::string site_for(const Nik& nik, int station) {
  // e.g. "3273-KEC-05-02": regency, district (kecamatan) and station number of the recording site.
  const std::string r = nik.region();
  return fmt::format("{}-KEC-{}-{:02}", r.substr(0, 4), r.substr(4, 2), station);
}

}  // namespace detail

Population::Population(PopulationConfig config) : config_(config) {
  config_.face_dimension = std::clamp(config_.face_dimension, 1, 4096);
  config_.frame_width = std::clamp(config_.frame_width, 64, 16383);
  config_.frame_height = std::clamp(config_.frame_height, 64, 16383);
}

std::string Population::nik(std::uint64_t identity) const {
  return detail::synthetic_nik(config_.seed, identity).str();
}

IdentityTraits Population::traits(std::uint64_t identity) const {
  IdentityTraits t;
  const std::uint64_t seed = config_.seed;
  // Twins come in pairs (2m, 2m+1), so each twin's look-alike is a neighbour and both are in any
  // gallery prefix that holds one of them (the hard case is exercised, not diluted).
  t.twin = Rng(key(seed, Stream::kTwin, twin_pair(identity))).bernoulli(config_.twin_rate);
  Rng rng(key(seed, Stream::kTraits, identity));
  if (rng.bernoulli(config_.missing_finger_rate)) {
    const int n = rng.uniform_int(1, 3);
    while (std::popcount(t.missing_fingers) < n) t.missing_fingers |= std::uint16_t(1u << rng.below(kFingerCount));
  }
  if (rng.bernoulli(config_.damaged_rate)) {
    // Worn ridges affect most fingers of a hand-labourer, not one.
    for (int s = 0; s < kFingerCount; ++s) {
      if (rng.bernoulli(0.6)) t.damaged_fingers |= std::uint16_t(1u << s);
    }
    if (!t.damaged_fingers) t.damaged_fingers = std::uint16_t(1u << rng.below(kFingerCount));
  }
  return t;
}

bool Population::low_quality_capture(std::uint64_t identity, int k) const {
  return Rng(key(config_.seed, Stream::kCaptureTraits, identity, static_cast<std::uint64_t>(k)))
      .bernoulli(config_.low_quality_rate);
}

bool Population::poor_photo_capture(std::uint64_t identity, int k) const {
  Rng cap(key(config_.seed, Stream::kCaptureTraits, identity, static_cast<std::uint64_t>(k)));
  (void)cap.bernoulli(config_.low_quality_rate);  // the same draws, in the same order, as capture()
  return cap.bernoulli(config_.low_quality_rate);
}

Enrollment Population::capture(std::uint64_t identity, int k) const {
  const std::uint64_t seed = config_.seed;
  const auto uk = static_cast<std::uint64_t>(k);
  const IdentityTraits traits = this->traits(identity);
  const bool twin = traits.twin;

  Enrollment e;
  e.id.value = fmt::format("gen-{}-{}-{}", seed, identity, k);
  e.nik = detail::synthetic_nik(seed, identity);

  Rng cap(key(seed, Stream::kCaptureTraits, identity, uk));
  const bool low_quality = cap.bernoulli(config_.low_quality_rate);  // same draw as low_quality_capture()
  const bool poor_photo = cap.bernoulli(config_.low_quality_rate);
  e.site = detail::site_for(e.nik, cap.uniform_int(1, 4));
  // Capture k falls in year k after the first enrollment: later captures are always later.
  const std::int64_t first = kRolloutStartMs +
      static_cast<std::int64_t>(Rng(key(seed, Stream::kCaptureTraits, identity, ~0ULL)).uniform_double() * 3 * kYearMs);
  e.capture_time_ms = first + (k == 0 ? 0 : static_cast<std::int64_t>(k) * kYearMs +
                                                static_cast<std::int64_t>(cap.uniform_double() * kYearMs));

  // Fingers. The master is rebuilt from its key every time (no cache: purity and O(1) memory).
  detail::MasterFinger master;
  detail::ImpressionConditions cond;
  cond.frame_width = config_.frame_width;
  cond.frame_height = config_.frame_height;
  cond.low_quality = low_quality;
  e.fingers.reserve(kFingerCount);
  for (int s = 0; s < kFingerCount; ++s) {
    if (traits.missing_fingers & (1u << s)) continue;
    const FingerPosition pos = finger_at_slot(s);
    const bool right_hand = s < 5;
    // Twins share their fingers' pattern classes (level-1 features are heritable), not minutiae.
    Rng pattern(twin ? key(seed, Stream::kPattern, twin_pair(identity) | (1ULL << 63), s)
                     : key(seed, Stream::kPattern, identity, s));
    Rng shape(key(seed, Stream::kFingerMaster, identity, s));
    detail::make_master_finger(pattern, shape, right_hand, master);
    cond.damaged = traits.damaged_fingers & (1u << s);
    Rng imp(key(seed, Stream::kImpression, identity, uk, s));
    FingerTemplate f;
    f.minutiae.reserve(static_cast<std::size_t>(master.count) + 16);
    detail::make_impression(master, cond, imp, f);
    f.position = pos;
    if (f.minutiae.empty()) continue;  // nothing usable was captured: the station sends no view
    e.fingers.push_back(std::move(f));
  }

  // Face.
  detail::FaceTwin ft;
  if (twin) {
    ft.is_twin = true;
    ft.pair = twin_pair(identity);
    ft.rho = Rng(key(seed, Stream::kFaceTwinBase, ft.pair, 1)).uniform(0.85f, 0.97f);
  }
  std::vector<float> face;
  detail::face_capture(seed, identity, k, config_.face_dimension, ft, poor_photo, face);
  if (auto fe = FaceEmbedding::make(face)) e.face = std::move(*fe);
  return e;
}

}  // namespace tunggal::datasets
