#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "datasets/detail/nik_generator.h"
#include "datasets/detail/population_detail.h"
#include "datasets/detail/random.h"
#include "datasets/population.h"

namespace tunggal::datasets {
namespace {

using detail::key;
using detail::Rng;
using detail::Stream;

// Fraudulent NIKs are those of "identities" in [2^39, 2^40): never a real member of the
// population (galleries and fresh probes stay far below 2^39), so a mated probe's NIK differs
// from its mate's and from every other gallery NIK.
constexpr std::uint64_t kFraudNikBase = std::uint64_t{1} << 39;

// An affine bijection x -> (mul·x + add) mod n: multiplier coprime with n.
void affine_permutation(Rng& rng, std::uint64_t n, std::uint64_t& mul, std::uint64_t& add) {
  if (n <= 1) {
    mul = 1;
    add = 0;
    return;
  }
  mul = 1 + rng.below(n - 1);
  while (std::gcd(mul, n) != 1) mul = mul + 1 == n ? 1 : mul + 1;
  add = rng.below(n);
}

std::uint64_t apply(std::uint64_t x, std::uint64_t mul, std::uint64_t add, std::uint64_t n) {
  return static_cast<std::uint64_t>((static_cast<detail::u128>(mul) * x + add) % n);
}

}  // namespace

ProbeSet::ProbeSet(const Population& population, std::uint64_t gallery_size, std::uint64_t count,
                   double mated_rate, std::uint64_t seed, double twin_share)
    : population_(population), gallery_size_(gallery_size), count_(count), seed_(seed) {
  const double rate = std::isfinite(mated_rate) ? std::clamp(mated_rate, 0.0, 1.0) : 0.0;
  mated_ = gallery_size == 0 ? 0 : static_cast<std::uint64_t>(std::llround(static_cast<double>(count) * rate));
  mated_ = std::min(mated_, count);
  Rng rng(key(population.config().seed, Stream::kProbeSet, seed));
  affine_permutation(rng, count_, order_mul_, order_add_);
  affine_permutation(rng, gallery_size_, mate_mul_, mate_add_);

  const double share = std::isfinite(twin_share) ? std::clamp(twin_share, 0.0, 1.0) : 0.0;
  const std::uint64_t wanted = static_cast<std::uint64_t>(std::llround(static_cast<double>(count_ - mated_) * share));
  if (wanted > 0) {
    // Every twin pair wholly inside the gallery range, then `wanted` of them spread evenly; the
    // pair's odd member is withheld (its even twin stays enrolled).
    std::vector<std::uint64_t> pairs;
    for (std::uint64_t m = 0; 2 * m + 1 < gallery_size_; ++m)
      if (population.traits(2 * m).twin) pairs.push_back(m);
    const std::uint64_t take = std::min<std::uint64_t>(wanted, pairs.size());
    for (std::uint64_t k = 0; k < take; ++k) withheld_.push_back(2 * pairs[k * pairs.size() / take] + 1);
  }
}

bool ProbeSet::is_withheld(std::uint64_t identity) const {
  return std::binary_search(withheld_.begin(), withheld_.end(), identity);
}

std::uint64_t ProbeSet::enrolled_rank(std::uint64_t identity) const {
  return identity - static_cast<std::uint64_t>(std::lower_bound(withheld_.begin(), withheld_.end(), identity) -
                                               withheld_.begin());
}

ProbeSet::Slot ProbeSet::slot(std::uint64_t j) const {
  // Rank of probe j in a shuffled order: the first mated_ ranks are the mated probes, so the mated
  // ones are spread over the set without clustering, and their number is exact.
  const std::uint64_t r = apply(j, order_mul_, order_add_, count_);
  if (r < mated_) {
    // Distinct mates while mated_ <= gallery_size; beyond that, later captures of the same mates.
    // A withheld twin is not enrolled: its enrolled twin re-applies instead.
    std::uint64_t mate = apply(r % gallery_size_, mate_mul_, mate_add_, gallery_size_);
    if (is_withheld(mate)) mate ^= 1;
    return {true, mate, 1 + static_cast<int>(r / gallery_size_)};
  }
  const std::uint64_t fresh = r - mated_;
  if (fresh < withheld_.size()) return {false, withheld_[fresh], 0};
  return {false, gallery_size_ + (fresh - withheld_.size()), 0};
}

Enrollment ProbeSet::probe(std::uint64_t j) const {
  const Slot s = slot(j);
  Enrollment e = population_.capture(s.identity, s.capture);
  e.id.value = fmt::format("probe-{}-{}", seed_, j);
  if (s.mated) {
    // Re-enrolment under another person's (or an invented) NIK, at that NIK's recording site.
    const std::uint64_t fraud = kFraudNikBase + (detail::mix64(seed_) % (std::uint64_t{1} << 38)) + j;
    e.nik = detail::synthetic_nik(population_.config().seed, fraud);
    e.site = detail::site_for(e.nik, 1 + static_cast<int>(j % 4));
  }
  return e;
}

ProbeTruth ProbeSet::truth(std::uint64_t j) const {
  const Slot s = slot(j);
  ProbeTruth t;
  t.probe.value = fmt::format("probe-{}-{}", seed_, j);
  if (s.mated) t.mate = s.identity;
  t.identity = s.identity;
  t.capture = s.capture;
  t.twin_of_enrolled = !s.mated && s.identity < gallery_size_;
  return t;
}

}  // namespace tunggal::datasets
