// Where a response body ends, by its framing (RFC 9112 6.3): none, Content-Length, chunked, or
// until the peer closes. The upstream side's one codec for bodies: the router streams through
// it (forwarding raw bytes, decoding only when asked) and http::Client collects through it.
// Keeps its state across calls, so bytes may arrive in any pieces.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "http/chunked.h"
#include "http/message.h"

namespace x0::http {

class BodyFramer {
 public:
  struct Piece {
    ParseStatus status = ParseStatus::kIncomplete;  // kComplete: the body ended within the input
    size_t consumed = 0;       // input bytes that belong to the body (chunk framing included)
    std::string_view payload;  // the body's bytes among them: a view of the input, or (chunked,
                               // decoding) of the framer's own buffer until the next feed()
  };

  // `max_chunked_payload` bounds a chunked body (a larger one is a 413 error).
  void start(const ResponseHead& head, uint64_t max_chunked_payload = ~0ull);
  // `decode`: for a chunked body, also produce the payload (else it is left empty).
  Piece feed(std::string_view in, bool decode, ParseError* error);
  // The peer closing the connection ends this body (rather than cutting it short).
  bool ends_at_close() const { return kind_ == BodyKind::kUntilClose; }
  BodyKind kind() const { return kind_; }
  // The body's payload bytes fed so far (chunk framing not counted), decoded or not.
  uint64_t payload_bytes() const {
    return kind_ == BodyKind::kChunked ? chunked_.body_bytes() : payload_bytes_;
  }

 private:
  BodyKind kind_ = BodyKind::kNone;
  uint64_t remaining_ = 0;  // Content-Length bytes still to come
  uint64_t payload_bytes_ = 0;  // Content-Length and until-close bodies
  ChunkedDecoder chunked_{0};
  std::string decoded_;  // capacity reused
};

// Parses a response head, skipping interim (1xx but 101) responses before it. Whatever the
// status, *interim_bytes is the size of the complete interim heads skipped (the caller drops
// them at once, so a peer sending 1xx after 1xx costs one head of buffer, not all of them) and
// *interim_count their number (the caller bounds it: kMaxInterimResponses); on kComplete,
// head->head_bytes counts from after them.
inline constexpr size_t kMaxInterimResponses = 16;
ParseStatus parse_final_response_head(std::string_view in, const Limits& limits, Method method,
                                      ResponseHead* head, ParseError* error, size_t* interim_bytes,
                                      size_t* interim_count);

}  // namespace x0::http
