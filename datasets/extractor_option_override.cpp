#include "datasets/extractor_option_override.h"

#include <charconv>
#include <cmath>
#include <string>

namespace tunggal::datasets {
namespace {

using ingest::ExtractorOptions;

struct Knob {
  const char* name;
  float ExtractorOptions::*f = nullptr;
  int ExtractorOptions::*i = nullptr;
};

const std::vector<Knob>& knobs() {
  static const std::vector<Knob> k = {
      {"resolution_ppi", nullptr, &ExtractorOptions::resolution_ppi},
      {"block_size", nullptr, &ExtractorOptions::block_size},
      {"min_block_stddev", &ExtractorOptions::min_block_stddev},
      {"relative_block_stddev", &ExtractorOptions::relative_block_stddev},
      {"orientation_sigma", &ExtractorOptions::orientation_sigma},
      {"gradient_sigma", &ExtractorOptions::gradient_sigma},
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
      {"max_cloud", nullptr, &ExtractorOptions::max_cloud},
      {"min_minutia_quality", &ExtractorOptions::min_minutia_quality},
      {"max_minutiae", nullptr, &ExtractorOptions::max_minutiae},
      {"min_minutiae", nullptr, &ExtractorOptions::min_minutiae},
      {"min_foreground_fraction", &ExtractorOptions::min_foreground_fraction},
      {"min_mean_coherence", &ExtractorOptions::min_mean_coherence},
  };
  return k;
}

}  // namespace

std::vector<std::string> extractor_option_names() {
  std::vector<std::string> n;
  for (const auto& k : knobs()) n.emplace_back(k.name);
  return n;
}

Status apply_extractor_option(std::string_view a, ingest::ExtractorOptions& o) {
  const auto eq = a.find('=');
  if (eq == std::string_view::npos)
    return invalid_argument("extractor option '" + std::string(a) + "' is not of the form name=value");
  const std::string_view name = a.substr(0, eq), text = a.substr(eq + 1);
  for (const auto& k : knobs()) {
    if (name != k.name) continue;
    float v = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc{} || end != text.data() + text.size() || !std::isfinite(v))
      return invalid_argument("extractor option " + std::string(name) + ": '" + std::string(text) + "' is not a number");
    if (k.f) {
      o.*k.f = v;
    } else {
      if (v != std::floor(v) || std::fabs(v) > 1e6)
        return invalid_argument("extractor option " + std::string(name) + " takes an integer, got " + std::string(text));
      o.*k.i = static_cast<int>(v);
    }
    return Status::ok();
  }
  std::string known;
  for (const auto& k : knobs()) known += (known.empty() ? "" : ", ") + std::string(k.name);
  return invalid_argument("unknown extractor option '" + std::string(name) + "'; known: " + known);
}

}  // namespace tunggal::datasets
