// Crafted headers on which a header reader and OpenCV's decoder could disagree about the image size
// (docs/extraction.md "Bad input"): each must be refused before decoding, so no decompression bomb
// gets past the size limit. Every file is built here, byte by byte.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "ingest/detail/capped_decode.h"
#include "ingest/fingerprint_image.h"
#include "tests/progressive_jpeg.h"

namespace tunggal::ingest {
namespace {

using Bytes = std::vector<std::uint8_t>;

struct TiffEntry {
  std::uint16_t tag, type;
  std::uint32_t count, value;
};

// Little-endian TIFF: header, one IFD at offset 8 with the entries as given (in that order, repeats
// allowed), then `data` at offset 512 (strip or tile bytes the entries point at).
Bytes tiff(const std::vector<TiffEntry>& entries, const Bytes& data = {}) {
  Bytes b = {'I', 'I', 42, 0, 8, 0, 0, 0};
  auto put16 = [&](std::uint32_t v) { b.push_back(std::uint8_t(v)), b.push_back(std::uint8_t(v >> 8)); };
  auto put32 = [&](std::uint32_t v) { put16(v & 0xffff), put16(v >> 16); };
  put16(std::uint32_t(entries.size()));
  for (const auto& e : entries) {
    put16(e.tag), put16(e.type), put32(e.count);
    if (e.type == 3) put16(e.value), put16(0);
    else put32(e.value);
  }
  put32(0);  // no next IFD
  b.resize(512, 0);
  b.insert(b.end(), data.begin(), data.end());
  return b;
}

// A deflate stream (zlib wrapper, stored blocks) holding `n` bytes of grey 0x80: what a real bomb
// would carry compressed; stored blocks are enough since the file is refused before it is read.
Bytes zlib_stored(std::size_t n) {
  Bytes z = {0x78, 0x01};
  std::uint32_t a = 1, b = 0;
  while (n > 0) {
    const std::size_t k = std::min<std::size_t>(n, 65535);
    n -= k;
    z.push_back(n == 0 ? 1 : 0);
    z.push_back(std::uint8_t(k)), z.push_back(std::uint8_t(k >> 8));
    z.push_back(std::uint8_t(~k)), z.push_back(std::uint8_t(~k >> 8));
    for (std::size_t i = 0; i < k; ++i) {
      z.push_back(0x80);
      a = (a + 0x80) % 65521, b = (b + a) % 65521;
    }
  }
  const std::uint32_t adler = (b << 16) | a;
  for (int s : {24, 16, 8, 0}) z.push_back(std::uint8_t(adler >> s));
  return z;
}

// 8-bit grey, deflate (Compression 8), one strip; `dims` are the ImageWidth/ImageLength entries in
// the order they appear in the IFD.
Bytes deflate_tiff(const std::vector<std::pair<std::uint16_t, std::uint32_t>>& dims) {
  const Bytes strip = zlib_stored(500 * 500);
  std::vector<TiffEntry> e;
  for (auto [tag, v] : dims) e.push_back({tag, 4, 1, v});
  for (TiffEntry x : {TiffEntry{258, 3, 1, 8}, {259, 3, 1, 8}, {262, 3, 1, 1}, {273, 4, 1, 512},
                      {277, 3, 1, 1}, {278, 4, 1, 500}, {279, 4, 1, std::uint32_t(strip.size())}})
    e.push_back(x);
  return tiff(e, strip);
}

TEST(ImageBadInput, WellFormedDeflateTiffDecodes) {
  // The same file without the repeat decodes: what the tests below refuse is the repeat alone.
  auto g = decode_fingerprint_image(deflate_tiff({{256, 500}, {257, 500}}));
  ASSERT_TRUE(g) << g.error().message();
  EXPECT_EQ(g->width, 500);
  EXPECT_EQ(g->height, 500);
  EXPECT_EQ(g->pixels[0], 0x80);
}

TEST(ImageBadInput, TiffWithRepeatedSizeTagsIsRefusedBeforeDecoding) {
  // libtiff keeps the first ImageWidth/ImageLength (30000 x 30000, ~900 MB for OpenCV to allocate);
  // a last-copy-wins reader saw 500 x 500 and let it through.
  const auto bomb = deflate_tiff({{256, 30000}, {257, 30000}, {256, 500}, {257, 500}});
  auto h = read_image_header(bomb);
  ASSERT_FALSE(h);
  EXPECT_EQ(h.error().code(), ErrorCode::kMalformedRecord);
  EXPECT_NE(h.error().message().find("256 (ImageWidth) appears more than once"), std::string::npos)
      << h.error().message();
  auto r = decode_fingerprint_image(bomb);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kMalformedRecord);
  // The other order, and each of the four tags the size check reads, alone.
  EXPECT_FALSE(decode_fingerprint_image(deflate_tiff({{256, 500}, {257, 500}, {256, 30000}, {257, 30000}})));
  for (std::uint16_t tag : {256, 257, 258, 277}) {
    std::vector<TiffEntry> e = {{256, 4, 1, 500}, {257, 4, 1, 500}, {258, 3, 1, 8}, {277, 3, 1, 1}};
    e.push_back({tag, tag == 256 || tag == 257 ? std::uint16_t(4) : std::uint16_t(3), 1, 1});
    auto d = read_image_header(tiff(e));
    ASSERT_FALSE(d) << "tag " << tag;
    EXPECT_NE(d.error().message().find(std::to_string(tag) + " ("), std::string::npos) << d.error().message();
  }
}

TEST(ImageBadInput, TiffSizeTagWithSeveralValuesIsRefused) {
  // With a count of 2 a LONG's value field is an offset, not the width.
  auto h = read_image_header(tiff({{256, 4, 2, 500}, {257, 4, 1, 500}, {258, 3, 1, 8}, {277, 3, 1, 1}}));
  ASSERT_FALSE(h);
  EXPECT_NE(h.error().message().find("has 2 values, expected 1"), std::string::npos) << h.error().message();
}

TEST(ImageBadInput, TiffTilesAboveTheSideLimitAreRefused) {
  // 500 x 500 pixels in one 8192 x 8192 tile: OpenCV allocates the RGBA tile, 256 MiB, whatever
  // the image size (measured: 313 MB peak RSS to decode such a file).
  const std::vector<TiffEntry> e = {{256, 4, 1, 500}, {257, 4, 1, 500}, {258, 3, 1, 8}, {259, 3, 1, 1},
                                    {262, 3, 1, 1},   {277, 3, 1, 1},   {322, 4, 1, 8192}, {323, 4, 1, 8192},
                                    {324, 4, 1, 512}, {325, 4, 1, 16}};
  auto h = read_image_header(tiff(e, Bytes(16, 0)));
  ASSERT_TRUE(h) << h.error().message();
  EXPECT_EQ(h->tile_width, 8192);
  auto r = decode_fingerprint_image(tiff(e, Bytes(16, 0)));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(r.error().message().find("tiles of 8192x8192"), std::string::npos) << r.error().message();
}

// SOF0 for a one-component 8-bit frame.
Bytes sof(std::uint16_t w, std::uint16_t h) {
  return {0xFF, 0xC0, 0, 11, 8, std::uint8_t(h >> 8), std::uint8_t(h), std::uint8_t(w >> 8), std::uint8_t(w), 1, 1, 0x11, 0};
}

TEST(ImageBadInput, JpegMarkerWithoutLengthDoesNotHideTheFrameHeader) {
  // FFD8, then TEM (FF01, no length field), then a 30000 x 30000 frame, which is what libjpeg
  // reads. Taking TEM's next two bytes (FF C0) as a length skips 65474 bytes, to a decoy frame of
  // 500 x 500 planted there.
  Bytes b = {0xFF, 0xD8, 0xFF, 0x01};
  const Bytes real = sof(30000, 30000);
  b.insert(b.end(), real.begin(), real.end());
  b.resize(4 + 0xFFC0, 0);
  const Bytes decoy = sof(500, 500);
  b.insert(b.end(), decoy.begin(), decoy.end());
  auto h = read_image_header(b);
  ASSERT_TRUE(h) << h.error().message();
  EXPECT_EQ(h->width, 30000);
  auto r = decode_fingerprint_image(b);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("refused before decoding"), std::string::npos) << r.error().message();
  // A second SOI is refused (libjpeg refuses it too).
  EXPECT_FALSE(read_image_header(Bytes{0xFF, 0xD8, 0xFF, 0xD8, 0xFF, 0xC0, 0, 11, 8, 0, 100, 0, 100, 1, 1, 0x11, 0}));
}

TEST(ImageBadInput, JpegWithTooManyScansIsRefusedBeforeDecoding) {
  // Each progressive scan makes libjpeg walk every block again: 1,000 scans at 4096 x 4096 are a
  // 72 KB file and 12 s of CPU (docs/extraction.md). Up to 100 scans decode; more are refused by
  // the header walk, which the decoder never sees.
  using tunggal::testing::progressive_jpeg;
  auto ok = decode_fingerprint_image(progressive_jpeg(256, 256, 99));  // 100 scans with the DC scan
  ASSERT_TRUE(ok) << ok.error().message();
  EXPECT_EQ(ok->width, 256);
  EXPECT_EQ(ok->pixels[0], 128);
  const Bytes bomb = progressive_jpeg(4096, 4096, 100);
  auto h = read_image_header(bomb);
  ASSERT_FALSE(h);
  EXPECT_EQ(h.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(h.error().message().find("more than 100 scans"), std::string::npos) << h.error().message();
  auto r = decode_fingerprint_image(bomb);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("refused before decoding"), std::string::npos) << r.error().message();
}

TEST(ImageBadInput, JpegScanCountSeesThroughEntropyDataAndSegments) {
  using tunggal::testing::progressive_jpeg;
  // What looks like SOS inside a comment is not a scan (libjpeg skips the comment by its length)...
  Bytes b = progressive_jpeg(64, 64, 2);
  Bytes com = {0xFF, 0xFE, 0x03, 0x22};  // COM of 0x322 - 2 bytes: 200 fake SOS markers and padding
  for (int i = 0; i < 200; ++i) com.insert(com.end(), {0xFF, 0xDA, 0x00});
  com.resize(2 + 0x322, 0);
  b.insert(b.begin() + 2, com.begin(), com.end());
  auto h = read_image_header(b);
  ASSERT_TRUE(h) << h.error().message();
  auto g = decode_fingerprint_image(b);
  ASSERT_TRUE(g) << g.error().message();
  // ...while entropy data holding stuffed bytes (FF 00) and restart markers does not hide the scans
  // after it: every scan's data below is FF 00 FF D0 then bytes, and 101 scans are counted.
  Bytes many = progressive_jpeg(64, 64, 0);
  many.resize(many.size() - 2);  // drop EOI
  for (int i = 0; i < 101; ++i)
    many.insert(many.end(), {0xFF, 0xDA, 0, 8, 1, 1, 0x01, 1, 63, 0x10, 0xFF, 0x00, 0xFF, 0xD0, 0x12, 0x34});
  many.insert(many.end(), {0xFF, 0xD9});
  auto refused = read_image_header(many);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message().find("more than 100 scans"), std::string::npos) << refused.error().message();
  // The size is still read from the frame header, which the walk goes past.
  auto small = read_image_header(progressive_jpeg(640, 480, 5));
  ASSERT_TRUE(small) << small.error().message();
  EXPECT_EQ(small->width, 640);
  EXPECT_EQ(small->height, 480);
}

TEST(ImageBadInput, PgmCommentEndedByCarriageReturn) {
  // OpenCV ends a PGM comment at CR or LF: it reads 30000 x 30000 here. Ending it at LF only
  // read "100 100" from the line after.
  const std::string head = "P5 #\r30000 30000 255\n# \n100 100 255\n";
  Bytes b(head.begin(), head.end());
  b.resize(b.size() + 100 * 100, 0x80);
  auto h = read_image_header(b);
  ASSERT_TRUE(h) << h.error().message();
  EXPECT_EQ(h->width, 30000);
  EXPECT_EQ(h->height, 30000);
  auto r = decode_fingerprint_image(b);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
}

TEST(ImageBadInput, DecoderAllocationsAreCappedWhileDecoding) {
  // The second guard, on its own: the decoder may not allocate above the cap even when the header
  // check has passed.
  const std::string head = "P5\n200 200\n255\n";
  Bytes pgm(head.begin(), head.end());
  pgm.resize(pgm.size() + 200 * 200, 0x80);
  auto refused = detail::decode_with_allocation_cap(pgm, 200 * 200 - 1, "PGM");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::kMalformedRecord);
  EXPECT_NE(refused.error().message().find("above the decoding cap of 39999 bytes"), std::string::npos)
      << refused.error().message();
  auto fits = detail::decode_with_allocation_cap(pgm, 200 * 200, "PGM");
  ASSERT_TRUE(fits) << fits.error().message();
  EXPECT_EQ(fits->width, 200);
  // Through the public call the cap is 4096^2 x 4 bytes: the same file decodes.
  auto g = decode_fingerprint_image(pgm);
  ASSERT_TRUE(g) << g.error().message();
  EXPECT_EQ(g->pixels.size(), 200u * 200u);
}

}  // namespace
}  // namespace tunggal::ingest
