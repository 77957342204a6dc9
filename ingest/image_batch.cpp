#include "ingest/image_batch.h"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

#include <fmt/format.h>

namespace tunggal::ingest {
namespace {

bool is_image_extension(std::string ext) {
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  for (const char* e : {".png", ".tif", ".tiff", ".bmp", ".jpg", ".jpeg", ".pgm"})
    if (ext == e) return true;
  return false;
}

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return std::string(s);
}

std::vector<std::string> split(const std::string& line) {
  std::vector<std::string> out;
  std::size_t at = 0;
  for (;;) {
    const auto comma = line.find(',', at);
    out.push_back(trim(std::string_view(line).substr(at, comma == std::string::npos ? std::string::npos : comma - at)));
    if (comma == std::string::npos) return out;
    at = comma + 1;
  }
}

std::optional<int> to_int(const std::string& s) {
  int v = 0;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

void group(std::vector<ImageFile> files, ImageBatch& out) {
  std::map<std::string, std::size_t> at;
  for (ImageFile& f : files) {
    auto [it, fresh] = at.emplace(f.id, out.enrollments.size());
    if (fresh) out.enrollments.emplace_back();
    out.enrollments[it->second].push_back(std::move(f));
    ++out.image_count;
  }
}

Expected<ImageBatch> list_directory(const std::filesystem::path& dir, int ppi) {
  std::vector<std::filesystem::path> names;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec))
    if (entry.is_regular_file(ec) && is_image_extension(entry.path().extension().string())) names.push_back(entry.path());
  if (ec) return io_error(fmt::format("cannot list {}: {}", dir.string(), ec.message()));
  std::sort(names.begin(), names.end());
  ImageBatch out;
  std::vector<ImageFile> files;
  for (const auto& p : names) {
    const std::string stem = p.stem().string();
    const auto us = stem.rfind('_');
    const auto finger = us == std::string::npos ? std::nullopt : to_int(stem.substr(us + 1));
    if (!finger || *finger < 1 || *finger > 10 || us == 0) {
      out.skipped.push_back(fmt::format("{}: not named NIK_FINGER (finger 1-10)", p.filename().string()));
      continue;
    }
    ImageFile f;
    f.id = f.nik = stem.substr(0, us);
    f.position = static_cast<FingerPosition>(*finger);
    f.path = p;
    f.ppi = static_cast<std::uint16_t>(ppi);
    files.push_back(std::move(f));
  }
  group(std::move(files), out);
  return out;
}

Expected<ImageBatch> read_manifest(const std::filesystem::path& csv, int default_ppi) {
  std::ifstream in(csv);
  if (!in) return io_error("cannot read manifest " + csv.string());
  const std::filesystem::path base = csv.parent_path();
  std::string line;
  std::size_t line_no = 0;
  bool header = false;
  std::vector<ImageFile> files;
  ImageBatch out;
  while (std::getline(in, line)) {
    ++line_no;
    const std::string t = trim(line);
    if (t.empty() || t[0] == '#') continue;
    const auto cols = split(t);
    if (!header) {
      if (cols.size() < 4 || cols[0] != "id" || cols[1] != "nik" || cols[2] != "finger" || cols[3] != "image" ||
          (cols.size() == 5 && cols[4] != "ppi") || cols.size() > 5)
        return malformed(fmt::format("{}:{}: the header must be `id,nik,finger,image` or `id,nik,finger,image,ppi`",
                                     csv.string(), line_no));
      header = true;
      continue;
    }
    const std::string where = fmt::format("{}:{}", csv.filename().string(), line_no);
    if (cols.size() < 4 || cols.size() > 5) {
      out.skipped.push_back(fmt::format("{}: {} fields; expected id,nik,finger,image[,ppi]", where, cols.size()));
      continue;
    }
    const auto finger = to_int(cols[2]);
    if (!finger || *finger < 1 || *finger > 10) {
      out.skipped.push_back(fmt::format("{}: finger '{}' is not a position 1-10", where, cols[2]));
      continue;
    }
    int ppi = default_ppi;
    if (cols.size() == 5 && !cols[4].empty()) {
      const auto p = to_int(cols[4]);
      if (!p || *p < kMinImagePpi || *p > kMaxImagePpi) {
        out.skipped.push_back(fmt::format("{}: ppi '{}' outside {}..{}", where, cols[4], kMinImagePpi, kMaxImagePpi));
        continue;
      }
      ppi = *p;
    }
    if (cols[0].empty() || cols[3].empty()) {
      out.skipped.push_back(fmt::format("{}: empty id or image", where));
      continue;
    }
    ImageFile f;
    f.id = cols[0];
    f.nik = cols[1];
    f.position = static_cast<FingerPosition>(*finger);
    f.path = std::filesystem::path(cols[3]).is_absolute() ? std::filesystem::path(cols[3]) : base / cols[3];
    f.ppi = static_cast<std::uint16_t>(ppi);
    files.push_back(std::move(f));
  }
  if (!header) return malformed(csv.string() + ": empty manifest (no header line `id,nik,finger,image`)");
  group(std::move(files), out);
  return out;
}

}  // namespace

Expected<ImageBatch> list_image_batch(const std::filesystem::path& path, int default_ppi) {
  if (default_ppi < kMinImagePpi || default_ppi > kMaxImagePpi)
    return invalid_argument(fmt::format("resolution {} ppi outside {}..{}", default_ppi, kMinImagePpi, kMaxImagePpi));
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return list_directory(path, default_ppi);
  if (std::filesystem::is_regular_file(path, ec)) return read_manifest(path, default_ppi);
  return not_found(path.string() + " is neither a directory of images nor a manifest file");
}

Expected<Enrollment> load_image_enrollment(std::span<const ImageFile> files, const std::string& site,
                                           const ImageLimits& limits) {
  if (files.empty()) return invalid_argument("an enrollment without images");
  const std::string& id = files[0].id;
  Enrollment e;
  e.id = EnrollmentId{site + "/" + id};
  e.site = site;
  auto nik = Nik::parse(files[0].nik);
  if (!nik) return invalid_argument(fmt::format("{}: nik '{}': {}", id, files[0].nik, nik.error().message()));
  e.nik = std::move(*nik);
  // Everything the listing alone can tell is checked before a byte is read: a manifest that lists
  // 1,000 images under one id would otherwise have up to 1,000 x 32 MiB read into memory only to be
  // refused afterwards for having more than ten fingers.
  if (Status s = validate(e, FingerImages::kImagesAllowed); !s) return s;
  if (files.size() > std::size_t(kFingerCount))
    return invalid_argument(fmt::format("{}: {} finger images listed; at most {}", id, files.size(), kFingerCount));
  bool seen[kFingerCount] = {};
  for (const ImageFile& f : files) {
    if (f.nik != files[0].nik)
      return invalid_argument(fmt::format("{}: two NIKs ({} and {}) for one enrollment", id, files[0].nik, f.nik));
    if (!is_known_finger(f.position))
      return invalid_argument(fmt::format("{}: {}: finger position code {} (must be 1-10)", id, f.path.string(),
                                          static_cast<int>(f.position)));
    if (seen[finger_slot(f.position)])
      return invalid_argument(fmt::format("{}: {} appears twice ({})", id, finger_name(f.position), f.path.string()));
    seen[finger_slot(f.position)] = true;
  }
  std::vector<std::uintmax_t> sizes;
  for (const ImageFile& f : files) {
    std::error_code ec;
    const auto n = std::filesystem::file_size(f.path, ec);
    if (ec) return io_error(fmt::format("{}: {}: {}", id, f.path.string(), ec.message()));
    if (n > limits.max_file_bytes)
      return invalid_argument(fmt::format("{}: {}: file of {} bytes exceeds the limit of {} bytes", id,
                                          f.path.string(), n, limits.max_file_bytes));
    sizes.push_back(n);
  }
  for (std::size_t i = 0; i < files.size(); ++i) {
    const ImageFile& f = files[i];
    const auto n = sizes[i];
    FingerImage img;
    img.position = f.position;
    img.resolution_ppi = f.ppi;
    img.encoded.resize(n);
    std::ifstream in(f.path, std::ios::binary);
    if (!in.read(reinterpret_cast<char*>(img.encoded.data()), std::streamsize(n)))
      return io_error(fmt::format("{}: cannot read {}", id, f.path.string()));
    e.finger_images.push_back(std::move(img));
  }
  if (Status s = validate(e, FingerImages::kImagesAllowed); !s) return s;
  return e;
}

}  // namespace tunggal::ingest
