#include "datasets/det_plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "core/svg_text.h"

namespace tunggal::datasets {
namespace {

std::string percent_label(double rate) {
  char b[32];
  const double p = rate * 100.0;
  if (p >= 1.0) std::snprintf(b, sizeof b, "%g%%", p);
  else std::snprintf(b, sizeof b, "%.2g%%", p);
  return b;
}

// Colour-blind-safe palette (Okabe & Ito).
constexpr const char* kColours[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7",
                                    "#E69F00", "#56B4E9", "#000000", "#F0E442"};

}  // namespace

std::string det_plot_svg(const std::vector<DetCurve>& curves, const DetPlotOptions& o) {
  const double left = 70, right = 20, top = 40, bottom = 60;
  const double pw = o.width - left - right, ph = o.height - top - bottom;
  const double lx0 = std::log10(std::max(o.min_fmr, 1e-12)), ly0 = std::log10(std::max(o.min_fnmr, 1e-12));
  auto px = [&](double fmr) { return left + (std::log10(std::max(fmr, o.min_fmr)) - lx0) / (0.0 - lx0) * pw; };
  auto py = [&](double fnmr) { return top + ph - (std::log10(std::max(fnmr, o.min_fnmr)) - ly0) / (0.0 - ly0) * ph; };

  std::ostringstream s;
  s << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << o.width << "\" height=\"" << o.height
    << "\" viewBox=\"0 0 " << o.width << ' ' << o.height << "\" font-family=\"sans-serif\" font-size=\"12\">\n";
  s << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  s << "<text x=\"" << o.width / 2 << "\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">" << xml_escape(o.title)
    << "</text>\n";
  // Decade grid and tick labels.
  for (int e = static_cast<int>(std::floor(lx0)); e <= 0; ++e) {
    const double v = std::pow(10.0, e);
    if (v < o.min_fmr * 0.999) continue;
    s << "<line x1=\"" << svg_number(px(v)) << "\" y1=\"" << top << "\" x2=\"" << svg_number(px(v)) << "\" y2=\"" << top + ph
      << "\" stroke=\"#ddd\"/>\n";
    s << "<text x=\"" << svg_number(px(v)) << "\" y=\"" << top + ph + 16 << "\" text-anchor=\"middle\">" << percent_label(v)
      << "</text>\n";
  }
  for (int e = static_cast<int>(std::floor(ly0)); e <= 0; ++e) {
    const double v = std::pow(10.0, e);
    if (v < o.min_fnmr * 0.999) continue;
    s << "<line x1=\"" << left << "\" y1=\"" << svg_number(py(v)) << "\" x2=\"" << left + pw << "\" y2=\"" << svg_number(py(v))
      << "\" stroke=\"#ddd\"/>\n";
    s << "<text x=\"" << left - 6 << "\" y=\"" << svg_number(py(v) + 4) << "\" text-anchor=\"end\">" << percent_label(v)
      << "</text>\n";
  }
  s << "<rect x=\"" << left << "\" y=\"" << top << "\" width=\"" << pw << "\" height=\"" << ph
    << "\" fill=\"none\" stroke=\"black\"/>\n";
  s << "<text x=\"" << left + pw / 2 << "\" y=\"" << o.height - 18
    << "\" text-anchor=\"middle\">FMR (false match rate; 0 drawn at " << percent_label(o.min_fmr) << ")</text>\n";
  s << "<text transform=\"translate(18," << top + ph / 2 << ") rotate(-90)\" text-anchor=\"middle\">FNMR (false "
    << "non-match rate; 0 drawn at " << percent_label(o.min_fnmr) << ")</text>\n";
  // EER diagonal, for orientation.
  const double dlo = std::max(o.min_fmr, o.min_fnmr);
  s << "<line x1=\"" << svg_number(px(dlo)) << "\" y1=\"" << svg_number(py(dlo)) << "\" x2=\"" << svg_number(px(1)) << "\" y2=\""
    << svg_number(py(1)) << "\" stroke=\"#999\" stroke-dasharray=\"4 4\"/>\n";

  for (std::size_t c = 0; c < curves.size(); ++c) {
    const char* col = kColours[c % (sizeof kColours / sizeof *kColours)];
    // A staircase: each threshold step first moves FMR, then FNMR, as the empirical curve does.
    std::ostringstream d;
    bool first = true;
    double prev_y = 0;
    for (const auto& p : curves[c].points) {
      const double x = px(p.fmr), y = py(p.fnmr);
      if (first) d << "M" << svg_number(x) << ' ' << svg_number(y);
      else d << " L" << svg_number(x) << ' ' << svg_number(prev_y) << " L" << svg_number(x) << ' ' << svg_number(y);
      prev_y = y;
      first = false;
    }
    s << "<path d=\"" << d.str() << "\" fill=\"none\" stroke=\"" << col << "\" stroke-width=\"1.8\"/>\n";
    const double ly = top + 18 + 18 * double(c);
    s << "<line x1=\"" << left + pw - 190 << "\" y1=\"" << ly - 4 << "\" x2=\"" << left + pw - 165 << "\" y2=\""
      << ly - 4 << "\" stroke=\"" << col << "\" stroke-width=\"2.5\"/>\n";
    s << "<text x=\"" << left + pw - 160 << "\" y=\"" << ly << "\">" << xml_escape(curves[c].label) << "</text>\n";
  }
  s << "</svg>\n";
  return s.str();
}

}  // namespace tunggal::datasets
