// `tunggal match`: 1:1 comparison of two minutiae records (ISO/IEC 19794-2 or ANSI/INCITS 378) or
// fingerprint images (extracted on the fly),
// printing the score and, with --svg, the adjudicator's picture (both minutiae sets, the pairs the
// score rests on, optionally over the fingerprint images).
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli/command_registry.h"
#include "core/json_text.h"
#include "datasets/fvc_set.h"
#include "datasets/image_png.h"
#include "ingest/minutiae_extractor.h"
#include "ingest/minutiae_record.h"
#include "matcher/finger_matcher.h"
#include "matcher/match_picture.h"

namespace tunggal::cli {
namespace {

struct MatchArgs {
  std::string a, b, svg, tif_a, tif_b;
  bool json = false;
};

// True when the file starts like a minutiae record ("FMR\0"); anything else is taken for an image.
bool is_minutiae_record(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[4] = {};
  in.read(magic, 4);
  return in && magic[0] == 'F' && magic[1] == 'M' && magic[2] == 'R' && magic[3] == 0;
}

// An image instead of a record: minutiae extracted on the fly (ingest/minutiae_extractor.h), the
// image itself drawn underneath.
Expected<FingerTemplate> extract_side(const std::string& path, std::vector<std::uint8_t>& png) {
  const ingest::MinutiaeExtractor ex;
  auto img = ingest::read_fingerprint_image(path);
  if (!img) return img.error();
  auto e = ex.extract(*img);
  if (!e) return e.error();
  if (e->rejected) std::fprintf(stderr, "tunggal match: %s: quality REJECTED (%s); matching anyway\n", path.c_str(),
                                e->reject_reason.c_str());
  if (auto p = ingest::encode_png(*img)) png = std::move(*p);
  return e->finger_template;
}

// The first finger view of the record at `iso`; with an image, the minutiae are mapped onto the
// image's frame when the record declares another size (records extracted from a resized image,
// as in the FVC2002 sets).
Expected<FingerTemplate> load_side(const std::string& iso, const std::string& tif, std::vector<std::uint8_t>& png) {
  if (!is_minutiae_record(iso) && std::filesystem::is_regular_file(iso)) return extract_side(iso, png);
  auto rec = read_minutiae_file(iso);
  if (!rec) return rec.error();
  if (rec->views.empty()) return malformed(iso + ": the record holds no finger view");
  FingerTemplate t = rec->views.front();
  if (tif.empty()) return t;
  auto img = datasets::load_image_as_png(tif);
  if (!img) return img.error();
  if (img->width != t.width || img->height != t.height) t = datasets::unstretch(t, {img->width, img->height});
  png = std::move(img->png);
  return t;
}

int run(const MatchArgs& args) {
  std::vector<std::uint8_t> png_a, png_b;
  auto ta = load_side(args.a, args.tif_a, png_a);
  if (!ta) {
    std::cerr << "tunggal match: " << ta.error().message() << "\n";
    return kExitUsage;
  }
  auto tb = load_side(args.b, args.tif_b, png_b);
  if (!tb) {
    std::cerr << "tunggal match: " << tb.error().message() << "\n";
    return kExitUsage;
  }
  const matcher::FingerMatcher m;
  auto pa = m.prepare(*ta);
  if (!pa) {
    std::cerr << "tunggal match: " << args.a << ": " << pa.error().message() << "\n";
    return kExitUsage;
  }
  auto pb = m.prepare(*tb);
  if (!pb) {
    std::cerr << "tunggal match: " << args.b << ": " << pb.error().message() << "\n";
    return kExitUsage;
  }
  const matcher::MatchResult r = m.match(*pa, *pb);

  if (!args.svg.empty()) {
    const matcher::PictureSide sa{&*ta, std::filesystem::path(args.a).filename().string(), std::move(png_a)};
    const matcher::PictureSide sb{&*tb, std::filesystem::path(args.b).filename().string(), std::move(png_b)};
    std::ofstream out(args.svg);
    out << matcher::match_picture_svg(sa, sb, r);
    if (!out) {
      std::cerr << "tunggal match: cannot write " << args.svg << "\n";
      return kExitFailure;
    }
  }
  if (args.json) {
    nlohmann::json pairs = nlohmann::json::array();
    for (const auto& p : r.pairs) pairs.push_back({{"a", p.a}, {"b", p.b}, {"similarity", p.similarity}});
    std::cout << json_text(nlohmann::json{{"score", r.score}, {"pairs", pairs}}) << "\n";
    return kExitOk;
  }
  std::printf("score %.4f (%zu paired minutiae; A: %zu minutiae, B: %zu)\n", double(r.score), r.pairs.size(),
              ta->minutiae.size(), tb->minutiae.size());
  for (const auto& n : pa->cleaning_notes()) std::printf("note A: %s\n", n.c_str());
  for (const auto& n : pb->cleaning_notes()) std::printf("note B: %s\n", n.c_str());
  if (!args.svg.empty()) std::printf("picture written to %s\n", args.svg.c_str());
  return kExitOk;
}

RegisterCommand reg{{"match", "compare two minutiae records; --svg draws the minutiae and the pairs for adjudication",
                     [](CLI::App& cmd) {
                       auto a = std::make_shared<MatchArgs>();
                       cmd.add_option("--a", a->a, "first minutiae record (ISO/IEC 19794-2 or ANSI/INCITS 378), or a fingerprint "
                                      "image whose minutiae are extracted on the fly")
                           ->required();
                       cmd.add_option("--b", a->b, "second minutiae record or image")->required();
                       cmd.add_option("--svg", a->svg, "write the adjudicator's picture to this SVG file");
                       cmd.add_option("--tif-a", a->tif_a,
                                      "image of the first finger, drawn underneath; a record declaring another "
                                      "frame size is mapped onto the image's");
                       cmd.add_option("--tif-b", a->tif_b, "image of the second finger");
                       cmd.add_flag("--json", a->json, "print {\"score\":..,\"pairs\":[..]} instead of text");
                       return [a]() { return run(*a); };
                     }}};

}  // namespace
}  // namespace tunggal::cli
