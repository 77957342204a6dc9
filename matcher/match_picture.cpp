#include "matcher/match_picture.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "core/svg_text.h"

namespace tunggal::matcher {
namespace {

std::string base64(const std::vector<std::uint8_t>& in) {
  static constexpr char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const std::uint32_t v = (in[i] << 16) | (in[i + 1] << 8) | in[i + 2];
    out += t[v >> 18];
    out += t[(v >> 12) & 63];
    out += t[(v >> 6) & 63];
    out += t[v & 63];
  }
  if (i + 1 == in.size()) {
    const std::uint32_t v = in[i] << 16;
    out += t[v >> 18];
    out += t[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    const std::uint32_t v = (in[i] << 16) | (in[i + 1] << 8);
    out += t[v >> 18];
    out += t[(v >> 12) & 63];
    out += t[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

constexpr double kGap = 40, kTop = 50, kBottom = 40, kMargin = 10, kTick = 12;

void draw_side(std::ostringstream& s, const PictureSide& side, double ox, const std::vector<char>& paired) {
  const FingerTemplate& f = *side.finger;
  s << "<g transform=\"translate(" << svg_number(ox) << ',' << svg_number(kTop) << ")\">\n";
  s << "<text x=\"0\" y=\"-8\">" << xml_escape(side.label) << " (" << f.minutiae.size() << " minutiae, " << f.width << 'x'
    << f.height << ")</text>\n";
  if (!side.png.empty())
    s << "<image x=\"0\" y=\"0\" width=\"" << f.width << "\" height=\"" << f.height
      << "\" preserveAspectRatio=\"none\" href=\"data:image/png;base64," << base64(side.png) << "\"/>\n";
  s << "<rect x=\"0\" y=\"0\" width=\"" << f.width << "\" height=\"" << f.height
    << "\" fill=\"none\" stroke=\"#888\"/>\n";
  for (std::size_t i = 0; i < f.minutiae.size(); ++i) {
    const Minutia& m = f.minutiae[i];
    // ISO angles run counter-clockwise with y up; SVG's y runs down.
    const double x = m.x, y = m.y, tx = x + kTick * std::cos(m.angle), ty = y - kTick * std::sin(m.angle);
    const char* col = m.type == MinutiaType::kBifurcation ? "#0050d0" : m.type == MinutiaType::kRidgeEnding ? "#d02000" : "#808000";
    s << "<line x1=\"" << svg_number(x) << "\" y1=\"" << svg_number(y) << "\" x2=\"" << svg_number(tx) << "\" y2=\"" << svg_number(ty)
      << "\" stroke=\"" << col << "\" stroke-width=\"1.5\"/>";
    if (m.type == MinutiaType::kBifurcation)
      s << "<rect x=\"" << svg_number(x - 3) << "\" y=\"" << svg_number(y - 3) << "\" width=\"6\" height=\"6\" fill=\"" << col << "\"/>";
    else if (m.type == MinutiaType::kRidgeEnding)
      s << "<circle cx=\"" << svg_number(x) << "\" cy=\"" << svg_number(y) << "\" r=\"3.2\" fill=\"" << col << "\"/>";
    else
      s << "<path d=\"M" << svg_number(x) << ' ' << svg_number(y - 4) << " L" << svg_number(x + 4) << ' ' << svg_number(y) << " L" << svg_number(x) << ' '
        << svg_number(y + 4) << " L" << svg_number(x - 4) << ' ' << svg_number(y) << "Z\" fill=\"" << col << "\"/>";
    if (paired[i]) s << "<circle cx=\"" << svg_number(x) << "\" cy=\"" << svg_number(y) << "\" r=\"7\" fill=\"none\" stroke=\"#00a040\" stroke-width=\"2\"/>";
    s << '\n';
  }
  s << "</g>\n";
}

}  // namespace

std::string match_picture_svg(const PictureSide& a, const PictureSide& b, const MatchResult& result) {
  static const FingerTemplate kEmpty{};
  PictureSide sa = a, sb = b;
  if (!sa.finger) sa.finger = &kEmpty;
  if (!sb.finger) sb.finger = &kEmpty;
  const FingerTemplate& fa = *sa.finger;
  const FingerTemplate& fb = *sb.finger;
  const double ox_b = kMargin + fa.width + kGap;
  const double w = ox_b + fb.width + kMargin;
  const double h = kTop + std::max(fa.height, fb.height) + kBottom;
  std::vector<char> pa(fa.minutiae.size(), 0), pb(fb.minutiae.size(), 0);
  std::size_t drawn = 0;
  for (const auto& p : result.pairs)
    if (p.a >= 0 && p.b >= 0 && std::size_t(p.a) < pa.size() && std::size_t(p.b) < pb.size()) {
      pa[p.a] = pb[p.b] = 1;
      ++drawn;
    }

  std::ostringstream s;
  s << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << svg_number(std::max(w, 420.0)) << "\" height=\"" << svg_number(h)
    << "\" font-family=\"sans-serif\" font-size=\"12\">\n";
  s << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  char title[160];
  std::snprintf(title, sizeof title, "score %.4f  ·  %zu paired minutiae  (MCC16b + LSS-R)", double(result.score), drawn);
  s << "<title>" << title << "</title>\n";
  s << "<text x=\"" << kMargin << "\" y=\"20\" font-size=\"15\" font-weight=\"bold\">" << title << "</text>\n";
  draw_side(s, sa, kMargin, pa);
  draw_side(s, sb, ox_b, pb);
  // Pair lines on top of both panels; darker = higher relaxed similarity.
  s << "<g stroke=\"#00a040\" stroke-width=\"1.3\">\n";
  for (const auto& p : result.pairs) {
    if (p.a < 0 || p.b < 0 || std::size_t(p.a) >= pa.size() || std::size_t(p.b) >= pb.size()) continue;
    const Minutia& ma = fa.minutiae[p.a];
    const Minutia& mb = fb.minutiae[p.b];
    const double op = 0.35 + 0.65 * std::clamp(double(p.similarity), 0.0, 1.0);
    s << "<line x1=\"" << svg_number(kMargin + ma.x) << "\" y1=\"" << svg_number(kTop + ma.y) << "\" x2=\"" << svg_number(ox_b + mb.x)
      << "\" y2=\"" << svg_number(kTop + mb.y) << "\" stroke-opacity=\"" << svg_number(op) << "\"><title>pair " << p.a << " - "
      << p.b << ", similarity " << svg_number(p.similarity * 100) << "%</title></line>\n";
  }
  s << "</g>\n";
  const double ly = h - 14;
  s << "<g font-size=\"11\">"
    << "<circle cx=\"" << kMargin + 4 << "\" cy=\"" << ly - 4 << "\" r=\"3.2\" fill=\"#d02000\"/><text x=\"" << kMargin + 12
    << "\" y=\"" << ly << "\">ridge ending</text>"
    << "<rect x=\"" << kMargin + 95 << "\" y=\"" << ly - 7 << "\" width=\"6\" height=\"6\" fill=\"#0050d0\"/><text x=\""
    << kMargin + 106 << "\" y=\"" << ly << "\">bifurcation</text>"
    << "<circle cx=\"" << kMargin + 190 << "\" cy=\"" << ly - 4 << "\" r=\"6\" fill=\"none\" stroke=\"#00a040\" stroke-width=\"2\"/><text x=\""
    << kMargin + 201 << "\" y=\"" << ly << "\">paired (line = pair)</text></g>\n";
  s << "</svg>\n";
  return s.str();
}

}  // namespace tunggal::matcher
