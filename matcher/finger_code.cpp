#include "matcher/finger_code.h"

#include <string>

#include "matcher/detail/finger_code_model.h"

namespace tunggal::matcher {
namespace {

// Built on first use (a second or two of CPU: it prepares and analyses 800 synthetic captures); C++ makes
// the initialisation of a function-local static thread-safe. The first use is often a TBB task and
// the training runs parallel_for: the constructor isolates the training, so that the thread building
// the model never takes a sibling task that would wait here on its own initialisation.
const detail::FingerCodeModel& model() {
  static const detail::FingerCodeModel m{detail::FingerCodeOptions{}};
  return m;
}

}  // namespace

int finger_code_dimension() { return detail::FingerCodeOptions{}.dimension; }

// 1: pooled MCC cylinders (4x4 blocks x 6 sections) -> 256 random Fourier features, centred sum,
//    signed square root, L2.
// 2: pooled MCC cylinders (8x8 blocks x 6 sections, corners dropped) -> LDA to 64 -> VLAD with 4
//    words (256 floats), centred, signed square root, L2.
// 3: as 2, with the LDA trained on realistic synthetic captures (partial contact, plastic
//    distortion, 8-20% missed + faded outer ring, 5-15% spurious).
// 4: LDA to 256 dimensions and a single VLAD word (the whitened sum of the pooled cylinders),
//    border cylinders weighted by (valid fraction)².
// 5: as 4, LDA trained on 400 synthetic fingers instead of 160.
std::uint32_t finger_code_version() { return 5; }

Status make_finger_code(const PreparedTemplate& t, std::span<float> out) {
  if (out.size() != static_cast<std::size_t>(finger_code_dimension()))
    return invalid_argument("finger code buffer holds " + std::to_string(out.size()) + " floats; version " +
                            std::to_string(finger_code_version()) + " codes have " +
                            std::to_string(finger_code_dimension()));
  model().encode(t, out);
  return Status::ok();
}

std::vector<float> make_finger_code(const PreparedTemplate& t) {
  std::vector<float> out(static_cast<std::size_t>(finger_code_dimension()));
  model().encode(t, out);
  return out;
}

}  // namespace tunggal::matcher
