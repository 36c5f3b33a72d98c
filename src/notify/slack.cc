// Slack incoming webhook (api.slack.com/messaging/webhooks): POST to the webhook URL (base_url +
// "/" + the secret path T…/B…/…), `text` as the notification fallback plus Block Kit `blocks`
// (a header, the fields severity/target/state/level, the report link). Success is 200 with the
// body "ok"; 429 carries Retry-After; other 4xx (invalid_payload, no_service, channel_is_archived)
// will not get better by retrying.
#include <nlohmann/json.hpp>

#include "notify/wire.h"

namespace x0::notify::detail {

// Slack mrkdwn: &, < and > must be escaped, the rest is literal.
std::string slack_escape(std::string_view s) {
  std::string out;
  for (char ch : s) {
    if (ch == '&')
      out += "&amp;";
    else if (ch == '<')
      out += "&lt;";
    else if (ch == '>')
      out += "&gt;";
    else
      out += ch;
  }
  return out;
}

namespace {

nlohmann::json field(std::string_view label, std::string_view value) {
  return {{"type", "mrkdwn"}, {"text", "*" + std::string(label) + "*\n" + slack_escape(value)}};
}

}  // namespace

OutboundRequest format_slack(const Channel& c, const Event& e, const FormatContext& x) {
  const std::string link = report_link(x, e);
  std::string text = headline(e);
  nlohmann::json blocks = nlohmann::json::array();
  // header blocks take plain_text of at most 150 characters.
  blocks.push_back({{"type", "header"},
                    {"text", {{"type", "plain_text"}, {"text", truncate_utf8(headline(e), 150)}}}});
  blocks.push_back({{"type", "section"},
                    {"fields",
                     {field("Severity", to_string(e.severity)),
                      field("Target", e.target.empty() ? "-" : e.target), field("State", e.status),
                      field("Level", to_string(e.level))}}});
  if (!e.text.empty())
    blocks.push_back(
        {{"type", "section"},
         {"text", {{"type", "mrkdwn"}, {"text", truncate_utf8(slack_escape(e.text), 3000)}}}});
  if (!link.empty()) {
    blocks.push_back({{"type", "section"},
                      {"text", {{"type", "mrkdwn"}, {"text", "<" + link + "|Incident report>"}}}});
    text += " " + link;
  }
  nlohmann::json body = {{"text", text}, {"blocks", blocks}};
  OutboundRequest r;
  r.url = c.base_url + "/" + c.secret;
  r.headers = {{"Content-Type", "application/json"}};
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

Outcome classify_slack(const ServiceAnswer& a) {
  if (a.status == 200 && a.body == "ok") return {Verdict::kDelivered, std::nullopt, "ok", ""};
  if (a.status == 429)
    return retry(a, a.retry_after_s ? std::optional(*a.retry_after_s * 1000) : std::nullopt);
  if (a.status == 0 || a.status >= 500) return retry(a);
  return permanent(a);
}

}  // namespace x0::notify::detail
