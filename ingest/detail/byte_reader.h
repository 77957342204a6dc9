#pragma once
// Bounds-checked big-endian cursor over an untrusted byte record. Every read names the field it
// reads, so that a short record fails with "byte 27 (view 1 minutiae count): record ends after 26
// bytes" rather than with an out-of-bounds read.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "core/status.h"

namespace tunggal::detail {

class ByteReader {
 public:
  // `what` prefixes every message, e.g. "ISO/IEC 19794-2:2005 record".
  ByteReader(std::span<const std::uint8_t> bytes, std::string what) : bytes_(bytes), what_(std::move(what)) {}

  std::size_t offset() const { return offset_; }
  std::size_t remaining() const { return bytes_.size() - offset_; }
  std::size_t size() const { return bytes_.size(); }

  Status u8(std::string_view field, std::uint8_t& out) {
    if (Status s = need(field, 1); !s) return s;
    out = bytes_[offset_++];
    return {};
  }
  Status u16(std::string_view field, std::uint16_t& out) {
    if (Status s = need(field, 2); !s) return s;
    out = static_cast<std::uint16_t>((bytes_[offset_] << 8) | bytes_[offset_ + 1]);
    offset_ += 2;
    return {};
  }
  Status u32(std::string_view field, std::uint32_t& out) {
    if (Status s = need(field, 4); !s) return s;
    out = (std::uint32_t{bytes_[offset_]} << 24) | (std::uint32_t{bytes_[offset_ + 1]} << 16) |
          (std::uint32_t{bytes_[offset_ + 2]} << 8) | std::uint32_t{bytes_[offset_ + 3]};
    offset_ += 4;
    return {};
  }
  Status take(std::string_view field, std::size_t n, std::span<const std::uint8_t>& out) {
    if (Status s = need(field, n); !s) return s;
    out = bytes_.subspan(offset_, n);
    offset_ += n;
    return {};
  }

  // A kMalformedRecord status anchored at `at`: "<what>, byte <at> (<field>): <message>".
  Status error(std::size_t at, std::string_view field, std::string_view message) const {
    std::string m = what_;
    m += ", byte ";
    m += std::to_string(at);
    m += " (";
    m += field;
    m += "): ";
    m += message;
    return malformed(std::move(m));
  }

 private:
  Status need(std::string_view field, std::size_t n) const {
    if (remaining() >= n) return {};
    return error(offset_, field,
                 "truncated: the field needs " + std::to_string(n) + " byte(s) but the record ends after " +
                     std::to_string(bytes_.size()) + " bytes");
  }

  std::span<const std::uint8_t> bytes_;
  std::string what_;
  std::size_t offset_ = 0;
};

#define TUNGGAL_RETURN_IF_ERROR(expr)          \
  do {                                         \
    ::tunggal::Status tunggal_status_ = (expr); \
    if (!tunggal_status_) return tunggal_status_; \
  } while (0)

}  // namespace tunggal::detail
