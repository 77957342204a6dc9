// ISO/IEC 19794-2:2005 and ANSI/INCITS 378-2004 records: round trips of every FVC2002 record,
// one test per malformation with its precise error, and a truncate/flip sweep that must never crash.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <numbers>

#include "ingest/minutiae_record.h"
#include "tests/fvc_data_dir.h"

namespace tunggal {
namespace {

namespace fs = std::filesystem;
using Bytes = std::vector<std::uint8_t>;

std::vector<fs::path> fvc_records() {
  std::vector<fs::path> out;
  const fs::path dir = testing::fvc_data_dir();
  if (dir.empty()) return out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file() && e.path().extension() == ".iso") out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

Bytes read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), {});
}

// A valid two-view record with ANSI-style extended data in view 2.
MinutiaeRecord sample_record() {
  MinutiaeRecord r;
  r.width = 300;
  r.height = 400;
  r.resolution_x = r.resolution_y = 197;
  r.capture_equipment = 0x1234 & 0x0FFF;
  r.cbeff_product_id = 0x00330001;
  for (int v = 0; v < 2; ++v) {
    FingerTemplate t;
    t.position = v == 0 ? FingerPosition::kRightIndex : FingerPosition::kLeftThumb;
    t.width = r.width;
    t.height = r.height;
    t.quality = 60;
    for (int i = 0; i < 5; ++i) {
      Minutia m;
      m.x = static_cast<std::uint16_t>(20 + 50 * i);
      m.y = static_cast<std::uint16_t>(30 + 70 * i);
      m.angle = static_cast<float>((i * 90 % 360) * std::numbers::pi / 180.0);  // exact in both units
      m.type = i % 2 ? MinutiaType::kBifurcation : MinutiaType::kRidgeEnding;
      m.quality = static_cast<std::uint8_t>(10 * i);
      t.minutiae.push_back(m);
    }
    r.views.push_back(t);
    FingerViewInfo info;
    info.view_number = 0;
    info.impression_type = 1;
    if (v == 1) info.extended_data = {0x01, 0x02, 0x00, 0x06, 0xAB, 0xCD};  // one 6-byte area
    r.view_info.push_back(info);
  }
  return r;
}

Bytes iso_bytes() { return write_iso19794_2(sample_record()).value(); }
Bytes ansi_bytes() { return write_ansi378(sample_record()).value(); }

// ISO header 24 bytes; view 1 header at 24; its first minutia at 28.
constexpr std::size_t kIsoView1 = 24, kIsoMin1 = 28;
constexpr std::size_t kAnsiView1 = 26, kAnsiMin1 = 30;

void set_u16(Bytes& b, std::size_t at, unsigned v) {
  b[at] = static_cast<std::uint8_t>(v >> 8);
  b[at + 1] = static_cast<std::uint8_t>(v & 0xFF);
}
void set_iso_length(Bytes& b) {
  const auto n = static_cast<std::uint32_t>(b.size());
  set_u16(b, 8, n >> 16);
  set_u16(b, 10, n & 0xFFFF);
}

void expect_malformed(const Expected<MinutiaeRecord>& r, const std::string& needle1, const std::string& needle2) {
  ASSERT_FALSE(r.has_value()) << "accepted a malformed record (expected: " << needle1 << ")";
  EXPECT_EQ(r.error().code(), ErrorCode::kMalformedRecord) << r.error().to_string();
  EXPECT_NE(r.error().message().find(needle1), std::string::npos) << r.error().message();
  EXPECT_NE(r.error().message().find(needle2), std::string::npos) << r.error().message();
}

TEST(MinutiaeRecord, ReadsEveryFvc2002RecordAndWritesItBackByteForByte) {
  const auto files = fvc_records();
  if (files.empty()) GTEST_SKIP() << testing::kNoFvcMessage;
  EXPECT_EQ(files.size(), 320u) << "FVC2002 DB1_B..DB4_B hold 4 × 80 records";
  for (const auto& f : files) {
    SCOPED_TRACE(f.string());
    const Bytes original = read_bytes(f);
    auto rec = read_minutiae_record(original);
    ASSERT_TRUE(rec.has_value()) << rec.error().to_string();
    EXPECT_EQ(rec->format, MinutiaeFormat::kIso19794_2_2005);
    EXPECT_EQ(rec->width, 300);  // the OpenAFIS redistribution declares 300×400 everywhere
    EXPECT_EQ(rec->height, 400);
    ASSERT_EQ(rec->views.size(), 1u);
    EXPECT_GE(rec->views[0].minutiae.size(), 5u);
    auto written = write_iso19794_2(*rec);
    ASSERT_TRUE(written.has_value()) << written.error().to_string();
    EXPECT_EQ(*written, original);
    auto again = read_iso19794_2(*written);
    ASSERT_TRUE(again.has_value());
    EXPECT_EQ(*again, *rec);
    auto via_file = read_minutiae_file(f);
    ASSERT_TRUE(via_file.has_value());
    EXPECT_EQ(*via_file, *rec);
  }
}

TEST(MinutiaeRecord, FvcRecordsConvertToAnsiAndBack) {
  const auto files = fvc_records();
  if (files.empty()) GTEST_SKIP() << testing::kNoFvcMessage;
  for (const auto& f : files) {
    SCOPED_TRACE(f.string());
    auto iso = read_minutiae_file(f);
    ASSERT_TRUE(iso.has_value());
    auto ansi = write_ansi378(*iso);
    ASSERT_TRUE(ansi.has_value());
    auto detected = detect_minutiae_format(*ansi);
    ASSERT_TRUE(detected.has_value());
    EXPECT_EQ(*detected, MinutiaeFormat::kAnsi378_2004);
    auto back = read_minutiae_record(*ansi);
    ASSERT_TRUE(back.has_value()) << back.error().to_string();
    ASSERT_EQ(back->views.size(), 1u);
    const auto& a = iso->views[0].minutiae;
    const auto& b = back->views[0].minutiae;
    ASSERT_EQ(a.size(), b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
      EXPECT_EQ(a[i].x, b[i].x);
      EXPECT_EQ(a[i].y, b[i].y);
      EXPECT_EQ(a[i].type, b[i].type);
      double d = std::fabs(a[i].angle - b[i].angle);
      d = std::min(d, 2 * std::numbers::pi - d);
      EXPECT_LE(d, std::numbers::pi / 180.0 + 1e-6);  // half of ANSI's 2-degree unit
    }
    auto rewritten = write_ansi378(*back);
    ASSERT_TRUE(rewritten.has_value());
    EXPECT_EQ(*rewritten, *ansi);
  }
}

TEST(MinutiaeRecord, SyntheticRecordRoundTripsInBothFormats) {
  const MinutiaeRecord src = sample_record();
  for (auto format : {MinutiaeFormat::kIso19794_2_2005, MinutiaeFormat::kAnsi378_2004}) {
    SCOPED_TRACE(std::string(to_string(format)));
    const Bytes bytes = format == MinutiaeFormat::kAnsi378_2004 ? ansi_bytes() : iso_bytes();
    auto rec = read_minutiae_record(bytes);
    ASSERT_TRUE(rec.has_value()) << rec.error().to_string();
    EXPECT_EQ(rec->format, format);
    MinutiaeRecord expected = src;
    expected.format = format;
    if (format == MinutiaeFormat::kIso19794_2_2005) expected.cbeff_product_id = 0;  // ISO has no such field
    // Angles go through the format's unit; compare them with a tolerance, the rest exactly.
    ASSERT_EQ(rec->views.size(), expected.views.size());
    for (std::size_t v = 0; v < expected.views.size(); ++v) {
      for (std::size_t i = 0; i < expected.views[v].minutiae.size(); ++i) {
        EXPECT_NEAR(rec->views[v].minutiae[i].angle, expected.views[v].minutiae[i].angle, 1e-5);
        expected.views[v].minutiae[i].angle = rec->views[v].minutiae[i].angle;
      }
    }
    EXPECT_EQ(*rec, expected);
  }
  EXPECT_EQ(ansi_bytes().size(), iso_bytes().size() + 2);  // CBEFF id (4) minus the shorter length (2)
}

TEST(MinutiaeRecord, AnsiRecordsOf64KiBAndMoreUseTheSixByteLength) {
  MinutiaeRecord r = sample_record();
  Bytes area(40000, 0x5A);
  area[0] = 0x01; area[1] = 0x02; area[2] = 40000 >> 8; area[3] = 40000 & 0xFF;
  r.view_info[0].extended_data = area;
  r.view_info[1].extended_data = area;
  auto bytes = write_ansi378(r);
  ASSERT_TRUE(bytes.has_value());
  ASSERT_GT(bytes->size(), 0xFFFFu);
  EXPECT_EQ((*bytes)[8], 0);
  EXPECT_EQ((*bytes)[9], 0);
  auto back = read_minutiae_record(*bytes);
  ASSERT_TRUE(back.has_value()) << back.error().to_string();
  EXPECT_EQ(back->format, MinutiaeFormat::kAnsi378_2004);
  EXPECT_EQ(back->view_info, r.view_info);
  EXPECT_EQ(*write_ansi378(*back), *bytes);
}

TEST(MinutiaeRecord, AngleUnits) {
  Bytes b = iso_bytes();
  b[kIsoMin1 + 4] = 64;  // ISO: 64 × 2π/256 = π/2
  auto iso = read_iso19794_2(b);
  ASSERT_TRUE(iso.has_value());
  EXPECT_NEAR(iso->views[0].minutiae[0].angle, std::numbers::pi / 2, 1e-6);
  Bytes a = ansi_bytes();
  a[kAnsiMin1 + 4] = 45;  // ANSI: 45 × 2° = 90°
  auto ansi = read_ansi378(a);
  ASSERT_TRUE(ansi.has_value());
  EXPECT_NEAR(ansi->views[0].minutiae[0].angle, std::numbers::pi / 2, 1e-6);
  // Writing wraps just below 2π to unit 0, never to an out-of-range 256 or 180.
  MinutiaeRecord r = sample_record();
  r.views[0].minutiae[0].angle = static_cast<float>(2 * std::numbers::pi - 1e-4);
  EXPECT_EQ((*write_iso19794_2(r))[kIsoMin1 + 4], 0);
  EXPECT_EQ((*write_ansi378(r))[kAnsiMin1 + 4], 0);
}

// ---- malformed records: each with its own specific error ----

TEST(MinutiaeRecordMalformed, WrongMagic) {
  Bytes b = iso_bytes();
  b[0] = 'X';
  expect_malformed(read_minutiae_record(b), "byte 0 (format identifier)", "not a finger minutiae record");
}

TEST(MinutiaeRecordMalformed, WrongVersion) {
  Bytes b = iso_bytes();
  b[5] = '3';  // " 30\0" is ISO 19794-2:2011, a different layout
  expect_malformed(read_minutiae_record(b), "byte 4 (version)", "only ISO/IEC 19794-2:2005");
}

TEST(MinutiaeRecordMalformed, RecordLengthMismatch) {
  Bytes b = iso_bytes();
  b.push_back(0);  // one byte more than declared
  expect_malformed(read_iso19794_2(b), "byte 8 (record length)", "declares " + std::to_string(b.size() - 1));
  Bytes a = ansi_bytes();
  a.pop_back();
  expect_malformed(read_ansi378(a), "byte 8 (record length)", "but the record has " + std::to_string(a.size()));
}

TEST(MinutiaeRecordMalformed, TruncatedHeader) {
  Bytes b = iso_bytes();
  b.resize(15);
  set_iso_length(b);
  expect_malformed(read_iso19794_2(b), "byte 14 (image width)", "truncated");
  expect_malformed(read_minutiae_record(Bytes{'F', 'M', 'R'}), "byte 0 (format identifier)", "truncated");
}

TEST(MinutiaeRecordMalformed, ZeroViews) {
  Bytes b = iso_bytes();
  b[22] = 0;
  expect_malformed(read_iso19794_2(b), "byte 22 (number of finger views)", "at least one finger view");
}

TEST(MinutiaeRecordMalformed, MinutiaeCountOverrunsRecord) {
  Bytes b = iso_bytes();
  b[kIsoView1 + 3] = 200;
  expect_malformed(read_iso19794_2(b), "byte 27 (view 1 number of minutiae)", "remain in the record");
}

TEST(MinutiaeRecordMalformed, ViewCountOverrunsRecord) {
  Bytes b = iso_bytes();
  b[22] = 3;  // two views present, three declared
  expect_malformed(read_iso19794_2(b), "view 3 finger position", "truncated");
}

TEST(MinutiaeRecordMalformed, BytesAfterLastView) {
  Bytes b = iso_bytes();
  b[22] = 1;  // view 2 left over
  expect_malformed(read_iso19794_2(b), "(end of record)", "follow the last of the 1 declared");
}

TEST(MinutiaeRecordMalformed, MinutiaOutsideImage) {
  Bytes b = iso_bytes();
  set_u16(b, kIsoMin1, (1u << 14) | 300);  // ridge ending at x = 300 in a 300-wide image
  expect_malformed(read_iso19794_2(b), "byte 28 (view 1 minutia 1 x)", "outside the declared image width 300");
  b = iso_bytes();
  set_u16(b, kIsoMin1 + 2, 400);
  expect_malformed(read_iso19794_2(b), "byte 30 (view 1 minutia 1 y)", "outside the declared image height 400");
}

TEST(MinutiaeRecordMalformed, ReservedTypeBits) {
  Bytes b = iso_bytes();
  b[kIsoMin1] |= 0xC0;
  expect_malformed(read_iso19794_2(b), "byte 28 (view 1 minutia 1 type)", "type bits 11 are reserved");
}

TEST(MinutiaeRecordMalformed, AnsiAngleOutOfRange) {
  Bytes a = ansi_bytes();
  a[kAnsiMin1 + 4] = 180;
  expect_malformed(read_ansi378(a), "byte 34 (view 1 minutia 1 angle)", "0..179 in 2-degree units");
}

TEST(MinutiaeRecordMalformed, ZeroImageSize) {
  Bytes b = iso_bytes();
  set_u16(b, 14, 0);
  expect_malformed(read_iso19794_2(b), "byte 14 (image width)", "is 0");
  b = iso_bytes();
  set_u16(b, 16, 0);
  expect_malformed(read_iso19794_2(b), "byte 16 (image height)", "is 0");
}

TEST(MinutiaeRecordMalformed, ZeroResolution) {
  Bytes b = iso_bytes();
  set_u16(b, 18, 0);
  expect_malformed(read_iso19794_2(b), "byte 18 (x resolution)", "is 0");
  Bytes a = ansi_bytes();
  set_u16(a, 22, 0);
  expect_malformed(read_ansi378(a), "byte 22 (y resolution)", "is 0");
}

TEST(MinutiaeRecordMalformed, ZeroMinutiae) {
  MinutiaeRecord r = sample_record();
  r.views.resize(1);
  r.view_info.resize(1);
  Bytes b = *write_iso19794_2(r);
  // Drop the five minutiae and set the count to 0: header 24 + view header 4 + ext length 2.
  b.erase(b.begin() + kIsoMin1, b.begin() + kIsoMin1 + 5 * 6);
  b[kIsoView1 + 3] = 0;
  set_iso_length(b);
  expect_malformed(read_iso19794_2(b), "byte 27 (view 1 number of minutiae)", "cannot be matched");
}

TEST(MinutiaeRecordMalformed, ExtendedDataOverrun) {
  Bytes b = iso_bytes();
  const std::size_t ext_len_at = kIsoMin1 + 5 * 6;  // view 1's extended data length
  set_u16(b, ext_len_at, 5000);
  expect_malformed(read_iso19794_2(b), "byte 58 (view 1 extended data length)", "overruns the record");
}

TEST(MinutiaeRecordMalformed, AnsiExtendedAreaOverrun) {
  Bytes a = ansi_bytes();
  // view 2 starts after view 1 (4 + 30 + 2 bytes); its 6-byte area's length field is at +4+30+2+2.
  const std::size_t view2 = kAnsiView1 + 36;
  const std::size_t area_len_at = view2 + 4 + 30 + 2 + 2;
  ASSERT_EQ(a[area_len_at + 1], 6);
  set_u16(a, area_len_at, 7);
  expect_malformed(read_ansi378(a), "byte " + std::to_string(area_len_at) + " (view 2 extended data area length)",
                   "overruns the extended data block");
}

TEST(MinutiaeRecordMalformed, FingerPositionNotASingleFinger) {
  Bytes b = iso_bytes();
  b[kIsoView1] = 13;  // ISO 19794-4 "plain right four fingers"
  expect_malformed(read_iso19794_2(b), "byte 24 (view 1 finger position)", "code 13");
}

TEST(MinutiaeRecordMalformed, QualityOutOfRange) {
  Bytes b = iso_bytes();
  b[kIsoView1 + 2] = 101;
  expect_malformed(read_iso19794_2(b), "byte 26 (view 1 finger quality)", "must be 0..100");
  b = iso_bytes();
  b[kIsoMin1 + 5] = 255;
  expect_malformed(read_iso19794_2(b), "byte 33 (view 1 minutia 1 quality)", "must be 0..100");
}

TEST(MinutiaeRecordMalformed, ReservedImpressionType) {
  Bytes b = iso_bytes();
  b[kIsoView1 + 1] = 0x05;
  expect_malformed(read_iso19794_2(b), "byte 25 (view 1 impression type)", "code 5 is reserved");
}

TEST(MinutiaeRecordMalformed, FileErrors) {
  auto missing = read_minutiae_file("/nonexistent/tunggal/101_1.iso");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code(), ErrorCode::kNotFound);
  const fs::path big = fs::temp_directory_path() / "tunggal_minutiae_record_test_big.iso";
  {
    std::ofstream out(big, std::ios::binary);
    Bytes b = iso_bytes();
    out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
    std::string pad(kMaxMinutiaeRecordBytes, '\0');
    out.write(pad.data(), static_cast<std::streamsize>(pad.size()));
  }
  auto too_big = read_minutiae_file(big);
  fs::remove(big);
  ASSERT_FALSE(too_big.has_value());
  EXPECT_EQ(too_big.error().code(), ErrorCode::kMalformedRecord);
  EXPECT_NE(too_big.error().message().find("limit"), std::string::npos);
}

TEST(MinutiaeRecordWrite, RefusesUnrepresentableRecords) {
  MinutiaeRecord r = sample_record();
  r.views[0].minutiae.clear();
  EXPECT_EQ(write_iso19794_2(r).error().code(), ErrorCode::kInvalidArgument);
  r = sample_record();
  r.views[1].minutiae[0].x = 300;
  EXPECT_FALSE(write_ansi378(r).has_value());
  r = sample_record();
  r.view_info.pop_back();
  EXPECT_FALSE(write_iso19794_2(r).has_value());
  r = sample_record();
  r.views.clear();
  r.view_info.clear();
  EXPECT_FALSE(write_iso19794_2(r).has_value());
}

// ---- fuzz-style sweep: every truncation and bit flips at every offset ----

void sweep(const Bytes& original) {
  for (std::size_t len = 0; len < original.size(); ++len) {
    Bytes cut(original.begin(), original.begin() + static_cast<std::ptrdiff_t>(len));
    auto r = read_minutiae_record(cut);
    ASSERT_FALSE(r.has_value()) << "accepted a record truncated to " << len << " bytes";
    ASSERT_EQ(r.error().code(), ErrorCode::kMalformedRecord);
  }
  for (std::size_t at = 0; at < original.size(); ++at) {
    for (std::uint8_t mask : {0x01, 0x10, 0x80, 0xFF}) {
      Bytes b = original;
      b[at] ^= mask;
      auto r = read_minutiae_record(b);
      if (!r.has_value()) {
        ASSERT_EQ(r.error().code(), ErrorCode::kMalformedRecord);
        ASSERT_FALSE(r.error().message().empty());
        continue;
      }
      // Whatever is accepted must be writable and read back identically.
      auto w = r->format == MinutiaeFormat::kAnsi378_2004 ? write_ansi378(*r) : write_iso19794_2(*r);
      ASSERT_TRUE(w.has_value()) << "offset " << at << ": " << w.error().to_string();
      auto again = read_minutiae_record(*w);
      ASSERT_TRUE(again.has_value()) << again.error().to_string();
      ASSERT_EQ(again->views, r->views);
    }
  }
}

TEST(MinutiaeRecordFuzz, SyntheticRecordsNeverCrash) {
  sweep(iso_bytes());
  sweep(ansi_bytes());
}

TEST(MinutiaeRecordFuzz, RealRecordsNeverCrash) {
  auto files = fvc_records();
  if (files.empty()) GTEST_SKIP() << testing::kNoFvcMessage;
  // Every 8th record keeps the sweep well under a second; the format paths are the same.
  for (std::size_t i = 0; i < files.size(); i += 8) {
    SCOPED_TRACE(files[i].string());
    const Bytes b = read_bytes(files[i]);
    sweep(b);
    auto rec = read_minutiae_record(b);
    ASSERT_TRUE(rec.has_value());
    sweep(*write_ansi378(*rec));
  }
}

}  // namespace
}  // namespace tunggal
