#include <fstream>
#include <system_error>

#include "ingest/minutiae_record.h"

namespace tunggal {

Expected<MinutiaeRecord> read_minutiae_file(const std::filesystem::path& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) {
    if (ec == std::errc::no_such_file_or_directory) return not_found("minutiae record " + path.string() + " does not exist");
    return io_error("cannot stat minutiae record " + path.string() + ": " + ec.message());
  }
  if (size > kMaxMinutiaeRecordBytes) {
    return malformed("minutiae record " + path.string() + " is " + std::to_string(size) + " bytes, larger than the " +
                     std::to_string(kMaxMinutiaeRecordBytes) + "-byte limit; it is not a finger minutiae record");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return io_error("cannot open minutiae record " + path.string());
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(size));
  in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (in.gcount() != static_cast<std::streamsize>(bytes.size())) {
    return io_error("short read of minutiae record " + path.string());
  }
  auto rec = read_minutiae_record(bytes);
  if (!rec) return Status(rec.error().code(), path.string() + ": " + rec.error().message());
  return rec;
}

}  // namespace tunggal
