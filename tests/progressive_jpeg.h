#pragma once
// A progressive greyscale JPEG built byte by byte, with as many scans as asked: the file behind the
// scan-count limit (docs/extraction.md "Bad input"; tests/image_bad_input_test.cpp and
// bench/jpeg_scans_bench.cpp).
//
// The image is flat grey (every coefficient 0, so it decodes to 128 everywhere). One DC-first scan
// codes every block (one bit each); each further scan is an AC refinement (ITU T.81 G.1.2.3,
// Ss=1 Se=63 Ah=1 Al=0) that covers every block with end-of-band runs of up to 32767 blocks: a
// handful of bytes per scan whatever the image size, while libjpeg's refinement decoder still visits
// the 63 coefficients of every block. That is the cost a crafted file multiplies: scans x blocks.
// libjpeg only warns (JWRN_BOGUS_PROGRESSION) that the refinements repeat; it decodes them all.
#include <cstdint>
#include <vector>

namespace tunggal::testing {

class JpegBits {
 public:
  explicit JpegBits(std::vector<std::uint8_t>& out) : out_(out) {}
  void put(std::uint32_t value, int bits) {
    for (int i = bits - 1; i >= 0; --i) {
      acc_ = std::uint8_t((acc_ << 1) | ((value >> i) & 1));
      if (++n_ == 8) emit();
    }
  }
  // Pads the last byte with 1-bits, as T.81 F.1.2.3 asks.
  void flush() {
    while (n_ != 0) put(1, 1);
  }

 private:
  void emit() {
    out_.push_back(acc_);
    if (acc_ == 0xFF) out_.push_back(0x00);  // byte stuffing: 0xFF in entropy data is followed by 0
    acc_ = 0, n_ = 0;
  }
  std::vector<std::uint8_t>& out_;
  std::uint8_t acc_ = 0;
  int n_ = 0;
};

// width x height 8-bit grey, 1 + refinement_scans scans.
inline std::vector<std::uint8_t> progressive_jpeg(int width, int height, int refinement_scans) {
  std::vector<std::uint8_t> b = {0xFF, 0xD8};
  auto seg = [&](std::uint8_t marker, const std::vector<std::uint8_t>& body) {
    b.push_back(0xFF), b.push_back(marker);
    const std::size_t len = body.size() + 2;
    b.push_back(std::uint8_t(len >> 8)), b.push_back(std::uint8_t(len));
    b.insert(b.end(), body.begin(), body.end());
  };
  std::vector<std::uint8_t> dqt = {0x00};
  dqt.resize(65, 1);
  seg(0xDB, dqt);
  // SOF2: progressive, 8 bits, one component (id 1, 1x1 sampling, quantisation table 0).
  seg(0xC2, {8, std::uint8_t(height >> 8), std::uint8_t(height), std::uint8_t(width >> 8), std::uint8_t(width), 1, 1,
             0x11, 0});
  // DC table 0: one code, "0", for category 0 (a zero difference).
  std::vector<std::uint8_t> dc = {0x00, 1};
  dc.resize(17, 0);
  dc.push_back(0x00);
  seg(0xC4, dc);
  // AC table 1: the end-of-band runs EOB0..EOB14 (symbols r<<4), 4-bit codes 0000..1110.
  std::vector<std::uint8_t> ac = {0x11, 0, 0, 0, 15};
  ac.resize(17, 0);
  for (int r = 0; r < 15; ++r) ac.push_back(std::uint8_t(r << 4));
  seg(0xC4, ac);

  const std::size_t blocks = std::size_t((width + 7) / 8) * std::size_t((height + 7) / 8);
  seg(0xDA, {1, 1, 0x00, 0, 0, 0x00});  // DC first scan, Al = 0
  {
    JpegBits bits(b);
    for (std::size_t i = 0; i < blocks; ++i) bits.put(0, 1);
    bits.flush();
  }
  for (int s = 0; s < refinement_scans; ++s) {
    seg(0xDA, {1, 1, 0x01, 1, 63, 0x10});  // AC refinement of every block, Ah = 1, Al = 0
    JpegBits bits(b);
    for (std::size_t left = blocks; left > 0;) {
      const std::size_t run = left < 32767 ? left : 32767;
      int r = 0;
      while ((std::size_t(2) << r) <= run) ++r;  // EOBr covers 2^r .. 2^(r+1)-1 blocks
      bits.put(std::uint32_t(r), 4);
      bits.put(std::uint32_t(run - (std::size_t(1) << r)), r);
      left -= run;
    }
    bits.flush();
  }
  b.push_back(0xFF), b.push_back(0xD9);
  return b;
}

}  // namespace tunggal::testing
