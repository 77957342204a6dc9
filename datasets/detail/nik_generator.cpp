#include "datasets/detail/nik_generator.h"

#include <array>
#include <cstdio>

#include "datasets/detail/random.h"

namespace tunggal::datasets::detail {
namespace {

constexpr std::uint64_t kMask40 = kNikIdentityLimit - 1;

// Province codes (Kemendagri), the same list core/nik.cpp accepts.
constexpr std::array<int, 38> kProvinces = {11, 12, 13, 14, 15, 16, 17, 18, 19, 21, 31, 32, 33,
                                            34, 35, 36, 51, 52, 53, 61, 62, 63, 64, 65, 71, 72,
                                            73, 74, 75, 76, 81, 82, 91, 92, 93, 94, 95, 96};
constexpr std::array<int, 12> kMonthDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

// A keyed permutation of [0, 2^40): each step (xor, odd multiply mod 2^40, xorshift) is a bijection.
std::uint64_t permute40(std::uint64_t x, std::uint64_t seed) {
  const std::uint64_t k1 = mix64(seed ^ 0x243f6a8885a308d3ULL), k2 = mix64(k1);
  x = (x ^ k1) & kMask40;
  x = (x * 0x9e3779b97f4a7c15ULL) & kMask40;  // odd multiplier
  x ^= x >> 21;
  x = (x * 0xd6e8feb86659fd93ULL) & kMask40;
  x ^= x >> 17;
  x = (x * 0xbf58476d1ce4e5b9ULL) & kMask40;
  x ^= x >> 19;
  return (x + k2) & kMask40;
}

}  // namespace

Nik synthetic_nik(std::uint64_t seed, std::uint64_t identity) {
  std::uint64_t x = permute40(identity & kMask40, seed);
  // Radices: 38 provinces x 20 regencies x 20 districts x 365 days x 2 sexes x 60 birth years,
  // = 6.7e8; the quotient (< 2^40 / 6.7e8 = 1651) is the serial.
  const int province = kProvinces[x % 38];
  x /= 38;
  const int regency = static_cast<int>(x % 20) + 1;
  x /= 20;
  const int district = static_cast<int>(x % 20) + 1;
  x /= 20;
  int day_of_year = static_cast<int>(x % 365);
  x /= 365;
  const bool female = x % 2;
  x /= 2;
  const int year = 1945 + static_cast<int>(x % 60);
  x /= 60;
  const int serial = static_cast<int>(x) + 1;
  int month = 0;
  while (day_of_year >= kMonthDays[month]) day_of_year -= kMonthDays[month++];
  const int day = day_of_year + 1 + (female ? 40 : 0);
  char buf[17];
  std::snprintf(buf, sizeof buf, "%02d%02d%02d%02d%02d%02d%04d", province, regency, district, day, month + 1,
                year % 100, serial);
  return *Nik::parse(buf);  // valid by construction (tests parse every field range)
}

}  // namespace tunggal::datasets::detail
