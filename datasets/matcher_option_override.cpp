#include "datasets/matcher_option_override.h"

#include <charconv>
#include <cmath>
#include <string>

namespace tunggal::datasets {
namespace {

using matcher::MatcherOptions;

struct Knob {
  const char* name;
  float MatcherOptions::*f = nullptr;
  int MatcherOptions::*i = nullptr;
};

const std::vector<Knob>& knobs() {
  static const std::vector<Knob> k = {
      {"radius", &MatcherOptions::radius},
      {"sigma_s", &MatcherOptions::sigma_s},
      {"sigma_d", &MatcherOptions::sigma_d},
      {"mu_psi", &MatcherOptions::mu_psi},
      {"omega", &MatcherOptions::omega},
      {"min_valid_cells", &MatcherOptions::min_valid_cells},
      {"min_neighbours", nullptr, &MatcherOptions::min_neighbours},
      {"min_matchable_cells", &MatcherOptions::min_matchable_cells},
      {"max_direction_diff", &MatcherOptions::max_direction_diff},
      {"min_np", nullptr, &MatcherOptions::min_np},
      {"max_np", nullptr, &MatcherOptions::max_np},
      {"mu_p", &MatcherOptions::mu_p},
      {"tau_p", &MatcherOptions::tau_p},
      {"n_rel", nullptr, &MatcherOptions::n_rel},
      {"max_nr", nullptr, &MatcherOptions::max_nr},
      {"w_r", &MatcherOptions::w_r},
      {"mu_rho1", &MatcherOptions::mu_rho1},
      {"tau_rho1", &MatcherOptions::tau_rho1},
      {"mu_rho2", &MatcherOptions::mu_rho2},
      {"tau_rho2", &MatcherOptions::tau_rho2},
      {"mu_rho3", &MatcherOptions::mu_rho3},
      {"tau_rho3", &MatcherOptions::tau_rho3},
      {"min_minutiae", nullptr, &MatcherOptions::min_minutiae},
      {"duplicate_distance", &MatcherOptions::duplicate_distance},
      {"duplicate_angle", &MatcherOptions::duplicate_angle},
  };
  return k;
}

}  // namespace

std::vector<std::string> matcher_option_names() {
  std::vector<std::string> n;
  for (const auto& k : knobs()) n.emplace_back(k.name);
  return n;
}

Status apply_matcher_option(std::string_view a, matcher::MatcherOptions& o) {
  const auto eq = a.find('=');
  if (eq == std::string_view::npos)
    return invalid_argument("matcher option '" + std::string(a) + "' is not of the form name=value");
  const std::string_view name = a.substr(0, eq), text = a.substr(eq + 1);
  for (const auto& k : knobs()) {
    if (name != k.name) continue;
    // std::from_chars for float is in GCC 11+; strtof would accept trailing garbage silently.
    float v = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc{} || end != text.data() + text.size() || !std::isfinite(v))
      return invalid_argument("matcher option " + std::string(name) + ": '" + std::string(text) + "' is not a number");
    if (k.f) {
      o.*k.f = v;
    } else {
      if (v != std::floor(v) || std::fabs(v) > 1e6)
        return invalid_argument("matcher option " + std::string(name) + " takes an integer, got " + std::string(text));
      o.*k.i = static_cast<int>(v);
    }
    return Status::ok();
  }
  std::string known;
  for (const auto& k : knobs()) known += (known.empty() ? "" : ", ") + std::string(k.name);
  return invalid_argument("unknown matcher option '" + std::string(name) + "'; known: " + known);
}

}  // namespace tunggal::datasets
