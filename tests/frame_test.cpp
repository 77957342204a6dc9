// The frame decoder on its own (the part a hostile peer talks to first): any chunking of a valid
// stream yields the same frames; zero and oversize lengths poison the stream for good.
#include <gtest/gtest.h>

#include <random>

#include "server/frame.h"
#include "server/wire_codec.h"

namespace tunggal::server {
namespace {

TEST(FrameDecoder, SameFramesHoweverTheBytesAreChunked) {
  std::vector<std::string> payloads = {"a", std::string(70000, 'x'), "hello", std::string(3, '\0')};
  std::string stream;
  for (const auto& p : payloads) append_frame(stream, p);
  std::mt19937 rng(5);
  for (int trial = 0; trial < 50; ++trial) {
    FrameDecoder d(1 << 20);
    std::vector<std::string> got;
    for (std::size_t at = 0; at < stream.size();) {
      const std::size_t n = std::min<std::size_t>(stream.size() - at, 1 + rng() % (trial < 10 ? 3 : 5000));
      ASSERT_TRUE(d.feed(std::string_view(stream).substr(at, n)));
      at += n;
      while (auto f = d.next()) got.push_back(std::move(*f));
    }
    EXPECT_EQ(got, payloads);
    EXPECT_EQ(d.buffered(), 0u);
  }
}

TEST(FrameDecoder, IncompleteFrameIsHeldNotReturned) {
  std::string s;
  append_frame(s, "payload");
  FrameDecoder d;
  ASSERT_TRUE(d.feed(s.substr(0, s.size() - 1)));
  EXPECT_FALSE(d.next());
  EXPECT_GT(d.buffered(), 0u);
  ASSERT_TRUE(d.feed(s.substr(s.size() - 1)));
  EXPECT_EQ(d.next(), "payload");
}

TEST(FrameDecoder, ZeroAndOversizeLengthsPoisonTheStream) {
  FrameDecoder zero;
  EXPECT_FALSE(zero.feed(std::string("\0\0\0\0", 4)));
  EXPECT_EQ(zero.status().code(), ErrorCode::kMalformedRecord);
  FrameDecoder big(1000);
  Status s = big.feed(std::string("\x00\x00\x03\xe9", 4));  // 1001
  EXPECT_FALSE(s);
  EXPECT_NE(s.message().find("exceeds the maximum of 1000"), std::string::npos) << s.message();
  EXPECT_FALSE(big.feed("more"));
  EXPECT_FALSE(big.next());
  // An oversize prefix right after a good frame is reported too.
  std::string two;
  append_frame(two, "ok");
  two += std::string("\xff\xff\xff\xff", 4);
  FrameDecoder d(1000);
  d.feed(two);
  EXPECT_EQ(d.next(), "ok");
  EXPECT_FALSE(d.status());
}

TEST(WireCodec, RequestsWithoutAnOperationAreMalformed) {
  EXPECT_FALSE(parse_request(""));
  EXPECT_FALSE(parse_request(std::string("\xff\xff\xff", 3)));
  wire::Request r;
  r.set_request_id(3);
  EXPECT_EQ(parse_request(r.SerializeAsString()).error().code(), ErrorCode::kMalformedRecord);
  r.mutable_ping();
  EXPECT_TRUE(parse_request(r.SerializeAsString()));
}

TEST(WireCodec, SiteAndEnrollmentIdsAreNamespaced) {
  EXPECT_TRUE(check_site_id("3273-KEC-SUKAJADI-01"));
  EXPECT_FALSE(check_site_id(""));
  EXPECT_FALSE(check_site_id("a/b"));
  EXPECT_FALSE(check_station_enrollment_id("other-site/x"));
  const std::string id = engine_enrollment_id("site-a", "e-1");
  EXPECT_EQ(id, "site-a/e-1");
  EXPECT_EQ(site_of(id), "site-a");
  EXPECT_EQ(station_id_of(id), "e-1");
}

}  // namespace
}  // namespace tunggal::server
