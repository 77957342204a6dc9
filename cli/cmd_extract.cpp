// `tunggal extract IMAGE`: minutiae from a fingerprint image (ingest/minutiae_extractor.h), written
// as an ISO/IEC 19794-2 record (--out), drawn over the print (--svg), summarised as text or JSON.
// Exit codes: 0 extracted, 1 the image was rejected for quality (recapture), 2 unusable input.
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli/command_registry.h"
#include "core/json_text.h"
#include "datasets/extractor_option_override.h"
#include "ingest/minutiae_extractor.h"
#include "ingest/minutiae_record.h"

namespace tunggal::cli {
namespace {

struct ExtractArgs {
  std::string image, out, svg;
  int ppi = 500;
  std::vector<std::string> options;  // ExtractorOptions overrides, name=value
  bool json = false;
};

std::string base64(const std::vector<std::uint8_t>& in) {
  static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string o;
  for (std::size_t i = 0; i < in.size(); i += 3) {
    const std::uint32_t v = (std::uint32_t(in[i]) << 16) | (i + 1 < in.size() ? in[i + 1] << 8 : 0) |
                            (i + 2 < in.size() ? in[i + 2] : 0);
    o += t[(v >> 18) & 63];
    o += t[(v >> 12) & 63];
    o += i + 1 < in.size() ? t[(v >> 6) & 63] : '=';
    o += i + 2 < in.size() ? t[v & 63] : '=';
  }
  return o;
}

// The print with its minutiae: ridge endings as red circles, bifurcations as blue squares, each
// with a tick along its ISO direction (counter-clockwise, y down); opacity follows quality.
std::string extraction_svg(const ingest::GreyImage& img, const ingest::Extraction& e, const std::string& label) {
  std::ostringstream s;
  const auto& f = e.finger_template;
  s << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << f.width * 2 << "\" height=\"" << (f.height + 20) * 2
    << "\" viewBox=\"0 -20 " << f.width << " " << f.height + 20 << "\">\n";
  s << "<text x=\"2\" y=\"-7\" font-size=\"9\" font-family=\"sans-serif\">" << label << ": " << f.minutiae.size()
    << " minutiae, quality " << e.image_quality << " (level " << e.nfiq_level << ")"
    << (e.rejected ? ", REJECTED" : "") << "</text>\n";
  if (auto png = ingest::encode_png(img))
    s << "<image x=\"0\" y=\"0\" width=\"" << f.width << "\" height=\"" << f.height
      << "\" href=\"data:image/png;base64," << base64(*png) << "\"/>\n";
  for (const auto& m : f.minutiae) {
    const bool end = m.type == MinutiaType::kRidgeEnding;
    const char* col = end ? "#d00" : "#06c";
    const double op = 0.35 + 0.65 * m.quality / 100.0;
    const double x2 = m.x + 9 * std::cos(m.angle), y2 = m.y - 9 * std::sin(m.angle);
    s << "<g stroke=\"" << col << "\" fill=\"none\" stroke-width=\"1.2\" opacity=\"" << op << "\">";
    if (end) s << "<circle cx=\"" << m.x << "\" cy=\"" << m.y << "\" r=\"3\"/>";
    else s << "<rect x=\"" << m.x - 3 << "\" y=\"" << m.y - 3 << "\" width=\"6\" height=\"6\"/>";
    s << "<line x1=\"" << m.x << "\" y1=\"" << m.y << "\" x2=\"" << x2 << "\" y2=\"" << y2 << "\"/></g>\n";
  }
  s << "</svg>\n";
  return s.str();
}

int run(const ExtractArgs& a) {
  ingest::ExtractorOptions opt;
  opt.resolution_ppi = a.ppi;
  for (const auto& o : a.options)
    if (Status st = datasets::apply_extractor_option(o, opt); !st) {
      std::cerr << "tunggal extract: " << st.message() << "\n";
      return kExitUsage;
    }
  const ingest::MinutiaeExtractor ex(opt);
  auto img = ingest::read_fingerprint_image(a.image, opt.limits);
  if (!img) {
    std::cerr << "tunggal extract: " << img.error().message() << "\n";
    return img.error().code() == ErrorCode::kNotFound ? kExitUnavailable : kExitUsage;
  }
  auto e = ex.extract(*img);
  if (!e) {
    std::cerr << "tunggal extract: " << a.image << ": " << e.error().message() << "\n";
    return kExitUsage;
  }
  if (!a.out.empty()) {
    if (e->finger_template.minutiae.empty()) {
      std::cerr << "tunggal extract: no minutiae found, no record written (" << e->reject_reason << ")\n";
      return kExitFailure;
    }
    auto bytes = write_iso19794_2(make_minutiae_record(e->finger_template));
    if (!bytes) {
      std::cerr << "tunggal extract: " << bytes.error().message() << "\n";
      return kExitFailure;
    }
    std::ofstream out(a.out, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes->data()), std::streamsize(bytes->size()));
    if (!out) {
      std::cerr << "tunggal extract: cannot write " << a.out << "\n";
      return kExitFailure;
    }
  }
  if (!a.svg.empty()) {
    std::ofstream out(a.svg);
    out << extraction_svg(*img, *e, std::filesystem::path(a.image).filename().string());
    if (!out) {
      std::cerr << "tunggal extract: cannot write " << a.svg << "\n";
      return kExitFailure;
    }
  }
  const auto& f = e->finger_template;
  if (a.json) {
    nlohmann::json ms = nlohmann::json::array();
    for (const auto& m : f.minutiae)
      ms.push_back({{"x", m.x},
                    {"y", m.y},
                    {"angle", m.angle},
                    {"type", m.type == MinutiaType::kRidgeEnding ? "ending" : "bifurcation"},
                    {"quality", m.quality}});
    const auto& t = e->timings;
    std::cout << json_text(nlohmann::json{{"image", a.image},
                                {"width", f.width},
                                {"height", f.height},
                                {"resolution_ppi", a.ppi},
                                {"image_quality", e->image_quality},
                                {"nfiq_level", e->nfiq_level},
                                {"rejected", e->rejected},
                                {"reject_reason", e->reject_reason},
                                {"foreground_fraction", e->foreground_fraction},
                                {"mean_coherence", e->mean_coherence},
                                {"ridge_period", e->ridge_period},
                                {"milliseconds", t.total_ms},
                                {"minutiae", ms}})
              << "\n";
  } else {
    std::printf("%s: %dx%d, %zu minutiae, image quality %d (level %d), foreground %.0f%%, coherence %.2f, "
                "ridge period %.1f px, %.1f ms\n",
                a.image.c_str(), f.width, f.height, f.minutiae.size(), e->image_quality, e->nfiq_level,
                100.0 * e->foreground_fraction, double(e->mean_coherence), double(e->ridge_period), e->timings.total_ms);
    if (e->rejected) std::printf("REJECTED: %s\n", e->reject_reason.c_str());
    if (!a.out.empty()) std::printf("record written to %s\n", a.out.c_str());
    if (!a.svg.empty()) std::printf("picture written to %s\n", a.svg.c_str());
  }
  return e->rejected ? kExitFailure : kExitOk;
}

RegisterCommand reg{{"extract", "minutiae from a fingerprint image (TIFF, PNG, BMP, JPEG, PGM) as an ISO/IEC 19794-2 record",
                     [](CLI::App& cmd) {
                       auto a = std::make_shared<ExtractArgs>();
                       cmd.add_option("image", a->image, "8-bit greyscale fingerprint image")->required();
                       cmd.add_option("--out", a->out, "write the minutiae as an ISO/IEC 19794-2:2005 record");
                       cmd.add_option("--svg", a->svg, "draw the minutiae over the print into this SVG file");
                       cmd.add_option("--ppi", a->ppi, "resolution of the image in pixels per inch (default 500)")
                           ->check(CLI::Range(250, 2000));
                       cmd.add_option("--extractor-option", a->options,
                                      "extractor option override name=value (repeatable), names as in "
                                      "ingest/minutiae_extractor.h ExtractorOptions");
                       cmd.add_flag("--json", a->json, "print one JSON object (minutiae, quality, timing)");
                       return [a]() { return run(*a); };
                     }}};

}  // namespace
}  // namespace tunggal::cli
