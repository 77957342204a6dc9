#pragma once
// Small helpers shared by population.cpp and probe_set.cpp.
#include <string>

#include "core/nik.h"

namespace tunggal::datasets::detail {

// The recording site of a capture: in the NIK's regency and district, station 1..4.
std::string site_for(const Nik& nik, int station);

}  // namespace tunggal::datasets::detail
