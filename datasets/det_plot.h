#pragma once
// DET curves (FNMR against FMR, both on logarithmic axes; Martin et al., "The DET curve in
// assessment of detection task performance", Eurospeech 1997, with log axes instead of normal
// deviates) as a self-contained SVG document: plain text, no dependency.
#include <string>
#include <vector>

#include "datasets/error_rates.h"

namespace tunggal::datasets {

struct DetCurve {
  std::string label;             // legend text, e.g. "DB1_B (EER 1.23%)"
  std::vector<DetPoint> points;  // as in ErrorRates::det
};

struct DetPlotOptions {
  std::string title = "DET curve";
  // Axis ranges (rates as fractions). Rates below the lower bound, 0 included, are drawn on it.
  double min_fmr = 1e-4;
  double min_fnmr = 1e-3;
  int width = 720, height = 560;
};

std::string det_plot_svg(const std::vector<DetCurve>& curves, const DetPlotOptions& options = {});

}  // namespace tunggal::datasets
