#pragma once
// Finger minutiae records as exchanged between recording stations and the data center:
// ISO/IEC 19794-2:2005 and ANSI/INCITS 378-2004. Both begin with "FMR\0" + " 20\0" and share the
// finger-view and minutia layout; they differ in the header (ISO: 4-byte record length; ANSI:
// 2- or 6-byte record length followed by a 4-byte CBEFF product identifier) and in the angle unit
// (ISO: 2π/256; ANSI: 2 degrees).
//
// Every defect of the input becomes ErrorCode::kMalformedRecord with a message naming the byte
// offset and the field; no input crashes the reader.
#include <cstdint>
#include <filesystem>
#include <span>
#include <string_view>
#include <vector>

#include "core/finger_template.h"
#include "core/status.h"

namespace tunggal {

enum class MinutiaeFormat : std::uint8_t {
  kIso19794_2_2005 = 0,
  kAnsi378_2004 = 1,
};
std::string_view to_string(MinutiaeFormat f);  // "ISO/IEC 19794-2:2005", "ANSI/INCITS 378-2004"

// What a finger view carries beyond the FingerTemplate, kept so that a record read and written
// again is byte-identical.
struct FingerViewInfo {
  std::uint8_t view_number = 0;      // 4 bits: the n-th view of the same finger in this record
  std::uint8_t impression_type = 0;  // 4 bits: 0 live-scan plain, 1 live-scan rolled, 2/3 non-live, 8 swipe
  // The finger view's extended data block (ridge counts, core/delta, vendor data), verbatim and
  // without its 2-byte length prefix. Not interpreted: matching does not use it.
  std::vector<std::uint8_t> extended_data;

  bool operator==(const FingerViewInfo&) const = default;
};

struct MinutiaeRecord {
  MinutiaeFormat format = MinutiaeFormat::kIso19794_2_2005;
  std::uint32_t cbeff_product_id = 0;   // ANSI only: owner (high 16 bits) and type (low 16 bits)
  std::uint16_t capture_equipment = 0;  // 4-bit compliance + 12-bit equipment id, as recorded
  std::uint16_t width = 0;              // image size in pixels, as declared by the record
  std::uint16_t height = 0;
  std::uint16_t resolution_x = 197;     // pixels per centimetre (197 ≈ 500 ppi)
  std::uint16_t resolution_y = 197;
  // One FingerTemplate per finger view; each carries the record's image size and resolution.
  std::vector<FingerTemplate> views;
  // Either empty (defaults for every view) or one entry per view, same order as `views`.
  std::vector<FingerViewInfo> view_info;

  bool operator==(const MinutiaeRecord&) const = default;
};

// Records larger than this are refused before being read (a 10-finger record with 255 minutiae
// per finger and no extended data is about 15 KiB).
inline constexpr std::size_t kMaxMinutiaeRecordBytes = 1 << 20;

// Reads either format, telling them apart by the record-length field (see detect_minutiae_format).
Expected<MinutiaeRecord> read_minutiae_record(std::span<const std::uint8_t> bytes);
Expected<MinutiaeRecord> read_iso19794_2(std::span<const std::uint8_t> bytes);
Expected<MinutiaeRecord> read_ansi378(std::span<const std::uint8_t> bytes);
// Reads a file of at most kMaxMinutiaeRecordBytes.
Expected<MinutiaeRecord> read_minutiae_file(const std::filesystem::path& path);

// Which format the bytes claim to be. Both formats share the magic and version, so the decision
// rests on bytes 8..11: ISO stores a 4-byte length there (its top half is 0 for any record below
// 64 KiB); ANSI a 2-byte length >= 26, or 0 followed by a 4-byte length >= 64 KiB. Fails only when
// the bytes are not a minutiae record at all (too short, wrong magic or version).
Expected<MinutiaeFormat> detect_minutiae_format(std::span<const std::uint8_t> bytes);

// Serialise. The record's `format` field is ignored: the function chosen decides the format.
// Fails (kInvalidArgument) when the record cannot be represented: no views, a view without
// minutiae or with more than 255, coordinates outside the declared image or above 16383, zero
// image size or resolution, quality above 100, finger position above 10, view_info of the wrong
// size, extended data above 65535 bytes.
Expected<std::vector<std::uint8_t>> write_iso19794_2(const MinutiaeRecord& record);
Expected<std::vector<std::uint8_t>> write_ansi378(const MinutiaeRecord& record);

// The record of a single FingerTemplate (e.g. to send one finger), using its size and resolution.
MinutiaeRecord make_minutiae_record(const FingerTemplate& finger,
                                    MinutiaeFormat format = MinutiaeFormat::kIso19794_2_2005);

}  // namespace tunggal
