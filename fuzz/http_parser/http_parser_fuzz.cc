// libFuzzer target: runs the request parser, the response parser, the chunked decoder and the
// upstream codec (final head, body framing) on the same input and checks their invariants: views stay inside the buffer, head_bytes is within
// it, parsing a prefix never completes early, and split input decodes like whole input.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "http/body_framer.h"
#include "http/chunked.h"
#include "http/message.h"

namespace {

using namespace x0::http;

void check(bool ok) {
  if (!ok) std::abort();
}

bool inside(std::string_view buf, std::string_view v) {
  return v.empty() || (v.data() >= buf.data() && v.data() + v.size() <= buf.data() + buf.size());
}

void check_error(const ParseError& e) {
  check(e.reason != nullptr);
  switch (e.status) {
    case 400: case 413: case 414: case 417: case 431: case 501: case 502: case 505: return;
    default: std::abort();
  }
}

void check_headers(std::string_view buf, const HeaderList& h, const Limits& limits) {
  check(h.count <= limits.max_headers && h.count <= kMaxHeaders);
  for (const Header& f : h) {
    check(!f.name.empty() && inside(buf, f.name) && inside(buf, f.value));
    check(f.value.find_first_of("\r\n") == std::string_view::npos);
  }
}

void fuzz_request(std::string_view buf, const Limits& limits) {
  static RequestHead head;  // 4 KiB of headers: keep it off the fuzzer's stack frames
  ParseError err{0, nullptr};
  ParseStatus s = parse_request_head(buf, limits, &head, &err);
  if (s == ParseStatus::kError) return check_error(err);
  if (s == ParseStatus::kIncomplete) return check(buf.size() < limits.max_header_bytes);
  check(head.head_bytes > 0 && head.head_bytes <= buf.size());
  check(head.head_bytes <= limits.max_header_bytes);
  std::string_view h = buf.substr(0, head.head_bytes);
  check(h.ends_with("\r\n\r\n"));
  check(inside(h, head.method_text) && inside(h, head.target) && inside(h, head.query));
  check(inside(h, head.host));
  check(inside(h, head.path) || head.path == "/");
  check(head.target.size() <= kMaxTargetBytes);
  check(head.version_minor == 0 || head.version_minor == 1);
  check_headers(h, head.headers, limits);
  if (head.body_kind == BodyKind::kContentLength) check(head.content_length <= limits.max_body_bytes);
  check(head.body_kind != BodyKind::kUntilClose);
  check(head.version_minor == 1 || head.body_kind != BodyKind::kChunked);
  // The head alone parses to the same size; one byte less never completes.
  size_t head_bytes = head.head_bytes;
  static RequestHead again;
  check(parse_request_head(h, limits, &again, &err) == ParseStatus::kComplete);
  check(again.head_bytes == head_bytes && again.headers.count == head.headers.count);
  check(parse_request_head(h.substr(0, head_bytes - 1), limits, &again, &err) ==
        ParseStatus::kIncomplete);
}

void fuzz_response(std::string_view buf, const Limits& limits, Method method) {
  static ResponseHead head;
  ParseError err{0, nullptr};
  ParseStatus s = parse_response_head(buf, limits, method, &head, &err);
  if (s == ParseStatus::kError) return check(err.status == 502 && err.reason != nullptr);
  if (s == ParseStatus::kIncomplete) return check(buf.size() < limits.max_header_bytes);
  check(head.head_bytes > 0 && head.head_bytes <= buf.size());
  std::string_view h = buf.substr(0, head.head_bytes);
  check(h.ends_with("\r\n\r\n") && inside(h, head.reason));
  check(head.status >= 100 && head.status <= 999);
  check_headers(h, head.headers, limits);
  if (head.body_kind == BodyKind::kUntilClose) check(!head.keep_alive);
  if (method == Method::kHead || head.status == 204 || head.status == 304 || head.status < 200) {
    check(head.body_kind == BodyKind::kNone);
  }
}

struct ChunkRun {
  ParseStatus status;
  size_t consumed;
  std::string decoded;
  uint64_t body_bytes;
};

ChunkRun run_chunked(std::string_view buf, size_t step, uint64_t max) {
  ChunkedDecoder d(max);
  ChunkRun r{ParseStatus::kIncomplete, 0, {}, 0};
  while (true) {
    size_t avail = buf.size() - r.consumed;
    size_t piece = step < avail ? step : avail;
    size_t used = 0;
    ParseError err{0, nullptr};
    r.status = d.feed(buf.substr(r.consumed, piece), &used, &r.decoded, &err);
    check(used <= piece);
    r.consumed += used;
    if (r.status == ParseStatus::kError) check(err.status == 400 || err.status == 413);
    if (r.status == ParseStatus::kIncomplete) check(used == piece);
    if (r.status != ParseStatus::kIncomplete || r.consumed == buf.size()) break;
  }
  r.body_bytes = d.body_bytes();
  return r;
}

void fuzz_chunked(std::string_view buf) {
  ChunkRun whole = run_chunked(buf, buf.size() + 1, 1 << 16);
  check(whole.decoded.size() <= whole.body_bytes && whole.body_bytes <= (1 << 16));
  if (whole.status == ParseStatus::kComplete) check(whole.decoded.size() == whole.body_bytes);
  size_t step = buf.empty() ? 1 : 1 + static_cast<unsigned char>(buf[0]) % 7;
  ChunkRun split = run_chunked(buf, step, 1 << 16);
  check(split.status == whole.status);
  if (whole.status != ParseStatus::kError) {
    check(split.consumed == whole.consumed && split.decoded == whole.decoded);
  }
}

// The upstream codec: the final head after any interim ones, then the body through BodyFramer,
// whole and in small pieces, must agree on where the body ends and what its payload is.
struct FramedRun {
  ParseStatus status = ParseStatus::kIncomplete;
  size_t consumed = 0;
  std::string payload;
};

FramedRun run_framed(const ResponseHead& head, std::string_view body, size_t step) {
  BodyFramer framer;
  framer.start(head, 1 << 16);
  FramedRun r;
  while (r.consumed < body.size() || head.body_kind == BodyKind::kNone) {
    size_t piece = std::min(step, body.size() - r.consumed);
    ParseError err{0, nullptr};
    BodyFramer::Piece p = framer.feed(body.substr(r.consumed, piece), true, &err);
    check(p.consumed <= piece);
    r.consumed += p.consumed;
    r.payload.append(p.payload);
    r.status = p.status;
    if (p.status != ParseStatus::kIncomplete) break;
    check(p.consumed == piece);
  }
  return r;
}

void fuzz_upstream_codec(std::string_view buf) {
  static ResponseHead head;
  ParseError err{0, nullptr};
  size_t interim = 0, count = 0;
  ParseStatus s = parse_final_response_head(buf, Limits{}, Method::kGet, &head, &err, &interim, &count);
  check(interim <= buf.size() && (count == 0) == (interim == 0));
  if (s != ParseStatus::kComplete) return;
  check(head.status == 101 || head.status >= 200);
  check(interim + head.head_bytes <= buf.size());
  std::string_view body = buf.substr(interim + head.head_bytes);
  FramedRun whole = run_framed(head, body, body.size() + 1);
  size_t step = body.empty() ? 1 : 1 + static_cast<unsigned char>(body[0]) % 5;
  FramedRun split = run_framed(head, body, step);
  check(split.status == whole.status);
  if (whole.status != ParseStatus::kError) check(split.consumed == whole.consumed && split.payload == whole.payload);
  if (head.body_kind == BodyKind::kContentLength && whole.status == ParseStatus::kComplete) {
    check(whole.payload.size() == head.content_length);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view buf(reinterpret_cast<const char*>(data), size);
  Limits defaults;
  Limits tight;
  tight.max_header_bytes = 256;
  tight.max_headers = 4;
  tight.max_body_bytes = 1000;
  fuzz_request(buf, defaults);
  fuzz_request(buf, tight);
  fuzz_response(buf, defaults, Method::kGet);
  fuzz_response(buf, tight, Method::kHead);
  fuzz_response(buf, defaults, Method::kConnect);
  fuzz_chunked(buf);
  fuzz_upstream_codec(buf);
  // A complete request head followed by a chunked body: decode the body after the head.
  static RequestHead head;
  ParseError err{0, nullptr};
  if (parse_request_head(buf, defaults, &head, &err) == ParseStatus::kComplete &&
      head.body_kind == BodyKind::kChunked) {
    fuzz_chunked(buf.substr(head.head_bytes));
  }
  return 0;
}
