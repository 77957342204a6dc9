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
                   double mated_rate, std::uint64_t seed)
    : population_(population), gallery_size_(gallery_size), count_(count), seed_(seed) {
  const double rate = std::isfinite(mated_rate) ? std::clamp(mated_rate, 0.0, 1.0) : 0.0;
  mated_ = gallery_size == 0 ? 0 : static_cast<std::uint64_t>(std::llround(static_cast<double>(count) * rate));
  mated_ = std::min(mated_, count);
  Rng rng(key(population.config().seed, Stream::kProbeSet, seed));
  affine_permutation(rng, count_, order_mul_, order_add_);
  affine_permutation(rng, gallery_size_, mate_mul_, mate_add_);
}

ProbeSet::Slot ProbeSet::slot(std::uint64_t j) const {
  // Rank of probe j in a shuffled order: the first mated_ ranks are the mated probes, so the mated
  // ones are spread over the set without clustering, and their number is exact.
  const std::uint64_t r = apply(j, order_mul_, order_add_, count_);
  if (r < mated_) {
    // Distinct mates while mated_ <= gallery_size; beyond that, later captures of the same mates.
    return {true, apply(r % gallery_size_, mate_mul_, mate_add_, gallery_size_),
            1 + static_cast<int>(r / gallery_size_)};
  }
  return {false, gallery_size_ + (r - mated_), 0};
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
  return t;
}

}  // namespace tunggal::datasets
