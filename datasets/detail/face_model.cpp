#include "datasets/detail/face_model.h"

#include <cmath>

#include "datasets/detail/random.h"

namespace tunggal::datasets::detail {

void face_capture(std::uint64_t seed, std::uint64_t identity, int capture, int dimension, const FaceTwin& twin,
                  bool poor_photo, std::vector<float>& out) {
  out.resize(static_cast<std::size_t>(dimension));
  Rng own(key(seed, Stream::kFaceIdentity, identity));
  Rng noise(key(seed, Stream::kFaceNoise, identity, static_cast<std::uint64_t>(capture)));
  const float sigma = std::sqrt(poor_photo ? noise.uniform(1.5f, 3.0f) : noise.uniform(0.25f, 0.95f));
  if (twin.is_twin) {
    Rng base(key(seed, Stream::kFaceTwinBase, twin.pair));
    const float wb = std::sqrt(twin.rho), wo = std::sqrt(1.0f - twin.rho);
    for (int d = 0; d < dimension; ++d) out[d] = wb * base.normal() + wo * own.normal() + sigma * noise.normal();
  } else {
    for (int d = 0; d < dimension; ++d) out[d] = own.normal() + sigma * noise.normal();
  }
}

}  // namespace tunggal::datasets::detail
