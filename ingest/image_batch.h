#pragma once
// Enrollments delivered as image files for a batch import (`tunggal import --images PATH`), e.g.
// scanned ten-print cards or an old system's recordings. PATH is either
//
//  - a directory of files named NIK_FINGER.EXT: one enrollment per NIK (its id is the NIK),
//    FINGER the ISO/IEC 19794-2 position 1 (right thumb) .. 10 (left little), EXT one of png, tif,
//    tiff, bmp, jpg, jpeg, pgm (any case); files with other extensions are ignored, image files
//    named otherwise are reported as skipped. All scanned at the same resolution (default_ppi).
//  - a CSV manifest (a file): a header line `id,nik,finger,image` or `id,nik,finger,image,ppi`,
//    then one line per finger image; paths relative to the manifest's directory; blank lines and
//    lines starting with # ignored; no quoting (ids and paths hold no commas). An empty ppi
//    means default_ppi.
//
// Only names and paths are read here; the bytes are read per enrollment (load_image_enrollment),
// so a large import holds only the chunk being extracted in memory.
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "core/enrollment.h"
#include "core/status.h"
#include "ingest/fingerprint_image.h"

namespace tunggal::ingest {

struct ImageFile {
  std::string id;   // enrollment id (directory form: the NIK)
  std::string nik;
  FingerPosition position = FingerPosition::kUnknown;
  std::filesystem::path path;
  std::uint16_t ppi = 500;
};

struct ImageBatch {
  // Grouped by enrollment id (in order of first appearance; a directory is read in name order).
  std::vector<std::vector<ImageFile>> enrollments;
  std::vector<std::string> skipped;  // "name: reason" for entries that are not usable
  std::size_t image_count = 0;
};

// Fails (kNotFound, kInvalidArgument, kMalformedRecord with the line) when PATH is neither a
// readable directory nor a well-formed manifest.
Expected<ImageBatch> list_image_batch(const std::filesystem::path& path, int default_ppi = 500);

// The enrollment `site/<id>` with its fingers as images (bytes read from disk, each file checked
// against limits.max_file_bytes first), not yet extracted: see ingest/enrollment_images.h. Fails
// with the file or field at fault (unreadable file, invalid NIK, a finger twice).
Expected<Enrollment> load_image_enrollment(std::span<const ImageFile> files, const std::string& site,
                                           const ImageLimits& limits = {});

}  // namespace tunggal::ingest
