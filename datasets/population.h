#pragma once
// A synthetic KTP-el population for testing and evaluating penunggalan (the single-identity
// check) at national scale, where real biometric data cannot be shared.
//
// Each identity has ten fingers (a master set of minutiae on a ridge-flow field, see
// datasets/detail/master_finger.h) and a face identity (datasets/detail/face_model.h). Each
// *capture* of an identity is a fresh impression of every present finger (rotation, translation,
// plastic distortion, partial contact, missing and spurious minutiae, jitter, quality; see
// datasets/detail/impression.h) and a fresh face embedding. The model and its statistics against
// FVC2002 are in docs/population.md.
//
// Everything is a pure function of the seed and the indices: nothing is stored, so a 1M gallery
// streams in O(1) memory, and identity i is the same whether generated alone or among millions.
//
//   Population pop({.seed = 7});
//   Enrollment gallery_entry = pop.capture(i, 0);   // gallery: capture 0
//   ProbeSet probes(pop, 1'000'000, 10'000, 0.1, 7);  // 10% re-enrolments under a new NIK
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/enrollment.h"

namespace tunggal::datasets {

struct PopulationConfig {
  std::uint64_t seed = 1;
  int face_dimension = 512;
  // Hard cases, as fractions of identities (or of captures), tunable from the CLI.
  double twin_rate = 0.005;          // identity shares a look-alike face with another (different fingers)
  double missing_finger_rate = 0.02; // identity lacks 1-3 fingers (amputation/bandage): never captured
  double damaged_rate = 0.02;        // worn/scarred fingers: heavier minutiae loss, lower quality
  double low_quality_rate = 0.03;    // per capture: very low quality impression
  // Sensor frame of every finger impression (500 ppi).
  int frame_width = 416;
  int frame_height = 560;
};

// What the generator decided about an identity (for evaluation breakdowns and tests).
struct IdentityTraits {
  bool twin = false;                 // look-alike face: identity ^ 1 is the other twin
  std::uint16_t missing_fingers = 0; // bit s set: finger slot s (position s+1) never captured
  std::uint16_t damaged_fingers = 0; // bit s set: finger slot s worn or scarred
};

// An infinite, deterministic population: identity i is a pure function of (seed, i), capture k
// of identity i a pure function of (seed, i, k). Nothing is held in memory: streaming 1M
// identities costs O(1) memory.
class Population {
 public:
  explicit Population(PopulationConfig config);
  const PopulationConfig& config() const { return config_; }

  // Capture `k` (0 = gallery enrollment, 1.. = later re-enrollments) of identity `i`: a fresh
  // impression of each present finger + a fresh face embedding; Enrollment id
  // "gen-<seed>-<i>-<k>", site, the identity's own NIK, capture time.
  // Precondition: identity < 2^40 (NIKs stay unique below that).
  Enrollment capture(std::uint64_t identity, int k) const;
  std::string nik(std::uint64_t identity) const;  // identity's own NIK
  IdentityTraits traits(std::uint64_t identity) const;
  // Whether capture k of the identity is a very low quality capture (all fingers, and the photo).
  bool low_quality_capture(std::uint64_t identity, int k) const;
  // Whether capture k's face photo is a poor one (drawn independently of low_quality_capture).
  bool poor_photo_capture(std::uint64_t identity, int k) const;

 private:
  PopulationConfig config_;
};

// A probe set against a gallery made of capture 0 of identities [0, gallery_size): probe j is
// either mated (capture 1+ of a gallery identity, re-enrolling under a NEW, different valid NIK:
// the fraud penunggalan exists to catch) or non-mated (capture 0 of a fresh identity >=
// gallery_size). Exactly round(count * mated_rate) probes are mated, spread deterministically.
struct ProbeTruth {
  EnrollmentId probe;
  std::optional<std::uint64_t> mate;  // the gallery identity, for a mated probe
  std::uint64_t identity = 0;         // who the probe really is (the mate, for a mated probe)
  int capture = 0;                    // which capture of that identity
  bool twin_of_enrolled = false;      // non-mated, and a look-alike twin of it is enrolled
};

//
// Twins: both twins of a pair fall in any gallery prefix, so a plain probe set never shows the
// engine a new applicant whose look-alike twin is already enrolled, the case that tempts a
// face-driven alarm. With twin_share > 0, that fraction of the non-mated probes are such
// applicants: one twin of a pair inside [0, gallery_size) is *withheld* from the gallery and
// applies as a new person (capture 0). The gallery is then [0, gallery_size) minus withheld().
class ProbeSet {
 public:
  // mated_rate is clamped to [0, 1]; with gallery_size 0 no probe can be mated. twin_share is
  // clamped to [0, 1] and limited by the twin pairs the gallery range holds.
  ProbeSet(const Population& population, std::uint64_t gallery_size, std::uint64_t count, double mated_rate,
           std::uint64_t seed, double twin_share = 0.0);
  std::uint64_t size() const { return count_; }
  // Probe ids are "probe-<seed>-<j>": they do not reveal the truth.
  Enrollment probe(std::uint64_t j) const;
  ProbeTruth truth(std::uint64_t j) const;
  std::uint64_t mated_count() const { return mated_; }
  // Identities of [0, gallery_size) that are not to be enrolled (sorted): the twin probes.
  const std::vector<std::uint64_t>& withheld() const { return withheld_; }
  bool is_withheld(std::uint64_t identity) const;
  // 0-based position of a gallery identity among the enrolled ones ([0, gallery_size) minus the
  // withheld), i.e. the subject id a sequential import gives it, minus 1.
  std::uint64_t enrolled_rank(std::uint64_t identity) const;

 private:
  struct Slot {
    bool mated;
    std::uint64_t identity;  // mate (mated) or fresh identity (non-mated)
    int capture;             // capture index of that identity
  };
  Slot slot(std::uint64_t j) const;

  Population population_;  // a copy: it is only its config, and the caller may pass a temporary
  std::uint64_t gallery_size_, count_, mated_, seed_;
  std::uint64_t order_mul_ = 1, order_add_ = 0;  // affine permutation of [0, count)
  std::uint64_t mate_mul_ = 1, mate_add_ = 0;    // affine permutation of [0, gallery_size)
  std::vector<std::uint64_t> withheld_;          // sorted
};

}  // namespace tunggal::datasets
