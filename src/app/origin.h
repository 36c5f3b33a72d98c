// `x0tta6bl4 origin`: a small HTTP origin for the demo, the tests and the benchmarks, whose
// faults (error rate, added latency, failing health) can be changed while it runs:
//   GET  /__fault                      current faults
//   POST /__fault?error_rate=0.5&latency_ms=800&health=fail|ok&empty_body=1|0
//                                      (empty_body: every regular answer 200 with no body)
//   GET  /__stats[?target=T]           requests served, per-target counts (T percent-encoded)
//   GET  /echo                         the request as JSON (headers, body)
//   GET  /chunked                      a chunked response
//   GET  /status/NNN                   answers NNN
//   anything else                      200 with a 100-byte text body
// Every answer except /__fault and /__stats carries `X-Origin-Count: n`, the number of requests
// this origin has received for this exact target (path + query), so a test can tell whether a
// cache in front of it answered. Query parameters shape cache behaviour (values percent-decoded):
//   cc=<v>        Cache-Control: <v>          vary=<name>    Vary: <name>
//   expires=<s>   Expires: now+s and Date     age=<n>        Age: <n>
//   status=<NNN>  answers NNN                 size=<bytes>   body of that size (max 16 MiB)
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
