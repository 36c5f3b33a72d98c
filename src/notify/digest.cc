// Digest messages for Slack and Telegram (see digest.h). Each event is one line: its headline
// (severity, incident, what happened, title), its target and, with public_url, its report link.
// Lines are added while the message stays inside the service's limits.
#include "notify/digest.h"

#include <array>
#include <nlohmann/json.hpp>
#include <string>

#include "common/html_escape.h"

namespace x0::notify {
namespace {

constexpr size_t kMaxLineCodePoints = 240;  // a title cannot crowd out the other incidents
constexpr size_t kTelegramMax = 4096;
constexpr size_t kTelegramHeaderReserve = 160;  // the header is written once the lines are known
constexpr size_t kSlackSectionMax = 3000;
constexpr size_t kSlackMaxSections = 48;  // 50 blocks, less the header and a spare

// "7 incident notifications: 2 SEV-1, 5 SEV-3".
std::string summary(const std::vector<Event>& events, size_t count) {
  std::array<size_t, kSeverityCount> by{};
  for (size_t i = 0; i < count; ++i) ++by[static_cast<size_t>(events[i].severity) - 1];
  std::string out = std::to_string(count) + " incident notifications:";
  const char* sep = " ";
  for (size_t s = 0; s < by.size(); ++s) {
    if (by[s] == 0) continue;
    out += sep + std::to_string(by[s]) + " " +
           std::string(to_string(static_cast<Severity>(static_cast<int>(s) + 1)));
    sep = ", ";
  }
  return out;
}

std::string plain_line(const Event& e) {
  std::string line = detail::headline(e);
  if (!e.target.empty()) line += " (" + e.target + ")";
  return detail::truncate_utf8(line, kMaxLineCodePoints);
}

Digest telegram(const Channel& c, const std::vector<Event>& events, const FormatContext& x) {
  std::string lines;
  size_t used = 0;
  size_t count = 0;
  for (const Event& e : events) {
    if (count == kMaxDigestEvents) break;
    std::string line = "• " + html_escape(plain_line(e));
    if (const std::string link = detail::report_link(x, e); !link.empty())
      line += " <a href=\"" + html_escape(link) + "\">report</a>";
    line += "\n";
    const size_t n = detail::code_points(line);
    if (count > 0 && used + n > kTelegramMax - kTelegramHeaderReserve) break;
    lines += line;
    used += n;
    ++count;
  }
  std::string text = "<b>" + html_escape(summary(events, count)) + "</b>\n" + lines;
  // A single line longer than the budget (a huge link): cut, as format_telegram cuts.
  if (detail::code_points(text) > kTelegramMax)
    text = detail::truncate_utf8(html_escape(summary(events, count)), kTelegramMax);
  nlohmann::json body = {{"chat_id", c.chat_id},
                         {"text", text},
                         {"parse_mode", "HTML"},
                         {"disable_web_page_preview", true}};
  Digest d;
  d.count = count;
  d.request.url = c.base_url + "/bot" + c.secret + "/sendMessage";
  d.request.headers = {{"Content-Type", "application/json"}};
  d.request.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return d;
}

Digest slack(const Channel& c, const std::vector<Event>& events, const FormatContext& x) {
  std::vector<std::string> sections(1);
  std::string fallback;
  size_t count = 0;
  for (const Event& e : events) {
    if (count == kMaxDigestEvents) break;
    std::string line = "• " + detail::slack_escape(plain_line(e));
    if (const std::string link = detail::report_link(x, e); !link.empty())
      line += " <" + link + "|report>";
    line += "\n";
    if (detail::code_points(sections.back()) + detail::code_points(line) > kSlackSectionMax) {
      if (sections.size() == kSlackMaxSections) break;
      sections.emplace_back();
    }
    sections.back() += detail::truncate_utf8(line, kSlackSectionMax);
    if (fallback.size() < 1000) fallback += (count ? "; " : "") + plain_line(e);
    ++count;
  }
  const std::string head = summary(events, count);
  nlohmann::json blocks = nlohmann::json::array();
  blocks.push_back(
      {{"type", "header"},
       {"text", {{"type", "plain_text"}, {"text", detail::truncate_utf8(head, 150)}}}});
  for (const std::string& s : sections)
    blocks.push_back({{"type", "section"}, {"text", {{"type", "mrkdwn"}, {"text", s}}}});
  nlohmann::json body = {{"text", head + " " + detail::truncate_utf8(fallback, 1000)},
                         {"blocks", blocks}};
  Digest d;
  d.count = count;
  d.request.url = c.base_url + "/" + c.secret;
  d.request.headers = {{"Content-Type", "application/json"}};
  d.request.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return d;
}

}  // namespace

Digest format_digest(const Channel& channel, const std::vector<Event>& events,
                     const FormatContext& context) {
  if (channel.type == ChannelType::kTelegram) return telegram(channel, events, context);
  return slack(channel, events, context);
}

}  // namespace x0::notify
