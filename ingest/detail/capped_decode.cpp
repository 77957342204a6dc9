#include "ingest/detail/capped_decode.h"

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include <algorithm>

namespace tunggal::ingest::detail {
namespace {

// 0 = no cap (every thread but one inside decode_with_allocation_cap).
thread_local std::size_t t_cap_bytes = 0;

// Forwards everything to the allocator it replaced; only refuses, on a capped thread, an allocation
// above the cap. The buffers it hands out belong to the wrapped allocator (UMatData::currAllocator),
// so they are released there whatever the cap is by then.
class CappedAllocator final : public cv::MatAllocator {
 public:
  explicit CappedAllocator(cv::MatAllocator* inner) : inner_(inner) {}

  cv::UMatData* allocate(int dims, const int* sizes, int type, void* data, std::size_t* step,
                         cv::AccessFlag flags, cv::UMatUsageFlags usage) const override {
    if (t_cap_bytes != 0 && data == nullptr) {
      std::size_t bytes = CV_ELEM_SIZE(type);
      for (int i = 0; i < dims; ++i) bytes *= std::size_t(std::max(sizes[i], 0));
      if (bytes > t_cap_bytes)
        CV_Error(cv::Error::StsNoMem, "pixel buffer of " + std::to_string(bytes) + " bytes is above the decoding cap of " +
                                          std::to_string(t_cap_bytes) + " bytes");
    }
    return inner_->allocate(dims, sizes, type, data, step, flags, usage);
  }
  bool allocate(cv::UMatData* data, cv::AccessFlag flags, cv::UMatUsageFlags usage) const override {
    return inner_->allocate(data, flags, usage);
  }
  void deallocate(cv::UMatData* data) const override { inner_->deallocate(data); }

 private:
  cv::MatAllocator* inner_;
};

// Installed during static initialisation (single-threaded, before any decode), because swapping the
// default allocator later would race with other threads' cv::Mat allocations.
const bool kCapInstalled = [] {
  static CappedAllocator capped(cv::Mat::getDefaultAllocator());
  cv::Mat::setDefaultAllocator(&capped);
  return true;
}();

struct CapGuard {
  explicit CapGuard(std::size_t bytes) { t_cap_bytes = bytes; }
  ~CapGuard() { t_cap_bytes = 0; }
  CapGuard(const CapGuard&) = delete;
  CapGuard& operator=(const CapGuard&) = delete;
};

}  // namespace

Expected<GreyImage> decode_with_allocation_cap(std::span<const std::uint8_t> bytes, std::size_t max_bytes,
                                               const std::string& format) {
  (void)kCapInstalled;
  cv::Mat m;
  try {
    const cv::Mat raw(1, int(bytes.size()), CV_8U, const_cast<std::uint8_t*>(bytes.data()));
    const CapGuard cap(max_bytes);
    m = cv::imdecode(raw, cv::IMREAD_GRAYSCALE);
  } catch (const cv::Exception& e) {
    return malformed(format + " image cannot be decoded: " + e.what());
  }
  if (m.empty()) return malformed(format + " image cannot be decoded (corrupt or truncated file)");
  GreyImage g;
  g.width = m.cols;
  g.height = m.rows;
  g.format = format;
  g.pixels.resize(std::size_t(m.cols) * m.rows);
  for (int y = 0; y < m.rows; ++y) std::copy_n(m.ptr<std::uint8_t>(y), m.cols, g.pixels.data() + std::size_t(y) * m.cols);
  return g;
}

}  // namespace tunggal::ingest::detail
