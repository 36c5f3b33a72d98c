// `x0tta6bl4 origin`: a small HTTP origin for the demo, the tests and the benchmarks, whose
// faults (error rate, added latency, failing health) can be changed while it runs:
//   GET  /__fault                      current faults
//   POST /__fault?error_rate=0.5&latency_ms=800&health=fail|ok
//   GET  /__stats                      requests served
//   GET  /echo                         the request as JSON (headers, body)
//   GET  /chunked                      a chunked response
//   GET  /status/NNN                   answers NNN
//   anything else                      200 with a 100-byte text body
#pragma once

#include <cstdint>
#include <string>

namespace x0::app {

struct OriginOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 9001;
  double error_rate = 0.0;
  int latency_ms = 0;
  int threads = 1;
  std::string name;  // shown in bodies and the X-Origin header (default "origin-<port>")
};

int run_origin(const OriginOptions& options);

}  // namespace x0::app
