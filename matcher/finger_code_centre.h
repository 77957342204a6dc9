#pragma once
// The mean finger code of a gallery, taken off each probe code before it searches that gallery.
//
// Why: finger codes (matcher/finger_code.h) are L2-normalised after a signed square root, so the
// codes of one population share a common direction that neither the model's centring nor the
// normalisation removes, and the model is learnt on the built-in synthetic generator, not on the
// population it serves. A probe code's inner product with a gallery code then carries a term
// g·m that favours the gallery codes closest to that mean ("hubs") whatever the probe. Searching
// with (q - m) instead removes it: over 10,000 generated identities the four-finger code sum
// keeps the mate at rank 1 for 92.9% of probes instead of 86.2%, and within 1% of the gallery
// for 98.6% instead of 96.7% (docs/finger_codes.md, "Centring by the gallery's mean").
// The mean of the synthetic training captures does not do this (measured slightly worse): it
// has to be the served population's, which needs no labels, only the enrolled codes.
//
// The centre is learnt from the first kFreezeAt codes added and then frozen, so that the same
// probe gets the same candidates whatever is enrolled later, and it is saved with the gallery.
// Thread-safe: add() and centre() may run concurrently.
#include <cstdint>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace tunggal::matcher {

class FingerCodeCentre {
 public:
  // Codes averaged before the centre is frozen.
  static constexpr std::uint64_t kFreezeAt = 2000;
  // Below this many codes the probe searches uncentred: the mean of a handful of codes is mostly
  // the codes themselves (a mate's own code would pull its score down).
  static constexpr std::uint64_t kMinCodes = 100;

  explicit FingerCodeCentre(int dimension);

  int dimension() const { return dimension_; }
  // Adds one gallery code (dimension() floats) to the mean; ignored once frozen or if the size
  // is wrong or a value is not finite.
  void add(std::span<const float> code);
  bool frozen() const;
  std::uint64_t count() const;

  // out = (code - mean) / |code - mean|, or the code itself while fewer than kMinCodes were
  // added. out.size() must equal code.size() == dimension() (else out = code).
  void centre(std::span<const float> code, std::span<float> out) const;
  std::vector<float> centre(std::span<const float> code) const;

  // Storage form (little-endian: magic, dimension, count, frozen, dimension doubles of the sum).
  std::string serialise() const;
  // Replaces this centre's state; fails on a wrong dimension or a damaged value.
  Status restore(std::string_view bytes);

 private:
  int dimension_;
  mutable std::mutex mu_;
  std::vector<double> sum_;
  std::vector<float> mean_;  // valid when count_ >= kMinCodes
  std::uint64_t count_ = 0;
  bool frozen_ = false;
};

}  // namespace tunggal::matcher
