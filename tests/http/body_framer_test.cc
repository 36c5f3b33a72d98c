// The upstream codec's body framing: where a body ends by its framing, fed in any pieces, and
// the final response head found behind interim ones.
#include "http/body_framer.h"

#include <gtest/gtest.h>

#include <string>

namespace x0::http {
namespace {

ResponseHead head_of(std::string_view raw, size_t* interim = nullptr) {
  ResponseHead head;
  ParseError err{};
  size_t skipped = 0, count = 0;
  EXPECT_EQ(parse_final_response_head(raw, Limits{}, Method::kGet, &head, &err, &skipped, &count),
            ParseStatus::kComplete);
  if (interim != nullptr) *interim = skipped;
  return head;
}

TEST(BodyFramer, AContentLengthBodyEndsAtItsLengthAndLeavesWhatFollows) {
  ResponseHead head = head_of("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n");
  BodyFramer framer;
  framer.start(head);
  ParseError err{};
  BodyFramer::Piece a = framer.feed("hel", false, &err);
  EXPECT_EQ(a.status, ParseStatus::kIncomplete);
  EXPECT_EQ(a.payload, "hel");
  BodyFramer::Piece b = framer.feed("loHTTP/1.1", false, &err);
  EXPECT_EQ(b.status, ParseStatus::kComplete);
  EXPECT_EQ(b.consumed, 2u);  // the next response's bytes are not the body's
  EXPECT_EQ(b.payload, "lo");
  EXPECT_FALSE(framer.ends_at_close());
}

TEST(BodyFramer, AChunkedBodyIsDecodedOnlyWhenAsked) {
  ResponseHead head = head_of("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
  std::string body = "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
  for (bool decode : {false, true}) {
    BodyFramer framer;
    framer.start(head);
    ParseError err{};
    std::string payload;
    size_t consumed = 0;
    ParseStatus status = ParseStatus::kIncomplete;
    for (size_t at = 0; at < body.size() && status == ParseStatus::kIncomplete; at += 4) {
      BodyFramer::Piece p = framer.feed(std::string_view(body).substr(at, 4), decode, &err);
      payload.append(p.payload);
      consumed += p.consumed;
      status = p.status;
    }
    EXPECT_EQ(status, ParseStatus::kComplete);
    EXPECT_EQ(consumed, body.size());
    EXPECT_EQ(payload, decode ? "abcde" : "");
  }
}

TEST(BodyFramer, AChunkedBodyOverTheLimitIsA413) {
  ResponseHead head = head_of("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
  BodyFramer framer;
  framer.start(head, 4);
  ParseError err{};
  EXPECT_EQ(framer.feed("5\r\nabcde\r\n", true, &err).status, ParseStatus::kError);
  EXPECT_EQ(err.status, 413);
}

TEST(BodyFramer, ABodyWithoutFramingEndsAtCloseAndOneWithNoneIsEmpty) {
  BodyFramer framer;
  framer.start(head_of("HTTP/1.0 200 OK\r\n\r\n"));
  ParseError err{};
  EXPECT_TRUE(framer.ends_at_close());
  EXPECT_EQ(framer.feed("anything", false, &err).status, ParseStatus::kIncomplete);
  framer.start(head_of("HTTP/1.1 204 No Content\r\n\r\n"));
  BodyFramer::Piece none = framer.feed("next", false, &err);
  EXPECT_EQ(none.status, ParseStatus::kComplete);
  EXPECT_EQ(none.consumed, 0u);
}

TEST(BodyFramer, CountsPayloadBytesWithoutChunkFraming) {
  // The release sides' response-size signals (gateway/service_stats.h) read this.
  ParseError err{};
  BodyFramer chunked;
  chunked.start(head_of("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"));
  chunked.feed("3\r\nabc\r\n2\r\nd", false, &err);  // not decoded: counted all the same
  chunked.feed("e\r\n0\r\n\r\n", false, &err);
  EXPECT_EQ(chunked.payload_bytes(), 5u);
  chunked.start(head_of("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"));
  chunked.feed("0\r\n\r\n", false, &err);
  EXPECT_EQ(chunked.payload_bytes(), 0u) << "an empty chunked body is empty";
  BodyFramer sized;
  sized.start(head_of("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"));
  sized.feed("hel", false, &err);
  sized.feed("loHTTP", false, &err);
  EXPECT_EQ(sized.payload_bytes(), 5u);
  sized.start(head_of("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"));
  EXPECT_EQ(sized.payload_bytes(), 0u) << "start() begins a new count";
  BodyFramer until_close;
  until_close.start(head_of("HTTP/1.1 200 OK\r\n\r\n"));
  until_close.feed("abcd", false, &err);
  EXPECT_EQ(until_close.payload_bytes(), 4u);
}

TEST(FinalResponseHead, InterimAnswersAreSkippedButA101IsFinal) {
  size_t interim = 0;
  ResponseHead head = head_of(
      "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
      "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
      &interim);
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(interim, 25u + 40u);
  head = head_of("HTTP/1.1 101 Switching Protocols\r\n\r\n", &interim);
  EXPECT_EQ(head.status, 101);
  EXPECT_EQ(interim, 0u);
  // Incomplete: the interim heads before it are still reported, so the caller drops them now.
  ResponseHead partial;
  ParseError err{};
  size_t count = 0;
  EXPECT_EQ(parse_final_response_head(
                "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 2", Limits{},
                Method::kGet, &partial, &err, &interim, &count),
            ParseStatus::kIncomplete);
  EXPECT_EQ(interim, 50u);
  EXPECT_EQ(count, 2u);
}

}  // namespace
}  // namespace x0::http
