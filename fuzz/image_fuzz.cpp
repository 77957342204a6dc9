// libFuzzer target for everything a station's or a scanned card's image bytes reach: our header
// reader, OpenCV's decoders behind the allocation cap, and the whole extraction pipeline on
// whatever decodes, then the ISO/IEC 19794-2 record written and read back. It checks what the rest
// of tunggal relies on, trapping otherwise: every minutia inside the image, an angle in [0, 2π), a
// quality in 1..100, a record that reads back as written. Build and run (docs/extraction.md,
// "Bad input"): ./scripts/fuzz.sh image_fuzz 600
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numbers>
#include <span>
#include <vector>

#include "ingest/fingerprint_image.h"
#include "tests/png_crc_repair.h"
#include "ingest/minutiae_extractor.h"
#include "ingest/minutiae_record.h"

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
  if (image->width <= 0 || image->height <= 0 || image->pixels.size() != std::size_t(image->width) * image->height)
    __builtin_trap();  // a decoded image whose buffer does not match its size
  auto r = extractor.extract(*image);
  if (!r) return 0;
  const FingerTemplate& t = r->finger_template;
  if (r->image_quality < 0 || r->image_quality > 100) __builtin_trap();
  for (const Minutia& m : t.minutiae) {
    if (m.x >= image->width || m.y >= image->height) __builtin_trap();
    if (!(m.angle >= 0.0f && m.angle < 2 * std::numbers::pi_v<float>)) __builtin_trap();
    if (m.quality < 1 || m.quality > 100) __builtin_trap();
  }
  if (r->rejected) return 0;
  auto record = write_iso19794_2(make_minutiae_record(t));
  if (!record) __builtin_trap();  // the extractor produced a template its own writer refuses
  auto back = read_iso19794_2(*record);
  if (!back || back->views.size() != 1 || back->views[0].minutiae.size() != t.minutiae.size()) __builtin_trap();
  return 0;
}
