// Internal: the TOML reader's building blocks (read_toml.cc), shared with the readers of sections
// that are more than a flat table of keys ([[jwt.providers]], jwt_config.cc).
#pragma once

#include <toml++/toml.h>

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/fields.h"
#include "config/pipeline.h"

namespace x0::config::detail {

std::string at(const Origins& o, const toml::source_region& src);  // "file:line"
std::string describe(const toml::node& n);                          // "integer 3", "a table"
std::optional<std::string> set_from_node(const Field& f, const toml::node& n);
// Reads the keys of one table into `fields`; `skip` names keys the caller reads itself.
void read_table(const toml::table& t, const std::vector<Field>& fields, const std::string& prefix,
                const std::string& label, const std::string& key_prefix, Origins& o, Problems& out,
                std::initializer_list<std::string_view> skip = {});

// jwt_config.cc: the [jwt] section ([[jwt.providers]]) and a service's `jwt` key.
void read_jwt(const toml::node& node, Config& cfg, Origins& o, Problems& out);
void read_service_jwt(const toml::node& node, const std::string& prefix, const std::string& label,
                      Service& svc, Origins& o, Problems& out);

// notify_config.cc: the [notify] section with its [[notify.channels]].
void read_notify(const toml::node& node, Config& cfg, Origins& o, Problems& out);

}  // namespace x0::config::detail
