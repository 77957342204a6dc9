#include "index/detail/vector_checks.h"

#include <cmath>
#include <string>
#include <unordered_set>

namespace tunggal::index::detail {

Status normalised_copy(std::span<const float> rows, int dim, const char* what, std::vector<float>& unit) {
  if (dim <= 0) return invalid_argument("index dimension must be positive");
  if (rows.size() % static_cast<std::size_t>(dim) != 0) {
    return invalid_argument(std::string(what) + " batch has " + std::to_string(rows.size()) +
                            " floats, not a multiple of the index dimension " + std::to_string(dim));
  }
  const std::size_t n = rows.size() / dim;
  unit.resize(rows.size());
  for (std::size_t r = 0; r < n; ++r) {
    const float* x = rows.data() + r * dim;
    double norm2 = 0;
    for (int j = 0; j < dim; ++j) {
      if (!std::isfinite(x[j])) {
        return invalid_argument(std::string(what) + " " + std::to_string(r) + " has a non-finite value (NaN or Inf) at component " +
                                std::to_string(j));
      }
      norm2 += static_cast<double>(x[j]) * x[j];
    }
    if (!(norm2 > 1e-30)) {
      return invalid_argument(std::string(what) + " " + std::to_string(r) + " is all zeros: it has no direction to compare");
    }
    const double inv = 1.0 / std::sqrt(norm2);
    if (!std::isfinite(inv * x[0])) {
      return invalid_argument(std::string(what) + " " + std::to_string(r) + " has a norm too large to normalise");
    }
    float* u = unit.data() + r * dim;
    for (int j = 0; j < dim; ++j) u[j] = static_cast<float>(x[j] * inv);
  }
  return Status::ok();
}

Status check_ids(std::span<const std::uint64_t> ids) {
  std::unordered_set<std::uint64_t> seen;
  seen.reserve(ids.size());
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] == 0) return invalid_argument("id at row " + std::to_string(i) + " is 0; subject ids start at 1");
    if (!seen.insert(ids[i]).second) {
      return invalid_argument("id " + std::to_string(ids[i]) + " appears twice in the batch (row " + std::to_string(i) + ")");
    }
  }
  return Status::ok();
}

}  // namespace tunggal::index::detail
