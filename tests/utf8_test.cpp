// core/utf8.h: what is refused as not UTF-8 (RFC 3629), and where.
#include "core/utf8.h"

#include <gtest/gtest.h>

#include <string>

namespace tunggal {
namespace {

TEST(Utf8, WellFormedTextIsValid) {
  for (const std::string s : {"", "Siti Rahayu", "Sit\xc3\xa9", "\xe2\x82\xac 100", "\xf0\x9f\x98\x80", "\xf4\x8f\xbf\xbf"})
    EXPECT_EQ(first_invalid_utf8(s), std::nullopt) << s;
}

TEST(Utf8, TheFirstBadByteIsNamed) {
  EXPECT_EQ(first_invalid_utf8("Sit\xe9 Rahayu"), 3u);          // Latin-1
  EXPECT_EQ(first_invalid_utf8("ab\xc3"), 2u);                  // cut short
  EXPECT_EQ(first_invalid_utf8("\xc0\xaf"), 0u);                // overlong '/'
  EXPECT_EQ(first_invalid_utf8("\xe0\x80\xaf"), 0u);            // overlong, 3 bytes
  EXPECT_EQ(first_invalid_utf8("x\xed\xa0\x80"), 1u);           // a UTF-16 surrogate
  EXPECT_EQ(first_invalid_utf8("\xf4\x90\x80\x80"), 0u);        // above U+10FFFF
  EXPECT_EQ(first_invalid_utf8("\xe2\x82"), 0u);                // truncated euro sign
  EXPECT_EQ(first_invalid_utf8("ok\x80"), 2u);                  // a lone continuation byte
  EXPECT_EQ(first_invalid_utf8("\xc3\xa9\xe2\x28\xa1"), 2u);    // bad second byte after a good one
}

}  // namespace
}  // namespace tunggal
