// libFuzzer target for minutiae records (ISO/IEC 19794-2:2005 and ANSI/INCITS 378-2004), what
// stations send when they extract on site and what `tunggal import` reads from disk. Beyond not
// crashing, it checks the round trip the rest of tunggal relies on (ingest/minutiae_record.h): a
// record the reader accepts is one the writer of its format accepts, reads back equal, and then
// writes the same bytes again. Run: ./scripts/fuzz.sh record_fuzz 600
#include <cstddef>
#include <cstdint>
#include <span>

#include "ingest/minutiae_record.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tunggal;
  auto r = read_minutiae_record(std::span(data, size));
  if (!r) {
    if (r.error().message().empty()) __builtin_trap();  // a refusal must say why
    return 0;
  }
  auto write = [](const MinutiaeRecord& m) {
    return m.format == MinutiaeFormat::kAnsi378_2004 ? write_ansi378(m) : write_iso19794_2(m);
  };
  auto once = write(*r);
  if (!once) __builtin_trap();  // accepted by the reader, refused by the writer
  auto back = read_minutiae_record(*once);
  if (!back || !(*back == *r)) __builtin_trap();  // the written record reads back different
  auto twice = write(*back);
  if (!twice || *twice != *once) __builtin_trap();  // writing is not stable
  return 0;
}
