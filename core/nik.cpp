#include "core/nik.h"

#include <algorithm>
#include <array>

namespace tunggal {
namespace {

int two(std::string_view s, std::size_t at) { return (s[at] - '0') * 10 + (s[at + 1] - '0'); }

// Province codes issued by Kemendagri (Permendagri 72/2019 and the 2022 Papua split).
constexpr std::array<int, 38> kProvinces = {11, 12, 13, 14, 15, 16, 17, 18, 19, 21, 31, 32, 33,
                                            34, 35, 36, 51, 52, 53, 61, 62, 63, 64, 65, 71, 72,
                                            73, 74, 75, 76, 81, 82, 91, 92, 93, 94, 95, 96};

}  // namespace

bool is_known_province_code(int code) {
  return std::find(kProvinces.begin(), kProvinces.end(), code) != kProvinces.end();
}

Expected<Nik> Nik::parse(std::string_view t) {
  if (t.size() != 16) {
    return invalid_argument("NIK must have 16 digits, got " + std::to_string(t.size()) + " characters");
  }
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (t[i] < '0' || t[i] > '9') {
      return invalid_argument("NIK character " + std::to_string(i + 1) + " is not a digit");
    }
  }
  const int prov = two(t, 0);
  if (!is_known_province_code(prov)) {
    return invalid_argument("NIK province code " + std::string(t.substr(0, 2)) + " is not a known province");
  }
  if (two(t, 2) == 0) return invalid_argument("NIK regency/city code 00 is not valid");
  if (two(t, 4) == 0) return invalid_argument("NIK district code 00 is not valid");
  int day = two(t, 6);
  const int month = two(t, 8);
  const int yy = two(t, 10);
  if (day > 40) day -= 40;
  if (day < 1 || day > 31) {
    return invalid_argument("NIK birth day " + std::string(t.substr(6, 2)) +
                            " is neither 01–31 (men) nor 41–71 (women)");
  }
  if (month < 1 || month > 12) {
    return invalid_argument("NIK birth month " + std::string(t.substr(8, 2)) + " is not 01–12");
  }
  static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  // The century is not encoded; 29 February is accepted in every year divisible by four.
  const int max_day = (month == 2 && yy % 4 != 0) ? 28 : kDays[month - 1];
  if (day > max_day) {
    return invalid_argument("NIK birth date day " + std::to_string(day) + " does not exist in month " +
                            std::to_string(month));
  }
  if (t.substr(12, 4) == "0000") return invalid_argument("NIK serial 0000 is not valid");
  Nik n;
  n.digits_ = std::string(t);
  return n;
}

int Nik::province() const { return two(digits_, 0); }
std::string Nik::region() const { return digits_.substr(0, 6); }
int Nik::birth_day() const {
  const int d = two(digits_, 6);
  return d > 40 ? d - 40 : d;
}
int Nik::birth_month() const { return two(digits_, 8); }
int Nik::birth_year_two_digits() const { return two(digits_, 10); }
Sex Nik::sex() const { return two(digits_, 6) > 40 ? Sex::kFemale : Sex::kMale; }

}  // namespace tunggal
