// libFuzzer target for the status page's handling of incident text, which operators and the
// autopilot write and the public reads: the address redactor (status/redact.h) and the HTML
// renderer (status/render.h) fed an incident whose title and update are the input. Checks that
// redaction keeps whitespace, and that no '<' of the input reaches the HTML unescaped.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "common/html_escape.h"
#include "status/redact.h"
#include "status/render.h"
#include "status/status_page.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::string redacted = x0::status::redact_addresses(input);
  size_t spaces_in = 0, spaces_out = 0;
  for (char c : input) spaces_in += c == ' ' || c == '\n' || c == '\t';
  for (char c : redacted) spaces_out += c == ' ' || c == '\n' || c == '\t';
  if (spaces_in != spaces_out) std::abort();  // words are replaced, never joined or split

  x0::status::PageInputs in;
  in.node_id = "gw-1";
  in.now_ms = 1795532400000;
  x0::incident::Incident inc;
  inc.id = "INC-20261124-0001";
  inc.title = std::string(input);
  inc.created_ms = in.now_ms;
  inc.timeline.push_back({in.now_ms, x0::incident::TimelineKind::kDetected, "x", std::string(input),
                          nlohmann::json::object(), 1});
  in.unresolved = {inc};
  in.show_addresses = size % 2 == 0;
  const x0::status::StatusPage page = x0::status::build_page(in);
  const std::string html = x0::status::render_html(page);
  if (html.find("<script") != std::string::npos) std::abort();  // the page has none of its own
  const std::string escaped = x0::html_escape(input);
  if (escaped.find('<') != std::string::npos || escaped.find('"') != std::string::npos)
    std::abort();
  (void)x0::status::summary_json_text(page);
  return 0;
}
