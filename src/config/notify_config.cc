// [notify] and its [[notify.channels]] (docs/CONFIG.md "[notify]", docs/ONCALL.md). Secret files
// (routing_key_file, token_file, secret_file) are read here, at load, so check-config and a
// reload refuse an unreadable one with file:line like any other bad value; their contents go
// into the loaded notify::Channel and nowhere else (no message quotes them).
#include <sys/stat.h>

#include <fstream>
#include <set>
#include <sstream>

#include "config/toml_reading.h"

namespace x0::config::detail {
namespace {

constexpr size_t kMaxSecretBytes = 64 * 1024;

std::vector<Field> channel_fields(NotifyChannelSpec& c) {
  return {Field{"name", &c.name, 0, 0, Shape::kServiceName},
          Field{"type", &c.type},
          Field{"events", &c.events},
          Field{"severities", &c.severities},
          Field{"levels", &c.levels},
          Field{"url", &c.url, 0, 0, Shape::kUrl},
          Field{"base_url", &c.base_url, 0, 0, Shape::kUrl},
          Field{"routing_key_file", &c.routing_key_file},
          Field{"token_file", &c.token_file},
          Field{"secret_file", &c.secret_file},
          Field{"chat_id", &c.chat_id},
          Field{"page_id", &c.page_id},
          Field{"component_ids", &c.component_ids},
          Field{"ca_file", &c.ca_file},
          Field{"connect_timeout_ms", &c.connect_timeout_ms, 1, 60000},
          Field{"timeout_ms", &c.timeout_ms, 1, 120000},
          Field{"rate_per_minute", &c.rate_per_minute, 0, 60000},
          Field{"burst", &c.burst, 1, 1000},
          Field{"group", &c.group}};
}

void read_channels(const toml::node& v, Config& cfg, Origins& o, Problems& out) {
  const auto* arr = v.as_array();
  if (!arr) {
    out.push_back(problem(at(o, v.source()), "notify", "channels",
                          "expected [[notify.channels]] tables, got " + describe(v)));
    return;
  }
  for (const toml::node& e : *arr) {
    const auto* t = e.as_table();
    if (!t) {
      out.push_back(
          problem(at(o, e.source()), "notify", "channels", "expected a table, got " + describe(e)));
      continue;
    }
    const size_t index = cfg.notify.channel_specs.size();
    const std::string prefix = "notify.channels." + std::to_string(index);
    o.where[prefix] = at(o, t->source());
    NotifyChannelSpec spec;
    read_table(*t, channel_fields(spec), prefix + ".",
               "notify.channels[" + std::to_string(index) + "]", "", o, out);
    cfg.notify.channel_specs.push_back(std::move(spec));
  }
}

// The file's content without trailing white space (an editor's newline is not part of a key).
Result<std::string> read_secret(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
    return fail(Errc::kConfigUnreadable, "\"" + path + "\": cannot read (no such regular file)");
  if (static_cast<size_t>(st.st_size) > kMaxSecretBytes)
    return fail(Errc::kConfigUnreadable, "\"" + path + "\": larger than 64 KiB");
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  if (!in || in.bad()) return fail(Errc::kConfigUnreadable, "\"" + path + "\": cannot read");
  std::string s = text.str();
  while (!s.empty() &&
         (s.back() == '\n' || s.back() == '\r' || s.back() == ' ' || s.back() == '\t'))
    s.pop_back();
  if (s.empty()) return fail(Errc::kConfigInvalid, "\"" + path + "\" is empty");
  return s;
}

template <size_t N, class Parse>
bool read_set(const std::vector<std::string>& names, Parse parse, int offset, std::bitset<N>* bits,
              std::string* bad) {
  for (const std::string& n : names) {
    auto v = parse(n);
    if (!v) {
      *bad = n;
      return false;
    }
    bits->set(static_cast<size_t>(static_cast<int>(*v) - offset));
  }
  return true;
}

// Checks one spec against its type and builds the channel; problems under `label`.
void load_channel(const NotifyChannelSpec& s, size_t index, const Origins& o, Problems& out,
                  std::vector<notify::Channel>* channels) {
  const std::string at_path = "notify.channels." + std::to_string(index);
  auto where = [&](const char* key) {
    std::string path = at_path + "." + key;
    return o.where.contains(path) ? o.locate(path) : o.locate(at_path);
  };
  const std::string label = s.name.empty() ? "notify.channels[" + std::to_string(index) + "]"
                                           : "notify.channels." + s.name;
  const size_t before = out.size();
  auto bad = [&](const char* key, const std::string& message) {
    out.push_back(problem(where(key), label, key, message));
  };
  notify::Channel c;
  c.name = s.name;
  if (s.name.empty()) bad("name", "required key missing");
  auto type = notify::parse_channel_type(s.type);
  if (!type) {
    bad("type", s.type.empty() ? "required key missing (pagerduty, slack, telegram, statuspage "
                                 "or webhook)"
                               : "\"" + s.type +
                                     "\" is not a channel type (pagerduty, slack, telegram, "
                                     "statuspage or webhook)");
    return;
  }
  c.type = *type;
  std::string which;
  if (s.events.empty()) {
    c.events.set();
  } else if (!read_set(s.events, notify::parse_event_kind, 0, &c.events, &which)) {
    bad("events", "\"" + which +
                      "\" is not an event (opened, acknowledged, escalated, "
                      "status_update_due, sla_breached, mitigated, resolved)");
  }
  if (s.severities.empty()) {
    c.severities.set();
  } else if (!read_set(s.severities, parse_severity_strict, 1, &c.severities, &which)) {
    bad("severities", "\"" + which + "\" is not a severity (SEV-1 .. SEV-4)");
  }
  if (s.levels.empty()) {
    c.levels.set(0);
  } else if (!read_set(s.levels, notify::parse_level, 1, &c.levels, &which)) {
    bad("levels", "\"" + which + "\" is not an escalation level (L1, L2, L3)");
  }
  // Which keys each type takes: a key another type needs is a mistake worth naming.
  struct Rule {
    const char* key;
    const std::string* value;
    bool required;
    bool allowed;
  };
  const bool pd = c.type == notify::ChannelType::kPagerDuty;
  const bool slack = c.type == notify::ChannelType::kSlack;
  const bool tg = c.type == notify::ChannelType::kTelegram;
  const bool sp = c.type == notify::ChannelType::kStatuspage;
  const bool hook = c.type == notify::ChannelType::kWebhook;
  const Rule rules[] = {{"routing_key_file", &s.routing_key_file, pd, pd},
                        {"token_file", &s.token_file, slack || tg || sp, slack || tg || sp},
                        {"secret_file", &s.secret_file, false, hook},
                        {"url", &s.url, hook, hook},
                        {"base_url", &s.base_url, false, !hook},
                        {"chat_id", &s.chat_id, tg, tg},
                        {"page_id", &s.page_id, sp, sp}};
  for (const Rule& r : rules) {
    if (r.required && r.value->empty())
      bad(r.key, "required for a " + s.type + " channel");
    else if (!r.allowed && !r.value->empty())
      bad(r.key, "not used by a " + s.type + " channel");
  }
  if (!sp && !s.component_ids.empty()) bad("component_ids", "not used by a " + s.type + " channel");
  const std::string& secret_file = pd ? s.routing_key_file : hook ? s.secret_file : s.token_file;
  const char* secret_key = pd ? "routing_key_file" : hook ? "secret_file" : "token_file";
  if (!secret_file.empty() && out.size() == before) {
    auto secret = read_secret(secret_file);
    if (!secret)
      bad(secret_key, secret.error().detail);
    else
      c.secret = std::move(*secret);
    c.secret_file = secret_file;
  }
  if (!s.ca_file.empty()) {
    struct stat st {};
    if (::stat(s.ca_file.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
      bad("ca_file", "\"" + s.ca_file + "\": cannot read (no such regular file)");
  }
  c.base_url = s.base_url.empty() ? std::string(notify::default_base_url(c.type)) : s.base_url;
  while (c.base_url.ends_with('/')) c.base_url.pop_back();
  c.url = s.url;
  c.chat_id = s.chat_id;
  c.page_id = s.page_id;
  c.component_ids = s.component_ids;
  c.ca_file = s.ca_file;
  c.connect_timeout_ms = s.connect_timeout_ms;
  c.timeout_ms = s.timeout_ms;
  c.rate_per_minute = s.rate_per_minute < 0 ? notify::default_rate_per_minute(c.type, c.chat_id)
                                            : s.rate_per_minute;
  c.burst = s.burst < 0 ? notify::default_burst(c.type) : s.burst;
  if (o.where.contains(at_path + ".group") && !notify::can_group(c.type))
    bad("group", "not used by a " + s.type +
                     " channel (only slack and telegram send digests; each event here is its "
                     "own request, paced by rate_per_minute)");
  c.group = notify::can_group(c.type) && s.group;
  if (out.size() == before) channels->push_back(std::move(c));
}

}  // namespace

void read_notify(const toml::node& node, Config& cfg, Origins& o, Problems& out) {
  const auto* t = node.as_table();
  if (!t) {
    out.push_back(problem(at(o, node.source()), "notify", "",
                          "expected a [notify] table, got " + describe(node)));
    return;
  }
  read_table(*t, section_fields(cfg, "notify"), "notify.", "notify", "", o, out, {"channels"});
  if (const toml::node* channels = t->get("channels")) read_channels(*channels, cfg, o, out);
}

void load_notify(Config& cfg, const Origins& o, Problems& out) {
  std::vector<notify::Channel> channels;
  std::set<std::string> names;
  for (size_t i = 0; i < cfg.notify.channel_specs.size(); ++i) {
    const NotifyChannelSpec& s = cfg.notify.channel_specs[i];
    if (!s.name.empty() && !names.insert(s.name).second) {
      const std::string path = "notify.channels." + std::to_string(i) + ".name";
      out.push_back(problem(o.where.contains(path) ? o.locate(path) : o.locate("notify.channels"),
                            "notify.channels." + s.name, "name", "duplicate channel name"));
      continue;
    }
    load_channel(s, i, o, out, &channels);
  }
  // The legacy [notify] webhooks: unsigned `webhook` channels that take every event.
  for (size_t i = 0; i < cfg.notify.webhooks.size(); ++i) {
    notify::Channel c;
    c.name = "webhook-" + std::to_string(i + 1);
    if (names.contains(c.name)) {
      out.push_back(problem(o.locate("notify.webhooks"), "notify", "webhooks",
                            "webhook " + std::to_string(i + 1) + " would be channel \"" + c.name +
                                "\", which a [[notify.channels]] already names"));
      continue;
    }
    c.type = notify::ChannelType::kWebhook;
    c.url = cfg.notify.webhooks[i];
    c.events.set();
    c.severities.set();
    c.levels.set(0);
    c.timeout_ms = cfg.notify.webhook_timeout_ms;
    c.connect_timeout_ms = std::min(cfg.notify.webhook_timeout_ms, 3000);
    c.burst = notify::default_burst(c.type);
    c.legacy = true;
    channels.push_back(std::move(c));
  }
  while (cfg.notify.public_url.ends_with('/')) cfg.notify.public_url.pop_back();
  cfg.notify.channels = std::move(channels);
}

}  // namespace x0::config::detail
