// libFuzzer target for everything a peer's bytes reach before the engine: the frame decoder, the
// Request parser and the wire -> Enrollment conversion. Build and run (docs/protocol.md):
//   cmake -S . -B build-fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DTUNGGAL_FUZZ=ON
//   cmake --build build-fuzz --target frame_fuzz && build-fuzz/fuzz/frame_fuzz -max_total_time=60
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "server/frame.h"
#include "server/wire_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tunggal::server;
  FrameDecoder decoder(1u << 16);
  // Split the input at a data-chosen point, so chunk boundaries are fuzzed too.
  const std::size_t cut = size ? data[0] % (size + 1) : 0;
  const std::string_view all(reinterpret_cast<const char*>(data), size);
  for (std::string_view part : {all.substr(0, cut), all.substr(cut)}) {
    if (!decoder.feed(part)) return 0;
    while (auto frame = decoder.next()) {
      auto req = parse_request(*frame);
      if (!req) continue;
      if (req->has_submit())
        for (const auto& e : req->submit().enrollments())
          (void)enrollment_from_wire(e, "fuzz-site", engine_enrollment_id("fuzz-site", e.id()));
      if (req->has_identify()) (void)enrollment_from_wire(req->identify().probe(), "fuzz-site", "fuzz-site/probe");
    }
  }
  return 0;
}
