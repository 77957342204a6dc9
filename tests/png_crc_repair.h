#pragma once
// Recomputes the CRC of every whole chunk of a PNG. libpng refuses a chunk whose CRC does not match,
// so a mutated PNG without this is refused at the first CRC and never reaches the inflater, the
// row filters or the extractor; the mutation sweep and the image fuzzer repair CRCs to get past it.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace tunggal::testing {

inline std::uint32_t png_crc32(const std::uint8_t* p, std::size_t n) {
  static const std::array<std::uint32_t, 256> table = [] {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t i = 0; i < 256; ++i) {
      std::uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  std::uint32_t c = 0xffffffffu;
  for (std::size_t i = 0; i < n; ++i) c = table[(c ^ p[i]) & 0xff] ^ (c >> 8);
  return c ^ 0xffffffffu;
}

// No-op unless `b` starts with the PNG signature; stops at the first chunk that runs past the end.
inline void repair_png_crcs(std::vector<std::uint8_t>& b) {
  static constexpr std::uint8_t kSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  if (b.size() < 8 || !std::equal(kSignature, kSignature + 8, b.begin())) return;
  std::size_t at = 8;
  while (at + 12 <= b.size()) {
    const std::size_t len = std::size_t(b[at]) << 24 | std::size_t(b[at + 1]) << 16 | std::size_t(b[at + 2]) << 8 | b[at + 3];
    if (len > b.size() - at - 12) return;
    const std::uint32_t crc = png_crc32(b.data() + at + 4, 4 + len);
    std::uint8_t* out = b.data() + at + 8 + len;
    out[0] = std::uint8_t(crc >> 24), out[1] = std::uint8_t(crc >> 16), out[2] = std::uint8_t(crc >> 8), out[3] = std::uint8_t(crc);
    at += 12 + len;
  }
}

}  // namespace tunggal::testing
