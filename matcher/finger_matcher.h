#pragma once
// The 1:1 minutiae matcher: Minutia Cylinder-Code (MCC) with LSS-R global consolidation.
//
//   R. Cappelli, M. Ferrara, D. Maltoni, "Minutia Cylinder-Code: a new representation and matching
//   technique for fingerprint recognition", IEEE TPAMI 32(12), 2010 (the bit-based variant
//   "MCC16b", Sect. 4-5, with the LSS-R consolidation of Sect. 5.2 / Table 2).
//
// Stages, named as in the paper: cylinder creation (prepare), local similarity (cylinder vs
// cylinder), LSS-R (Local Similarity Sort with Relaxation) and the global score. The engine's fast
// first stage for 1:N is the fixed-length finger code (matcher/finger_code.h, searched by FAISS);
// this matcher re-scores its candidates (speed and accuracy of both: docs/accuracy.md).
//
// Usage (FAISS style: one small object, batch-first):
//   FingerMatcher m;                                   // default options = the paper's parameters
//   Expected<PreparedTemplate> a = m.prepare(tpl_a);   // once per template (enrollment)
//   float s = m.score(*a, *b);                          // in [0,1]; ~0.0-0.1 impostor, >0.2 mate
//   m.score_many(*a, gallery_ptrs, scores);             // 1:N, TBB-parallel
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/finger_template.h"
#include "core/status.h"

namespace tunggal::matcher {

// Parameters with their published defaults (Cappelli et al. 2010, Table 1 and Table 2). Distances
// are in pixels at 500 ppi: prepare() rescales templates of other resolutions to 500 ppi first.
struct MatcherOptions {
  // --- cylinder creation (Sect. 3) ---
  float radius = 70.0f;               // R: cylinder radius
  float sigma_s = 28.0f / 3.0f;       // σS: spatial contribution Gaussian
  float sigma_d = 2.0f * 3.14159265f / 9.0f;  // σD: directional contribution Gaussian
  float mu_psi = 0.01f;               // μψ: bit threshold of the cell value (bit-based MCC)
  float omega = 50.0f;                // Ω: convex-hull enlargement for cell validity
  float min_valid_cells = 0.75f;      // minVC, as a fraction of the cells inside the circle
  int min_neighbours = 2;             // minM: minutiae needed around a valid cylinder

  // --- local similarity (Sect. 4) ---
  float min_matchable_cells = 0.6f;   // minME, fraction of the cells inside the circle
  // δθ: the paper pairs cylinders only when their directions differ by at most π/2, which assumes
  // roughly upright captures. We must match any rotation (issue 3), so the default disables it;
  // π/2 restores the paper's setting (measured on FVC2002 in docs/accuracy.md).
  float max_direction_diff = 3.14159265f;

  // --- LSS-R consolidation (Sect. 5.2, Table 2) ---
  int min_np = 4;                     // minNP
  int max_np = 12;                    // maxNP
  float mu_p = 20.0f;                 // μP
  float tau_p = 0.4f;                 // τP
  int n_rel = 5;                      // nrel: relaxation iterations
  // nR: the relaxation runs on at most this many pre-selected pairs (the paper relaxes all
  // min(nA, nB) of them). The low-similarity tail mostly adds noise to the relaxation, and ρ costs
  // nR². Measured with `tunggal eval fvc` (docs/accuracy.md): all pairs 1.81% mean EER on
  // FVC2002, 20 pairs 1.68%; on a generated population 3.47% -> 3.19%.
  int max_nr = 20;
  float w_r = 0.5f;                   // wR
  float mu_rho1 = 5.0f, tau_rho1 = -1.6f;               // distance compatibility
  float mu_rho2 = 3.14159265f / 12.0f, tau_rho2 = -30.0f;  // direction-difference compatibility
  float mu_rho3 = 3.14159265f / 12.0f, tau_rho3 = -30.0f;  // radial-angle compatibility

  // --- input cleaning (prepare) ---
  int min_minutiae = 6;               // fewer usable minutiae than this: rejected
  float duplicate_distance = 2.0f;    // minutiae closer than this (px) with direction ...
  float duplicate_angle = 0.35f;      // ... closer than this (rad) are one minutia reported twice
};

// One cleaned minutia in matcher geometry: pixels at 500 ppi, y down, and `angle` the direction in
// the image frame (radians, [0,2π), the vector (cos, sin) in pixel axes). ISO angles are
// counter-clockwise with y up, so angle = 2π - iso_angle.
struct PreparedMinutia {
  float x = 0, y = 0, angle = 0;
  std::uint16_t source_index = 0;  // index in FingerTemplate::minutiae, for adjudicators' pictures
};

// Immutable, built once by FingerMatcher::prepare, compared many times.
class PreparedTemplate {
 public:
  // MCC16b: 16x16 spatial cells x 6 directional sections = 1536 bits per cylinder.
  static constexpr int kNs = 16;
  static constexpr int kNd = 6;
  static constexpr int kMaskWords = kNs * kNs / 64;     // 4: spatial validity mask
  static constexpr int kCylWords = kMaskWords * kNd;    // 24: cell bits, section-major

  PreparedTemplate() = default;

  std::span<const PreparedMinutia> minutiae() const { return minutiae_; }
  // Number of valid cylinders (minutiae with a usable local descriptor).
  int cylinder_count() const { return static_cast<int>(cyl_minutia_.size()); }
  // Notes on what prepare() cleaned (dropped duplicates, ...); empty when nothing was changed.
  const std::vector<std::string>& cleaning_notes() const { return notes_; }
  // Resident bytes of this prepared template (heap payload + object).
  std::size_t memory_bytes() const;

  // Raw access for the matching kernels.
  const std::uint64_t* cylinder_bits(int c) const { return &cyl_bits_[std::size_t(c) * kCylWords]; }
  const std::uint64_t* cylinder_mask(int c) const { return &cyl_mask_[std::size_t(c) * kMaskWords]; }
  int cylinder_minutia(int c) const { return cyl_minutia_[std::size_t(c)]; }

 private:
  friend class FingerMatcher;
  friend class CylinderBuilder;
  std::vector<PreparedMinutia> minutiae_;
  std::vector<std::uint64_t> cyl_bits_;
  std::vector<std::uint64_t> cyl_mask_;
  std::vector<std::uint16_t> cyl_minutia_;  // cylinder -> index in minutiae_
  std::vector<std::string> notes_;
};

struct MinutiaPair {
  int a = 0;  // index into FingerTemplate::minutiae of the first template
  int b = 0;  // index into FingerTemplate::minutiae of the second template
  float similarity = 0;  // relaxed local similarity of the pair, [0,1]
};

struct MatchResult {
  float score = 0;                 // global score in [0,1]
  std::vector<MinutiaPair> pairs;  // the pairs that made the score, best first
};

class FingerMatcher {
 public:
  explicit FingerMatcher(MatcherOptions options = {});
  const MatcherOptions& options() const { return opt_; }

  // Validates and cleans `t`, rescales it to 500 ppi and builds its cylinders. Rejects (with the
  // reason): zero frame or resolution, a minutia outside the frame, an angle outside [0, 2π) or
  // not finite, fewer than min_minutiae distinct minutiae, no valid cylinder. Near-duplicate
  // minutiae are merged and noted in cleaning_notes().
  Expected<PreparedTemplate> prepare(const FingerTemplate& t) const;

  // Global score in [0,1], never NaN. Symmetric up to floating-point noise.
  float score(const PreparedTemplate& a, const PreparedTemplate& b) const;
  // Score plus the paired minutiae (indices into the original templates' minutiae).
  MatchResult match(const PreparedTemplate& a, const PreparedTemplate& b) const;
  // 1:N: out[i] = score(probe, *gallery[i]); a null gallery entry scores 0. TBB-parallel.
  // Precondition: out.size() == gallery.size().
  void score_many(const PreparedTemplate& probe, std::span<const PreparedTemplate* const> gallery,
                  std::span<float> out) const;

 private:
  MatcherOptions opt_;
};

}  // namespace tunggal::matcher
