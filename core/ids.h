#pragma once
// Identifiers. A SubjectId names one person in the gallery (assigned by the engine); an
// EnrollmentId names one capture session submitted by a recording station (chosen by the station,
// unique per site, so that resubmission is idempotent).
#include <compare>
#include <cstdint>
#include <functional>
#include <string>

namespace tunggal {

struct SubjectId {
  std::uint64_t value = 0;
  auto operator<=>(const SubjectId&) const = default;
  bool valid() const { return value != 0; }
};

struct EnrollmentId {
  std::string value;
  auto operator<=>(const EnrollmentId&) const = default;
  bool empty() const { return value.empty(); }
};

}  // namespace tunggal

template <>
struct std::hash<tunggal::SubjectId> {
  std::size_t operator()(const tunggal::SubjectId& id) const noexcept {
    return std::hash<std::uint64_t>{}(id.value);
  }
};
template <>
struct std::hash<tunggal::EnrollmentId> {
  std::size_t operator()(const tunggal::EnrollmentId& id) const noexcept {
    return std::hash<std::string>{}(id.value);
  }
};
