// Dispatch to the channel types' formats, and what they share (see wire.h).
#include "notify/wire.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace x0::notify {

OutboundRequest format(const Channel& c, const Event& e, const FormatContext& x) {
  switch (c.type) {
    case ChannelType::kPagerDuty:
      return detail::format_pagerduty(c, e, x);
    case ChannelType::kSlack:
      return detail::format_slack(c, e, x);
    case ChannelType::kTelegram:
      return detail::format_telegram(c, e, x);
    case ChannelType::kStatuspage:
      return detail::format_statuspage(c, e, x);
    case ChannelType::kWebhook:
      break;
  }
  return detail::format_webhook(c, e, x);
}

Outcome classify(const Channel& c, const ServiceAnswer& a) {
  switch (c.type) {
    case ChannelType::kPagerDuty:
      return detail::classify_pagerduty(a);
    case ChannelType::kSlack:
      return detail::classify_slack(a);
    case ChannelType::kTelegram:
      return detail::classify_telegram(a);
    case ChannelType::kStatuspage:
      return detail::classify_statuspage(a);
    case ChannelType::kWebhook:
      break;
  }
  return detail::classify_webhook(a);
}

std::string hmac_sha256_hex(std::string_view key, std::string_view message) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac, &len);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[mac[i] >> 4];
    out += kHex[mac[i] & 0xf];
  }
  return out;
}

namespace detail {

std::string headline(const Event& e) {
  std::string what;
  switch (e.kind) {
    case EventKind::kOpened:
      what = "opened";
      break;
    case EventKind::kAcknowledged:
      what = "acknowledged";
      break;
    case EventKind::kEscalated:
      what = "escalated to " + std::string(to_string(e.level));
      break;
    case EventKind::kStatusUpdateDue:
      what = "status update due";
      break;
    case EventKind::kSlaBreached:
      what = "SLA breached";
      break;
    case EventKind::kMitigated:
      what = "mitigated";
      break;
    case EventKind::kResolved:
      what = "resolved";
      break;
  }
  return "[" + std::string(to_string(e.severity)) + "] " + e.incident_id + " " + what + ": " +
         e.title;
}

std::string report_link(const FormatContext& x, const Event& e) {
  if (x.public_url.empty()) return "";
  return x.public_url + "/incidents/" + e.incident_id + "/report";
}

size_t code_points(std::string_view s) {
  size_t n = 0;
  for (char ch : s)
    if ((static_cast<unsigned char>(ch) & 0xC0) != 0x80) ++n;
  return n;
}

std::string truncate_utf8(std::string_view s, size_t max_code_points) {
  size_t n = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) {
      if (n == max_code_points) return std::string(s.substr(0, i));
      ++n;
    }
  }
  return std::string(s);
}

std::string answer_text(const ServiceAnswer& a) {
  if (a.status == 0) return a.transport_error.empty() ? "no answer" : a.transport_error;
  std::string body = truncate_utf8(a.body, 200);
  return "answered " + std::to_string(a.status) + (body.empty() ? "" : ": " + body);
}

Outcome retry(const ServiceAnswer& a, std::optional<int64_t> retry_after_ms) {
  Outcome o;
  o.verdict = Verdict::kRetry;
  o.retry_after_ms = retry_after_ms;
  o.reason = answer_text(a);
  return o;
}

Outcome permanent(const ServiceAnswer& a) {
  Outcome o;
  o.verdict = Verdict::kPermanent;
  o.reason = answer_text(a);
  return o;
}

}  // namespace detail
}  // namespace x0::notify
