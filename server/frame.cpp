#include "server/frame.h"

#include <fmt/format.h>

namespace tunggal::server {

std::array<unsigned char, kFrameHeaderBytes> encode_frame_header(std::uint32_t n) {
  return {static_cast<unsigned char>(n >> 24), static_cast<unsigned char>(n >> 16),
          static_cast<unsigned char>(n >> 8), static_cast<unsigned char>(n)};
}

Expected<std::uint32_t> decode_frame_header(std::span<const unsigned char, kFrameHeaderBytes> h,
                                            std::uint32_t max_frame_bytes) {
  const std::uint32_t n = (std::uint32_t{h[0]} << 24) | (std::uint32_t{h[1]} << 16) |
                          (std::uint32_t{h[2]} << 8) | std::uint32_t{h[3]};
  if (n == 0) return malformed("frame length 0: every frame carries one protobuf message");
  if (n > max_frame_bytes)
    return malformed(fmt::format("frame length {} exceeds the maximum of {} bytes", n, max_frame_bytes));
  return n;
}

void append_frame(std::string& out, std::string_view payload) {
  const auto h = encode_frame_header(static_cast<std::uint32_t>(payload.size()));
  out.append(reinterpret_cast<const char*>(h.data()), h.size());
  out.append(payload);
}

Status FrameDecoder::feed(std::string_view bytes) {
  if (!status_) return status_;
  // Compact once the consumed prefix dominates, so a long-lived stream does not grow forever.
  if (pos_ > 0 && pos_ * 2 >= buf_.size()) {
    buf_.erase(0, pos_);
    pos_ = 0;
  }
  buf_.append(bytes);
  if (buf_.size() - pos_ >= kFrameHeaderBytes) {
    std::span<const unsigned char, kFrameHeaderBytes> h(reinterpret_cast<const unsigned char*>(buf_.data() + pos_),
                                                        kFrameHeaderBytes);
    if (auto n = decode_frame_header(h, max_); !n) status_ = n.error();
  }
  return status_;
}

std::optional<std::string> FrameDecoder::next() {
  if (!status_ || buf_.size() - pos_ < kFrameHeaderBytes) return std::nullopt;
  std::span<const unsigned char, kFrameHeaderBytes> h(reinterpret_cast<const unsigned char*>(buf_.data() + pos_),
                                                      kFrameHeaderBytes);
  auto n = decode_frame_header(h, max_);
  if (!n) {
    status_ = n.error();
    return std::nullopt;
  }
  if (buf_.size() - pos_ - kFrameHeaderBytes < *n) return std::nullopt;
  std::string payload = buf_.substr(pos_ + kFrameHeaderBytes, *n);
  pos_ += kFrameHeaderBytes + *n;
  // Check the following header early, so an oversize prefix is reported without waiting for data.
  if (buf_.size() - pos_ >= kFrameHeaderBytes) {
    std::span<const unsigned char, kFrameHeaderBytes> h2(reinterpret_cast<const unsigned char*>(buf_.data() + pos_),
                                                         kFrameHeaderBytes);
    if (auto m = decode_frame_header(h2, max_); !m) status_ = m.error();
  }
  return payload;
}

}  // namespace tunggal::server
