#pragma once
// Reads one sample out of Prometheus text exposition (Server::prometheus_text, or a scrape's body).
#include <regex>
#include <string>

namespace tunggal::testing {

// The value of the line "name value"; -1 when there is no such line.
inline double prometheus_sample(const std::string& text, const std::string& name) {
  std::smatch m;
  if (!std::regex_search(text, m, std::regex("\n" + name + " ([0-9.e+-]+)\n"))) return -1;
  return std::stod(m[1]);
}

}  // namespace tunggal::testing
