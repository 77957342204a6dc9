#pragma once
// Little-endian byte writer and a bounds-checked reader for the store's record codecs. The reader
// never reads past its input: every get returns false once the input is exhausted, and remembers
// the first field that failed so the decoder can say what is damaged.
#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace tunggal::engine::detail {

class ByteWriter {
 public:
  explicit ByteWriter(std::string& out) : out_(out) {}
  void u8(std::uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void u16(std::uint16_t v) { le(v, 2); }
  void u32(std::uint32_t v) { le(v, 4); }
  void u64(std::uint64_t v) { le(v, 8); }
  void i64(std::int64_t v) { le(static_cast<std::uint64_t>(v), 8); }
  void f32(float v) { u32(std::bit_cast<std::uint32_t>(v)); }  // bit copy: NaN payloads survive
  void str(std::string_view s) {
    u32(static_cast<std::uint32_t>(s.size()));
    out_.append(s);
  }
  void raw(std::string_view s) { out_.append(s); }

 private:
  void le(std::uint64_t v, int n) {
    char b[8];
    for (int i = 0; i < n; ++i) b[i] = static_cast<char>((v >> (8 * i)) & 0xff);
    out_.append(b, static_cast<std::size_t>(n));
  }
  std::string& out_;
};

class ByteReader {
 public:
  explicit ByteReader(std::string_view in) : in_(in) {}

  bool u8(const char* field, std::uint8_t& v) {
    std::uint64_t x;
    if (!le(field, 1, x)) return false;
    v = static_cast<std::uint8_t>(x);
    return true;
  }
  bool u16(const char* field, std::uint16_t& v) {
    std::uint64_t x;
    if (!le(field, 2, x)) return false;
    v = static_cast<std::uint16_t>(x);
    return true;
  }
  bool u32(const char* field, std::uint32_t& v) {
    std::uint64_t x;
    if (!le(field, 4, x)) return false;
    v = static_cast<std::uint32_t>(x);
    return true;
  }
  bool u64(const char* field, std::uint64_t& v) { return le(field, 8, v); }
  bool i64(const char* field, std::int64_t& v) {
    std::uint64_t x;
    if (!le(field, 8, x)) return false;
    v = static_cast<std::int64_t>(x);
    return true;
  }
  bool f32(const char* field, float& v) {
    std::uint32_t x;
    if (!u32(field, x)) return false;
    v = std::bit_cast<float>(x);
    return true;
  }
  bool str(const char* field, std::string& s) {
    std::uint32_t n;
    if (!u32(field, n)) return false;
    if (n > remaining()) return fail(field);
    s.assign(in_.data() + pos_, n);
    pos_ += n;
    return true;
  }
  // A view of the next n bytes (valid while the input is).
  bool raw(const char* field, std::size_t n, std::string_view& v) {
    if (n > remaining()) return fail(field);
    v = in_.substr(pos_, n);
    pos_ += n;
    return true;
  }
  bool fail(const char* field) {
    if (!failed_field_) failed_field_ = field;
    return false;
  }

  std::size_t remaining() const { return in_.size() - pos_; }
  std::size_t position() const { return pos_; }
  const char* failed_field() const { return failed_field_ ? failed_field_ : "?"; }

 private:
  bool le(const char* field, int n, std::uint64_t& v) {
    if (remaining() < static_cast<std::size_t>(n)) return fail(field);
    v = 0;
    for (int i = 0; i < n; ++i) {
      v |= static_cast<std::uint64_t>(static_cast<unsigned char>(in_[pos_ + static_cast<std::size_t>(i)])) << (8 * i);
    }
    pos_ += static_cast<std::size_t>(n);
    return true;
  }
  std::string_view in_;
  std::size_t pos_ = 0;
  const char* failed_field_ = nullptr;
};

}  // namespace tunggal::engine::detail
