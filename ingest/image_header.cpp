// Header readers for the image formats stations deliver. Our own code, not OpenCV's: OpenCV
// decodes first and checks afterwards (its only guard is a 2^30-pixel cap), which is too late for a
// crafted header declaring 60000 x 60000 pixels.
#include <bitset>
#include <cctype>
#include <climits>
#include <cstdint>
#include <optional>
#include <string>

#include "ingest/fingerprint_image.h"

namespace tunggal::ingest {
namespace {

using Bytes = std::span<const std::uint8_t>;

Status truncated(const std::string& fmt, std::size_t need, std::size_t have) {
  return malformed(fmt + " header truncated: needs " + std::to_string(need) + " bytes, file has " +
                   std::to_string(have));
}

std::uint32_t be32(Bytes b, std::size_t o) {
  return (std::uint32_t(b[o]) << 24) | (std::uint32_t(b[o + 1]) << 16) | (std::uint32_t(b[o + 2]) << 8) | b[o + 3];
}
std::uint32_t be16(Bytes b, std::size_t o) { return (std::uint32_t(b[o]) << 8) | b[o + 1]; }
std::uint32_t le16(Bytes b, std::size_t o) { return b[o] | (std::uint32_t(b[o + 1]) << 8); }
std::uint32_t le32(Bytes b, std::size_t o) { return le16(b, o) | (le16(b, o + 2) << 16); }

Expected<ImageHeader> png_header(Bytes b) {
  // 8-byte signature, then the IHDR chunk: length, "IHDR", width, height, depth, colour type.
  if (b.size() < 26) return truncated("PNG", 26, b.size());
  if (b[12] != 'I' || b[13] != 'H' || b[14] != 'D' || b[15] != 'R')
    return malformed("PNG: first chunk is not IHDR");
  ImageHeader h{"PNG", 0, 0, b[24], 0, 0, 0};
  const std::uint32_t w = be32(b, 16), hh = be32(b, 20);
  if (w > 0x7fffffff || hh > 0x7fffffff) return malformed("PNG: image size out of range");
  h.width = int(w), h.height = int(hh);
  switch (b[25]) {
    case 0: h.samples_per_pixel = 1; break;
    case 2: h.samples_per_pixel = 3; break;
    case 3: h.samples_per_pixel = 3, h.bits_per_sample = 8; break;  // palette entries are 8-bit RGB
    case 4: h.samples_per_pixel = 2; break;
    case 6: h.samples_per_pixel = 4; break;
    default: return malformed("PNG: unknown colour type " + std::to_string(b[25]));
  }
  return h;
}

Expected<ImageHeader> bmp_header(Bytes b) {
  if (b.size() < 30) return truncated("BMP", 30, b.size());
  const std::uint32_t dib = le32(b, 14);
  if (dib < 40) return malformed("BMP: unsupported DIB header of " + std::to_string(dib) + " bytes (OS/2 bitmap?)");
  const auto w = std::int32_t(le32(b, 18)), hh = std::int32_t(le32(b, 22));
  const int bpp = int(le16(b, 28));
  ImageHeader h{"BMP", w, hh < 0 ? (hh == INT32_MIN ? 0 : -hh) : hh, 8, 0, 0, 0};
  if (bpp == 8) h.samples_per_pixel = 1;
  else if (bpp == 24) h.samples_per_pixel = 3;
  else if (bpp == 32) h.samples_per_pixel = 4;
  else h.bits_per_sample = bpp, h.samples_per_pixel = 1;
  return h;
}

std::string tiff_tag_name(std::uint32_t tag) {
  switch (tag) {
    case 256: return "256 (ImageWidth)";
    case 257: return "257 (ImageLength)";
    case 258: return "258 (BitsPerSample)";
    case 277: return "277 (SamplesPerPixel)";
    case 322: return "322 (TileWidth)";
    case 323: return "323 (TileLength)";
    default: return std::to_string(tag);
  }
}

Expected<ImageHeader> tiff_header(Bytes b) {
  if (b.size() < 8) return truncated("TIFF", 8, b.size());
  const bool le = b[0] == 'I';
  auto u16 = [&](std::size_t o) { return le ? le16(b, o) : be16(b, o); };
  auto u32 = [&](std::size_t o) { return le ? le32(b, o) : be32(b, o); };
  if (u16(2) != 42) return malformed("TIFF: magic " + std::to_string(u16(2)) + ", expected 42 (BigTIFF is not supported)");
  const std::size_t ifd = u32(4);
  if (ifd + 2 > b.size()) return malformed("TIFF: first IFD offset " + std::to_string(ifd) + " lies past the end");
  const std::size_t n = u16(ifd);
  if (ifd + 2 + 12 * n > b.size())
    return malformed("TIFF: IFD with " + std::to_string(n) + " entries overruns the file");
  // Baseline defaults (TIFF 6.0 section 8): one sample of one bit.
  ImageHeader h{"TIFF", 0, 0, 1, 1, 0, 0};
  // TIFF 6.0 requires each tag once, in ascending order. A repeated tag is where a header reader and
  // a decoder can disagree: libtiff (OpenCV's TIFF decoder) keeps the FIRST copy and ignores the
  // rest, so a file listing ImageWidth 30000 then 500 would pass a last-copy-wins size check and
  // then be decoded at 30000 px. No scanner writes duplicates, so any repeat is refused.
  std::bitset<65536> seen;
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t e = ifd + 2 + 12 * i;
    const std::uint32_t tag = u16(e), type = u16(e + 2), count = u32(e + 4);
    if (seen[tag])
      return malformed("TIFF: tag " + tiff_tag_name(tag) +
                       " appears more than once in the first IFD; decoders disagree on which copy counts, "
                       "so the file is refused (re-export it from the scanner software)");
    seen[tag] = true;
    if (tag != 256 && tag != 257 && tag != 258 && tag != 277 && tag != 322 && tag != 323) continue;
    // One value each, except BitsPerSample (one per sample, all equal for libtiff). With any other
    // count the value field holds an offset, not the value, and libtiff refuses the tag.
    if (count == 0 || (tag != 258 && count != 1))
      return malformed("TIFF: tag " + tiff_tag_name(tag) + " has " + std::to_string(count) + " values, expected 1");
    std::uint32_t v;
    if (type == 3) {
      // SHORT: up to two fit the value field; more live at an offset (all samples share a depth).
      std::size_t at = e + 8;
      if (count > 2) {
        at = u32(e + 8);
        if (at + 2 > b.size()) return malformed("TIFF: tag " + tiff_tag_name(tag) + " points past the end");
      }
      v = u16(at);
    } else if (type == 4 && count == 1) {
      v = u32(e + 8);
    } else {
      return malformed("TIFF: tag " + tiff_tag_name(tag) + " has type " + std::to_string(type) + " with " +
                       std::to_string(count) + " values; SHORT or one LONG expected");
    }
    const int side = v > 0x7fffffff ? -1 : int(v);
    if (tag == 256) h.width = side;
    if (tag == 257) h.height = side;
    if (tag == 258) h.bits_per_sample = int(v & 0xffff);
    if (tag == 277) h.samples_per_pixel = int(v & 0xffff);
    if (tag == 322) h.tile_width = side;
    if (tag == 323) h.tile_height = side;
  }
  return h;
}

// Scans a JPEG may hold. Each scan of a progressive JPEG makes libjpeg walk the coefficients of
// the whole image again, and a scan can be a few bytes however large the image (a refinement whose
// end-of-band runs cover 32767 blocks per code), so CPU grows with scans x pixels: a 72 KB file of
// 1,000 scans at 4096 x 4096 takes 12 s of CPU to decode (docs/extraction.md "Bad input"). Neither
// libjpeg nor OpenCV bounds the count (libjpeg-turbo leaves it to the application: djpeg
// -maxscans). Real files have few: libjpeg's standard progression is 6 scans for grey and 10 for
// colour, a sequential file one per component; 100 leaves ample room for other encoders'
// progressions while holding the worst case to about 1.2 s of CPU (measured, 4096 x 4096).
constexpr int kMaxJpegScans = 100;

// From just after an SOS header: the offset of the marker that ends its entropy-coded data. In
// that data 0xFF is followed by 0x00 (a stuffed byte) or RST0-7; any other byte after 0xFF is a
// marker (ITU T.81 B.1.1.5, F.1.2.3). Fill bytes (more 0xFF) may precede the marker.
std::size_t end_of_entropy_data(Bytes b, std::size_t o) {
  for (; o + 1 < b.size(); ++o) {
    if (b[o] != 0xFF) continue;
    const std::uint8_t next = b[o + 1];
    if (next == 0x00 || (next >= 0xD0 && next <= 0xD7)) {
      ++o;
      continue;
    }
    if (next != 0xFF) return o;
  }
  return b.size();
}

Expected<ImageHeader> jpeg_header(Bytes b) {
  std::optional<ImageHeader> frame;
  int scans = 0;
  std::size_t o = 2;
  while (o + 4 <= b.size()) {
    if (b[o] != 0xFF) {
      // Before the frame header a marker must follow a segment at once. After it, bytes between
      // segments are skipped as libjpeg skips them (with a warning), so the scans behind them count.
      if (!frame) return malformed("JPEG: expected a marker at byte " + std::to_string(o));
      ++o;
      continue;
    }
    const std::uint8_t m = b[o + 1];
    if (m == 0xFF) {  // fill byte
      ++o;
      continue;
    }
    // TEM and RST0-7 stand alone, with no length field (ITU T.81 B.1.1.3). Reading two bytes of
    // length after them would skip to a different frame header than libjpeg reads.
    if (m == 0x01 || (m >= 0xD0 && m <= 0xD7)) {
      o += 2;
      continue;
    }
    if (m == 0xD8) return malformed("JPEG: second start-of-image marker at byte " + std::to_string(o));
    if (m == 0xD9) break;  // end of image: libjpeg reads nothing after it
    const std::size_t len = be16(b, o + 2);
    const bool sof = (m >= 0xC0 && m <= 0xCF) && m != 0xC4 && m != 0xC8 && m != 0xCC;
    if (sof && !frame) {
      if (o + 10 > b.size()) return truncated("JPEG", o + 10, b.size());
      frame = ImageHeader{"JPEG", int(be16(b, o + 7)), int(be16(b, o + 5)), b[o + 4], b[o + 9], 0, 0};
    }
    if (m == 0xDA) {
      // libjpeg reads no scan before the frame header; it refuses the file, and so do we below.
      if (!frame) break;
      if (++scans > kMaxJpegScans)
        return invalid_argument("JPEG holds more than " + std::to_string(kMaxJpegScans) +
                                " scans (a real progressive file has about 10); decoding each walks the whole "
                                "image again, so it is refused before decoding: re-export it as a baseline "
                                "(non-progressive) JPEG, or better as PNG or TIFF");
    }
    if (len < 2) return malformed("JPEG: segment length " + std::to_string(len) + " at byte " + std::to_string(o));
    o += 2 + len;
    if (m == 0xDA) o = end_of_entropy_data(b, o);
  }
  if (!frame) return malformed("JPEG: no frame header (SOF) before the image data; the file is truncated or corrupt");
  return *frame;
}

Expected<ImageHeader> pgm_header(Bytes b) {
  // "P5" then width, height, maxval as ASCII decimals separated by whitespace or # comments.
  std::size_t o = 2;
  long v[3] = {0, 0, 0};
  for (long& x : v) {
    while (o < b.size() && (std::isspace(b[o]) || b[o] == '#')) {
      // A comment ends at CR as well as LF, as OpenCV's PxM decoder reads it: ending it at LF only
      // would let "#\r30000 30000 255\n" hide from us the size the decoder then allocates.
      if (b[o] == '#')
        while (o < b.size() && b[o] != '\n' && b[o] != '\r') ++o;
      else
        ++o;
    }
    if (o >= b.size() || !std::isdigit(b[o])) return malformed("PGM: header truncated or not a number");
    while (o < b.size() && std::isdigit(b[o]) && x < 1000000) x = x * 10 + (b[o++] - '0');
  }
  return ImageHeader{"PGM", int(v[0]), int(v[1]), v[2] <= 255 ? 8 : 16, 1, 0, 0};
}

}  // namespace

Expected<ImageHeader> read_image_header(std::span<const std::uint8_t> b) {
  if (b.size() < 4) return malformed("image file too short (" + std::to_string(b.size()) + " bytes)");
  if (b.size() >= 8 && b[0] == 0x89 && b[1] == 'P' && b[2] == 'N' && b[3] == 'G') return png_header(b);
  if (b[0] == 'B' && b[1] == 'M') return bmp_header(b);
  if ((b[0] == 'I' && b[1] == 'I') || (b[0] == 'M' && b[1] == 'M')) return tiff_header(b);
  if (b[0] == 0xFF && b[1] == 0xD8) return jpeg_header(b);
  if (b[0] == 'P' && b[1] == '5') return pgm_header(b);
  return malformed("not a supported image format (TIFF, PNG, BMP, JPEG or binary PGM expected)");
}

}  // namespace tunggal::ingest
