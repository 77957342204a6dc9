#include "datasets/matcher_option_override.h"

#include "datasets/option_knobs.h"

namespace tunggal::datasets {
namespace {

using matcher::MatcherOptions;

const std::vector<Knob<MatcherOptions>>& knobs() {
  static const std::vector<Knob<MatcherOptions>> k = {
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

std::vector<std::string> matcher_option_names() { return knob_names(knobs()); }

Status apply_matcher_option(std::string_view a, matcher::MatcherOptions& o) { return apply_knob("matcher option", a, knobs(), o); }

}  // namespace tunggal::datasets
