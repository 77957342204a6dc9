#pragma once
// Framing of the station protocol: each message is a 4-byte big-endian length N followed by N
// bytes of protobuf (server/proto/tunggal.proto). Pure functions over bytes, no sockets, so the
// decoder is tested and fuzzed on its own.
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/status.h"

namespace tunggal::server {

inline constexpr std::size_t kFrameHeaderBytes = 4;
// Large enough for a batch of ~1000 ten-finger enrollments with faces; small enough that a
// hostile length prefix cannot make the server reserve gigabytes.
inline constexpr std::uint32_t kDefaultMaxFrameBytes = 16u << 20;

std::array<unsigned char, kFrameHeaderBytes> encode_frame_header(std::uint32_t length);
// The payload length of a header, checked: kMalformedRecord for 0 or more than max_frame_bytes.
Expected<std::uint32_t> decode_frame_header(std::span<const unsigned char, kFrameHeaderBytes> header,
                                            std::uint32_t max_frame_bytes);
// header + payload, appended to out.
void append_frame(std::string& out, std::string_view payload);

// Splits a byte stream into frame payloads, however the bytes are chunked. After an error the
// stream is unusable (the peer and we no longer agree on where frames start) and every later
// call returns the same error.
class FrameDecoder {
 public:
  explicit FrameDecoder(std::uint32_t max_frame_bytes = kDefaultMaxFrameBytes) : max_(max_frame_bytes) {}
  Status feed(std::string_view bytes);
  // The next complete payload, if one is buffered.
  std::optional<std::string> next();
  // Bytes of an incomplete frame held (0 between frames): a connection closed with this > 0 was
  // truncated mid-frame.
  std::size_t buffered() const { return buf_.size() - pos_; }
  const Status& status() const { return status_; }

 private:
  std::uint32_t max_;
  std::string buf_;
  std::size_t pos_ = 0;
  Status status_;
};

}  // namespace tunggal::server
