#include "datasets/det_plot.h"

#include <gtest/gtest.h>

#include <string>

namespace tunggal::datasets {
namespace {

std::size_t count(const std::string& s, const std::string& what) {
  std::size_t n = 0;
  for (auto p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
  return n;
}

TEST(DetPlot, OneLabelledPathPerCurveAndEscapedText) {
  const auto a = compute_error_rates(std::vector<float>{0.5f, 0.9f}, std::vector<float>{0.1f, 0.6f});
  const auto b = compute_error_rates(std::vector<float>{0.7f, 0.8f}, std::vector<float>{0.2f, 0.3f});
  DetPlotOptions o;
  o.title = "A & B <test>";
  const std::string svg = det_plot_svg({{"set A", a.det}, {"set B", b.det}}, o);
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
  EXPECT_EQ(count(svg, "<path "), 2u);
  EXPECT_NE(svg.find(">set A<"), std::string::npos);
  EXPECT_NE(svg.find(">set B<"), std::string::npos);
  EXPECT_NE(svg.find("A &amp; B &lt;test&gt;"), std::string::npos);
  EXPECT_EQ(svg.find("nan"), std::string::npos);
  EXPECT_EQ(svg.find("inf"), std::string::npos);
}

TEST(DetPlot, ZeroRatesAreDrawnOnTheAxisFloorNotAtInfinity) {
  // Perfect separation: the curve passes through FMR = 0 and FNMR = 0.
  const auto r = compute_error_rates(std::vector<float>{0.9f}, std::vector<float>{0.1f});
  const std::string svg = det_plot_svg({{"perfect", r.det}});
  EXPECT_EQ(svg.find("nan"), std::string::npos);
  EXPECT_EQ(svg.find("inf"), std::string::npos);
  EXPECT_EQ(count(svg, "<path "), 1u);
}

}  // namespace
}  // namespace tunggal::datasets
