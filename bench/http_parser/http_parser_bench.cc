// Micro-benchmarks: a typical ~300-byte browser GET, a small proxied response head, and a
// chunked body. Reports ns per message (and bytes/s); compare runs on the same machine only.
#include <benchmark/benchmark.h>

#include <string>

#include "http/chunked.h"
#include "http/message.h"

namespace {

using namespace x0::http;

const std::string kBrowserGet =
    "GET /products/item?id=12345&ref=home HTTP/1.1\r\n"
    "Host: shop.example.com\r\n"
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0\r\n"
    "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
    "Accept-Language: en-US,en;q=0.5\r\n"
    "Accept-Encoding: gzip, deflate, br\r\n"
    "Connection: keep-alive\r\n"
    "\r\n";

const std::string kResponse =
    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 27\r\n"
    "Date: Tue, 24 Nov 2026 15:00:00 GMT\r\nServer: origin\r\n\r\n";

void BM_ParseBrowserGet(benchmark::State& state) {
  RequestHead head;
  ParseError err{};
  Limits limits;
  for (auto _ : state) {
    ParseStatus s = parse_request_head(kBrowserGet, limits, &head, &err);
    benchmark::DoNotOptimize(s);
    benchmark::DoNotOptimize(head.head_bytes);
  }
  if (head.head_bytes != kBrowserGet.size()) state.SkipWithError("parse failed");
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kBrowserGet.size()));
  state.SetLabel(std::to_string(kBrowserGet.size()) + " bytes");
}
BENCHMARK(BM_ParseBrowserGet);

void BM_ParseResponse(benchmark::State& state) {
  ResponseHead head;
  ParseError err{};
  Limits limits;
  for (auto _ : state) {
    ParseStatus s = parse_response_head(kResponse, limits, Method::kGet, &head, &err);
    benchmark::DoNotOptimize(s);
    benchmark::DoNotOptimize(head.head_bytes);
  }
  if (head.head_bytes != kResponse.size()) state.SkipWithError("parse failed");
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kResponse.size()));
}
BENCHMARK(BM_ParseResponse);

void BM_ChunkedValidate(benchmark::State& state) {
  std::string body;
  for (int i = 0; i < 16; ++i) body += "400\r\n" + std::string(1024, 'x') + "\r\n";
  body += "0\r\n\r\n";
  for (auto _ : state) {
    ChunkedDecoder d(1 << 20);
    size_t used = 0;
    ParseError err{};
    ParseStatus s = d.feed(body, &used, nullptr, &err);
    benchmark::DoNotOptimize(s);
    benchmark::DoNotOptimize(used);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
}
BENCHMARK(BM_ChunkedValidate);

}  // namespace

BENCHMARK_MAIN();
