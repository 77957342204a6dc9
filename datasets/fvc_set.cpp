#include "datasets/fvc_set.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <optional>
#include <regex>
#include <system_error>

#include "ingest/minutiae_record.h"

namespace tunggal::datasets {
namespace {

// "NNN_K" -> (NNN, K); anything else is not part of the set.
std::optional<std::pair<int, int>> parse_stem(const std::string& stem) {
  static const std::regex re(R"((\d+)_(\d+))");
  std::smatch m;
  if (!std::regex_match(stem, m, re)) return std::nullopt;
  return std::pair{std::stoi(m[1].str()), std::stoi(m[2].str())};
}

bool holds_iso_files(const std::filesystem::path& dir) {
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec))
    if (e.is_regular_file() && e.path().extension() == ".iso") return true;
  return false;
}

}  // namespace

Expected<ImageSize> read_tiff_size(const std::filesystem::path& path) {
  const std::string where = path.string() + ": ";
  std::error_code ec;
  const auto file_size = std::filesystem::file_size(path, ec);
  if (ec) return io_error("cannot open TIFF image " + path.string() + ": " + ec.message());
  // A fingerprint image is well under this; the first IFD may sit anywhere, so the file is read
  // whole, and a file larger than this is refused rather than read.
  constexpr std::uintmax_t kMaxTiffBytes = 64u << 20;
  if (file_size > kMaxTiffBytes)
    return malformed(where + std::to_string(file_size) + " bytes, more than the " + std::to_string(kMaxTiffBytes >> 20) +
                     " MiB accepted for a fingerprint image");
  std::ifstream in(path, std::ios::binary);
  if (!in) return io_error("cannot open TIFF image " + path.string());
  std::vector<std::uint8_t> b((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (b.size() < 8) return malformed(where + "too short for a TIFF header (" + std::to_string(b.size()) + " bytes)");
  bool le;
  if (b[0] == 'I' && b[1] == 'I') le = true;
  else if (b[0] == 'M' && b[1] == 'M') le = false;
  else return malformed(where + "not a TIFF image (byte order mark is neither II nor MM)");
  auto u16 = [&](std::size_t o) -> std::uint32_t {
    return le ? b[o] | (b[o + 1] << 8) : (b[o] << 8) | b[o + 1];
  };
  auto u32 = [&](std::size_t o) -> std::uint32_t {
    return le ? std::uint32_t(b[o]) | (std::uint32_t(b[o + 1]) << 8) | (std::uint32_t(b[o + 2]) << 16) |
                    (std::uint32_t(b[o + 3]) << 24)
              : (std::uint32_t(b[o]) << 24) | (std::uint32_t(b[o + 1]) << 16) | (std::uint32_t(b[o + 2]) << 8) |
                    std::uint32_t(b[o + 3]);
  };
  if (u16(2) != 42) return malformed(where + "not a TIFF image (magic " + std::to_string(u16(2)) + ", expected 42)");
  const std::size_t ifd = u32(4);
  if (ifd + 2 > b.size()) return malformed(where + "first IFD offset " + std::to_string(ifd) + " lies past the end");
  const std::size_t n = u16(ifd);
  if (ifd + 2 + 12 * n > b.size()) return malformed(where + "IFD with " + std::to_string(n) + " entries overruns the file");
  ImageSize s;
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t e = ifd + 2 + 12 * i;
    const std::uint32_t tag = u16(e), type = u16(e + 2);
    if (tag != 256 && tag != 257) continue;
    std::uint32_t v;
    if (type == 3) v = u16(e + 8);       // SHORT, left-justified in the value field
    else if (type == 4) v = u32(e + 8);  // LONG
    else return malformed(where + "image size tag " + std::to_string(tag) + " has type " + std::to_string(type));
    (tag == 256 ? s.width : s.height) = static_cast<int>(v);
  }
  if (s.width <= 0 || s.height <= 0 || s.width > 65535 || s.height > 65535)
    return malformed(where + "TIFF declares a " + std::to_string(s.width) + "x" + std::to_string(s.height) + " image");
  return s;
}

FingerTemplate unstretch(const FingerTemplate& t, ImageSize true_size) {
  FingerTemplate r = t;
  if (t.width == 0 || t.height == 0 || true_size.width <= 0 || true_size.height <= 0) return r;
  const double fx = double(true_size.width) / t.width, fy = double(true_size.height) / t.height;
  r.width = static_cast<std::uint16_t>(true_size.width);
  r.height = static_cast<std::uint16_t>(true_size.height);
  for (auto& m : r.minutiae) {
    m.x = static_cast<std::uint16_t>(std::min<long>(std::lround(m.x * fx), true_size.width - 1));
    m.y = static_cast<std::uint16_t>(std::min<long>(std::lround(m.y * fy), true_size.height - 1));
  }
  return r;
}

Expected<FvcSet> load_fvc_set(const std::filesystem::path& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) return not_found("FVC set folder " + dir.string() + " does not exist");
  FvcSet set;
  set.name = dir.filename().string();
  if (set.name.empty()) set.name = dir.parent_path().filename().string();
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    if (!e.is_regular_file() || e.path().extension() != ".iso") continue;
    const auto id = parse_stem(e.path().stem().string());
    if (!id) continue;
    auto rec = read_minutiae_file(e.path());
    if (!rec) return rec.error();
    if (rec->views.size() != 1)
      return malformed(e.path().string() + ": holds " + std::to_string(rec->views.size()) +
                       " finger views; an FVC record holds exactly one");
    FvcImpression imp;
    imp.finger = id->first;
    imp.impression = id->second;
    imp.iso_path = e.path();
    imp.finger_template = rec->views.front();
    auto tif = e.path();
    tif.replace_extension(".tif");
    if (std::filesystem::is_regular_file(tif, ec)) {
      auto size = read_tiff_size(tif);
      if (!size) return size.error();
      imp.tif_path = tif;
      imp.finger_template = unstretch(imp.finger_template, *size);
    }
    set.impressions.push_back(std::move(imp));
  }
  if (ec) return io_error("cannot list " + dir.string() + ": " + ec.message());
  if (set.impressions.empty())
    return not_found("no NNN_K.iso minutiae records in " + dir.string() + " (expected an FVC set such as DB1_B)");
  std::sort(set.impressions.begin(), set.impressions.end(), [](const auto& a, const auto& b) {
    return std::pair(a.finger, a.impression) < std::pair(b.finger, b.impression);
  });
  return set;
}

Expected<std::vector<FvcSet>> load_fvc_sets(const std::filesystem::path& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) return not_found("FVC folder " + dir.string() + " does not exist");
  std::vector<FvcSet> sets;
  if (holds_iso_files(dir)) {
    auto s = load_fvc_set(dir);
    if (!s) return s.error();
    sets.push_back(std::move(*s));
    return sets;
  }
  std::vector<std::filesystem::path> subs;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec))
    if (e.is_directory() && holds_iso_files(e.path())) subs.push_back(e.path());
  std::sort(subs.begin(), subs.end());
  for (const auto& p : subs) {
    auto s = load_fvc_set(p);
    if (!s) return s.error();
    sets.push_back(std::move(*s));
  }
  if (sets.empty())
    return not_found("no FVC set in " + dir.string() + ": expected .iso records in it or in its subfolders (DB1_B, ...)");
  return sets;
}

}  // namespace tunggal::datasets
