// Chunked decoder: decoding, where the body ends, input split at every byte position, trailers,
// extensions, every framing error, size overflow and the body limit.
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "http/chunked.h"

namespace x0::http {
namespace {

struct Fed {
  ParseStatus status;
  size_t consumed;
  std::string decoded;
  ParseError err;
};

// Feeds `in` in pieces cut at `cuts` (ascending offsets), as a connection would: each call gets
// the bytes not yet consumed plus the new piece.
Fed feed_split(std::string_view in, const std::vector<size_t>& cuts, uint64_t max = 1 << 20) {
  ChunkedDecoder d(max);
  Fed r{ParseStatus::kIncomplete, 0, {}, {0, ""}};
  size_t start = 0;
  std::vector<size_t> ends = cuts;
  ends.push_back(in.size());
  for (size_t end : ends) {
    size_t used = 0;
    r.status = d.feed(in.substr(start, end - start), &used, &r.decoded, &r.err);
    start += used;
    r.consumed = start;
    if (r.status != ParseStatus::kIncomplete) break;
  }
  return r;
}

Fed feed_all(std::string_view in, uint64_t max = 1 << 20) { return feed_split(in, {}, max); }

TEST(Chunked, DecodesAndStopsAtEnd) {
  std::string body = "5\r\nhello\r\n7;name=val\r\n, world\r\n0\r\n\r\n";
  std::string buf = body + "GET /next HTTP/1.1\r\n";
  Fed r = feed_all(buf);
  ASSERT_EQ(r.status, ParseStatus::kComplete) << r.err.reason;
  EXPECT_EQ(r.consumed, body.size());
  EXPECT_EQ(r.decoded, "hello, world");
}

TEST(Chunked, BodyBytesAndDone) {
  ChunkedDecoder d(100);
  size_t used = 0;
  ParseError err{};
  EXPECT_EQ(d.feed("A\r\n0123", &used, nullptr, &err), ParseStatus::kIncomplete);
  EXPECT_EQ(d.body_bytes(), 4u);  // payload received, not the size announced
  EXPECT_EQ(d.feed("456789\r\n", &used, nullptr, &err), ParseStatus::kIncomplete);
  EXPECT_EQ(d.body_bytes(), 10u);
  EXPECT_FALSE(d.done());
  EXPECT_EQ(d.feed("0\r\n\r\nrest", &used, nullptr, &err), ParseStatus::kComplete);
  EXPECT_EQ(used, 5u);
  EXPECT_TRUE(d.done());
  EXPECT_EQ(d.feed("more", &used, nullptr, &err), ParseStatus::kComplete);
  EXPECT_EQ(used, 0u);
}

TEST(Chunked, EmptyBodyAndTrailers) {
  Fed r = feed_all("0\r\n\r\n");
  ASSERT_EQ(r.status, ParseStatus::kComplete);
  EXPECT_EQ(r.consumed, 5u);
  EXPECT_EQ(r.decoded, "");
  std::string with_trailers = "3\r\nabc\r\n0\r\nExpires: never\r\nX-Sum:  abc \r\n\r\n";
  r = feed_all(with_trailers + "X");
  ASSERT_EQ(r.status, ParseStatus::kComplete) << r.err.reason;
  EXPECT_EQ(r.consumed, with_trailers.size());
  EXPECT_EQ(r.decoded, "abc");
  r = feed_all("000\r\n\r\n");
  EXPECT_EQ(r.status, ParseStatus::kComplete);
  r = feed_all("Ff\r\n" + std::string(255, 'z') + "\r\n0\r\n\r\n");
  ASSERT_EQ(r.status, ParseStatus::kComplete);
  EXPECT_EQ(r.decoded.size(), 255u);
}

TEST(Chunked, EverySplitPositionGivesSameResult) {
  std::string body =
      "4\r\nWiki\r\n6;a=b;c\r\npedia \r\nE\r\nin \r\n\r\nchunks.\r\n0;last\r\nT: v\r\n\r\n";
  Fed whole = feed_all(body + "NEXT");
  ASSERT_EQ(whole.status, ParseStatus::kComplete) << whole.err.reason;
  ASSERT_EQ(whole.decoded, "Wikipedia in \r\n\r\nchunks.");
  ASSERT_EQ(whole.consumed, body.size());
  std::string buf = body + "NEXT";
  for (size_t a = 0; a <= buf.size(); ++a) {
    Fed r = feed_split(buf, {a});
    ASSERT_EQ(r.status, ParseStatus::kComplete) << a;
    EXPECT_EQ(r.decoded, whole.decoded) << a;
    EXPECT_EQ(r.consumed, body.size()) << a;
  }
  std::vector<size_t> every;
  for (size_t i = 1; i < buf.size(); ++i) every.push_back(i);
  Fed bytewise = feed_split(buf, every);
  ASSERT_EQ(bytewise.status, ParseStatus::kComplete);
  EXPECT_EQ(bytewise.decoded, whole.decoded);
  EXPECT_EQ(bytewise.consumed, body.size());
}

TEST(Chunked, IncompleteConsumesEverything) {
  std::string body = "5\r\nhello\r\n0\r\n\r\n";
  for (size_t n = 0; n < body.size(); ++n) {
    ChunkedDecoder d(1000);
    size_t used = 99;
    ParseError err{};
    EXPECT_EQ(d.feed(std::string_view(body).substr(0, n), &used, nullptr, &err),
              ParseStatus::kIncomplete) << n;
    EXPECT_EQ(used, n);
  }
}

TEST(Chunked, FramingErrors) {
  const char* bad[] = {
      "\r\nabc\r\n0\r\n\r\n",           // empty size
      "g\r\n",                          // not hex
      "-1\r\n",                         // sign
      "0x5\r\nhello\r\n0\r\n\r\n",      // 0x prefix
      "5\nhello\r\n0\r\n\r\n",          // bare LF after size
      "5\rhello\r\n0\r\n\r\n",          // bare CR after size
      "5\r\nhelloX\r\n0\r\n\r\n",       // data longer than size
      "5\r\nhello\n0\r\n\r\n",          // bare LF after data
      "5\r\nhello\r0\r\n\r\n",          // bare CR after data
      "5 \r\nhello\r\n0\r\n\r\n",       // whitespace without extension
      "5;a\x01\r\nhello\r\n0\r\n\r\n",  // control char in extension
      "0\r\n\n",                        // bare LF ending
      "0\r\nT: v\n\r\n",                // bare LF in trailer
      "0\r\n T: v\r\n\r\n",             // obs-fold in trailer
      "0\r\nT v\r\n\r\n",               // bad trailer name
      "0\r\nT: a\x00z\r\n\r\n",         // NUL in trailer (cut at NUL by strlen: incomplete)
      "0\r\n\rX",                       // CR then not LF
      "00000000000000001\r\n",          // 17 hex digits
      // chunk-ext grammar (RFC 9112 7.1.1): name = token, value = token / quoted-string
      "5;\r\nhello\r\n0\r\n\r\n",         // ';' without a name
      "5;=x\r\nhello\r\n0\r\n\r\n",       // value without a name
      "5;a=\r\nhello\r\n0\r\n\r\n",       // '=' without a value
      "5;a b\r\nhello\r\n0\r\n\r\n",      // two names without ';'
      "5;a=b c\r\nhello\r\n0\r\n\r\n",    // junk after a value
      "5;a=\"x\r\nhello\r\n0\r\n\r\n",    // unterminated quoted-string
      "5;a=\"x\"y\r\nhello\r\n0\r\n\r\n", // junk after a quoted-string
      "5;a \r\nhello\r\n0\r\n\r\n",       // whitespace before CR
      "5 ;a\r\nhello\r\n0\r\n\r\n",       // BWS before ';' (RFC-legal, refused by llhttp)
      "5; a\r\nhello\r\n0\r\n\r\n",       // BWS after ';'
      "5;a = b\r\nhello\r\n0\r\n\r\n",    // BWS around '='
      "0\r\nContent-Length: 5\r\n\r\n",    // framing field in a trailer
      "0\r\ntransfer-encoding: x\r\n\r\n", // (any case)
      "0\r\nHost: h\r\n\r\n",              // routing field in a trailer
      "5;a@b\r\nhello\r\n0\r\n\r\n",      // '@' is not a tchar
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); ++i) {
    if (i == 15) continue;  // covered below with an explicit length
    Fed r = feed_all(bad[i]);
    EXPECT_EQ(r.status, ParseStatus::kError) << i << ": " << bad[i];
    EXPECT_EQ(r.err.status, 400) << i;
  }
  std::string nul("0\r\nT: a\0z\r\n\r\n", 14);
  EXPECT_EQ(feed_all(nul).status, ParseStatus::kError);
}

TEST(Chunked, ErrorIsSticky) {
  ChunkedDecoder d(100);
  size_t used = 0;
  ParseError err{};
  EXPECT_EQ(d.feed("z", &used, nullptr, &err), ParseStatus::kError);
  err = ParseError{0, ""};
  EXPECT_EQ(d.feed("0\r\n\r\n", &used, nullptr, &err), ParseStatus::kError);
  EXPECT_EQ(err.status, 400);
  EXPECT_EQ(used, 0u);
}

TEST(Chunked, SizeOverflowAndLimit) {
  Fed r = feed_all("ffffffffffffffff\r\n", ~uint64_t{0});  // 16 digits: fits, but data missing
  EXPECT_EQ(r.status, ParseStatus::kIncomplete);
  r = feed_all("1ffffffffffffffff\r\n", ~uint64_t{0});
  EXPECT_EQ(r.status, ParseStatus::kError);
  EXPECT_EQ(r.err.status, 400);
  // The limit is checked on the size line, before the data arrives.
  r = feed_all("65\r\n", 100);  // 0x65 = 101
  EXPECT_EQ(r.status, ParseStatus::kError);
  EXPECT_EQ(r.err.status, 413);
  // The sum of chunks counts.
  std::string fifty(50, 'x');
  r = feed_all("32\r\n" + fifty + "\r\n32\r\n" + fifty + "\r\n0\r\n\r\n", 100);
  EXPECT_EQ(r.status, ParseStatus::kComplete);
  r = feed_all("32\r\n" + fifty + "\r\n33\r\n", 100);
  EXPECT_EQ(r.status, ParseStatus::kError);
  EXPECT_EQ(r.err.status, 413);
  r = feed_all("ffffffffffffffff\r\n", 100);
  EXPECT_EQ(r.err.status, 413);
}

TEST(Chunked, ValidExtensionsPass) {
  for (const char* size_line : {"5;a", "5;a=b", "5;a=\"q \\\" x\"", "5;a;b=c", "5;a=\"\";b"}) {
    std::string body = std::string(size_line) + "\r\nhello\r\n0;last\r\n\r\n";
    EXPECT_EQ(feed_all(body).status, ParseStatus::kComplete) << size_line;
  }
}

TEST(Chunked, OrdinaryTrailersPass) {
  EXPECT_EQ(feed_all("0\r\nX-Checksum: 1\r\nContent-Length-X: 2\r\n\r\n").status, ParseStatus::kComplete);
  EXPECT_EQ(feed_all("0\r\n" + std::string(40, 'h') + ": 1\r\n\r\n").status, ParseStatus::kComplete);
}

TEST(Chunked, ExtensionAndTrailerBounds) {
  std::string ext = "1;" + std::string(ChunkedDecoder::kMaxExtensionBytes, 'e') + "\r\nx\r\n0\r\n\r\n";
  EXPECT_EQ(feed_all(ext).status, ParseStatus::kError);
  std::string ok_ext = "1;" + std::string(100, 'e') + "\r\nx\r\n0\r\n\r\n";
  EXPECT_EQ(feed_all(ok_ext).status, ParseStatus::kComplete);
  std::string trailers = "0\r\n";
  while (trailers.size() < ChunkedDecoder::kMaxTrailerBytes + 10) trailers += "T: vvvvvvvvvvvv\r\n";
  EXPECT_EQ(feed_all(trailers + "\r\n").status, ParseStatus::kError);
}

TEST(Chunked, CopyableForReuse) {
  ChunkedDecoder d(0);
  d = ChunkedDecoder(10);
  size_t used = 0;
  ParseError err{};
  EXPECT_EQ(d.feed("a\r\n0123456789\r\n0\r\n\r\n", &used, nullptr, &err), ParseStatus::kComplete);
  EXPECT_EQ(d.body_bytes(), 10u);
}

}  // namespace
}  // namespace x0::http
