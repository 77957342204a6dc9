#pragma once
// Loader of FVC fingerprint sets as redistributed by OpenAFIS (../shared/data/fvc2002): a folder
// DBn_B with NNN_K.iso (ISO/IEC 19794-2:2005 minutiae of impression K of finger NNN) and NNN_K.tif
// (the image). The records were extracted from images resized to 300x400 ignoring the aspect
// ratio, so every record declares 300x400 at 197 px/cm while the minutiae are stretched. The
// loader recovers the true geometry by scaling x by W/300 and y by H/400, with W x H the size of
// the TIFF beside the record (read from its header; see ../shared/data/README.md).
#include <filesystem>
#include <string>
#include <vector>

#include "core/finger_template.h"
#include "core/status.h"

namespace tunggal::datasets {

struct FvcImpression {
  int finger = 0;      // NNN of NNN_K
  int impression = 0;  // K of NNN_K
  std::filesystem::path iso_path;
  std::filesystem::path tif_path;  // empty when the set carries no image for this record
  // The record's minutiae in the image's true geometry (or as declared when there is no image).
  FingerTemplate finger_template;
};

struct FvcSet {
  std::string name;                          // folder name, e.g. "DB1_B"
  std::vector<FvcImpression> impressions;    // sorted by (finger, impression)
};

struct ImageSize {
  int width = 0;
  int height = 0;
};

// Width and height from a baseline TIFF's first image file directory (tags 256/257). Reads only
// the header, so it is cheap and needs no image library.
Expected<ImageSize> read_tiff_size(const std::filesystem::path& path);

// Maps a template stretched to (declared width x height) back onto a true_w x true_h image:
// x * true_w / width, y * true_h / height, rounded and kept inside the new frame. Angles are kept
// as recorded (the extractor measured them on the stretched image; the error is a few degrees).
FingerTemplate unstretch(const FingerTemplate& t, ImageSize true_size);

// Loads one set folder. Fails when the folder holds no NNN_K.iso file, a record does not parse,
// a record holds other than one finger view, or a TIFF beside a record is unreadable.
Expected<FvcSet> load_fvc_set(const std::filesystem::path& dir);

// `dir` is either one set folder (it holds .iso files) or a folder of sets (its subfolders that
// hold .iso files, sorted by name).
Expected<std::vector<FvcSet>> load_fvc_sets(const std::filesystem::path& dir);

}  // namespace tunggal::datasets
