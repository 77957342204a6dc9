// Writers for ISO/IEC 19794-2:2005 and ANSI/INCITS 378-2004 finger minutiae records (layouts in
// minutiae_record_reader.cpp). A record read and written again in its own format is
// byte-identical: angles convert back to the same unit, and view number, impression type and
// extended data are kept in MinutiaeRecord::view_info.
#include <string>

#include "ingest/detail/record_layout.h"
#include "ingest/minutiae_record.h"

namespace tunggal {
namespace {

class ByteWriter {
 public:
  void u8(unsigned v) { out_.push_back(static_cast<std::uint8_t>(v)); }
  void u16(unsigned v) {
    u8((v >> 8) & 0xFF);
    u8(v & 0xFF);
  }
  void u32(std::uint32_t v) {
    u16(v >> 16);
    u16(v & 0xFFFF);
  }
  void bytes(const std::uint8_t* p, std::size_t n) { out_.insert(out_.end(), p, p + n); }
  std::vector<std::uint8_t> take() { return std::move(out_); }

 private:
  std::vector<std::uint8_t> out_;
};

Status check_writable(const MinutiaeRecord& rec) {
  auto bad = [](std::string m) { return invalid_argument("cannot write minutiae record: " + std::move(m)); };
  if (rec.width == 0 || rec.height == 0) return bad("image size is 0");
  if (rec.resolution_x == 0 || rec.resolution_y == 0) return bad("resolution is 0");
  if (rec.views.empty()) return bad("no finger views");
  if (rec.views.size() > 255) return bad(std::to_string(rec.views.size()) + " finger views, at most 255");
  if (!rec.view_info.empty() && rec.view_info.size() != rec.views.size()) {
    return bad("view_info has " + std::to_string(rec.view_info.size()) + " entries for " +
               std::to_string(rec.views.size()) + " views");
  }
  for (std::size_t v = 0; v < rec.views.size(); ++v) {
    const FingerTemplate& t = rec.views[v];
    const std::string where = "view " + std::to_string(v + 1) + ": ";
    if (!is_known_finger(t.position) && t.position != FingerPosition::kUnknown) {
      return bad(where + "finger position " + std::to_string(static_cast<int>(t.position)) + " is not 0..10");
    }
    if (t.quality > 100) return bad(where + "quality above 100");
    if (t.minutiae.empty()) return bad(where + "no minutiae");
    if (t.minutiae.size() > 255) return bad(where + std::to_string(t.minutiae.size()) + " minutiae, at most 255");
    for (std::size_t i = 0; i < t.minutiae.size(); ++i) {
      const Minutia& m = t.minutiae[i];
      if (m.x >= rec.width || m.y >= rec.height || m.x > detail::kMaxCoordinate || m.y > detail::kMaxCoordinate) {
        return bad(where + "minutia " + std::to_string(i + 1) + " at (" + std::to_string(m.x) + ", " +
                   std::to_string(m.y) + ") lies outside the " + std::to_string(rec.width) + "x" +
                   std::to_string(rec.height) + " image");
      }
      if (m.quality > 100) return bad(where + "minutia " + std::to_string(i + 1) + " quality above 100");
    }
    if (!rec.view_info.empty()) {
      const FingerViewInfo& info = rec.view_info[v];
      if (info.view_number > 15 || info.impression_type > 15) return bad(where + "view number/impression type above 15");
      if (info.extended_data.size() > 0xFFFF) return bad(where + "extended data above 65535 bytes");
    }
  }
  return {};
}

void write_views(ByteWriter& w, const MinutiaeRecord& rec, bool ansi) {
  static const FingerViewInfo kDefaultInfo;
  for (std::size_t v = 0; v < rec.views.size(); ++v) {
    const FingerTemplate& t = rec.views[v];
    const FingerViewInfo& info = rec.view_info.empty() ? kDefaultInfo : rec.view_info[v];
    w.u8(static_cast<unsigned>(t.position));
    w.u8((info.view_number << 4) | info.impression_type);
    w.u8(t.quality);
    w.u8(static_cast<unsigned>(t.minutiae.size()));
    for (const Minutia& m : t.minutiae) {
      w.u16((detail::type_to_bits(m.type) << 14) | m.x);
      w.u16(m.y);
      w.u8(ansi ? detail::radians_to_units(m.angle, 180) : detail::radians_to_units(m.angle, 256));
      w.u8(m.quality);
    }
    w.u16(static_cast<unsigned>(info.extended_data.size()));
    w.bytes(info.extended_data.data(), info.extended_data.size());
  }
}

std::size_t views_bytes(const MinutiaeRecord& rec) {
  std::size_t n = 0;
  for (std::size_t v = 0; v < rec.views.size(); ++v) {
    n += detail::kViewHeaderBytes + rec.views[v].minutiae.size() * detail::kMinutiaBytes + detail::kExtendedLengthBytes;
    if (!rec.view_info.empty()) n += rec.view_info[v].extended_data.size();
  }
  return n;
}

void write_image_header(ByteWriter& w, const MinutiaeRecord& rec) {
  w.u16(rec.capture_equipment);
  w.u16(rec.width);
  w.u16(rec.height);
  w.u16(rec.resolution_x);
  w.u16(rec.resolution_y);
  w.u8(static_cast<unsigned>(rec.views.size()));
  w.u8(0);
}

}  // namespace

Expected<std::vector<std::uint8_t>> write_iso19794_2(const MinutiaeRecord& rec) {
  if (Status s = check_writable(rec); !s) return s;
  ByteWriter w;
  w.bytes(detail::kMagic, sizeof detail::kMagic);
  w.u32(static_cast<std::uint32_t>(detail::kIsoHeaderBytes + views_bytes(rec)));
  write_image_header(w, rec);
  write_views(w, rec, /*ansi=*/false);
  return w.take();
}

Expected<std::vector<std::uint8_t>> write_ansi378(const MinutiaeRecord& rec) {
  if (Status s = check_writable(rec); !s) return s;
  ByteWriter w;
  w.bytes(detail::kMagic, sizeof detail::kMagic);
  const std::size_t short_total = detail::kAnsiHeaderBytes + views_bytes(rec);
  if (short_total <= 0xFFFF) {
    w.u16(static_cast<unsigned>(short_total));
  } else {
    w.u16(0);  // ANSI 378-2004 §6.4.3: 4-byte length follows
    w.u32(static_cast<std::uint32_t>(short_total + 4));
  }
  w.u32(rec.cbeff_product_id);
  write_image_header(w, rec);
  write_views(w, rec, /*ansi=*/true);
  return w.take();
}

MinutiaeRecord make_minutiae_record(const FingerTemplate& finger, MinutiaeFormat format) {
  MinutiaeRecord rec;
  rec.format = format;
  rec.width = finger.width;
  rec.height = finger.height;
  rec.resolution_x = finger.resolution_x;
  rec.resolution_y = finger.resolution_y;
  rec.views.push_back(finger);
  return rec;
}

}  // namespace tunggal
