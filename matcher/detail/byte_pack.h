#pragma once
// Host-order byte packing of plain values for the matcher's serialised models (fusion model,
// calibrations, face tail, finger-code centres). Readers never read past their input: get()
// returns false once it is exhausted, and the caller names what is damaged.
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace tunggal::matcher::detail {

template <typename T>
void put(std::string& out, const T& v) {
  out.append(reinterpret_cast<const char*>(&v), sizeof(T));
}

template <typename T>
bool get(std::string_view& in, T& v) {
  if (in.size() < sizeof(T)) return false;
  std::memcpy(&v, in.data(), sizeof(T));
  in.remove_prefix(sizeof(T));
  return true;
}

inline void put_vec(std::string& out, const std::vector<float>& v) {
  put(out, static_cast<std::uint32_t>(v.size()));
  out.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float));
}

inline bool get_vec(std::string_view& in, std::vector<float>& v) {
  std::uint32_t n = 0;
  if (!get(in, n) || in.size() < std::size_t{n} * sizeof(float)) return false;
  v.resize(n);
  std::memcpy(v.data(), in.data(), std::size_t{n} * sizeof(float));
  in.remove_prefix(std::size_t{n} * sizeof(float));
  return true;
}

}  // namespace tunggal::matcher::detail
