#pragma once
// Text helpers for the SVG pictures tunggal draws (DET curves, the adjudicator's match picture):
// XML escaping of labels and a fixed one-decimal coordinate format that keeps files small and
// byte-stable across runs.
#include <cstdio>
#include <string>

namespace tunggal {

inline std::string xml_escape(const std::string& s) {
  std::string r;
  r.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': r += "&amp;"; break;
      case '<': r += "&lt;"; break;
      case '>': r += "&gt;"; break;
      case '"': r += "&quot;"; break;
      default: r += c;
    }
  }
  return r;
}

// A coordinate with one decimal ("12.5"), locale-independent.
inline std::string svg_number(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.1f", v);
  return b;
}

}  // namespace tunggal
