#include "datasets/extractor_option_override.h"

#include "datasets/option_knobs.h"

namespace tunggal::datasets {
namespace {

using ingest::ExtractorOptions;

const std::vector<Knob<ExtractorOptions>>& knobs() {
  static const std::vector<Knob<ExtractorOptions>> k = {
      {"resolution_ppi", nullptr, &ExtractorOptions::resolution_ppi},
      {"block_size", nullptr, &ExtractorOptions::block_size},
      {"min_block_stddev", &ExtractorOptions::min_block_stddev},
      {"relative_block_stddev", &ExtractorOptions::relative_block_stddev},
      {"outline_min_response", &ExtractorOptions::outline_min_response},
      {"outline_peel_width", &ExtractorOptions::outline_peel_width},
      {"response_quality", &ExtractorOptions::response_quality},
      {"minutia_min_response", &ExtractorOptions::minutia_min_response},
      {"blotch_clip", &ExtractorOptions::blotch_clip},
      {"blotch_min_coherence_gain", &ExtractorOptions::blotch_min_coherence_gain},
      {"orientation_sigma", &ExtractorOptions::orientation_sigma},
      {"gradient_sigma", &ExtractorOptions::gradient_sigma},
      {"refine_orientation", nullptr, &ExtractorOptions::refine_orientation},
      {"refine_frequency", nullptr, &ExtractorOptions::refine_frequency},
      {"gabor_sigma_factor", &ExtractorOptions::gabor_sigma_factor},
      {"gabor_along_factor", &ExtractorOptions::gabor_along_factor},
      {"border_margin", &ExtractorOptions::border_margin},
      {"spur_length", &ExtractorOptions::spur_length},
      {"short_ridge_length", &ExtractorOptions::short_ridge_length},
      {"bridge_length", &ExtractorOptions::bridge_length},
      {"broken_ridge_gap", &ExtractorOptions::broken_ridge_gap},
      {"min_distance", &ExtractorOptions::min_distance},
      {"cloud_radius", &ExtractorOptions::cloud_radius},
      {"field_direction_weight", &ExtractorOptions::field_direction_weight},
      {"ending_offset", &ExtractorOptions::ending_offset},
      {"max_cloud", nullptr, &ExtractorOptions::max_cloud},
      {"recover_shift", &ExtractorOptions::recover_shift},
      {"recover_radius", &ExtractorOptions::recover_radius},
      {"recover_quality", &ExtractorOptions::recover_quality},
      {"recover_min_magnitude", &ExtractorOptions::recover_min_magnitude},
      {"min_minutia_quality", &ExtractorOptions::min_minutia_quality},
      {"max_minutiae", nullptr, &ExtractorOptions::max_minutiae},
      {"min_minutiae", nullptr, &ExtractorOptions::min_minutiae},
      {"min_foreground_fraction", &ExtractorOptions::min_foreground_fraction},
      {"min_mean_coherence", &ExtractorOptions::min_mean_coherence},
  };
  return k;
}

}  // namespace

std::vector<std::string> extractor_option_names() { return knob_names(knobs()); }

Status apply_extractor_option(std::string_view a, ingest::ExtractorOptions& o) { return apply_knob("extractor option", a, knobs(), o); }

}  // namespace tunggal::datasets
