// libFuzzer target for everything a station's or a scanned card's image bytes reach: our header
// reader, OpenCV's decoders behind the allocation cap, and the whole extraction pipeline on
// whatever decodes, then the ISO/IEC 19794-2 record written and read back. It traps on anything
// the rest of tunggal could not use (tests/extraction_invariants.h, which the mutation sweep
// checks too): a minutia outside the image, an angle outside [0, 2π), a quality outside 1..100, a
// rejection without a reason, a record that does not read back as written. Build and run
// (docs/extraction.md, "Bad input"): ./scripts/fuzz.sh image_fuzz 600
#include <cstddef>
#include <cstdint>
#include <vector>

#include "ingest/fingerprint_image.h"
#include "ingest/minutiae_extractor.h"
#include "tests/extraction_invariants.h"
#include "tests/png_crc_repair.h"

namespace {

// Smaller limits than a server's, so each input stays fast enough to fuzz (extraction is linear in
// the area); the checks are the same at any size.
tunggal::ingest::ExtractorOptions fuzz_options() {
  tunggal::ingest::ExtractorOptions o;
  o.limits.max_side = 1024;
  o.limits.max_file_bytes = 1u << 20;
  return o;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // PNG chunk CRCs recomputed, or libpng refuses nearly every mutant before the inflater.
  std::vector<std::uint8_t> bytes(data, data + size);
  tunggal::testing::repair_png_crcs(bytes);
  using namespace tunggal;
  static const ingest::MinutiaeExtractor extractor(fuzz_options());
  auto image = ingest::decode_fingerprint_image(bytes, extractor.options().limits);
  if (!image) return 0;
  if (!testing::decoded_image_violation(*image).empty()) __builtin_trap();
  auto r = extractor.extract(*image);
  if (r && !testing::extraction_violation(*image, *r).empty()) __builtin_trap();
  return 0;
}
