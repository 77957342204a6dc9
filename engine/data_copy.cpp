#include "engine/data_copy.h"

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "core/durable_file.h"

namespace tunggal::engine {

namespace fs = std::filesystem;

Status mark_as_copy(const fs::path& copy, const CopyMarker& m) {
  const fs::path file = copy / kCopyMarkerFile;
  std::error_code ec;
  const fs::path source = fs::absolute(m.source, ec);
  const std::int64_t at = m.at_ms ? m.at_ms
                                  : std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count();
  {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    // The first line is for a person who finds the file.
    out << "# a copy of a tunggal data directory, not the live gallery: nothing is recorded into it.\n"
        << "# Delete this file only if this directory has become the live gallery.\n"
        << "source=" << (ec ? m.source : source.string()) << "\n"
        << "made_by=" << m.made_by << "\n"
        << "at_ms=" << at << "\n";
    if (!out.flush()) return io_error(fmt::format("cannot write {}", file.string()));
  }
  if (Status s = sync_file(file); !s) return s;
  return sync_directory(copy);
}

Expected<std::optional<CopyMarker>> read_copy_marker(const fs::path& data_dir) {
  const fs::path file = data_dir / kCopyMarkerFile;
  std::error_code ec;
  if (!fs::exists(file, ec)) return std::optional<CopyMarker>{};
  std::ifstream in(file, std::ios::binary);
  if (!in) return io_error(fmt::format("cannot read {}", file.string()));
  CopyMarker m;
  for (std::string line; std::getline(in, line);) {
    const auto eq = line.find('=');
    if (line.empty() || line[0] == '#' || eq == std::string::npos) continue;
    const std::string key = line.substr(0, eq), value = line.substr(eq + 1);
    if (key == "source") m.source = value;
    else if (key == "made_by") m.made_by = value;
    else if (key == "at_ms") m.at_ms = std::strtoll(value.c_str(), nullptr, 10);
  }
  return std::optional<CopyMarker>{std::move(m)};
}

}  // namespace tunggal::engine
