// The adjudicator's picture: what it draws for given minutiae and pairs.
#include "matcher/match_picture.h"

#include <gtest/gtest.h>

#include <string>

namespace tunggal::matcher {
namespace {

std::size_t count(const std::string& s, const std::string& what) {
  std::size_t n = 0;
  for (auto p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
  return n;
}

FingerTemplate finger(int endings, int bifurcations) {
  FingerTemplate t;
  t.width = 200;
  t.height = 250;
  for (int i = 0; i < endings + bifurcations; ++i)
    t.minutiae.push_back({static_cast<std::uint16_t>(20 + 7 * i), static_cast<std::uint16_t>(30 + 5 * i), 0.3f * i,
                          i < endings ? MinutiaType::kRidgeEnding : MinutiaType::kBifurcation, 0});
  return t;
}

TEST(MatchPicture, DrawsEveryMinutiaByTypeEveryPairAndTheScore) {
  const FingerTemplate a = finger(3, 2), b = finger(1, 4);
  MatchResult r;
  r.score = 0.4321f;
  r.pairs = {{0, 1, 0.9f}, {4, 2, 0.5f}, {7, 0, 0.5f} /* out of range: skipped */};
  const std::string svg = match_picture_svg({&a, "A.iso <left>", {}}, {&b, "B.iso", {}}, r);
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  EXPECT_NE(svg.find("score 0.4321"), std::string::npos);
  EXPECT_NE(svg.find("2 paired minutiae"), std::string::npos);
  // Endings are r=3.2 dots, bifurcations 6x6 squares, pairs ringed (r=7) and joined by a line.
  EXPECT_EQ(count(svg, "r=\"3.2\" fill=\"#d02000\""), 3u + 1u + 1u);  // + legend
  EXPECT_EQ(count(svg, "width=\"6\" height=\"6\""), 2u + 4u + 1u);
  EXPECT_EQ(count(svg, "r=\"7\""), 4u);
  EXPECT_EQ(count(svg, "<title>pair "), 2u);
  EXPECT_NE(svg.find("A.iso &lt;left&gt;"), std::string::npos);
  EXPECT_EQ(svg.find("<image"), std::string::npos);
}

TEST(MatchPicture, EmbedsTheImageAsBase64Png) {
  const FingerTemplate a = finger(2, 0);
  // Base64 of "Man" is "TWFu"; of "Ma" "TWE="; of "M" "TQ==" (RFC 4648, section 10).
  const std::vector<std::uint8_t> man{'M', 'a', 'n', 'M', 'a'};
  const std::string svg = match_picture_svg({&a, "A", man}, {&a, "B", {'M'}}, MatchResult{});
  EXPECT_NE(svg.find("data:image/png;base64,TWFuTWE=\""), std::string::npos);
  EXPECT_NE(svg.find("data:image/png;base64,TQ==\""), std::string::npos);
  EXPECT_NE(svg.find("score 0.0000"), std::string::npos);
}

TEST(MatchPicture, MissingTemplateDrawsAnEmptyPanelNotACrash) {
  MatchResult r;
  r.pairs = {{0, 0, 1.0f}};
  const std::string svg = match_picture_svg({nullptr, "A", {}}, {nullptr, "B", {}}, r);
  EXPECT_NE(svg.find("0 paired minutiae"), std::string::npos);
}

}  // namespace
}  // namespace tunggal::matcher
