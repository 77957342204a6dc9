#pragma once
// `name=value` overrides of a plain options struct's numeric fields, for the evaluation commands'
// --matcher-option / --extractor-option: each struct lists its knobs once (name, member), and this
// parses, range-checks and applies an assignment with the same errors for every struct.
#include <charconv>
#include <cmath>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace tunggal::datasets {

template <class Options>
struct Knob {
  const char* name;
  float Options::*f = nullptr;  // one of the two is set
  int Options::*i = nullptr;
};

template <class Options>
std::vector<std::string> knob_names(const std::vector<Knob<Options>>& knobs) {
  std::vector<std::string> n;
  for (const auto& k : knobs) n.emplace_back(k.name);
  return n;
}

// `what` names the option family in errors ("matcher option radius: 'x' is not a number").
template <class Options>
Status apply_knob(std::string_view what, std::string_view assignment, const std::vector<Knob<Options>>& knobs,
                  Options& o) {
  const std::string w(what);
  const auto eq = assignment.find('=');
  if (eq == std::string_view::npos)
    return invalid_argument(w + " '" + std::string(assignment) + "' is not of the form name=value");
  const std::string_view name = assignment.substr(0, eq), text = assignment.substr(eq + 1);
  for (const auto& k : knobs) {
    if (name != k.name) continue;
    // std::from_chars for float is in GCC 11+; strtof would accept trailing garbage silently.
    float v = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc{} || end != text.data() + text.size() || !std::isfinite(v))
      return invalid_argument(w + " " + std::string(name) + ": '" + std::string(text) + "' is not a number");
    if (k.f) {
      o.*k.f = v;
    } else {
      if (v != std::floor(v) || std::fabs(v) > 1e6)
        return invalid_argument(w + " " + std::string(name) + " takes an integer, got " + std::string(text));
      o.*k.i = static_cast<int>(v);
    }
    return Status::ok();
  }
  std::string known;
  for (const auto& k : knobs) known += (known.empty() ? "" : ", ") + std::string(k.name);
  return invalid_argument("unknown " + w + " '" + std::string(name) + "'; known: " + known);
}

}  // namespace tunggal::datasets
