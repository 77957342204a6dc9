// Readers for ISO/IEC 19794-2:2005 and ANSI/INCITS 378-2004 finger minutiae records.
// Layouts (both big-endian):
//   ISO  header: "FMR\0" " 20\0" | u32 record length | u16 capture equipment | u16 width |
//                u16 height | u16 x resolution | u16 y resolution | u8 views | u8 reserved  (24 B)
//   ANSI header: "FMR\0" " 20\0" | u16 record length (or 0x0000 + u32 when >= 64 KiB) |
//                u32 CBEFF product id | u16 capture equipment | u16 width | u16 height |
//                u16 x res | u16 y res | u8 views | u8 reserved                         (26/30 B)
//   view:        u8 finger position | u4 view number, u4 impression type | u8 quality |
//                u8 minutiae count | count × minutia | u16 extended data length | data
//   minutia:     u2 type, u14 x | u2 reserved, u14 y | u8 angle | u8 quality
// Cross-checked against NIST NBIS (an2k/fmr.c) and FingerprintIO (ansi378v2004, iso19794p2v2005).
#include <algorithm>
#include <cstdio>
#include <string>

#include "ingest/detail/byte_reader.h"
#include "ingest/detail/record_layout.h"
#include "ingest/minutiae_record.h"

namespace tunggal {
namespace {

using detail::ByteReader;

std::string hex_bytes(std::span<const std::uint8_t> b) {
  std::string s;
  char buf[4];
  for (std::uint8_t c : b) {
    std::snprintf(buf, sizeof buf, "%02x", c);
    if (!s.empty()) s += ' ';
    s += buf;
  }
  return s;
}

Status check_magic(ByteReader& r) {
  std::span<const std::uint8_t> magic;
  TUNGGAL_RETURN_IF_ERROR(r.take("format identifier", 4, magic));
  if (!std::equal(magic.begin(), magic.end(), detail::kMagic)) {
    return r.error(0, "format identifier",
                   "expected \"FMR\\0\" (46 4d 52 00), found " + hex_bytes(magic) +
                       "; this is not a finger minutiae record");
  }
  std::span<const std::uint8_t> version;
  TUNGGAL_RETURN_IF_ERROR(r.take("version", 4, version));
  if (!std::equal(version.begin(), version.end(), detail::kMagic + 4)) {
    return r.error(4, "version",
                   "expected \" 20\\0\" (20 32 30 00), found " + hex_bytes(version) +
                       "; only ISO/IEC 19794-2:2005 and ANSI/INCITS 378-2004 records are supported");
  }
  return {};
}

Status check_nonzero(const ByteReader& r, std::size_t at, std::string_view field, std::uint16_t v) {
  if (v != 0) return {};
  return r.error(at, field, "is 0; the record must declare a non-zero value");
}

// Header fields after the record length, common to both formats from the capture equipment on.
Status read_image_header(ByteReader& r, MinutiaeRecord& rec, std::uint8_t& view_count) {
  TUNGGAL_RETURN_IF_ERROR(r.u16("capture equipment", rec.capture_equipment));
  std::size_t at = r.offset();
  TUNGGAL_RETURN_IF_ERROR(r.u16("image width", rec.width));
  TUNGGAL_RETURN_IF_ERROR(check_nonzero(r, at, "image width", rec.width));
  at = r.offset();
  TUNGGAL_RETURN_IF_ERROR(r.u16("image height", rec.height));
  TUNGGAL_RETURN_IF_ERROR(check_nonzero(r, at, "image height", rec.height));
  at = r.offset();
  TUNGGAL_RETURN_IF_ERROR(r.u16("x resolution", rec.resolution_x));
  TUNGGAL_RETURN_IF_ERROR(check_nonzero(r, at, "x resolution", rec.resolution_x));
  at = r.offset();
  TUNGGAL_RETURN_IF_ERROR(r.u16("y resolution", rec.resolution_y));
  TUNGGAL_RETURN_IF_ERROR(check_nonzero(r, at, "y resolution", rec.resolution_y));
  at = r.offset();
  TUNGGAL_RETURN_IF_ERROR(r.u8("number of finger views", view_count));
  if (view_count == 0) {
    return r.error(at, "number of finger views", "is 0; a record must hold at least one finger view");
  }
  std::uint8_t reserved = 0;
  return r.u8("reserved", reserved);  // not checked: writers disagree on its content
}

// ANSI 378-2004 §6.5.4: the extended data block is a sequence of areas, each u16 type id,
// u16 length (including these 4 bytes), data. ISO 19794-2:2005 implementations disagree on
// whether the area length includes its header, so for ISO only the block length is checked.
Status check_ansi_extended_areas(const ByteReader& r, std::size_t block_at, std::span<const std::uint8_t> block,
                                 const std::string& field) {
  std::size_t pos = 0;
  while (pos < block.size()) {
    const std::size_t at = block_at + pos;
    if (block.size() - pos < 4) {
      return r.error(at, field + " area header",
                     "only " + std::to_string(block.size() - pos) +
                         " byte(s) left in the extended data block, an area header needs 4");
    }
    const std::size_t len = (std::size_t{block[pos + 2]} << 8) | block[pos + 3];
    if (len < 4) {
      return r.error(at + 2, field + " area length",
                     "is " + std::to_string(len) + "; an area length includes its 4-byte header");
    }
    if (len > block.size() - pos) {
      return r.error(at + 2, field + " area length",
                     "area of " + std::to_string(len) + " bytes overruns the extended data block (" +
                         std::to_string(block.size() - pos) + " bytes left)");
    }
    pos += len;
  }
  return {};
}

Status read_view(ByteReader& r, MinutiaeRecord& rec, int view_no) {
  const std::string v = "view " + std::to_string(view_no);
  FingerTemplate t;
  t.width = rec.width;
  t.height = rec.height;
  t.resolution_x = rec.resolution_x;
  t.resolution_y = rec.resolution_y;
  FingerViewInfo info;

  std::size_t at = r.offset();
  std::uint8_t position = 0;
  TUNGGAL_RETURN_IF_ERROR(r.u8(v + " finger position", position));
  auto pos = finger_from_code(position);
  if (!pos) {
    return r.error(at, v + " finger position",
                   "code " + std::to_string(position) +
                       " is not a single finger (supported: 0 unknown, 1..10 right thumb..left little)");
  }
  t.position = *pos;

  at = r.offset();
  std::uint8_t view_impression = 0;
  TUNGGAL_RETURN_IF_ERROR(r.u8(v + " view number / impression type", view_impression));
  info.view_number = view_impression >> 4;
  info.impression_type = view_impression & 0x0F;
  if (info.impression_type > 3 && info.impression_type != 8 && info.impression_type != 9) {
    return r.error(at, v + " impression type",
                   "code " + std::to_string(info.impression_type) +
                       " is reserved (0..3 live/non-live plain/rolled, 8 swipe, 9 contactless)");
  }

  at = r.offset();
  TUNGGAL_RETURN_IF_ERROR(r.u8(v + " finger quality", t.quality));
  if (t.quality > 100) {
    return r.error(at, v + " finger quality", "is " + std::to_string(t.quality) + ", must be 0..100");
  }

  at = r.offset();
  std::uint8_t count = 0;
  TUNGGAL_RETURN_IF_ERROR(r.u8(v + " number of minutiae", count));
  if (count == 0) {
    return r.error(at, v + " number of minutiae",
                   "is 0; a finger view without minutiae cannot be matched (recapture the finger)");
  }
  const std::size_t needed = std::size_t{count} * detail::kMinutiaBytes + detail::kExtendedLengthBytes;
  if (needed > r.remaining()) {
    return r.error(at, v + " number of minutiae",
                   std::to_string(count) + " minutiae and the extended data length need " + std::to_string(needed) +
                       " bytes but only " + std::to_string(r.remaining()) + " remain in the record");
  }

  const bool ansi = rec.format == MinutiaeFormat::kAnsi378_2004;
  t.minutiae.reserve(count);
  for (int i = 0; i < count; ++i) {
    const std::string m = v + " minutia " + std::to_string(i + 1);
    Minutia mi;
    at = r.offset();
    std::uint16_t tx = 0, ry = 0;
    std::uint8_t angle = 0, quality = 0;
    TUNGGAL_RETURN_IF_ERROR(r.u16(m + " type/x", tx));
    TUNGGAL_RETURN_IF_ERROR(r.u16(m + " y", ry));
    TUNGGAL_RETURN_IF_ERROR(r.u8(m + " angle", angle));
    TUNGGAL_RETURN_IF_ERROR(r.u8(m + " quality", quality));
    if (!detail::type_from_bits(tx >> 14, mi.type)) {
      return r.error(at, m + " type", "type bits 11 are reserved (01 ridge ending, 10 bifurcation, 00 other)");
    }
    mi.x = tx & detail::kMaxCoordinate;
    mi.y = ry & detail::kMaxCoordinate;
    if (mi.x >= rec.width) {
      return r.error(at, m + " x", "x = " + std::to_string(mi.x) + " lies outside the declared image width " +
                                       std::to_string(rec.width));
    }
    if (mi.y >= rec.height) {
      return r.error(at + 2, m + " y", "y = " + std::to_string(mi.y) + " lies outside the declared image height " +
                                           std::to_string(rec.height));
    }
    if (ansi && angle >= 180) {
      return r.error(at + 4, m + " angle",
                     "is " + std::to_string(angle) + " (×2°); ANSI 378 angles are 0..179 in 2-degree units");
    }
    mi.angle = ansi ? detail::ansi_units_to_radians(angle) : detail::iso_units_to_radians(angle);
    if (quality > 100) {
      return r.error(at + 5, m + " quality", "is " + std::to_string(quality) + ", must be 0..100");
    }
    mi.quality = quality;
    t.minutiae.push_back(mi);
  }

  at = r.offset();
  std::uint16_t ext_len = 0;
  TUNGGAL_RETURN_IF_ERROR(r.u16(v + " extended data length", ext_len));
  if (ext_len > r.remaining()) {
    return r.error(at, v + " extended data length",
                   "block of " + std::to_string(ext_len) + " bytes overruns the record (" +
                       std::to_string(r.remaining()) + " bytes remain)");
  }
  std::span<const std::uint8_t> ext;
  const std::size_t ext_at = r.offset();
  TUNGGAL_RETURN_IF_ERROR(r.take(v + " extended data", ext_len, ext));
  if (ansi) TUNGGAL_RETURN_IF_ERROR(check_ansi_extended_areas(r, ext_at, ext, v + " extended data"));
  info.extended_data.assign(ext.begin(), ext.end());

  rec.views.push_back(std::move(t));
  rec.view_info.push_back(std::move(info));
  return {};
}

Status read_views(ByteReader& r, MinutiaeRecord& rec, std::uint8_t view_count) {
  rec.views.reserve(view_count);
  rec.view_info.reserve(view_count);
  for (int i = 0; i < view_count; ++i) TUNGGAL_RETURN_IF_ERROR(read_view(r, rec, i + 1));
  if (r.remaining() != 0) {
    return r.error(r.offset(), "end of record",
                   std::to_string(r.remaining()) + " byte(s) follow the last of the " + std::to_string(view_count) +
                       " declared finger views; the view count or minutiae counts are wrong");
  }
  return {};
}

Status check_length(const ByteReader& r, std::size_t at, std::uint64_t declared) {
  if (declared == r.size()) return {};
  return r.error(at, "record length",
                 "declares " + std::to_string(declared) + " bytes but the record has " + std::to_string(r.size()));
}

constexpr std::string_view kIsoName = "ISO/IEC 19794-2:2005 record";
constexpr std::string_view kAnsiName = "ANSI/INCITS 378-2004 record";

}  // namespace

std::string_view to_string(MinutiaeFormat f) {
  return f == MinutiaeFormat::kAnsi378_2004 ? "ANSI/INCITS 378-2004" : "ISO/IEC 19794-2:2005";
}

Expected<MinutiaeRecord> read_iso19794_2(std::span<const std::uint8_t> bytes) {
  ByteReader r(bytes, std::string(kIsoName));
  TUNGGAL_RETURN_IF_ERROR(check_magic(r));
  MinutiaeRecord rec;
  rec.format = MinutiaeFormat::kIso19794_2_2005;
  std::uint32_t length = 0;
  TUNGGAL_RETURN_IF_ERROR(r.u32("record length", length));
  TUNGGAL_RETURN_IF_ERROR(check_length(r, 8, length));
  std::uint8_t view_count = 0;
  TUNGGAL_RETURN_IF_ERROR(read_image_header(r, rec, view_count));
  TUNGGAL_RETURN_IF_ERROR(read_views(r, rec, view_count));
  return rec;
}

Expected<MinutiaeRecord> read_ansi378(std::span<const std::uint8_t> bytes) {
  ByteReader r(bytes, std::string(kAnsiName));
  TUNGGAL_RETURN_IF_ERROR(check_magic(r));
  MinutiaeRecord rec;
  rec.format = MinutiaeFormat::kAnsi378_2004;
  std::uint16_t short_length = 0;
  TUNGGAL_RETURN_IF_ERROR(r.u16("record length", short_length));
  if (short_length != 0) {
    TUNGGAL_RETURN_IF_ERROR(check_length(r, 8, short_length));
  } else {
    // ANSI 378-2004 §6.4.3: 0x0000 announces a 4-byte length for records of 64 KiB and more.
    std::uint32_t long_length = 0;
    TUNGGAL_RETURN_IF_ERROR(r.u32("record length (4-byte form)", long_length));
    TUNGGAL_RETURN_IF_ERROR(check_length(r, 10, long_length));
  }
  TUNGGAL_RETURN_IF_ERROR(r.u32("CBEFF product identifier", rec.cbeff_product_id));
  std::uint8_t view_count = 0;
  TUNGGAL_RETURN_IF_ERROR(read_image_header(r, rec, view_count));
  TUNGGAL_RETURN_IF_ERROR(read_views(r, rec, view_count));
  return rec;
}

Expected<MinutiaeFormat> detect_minutiae_format(std::span<const std::uint8_t> bytes) {
  ByteReader r(bytes, "finger minutiae record");
  TUNGGAL_RETURN_IF_ERROR(check_magic(r));
  std::uint16_t first = 0, second = 0;
  TUNGGAL_RETURN_IF_ERROR(r.u16("record length", first));
  if (first >= detail::kAnsiHeaderBytes) return MinutiaeFormat::kAnsi378_2004;  // too big for ISO's top half
  if (first > 0) return MinutiaeFormat::kIso19794_2_2005;  // a >= 64 KiB ISO record (or a broken one)
  TUNGGAL_RETURN_IF_ERROR(r.u16("record length", second));
  // ANSI's 4-byte form is only used from 64 KiB on, so its top half is 1..; ISO's low half is >= 24.
  if (second >= detail::kIsoHeaderBytes) return MinutiaeFormat::kIso19794_2_2005;
  return MinutiaeFormat::kAnsi378_2004;
}

Expected<MinutiaeRecord> read_minutiae_record(std::span<const std::uint8_t> bytes) {
  auto format = detect_minutiae_format(bytes);
  if (!format) return format.error();
  return *format == MinutiaeFormat::kAnsi378_2004 ? read_ansi378(bytes) : read_iso19794_2(bytes);
}

}  // namespace tunggal
