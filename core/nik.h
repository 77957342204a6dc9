#pragma once
// NIK (Nomor Induk Kependudukan): the 16-digit national identity number printed on the KTP-el.
// Layout: PP KK CC DDMMYY SSSS: province, regency/city, district (kecamatan), birth date with
// 40 added to the day for women, and a serial within that region and date.
#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace tunggal {

enum class Sex : std::uint8_t { kMale, kFemale };

class Nik {
 public:
  Nik() = default;
  // Checks length, digits, province code against the Kemendagri list, non-zero regency, district
  // and serial, and the birth date (day 1–31 or 41–71, valid month, day valid in that month).
  static Expected<Nik> parse(std::string_view text);

  const std::string& str() const { return digits_; }
  int province() const;        // e.g. 32 (Jawa Barat)
  std::string region() const;  // the first six digits, e.g. "327301"
  int birth_day() const;       // 1..31, the +40 for women removed
  int birth_month() const;
  int birth_year_two_digits() const;
  Sex sex() const;
  bool empty() const { return digits_.empty(); }
  bool operator==(const Nik&) const = default;

 private:
  std::string digits_;
};

bool is_known_province_code(int code);

}  // namespace tunggal
