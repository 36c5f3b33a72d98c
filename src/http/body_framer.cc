// Response body framing (see body_framer.h).
#include "http/body_framer.h"

namespace x0::http {

void BodyFramer::start(const ResponseHead& head, uint64_t max_chunked_payload) {
  kind_ = head.body_kind;
  remaining_ = head.content_length;
  payload_bytes_ = 0;
  if (kind_ == BodyKind::kChunked) chunked_ = ChunkedDecoder(max_chunked_payload);
}

BodyFramer::Piece BodyFramer::feed(std::string_view in, bool decode, ParseError* error) {
  Piece piece;
  switch (kind_) {
    case BodyKind::kNone:
      piece.status = ParseStatus::kComplete;
      break;
    case BodyKind::kContentLength: {
      size_t take = in.size() < remaining_ ? in.size() : static_cast<size_t>(remaining_);
      remaining_ -= take;
      payload_bytes_ += take;
      piece.consumed = take;
      piece.payload = in.substr(0, take);
      piece.status = remaining_ == 0 ? ParseStatus::kComplete : ParseStatus::kIncomplete;
      break;
    }
    case BodyKind::kChunked:
      decoded_.clear();
      piece.status = chunked_.feed(in, &piece.consumed, decode ? &decoded_ : nullptr, error);
      piece.payload = decoded_;
      break;
    case BodyKind::kUntilClose:
      piece.consumed = in.size();
      piece.payload = in;
      payload_bytes_ += in.size();
      break;
  }
  return piece;
}

ParseStatus parse_final_response_head(std::string_view in, const Limits& limits, Method method,
                                      ResponseHead* head, ParseError* error, size_t* interim_bytes,
                                      size_t* interim_count) {
  *interim_bytes = 0;
  *interim_count = 0;
  for (;;) {
    ParseStatus status =
        parse_response_head(in.substr(*interim_bytes), limits, method, head, error);
    if (status != ParseStatus::kComplete) return status;
    // A 101 is final (and refused by whoever did not ask for an upgrade); other 1xx answers
    // are interim: the real response follows.
    if (head->status == 101 || head->status < 100 || head->status >= 200) return status;
    *interim_bytes += head->head_bytes;
    ++*interim_count;
  }
}

}  // namespace x0::http
