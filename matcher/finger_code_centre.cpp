#include "matcher/finger_code_centre.h"

#include <algorithm>
#include <cmath>

#include "matcher/detail/byte_pack.h"

namespace tunggal::matcher {
namespace {

constexpr std::uint32_t kMagic = 0x54434346;  // "FCCT"

using detail::get;
using detail::put;

}  // namespace

FingerCodeCentre::FingerCodeCentre(int dimension)
    : dimension_(std::max(dimension, 1)), sum_(static_cast<std::size_t>(dimension_), 0.0),
      mean_(static_cast<std::size_t>(dimension_), 0.0f) {}

void FingerCodeCentre::add(std::span<const float> code) {
  if (code.size() != sum_.size()) return;
  for (float v : code)
    if (!std::isfinite(v)) return;
  std::lock_guard lock(mu_);
  if (frozen_) return;
  for (std::size_t k = 0; k < sum_.size(); ++k) sum_[k] += code[k];
  ++count_;
  if (count_ >= kMinCodes)
    for (std::size_t k = 0; k < sum_.size(); ++k) mean_[k] = static_cast<float>(sum_[k] / double(count_));
  if (count_ >= kFreezeAt) frozen_ = true;
}

bool FingerCodeCentre::frozen() const {
  std::lock_guard lock(mu_);
  return frozen_;
}

std::uint64_t FingerCodeCentre::count() const {
  std::lock_guard lock(mu_);
  return count_;
}

void FingerCodeCentre::centre(std::span<const float> code, std::span<float> out) const {
  if (out.size() != code.size()) return;
  std::copy(code.begin(), code.end(), out.begin());
  if (code.size() != sum_.size()) return;
  std::lock_guard lock(mu_);
  if (count_ < kMinCodes) return;
  double norm = 0;
  for (std::size_t k = 0; k < out.size(); ++k) {
    out[k] = code[k] - mean_[k];
    norm += double(out[k]) * out[k];
  }
  if (!(norm > 1e-12) || !std::isfinite(norm)) {  // the probe is the mean itself: search as is
    std::copy(code.begin(), code.end(), out.begin());
    return;
  }
  const float inv = static_cast<float>(1.0 / std::sqrt(norm));
  for (float& v : out) v *= inv;
}

std::vector<float> FingerCodeCentre::centre(std::span<const float> code) const {
  std::vector<float> out(code.size());
  centre(code, out);
  return out;
}

std::string FingerCodeCentre::serialise() const {
  std::lock_guard lock(mu_);
  std::string s;
  put(s, kMagic);
  put(s, static_cast<std::uint32_t>(dimension_));
  put(s, count_);
  put(s, static_cast<std::uint8_t>(frozen_ ? 1 : 0));
  for (double v : sum_) put(s, v);
  return s;
}

Status FingerCodeCentre::restore(std::string_view bytes) {
  std::uint32_t magic = 0, dim = 0;
  std::uint64_t count = 0;
  std::uint8_t frozen = 0;
  if (!get(bytes, magic) || magic != kMagic || !get(bytes, dim) || !get(bytes, count) || !get(bytes, frozen))
    return corruption("finger-code centre: unreadable header");
  if (static_cast<int>(dim) != dimension_)
    return corruption("finger-code centre: stored for " + std::to_string(dim) + " dimensions, the codes have " +
                      std::to_string(dimension_));
  if (bytes.size() != sum_.size() * sizeof(double)) return corruption("finger-code centre: truncated");
  std::vector<double> sum(sum_.size());
  for (double& v : sum) {
    get(bytes, v);
    if (!std::isfinite(v)) return corruption("finger-code centre: non-finite value");
  }
  std::lock_guard lock(mu_);
  sum_ = std::move(sum);
  count_ = count;
  frozen_ = frozen != 0;
  for (std::size_t k = 0; k < sum_.size(); ++k)
    mean_[k] = count_ > 0 ? static_cast<float>(sum_[k] / double(count_)) : 0.0f;
  return Status::ok();
}

}  // namespace tunggal::matcher
