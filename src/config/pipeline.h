// Internal: the load pipeline, step by step (read TOML -> environment -> resolve -> validate).
// Each step appends one message per problem; Origins remembers where each value came from so a
// later check can still name "file:line" or the environment variable. Not part of the public API.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config.h"

namespace x0::config::detail {

struct Origins {
  std::string name;                          // file name, or "<embedded defaults>"
  std::map<std::string, std::string> where;  // "cache.capacity", "services.0.name" -> "x0.toml:12"
  // Where the value at `path` came from; the file name alone when unknown.
  std::string locate(const std::string& path) const;
};

using Problems = std::vector<std::string>;

// "loc: [label] key: message"
std::string problem(const std::string& loc, std::string_view label, std::string_view key,
                    std::string_view message);

void read_toml(std::string_view text, Config& cfg, Origins& origins, Problems& out);
void read_env(const std::vector<std::pair<std::string, std::string>>& env, Config& cfg,
              Origins& origins, Problems& out);
// Fills node.id, incidents.store, cache.backing_file and applies the legacy keys (api_gateway.port,
// performance_monitor.prometheus_port, api_gateway.fallback_upstream).
void resolve(Config& cfg);
// Checks that span keys: required service keys, unique names, distinct listener addresses.
void validate(const Config& cfg, const Origins& origins, Problems& out);
// JWT providers (jwt_config.cc): adds the implicit "default" provider of [security]
// jwt_secret_file, reads every provider's key file, checks algorithms against the keys' types
// and that every service's provider exists. Mutates: the keys are part of the loaded config.
void load_jwt(Config& cfg, const Origins& origins, Problems& out);
// Notification channels (notify_config.cc): checks each [[notify.channels]] against its type,
// reads its secret file and adds the legacy [notify] webhooks as `webhook` channels.
void load_notify(Config& cfg, const Origins& origins, Problems& out);
// A close known key, for "unknown key" messages ("" when nothing is close).
std::string closest(std::string_view key, const std::vector<std::string_view>& known);

}  // namespace x0::config::detail
