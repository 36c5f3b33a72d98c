// Telegram Bot API sendMessage (core.telegram.org/bots/api#sendmessage): POST
// {base}/bot<token>/sendMessage with chat_id, text (1-4096 characters after entity parsing) and
// parse_mode HTML, where only &, <, > (and " in attributes) need escaping. The answer is
// {"ok":true,...}; a 429 says when to come back in parameters.retry_after (seconds).
#include <algorithm>
#include <nlohmann/json.hpp>

#include "common/html_escape.h"
#include "notify/wire.h"

namespace x0::notify::detail {
namespace {

constexpr size_t kMaxText = 4096;

std::string compose(const Event& e, std::string_view text, const std::string& link) {
  std::string out = "<b>" + html_escape(headline(e)) + "</b>\n";
  out += "Severity: " + html_escape(to_string(e.severity)) + "\n";
  if (!e.target.empty()) out += "Target: " + html_escape(e.target) + "\n";
  out += "State: " + html_escape(e.status) + " (" + std::string(to_string(e.level)) + ")\n";
  if (!text.empty()) out += html_escape(text) + "\n";
  if (!link.empty()) out += "<a href=\"" + html_escape(link) + "\">Incident report</a>";
  return out;
}

}  // namespace

OutboundRequest format_telegram(const Channel& c, const Event& e, const FormatContext& x) {
  const std::string link = report_link(x, e);
  // The limit counts what the user sees; counting the markup too (and cutting the plain text
  // before escaping, never inside an entity or a UTF-8 sequence) stays under it in every case.
  std::string text = compose(e, e.text, link);
  if (code_points(text) > kMaxText) {
    // The longest prefix of the detail that fits with its ellipsis (binary search: escaping
    // makes the cost of a character vary).
    size_t lo = 0, hi = code_points(e.text);
    while (lo < hi) {
      const size_t mid = (lo + hi + 1) / 2;
      if (code_points(compose(e, truncate_utf8(e.text, mid) + "…", link)) <= kMaxText)
        lo = mid;
      else
        hi = mid - 1;
    }
    text = compose(e, lo == 0 ? std::string() : truncate_utf8(e.text, lo) + "…", link);
  }
  if (code_points(text) > kMaxText) text = truncate_utf8(html_escape(headline(e)), kMaxText);
  nlohmann::json body = {{"chat_id", c.chat_id},
                         {"text", text},
                         {"parse_mode", "HTML"},
                         {"disable_web_page_preview", true}};
  OutboundRequest r;
  r.url = c.base_url + "/bot" + c.secret + "/sendMessage";
  r.headers = {{"Content-Type", "application/json"}};
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

Outcome classify_telegram(const ServiceAnswer& a) {
  // The body is the service's (or whatever answers in its place): look, never assume a type.
  auto j = nlohmann::json::parse(a.body, nullptr, false);
  const bool ok = j.is_object() && j.contains("ok") && j["ok"].is_boolean() && j["ok"].get<bool>();
  if (a.status == 200 && ok) return {Verdict::kDelivered, std::nullopt, "ok", ""};
  if (a.status == 429) {
    std::optional<int64_t> after;
    if (j.is_object() && j.contains("parameters") && j["parameters"].is_object() &&
        j["parameters"].contains("retry_after") &&
        j["parameters"]["retry_after"].is_number_unsigned())
      after = static_cast<int64_t>(
                  std::min<uint64_t>(j["parameters"]["retry_after"].get<uint64_t>(), 86400)) *
              1000;
    else if (a.retry_after_s)
      after = *a.retry_after_s * 1000;
    return retry(a, after);
  }
  if (a.status == 0 || a.status >= 500) return retry(a);
  return permanent(a);
}

}  // namespace x0::notify::detail
