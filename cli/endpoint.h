#pragma once
// HOST:PORT parsing shared by `tunggal serve` and `tunggal station`.
#include <cstdint>
#include <string>

#include "core/status.h"

namespace tunggal::cli {

struct Endpoint {
  std::string host;
  std::uint16_t port = 0;
};

inline Expected<Endpoint> parse_endpoint(const std::string& s) {
  const auto colon = s.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == s.size())
    return invalid_argument("expected HOST:PORT, got '" + s + "'");
  Endpoint e{s.substr(0, colon), 0};
  try {
    const int p = std::stoi(s.substr(colon + 1));
    if (p < 0 || p > 65535) throw std::out_of_range("port");
    e.port = static_cast<std::uint16_t>(p);
  } catch (const std::exception&) {
    return invalid_argument("port must be 0-65535 in '" + s + "'");
  }
  return e;
}

}  // namespace tunggal::cli
