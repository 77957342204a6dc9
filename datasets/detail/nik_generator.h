#pragma once
// NIKs for synthetic identities: valid (core/nik.h accepts them) and *unique* per seed.
//
// Uniqueness matters: a duplicate NIK between two different synthetic people would look like a
// data-entry fraud the engine is not meant to judge. Instead of drawing NIKs at random (1M draws
// would collide), identity i is mapped through a keyed bijection of [0, 2^40) and the result is
// decoded as mixed-radix digits (province, regency, district, birth date, sex, serial) whose
// ranges multiply to more than 2^40: distinct identities below 2^40 get distinct NIKs.
#include <cstdint>

#include "core/nik.h"

namespace tunggal::datasets::detail {

inline constexpr std::uint64_t kNikIdentityLimit = std::uint64_t{1} << 40;

// Precondition: identity < kNikIdentityLimit.
Nik synthetic_nik(std::uint64_t seed, std::uint64_t identity);

}  // namespace tunggal::datasets::detail
