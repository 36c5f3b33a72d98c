// Reads TOML text into a Config through the schema in fields.h. toml++ gives every node its
// source line, so each problem (syntax, unknown section or key, wrong type, out of range) is
// reported as "file:line: [section] key: message" and reading goes on to find the next one.
#include <toml++/toml.h>

#include <algorithm>
#include <string>

#include "config/fields.h"
#include "config/pipeline.h"
#include "config/toml_reading.h"

namespace x0::config::detail {

std::string at(const Origins& o, const toml::source_region& src) {
  return o.name + ":" + std::to_string(src.begin.line);
}

std::string describe(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::integer:
      return "integer " + std::to_string(n.as_integer()->get());
    case toml::node_type::floating_point:
      return "float " + std::to_string(n.as_floating_point()->get());
    case toml::node_type::boolean:
      return n.as_boolean()->get() ? "true" : "false";
    case toml::node_type::string: {
      const std::string& v = n.as_string()->get();
      return "string \"" + v.substr(0, 60) + (v.size() > 60 ? "...\"" : "\"");
    }
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    default:
      return "a date/time";
  }
}

// Stores one TOML value into a field; nullopt on success.
std::optional<std::string> set_from_node(const Field& f, const toml::node& n) {
  if (auto* v = n.as_integer()) return set_int(f, v->get());
  if (auto* v = n.as_floating_point()) return set_double(f, v->get());
  if (auto* v = n.as_boolean()) return set_bool(f, v->get());
  if (auto* v = n.as_string()) return set_string(f, v->get());
  if (auto* arr = n.as_array()) {
    std::vector<std::string> items;
    for (const toml::node& e : *arr) {
      const auto* sv = e.as_string();
      if (!sv) return "expected " + expected(f) + ", got an array containing " + describe(e);
      items.push_back(sv->get());
    }
    return set_string_list(f, std::move(items));
  }
  return "expected " + expected(f) + ", got " + describe(n);
}

namespace {

std::vector<std::string_view> keys_of(const std::vector<Field>& fields) {
  std::vector<std::string_view> out;
  for (const Field& f : fields) out.push_back(f.key);
  return out;
}

std::string unknown(std::string_view key, const std::vector<std::string_view>& known) {
  std::string hint = closest(key, known);
  return hint.empty() ? "unknown key" : "unknown key (did you mean " + hint + "?)";
}

// Reads the keys of one table into `fields`. `prefix` is the Origins path prefix ("cache.",
// "services.0."), `label` the section shown in messages, `key_prefix` is put before key names
// ("health_check.").
}  // namespace

void read_table(const toml::table& t, const std::vector<Field>& fields, const std::string& prefix,
                const std::string& label, const std::string& key_prefix, Origins& o, Problems& out,
                std::initializer_list<std::string_view> skip) {
  for (auto&& [k, node] : t) {
    std::string key(k.str());
    if (std::find(skip.begin(), skip.end(), key) != skip.end()) continue;
    const Field* field = nullptr;
    for (const Field& f : fields)
      if (f.key == key) field = &f;
    if (!field) {
      out.push_back(
          problem(at(o, k.source()), label, key_prefix + key, unknown(key, keys_of(fields))));
      continue;
    }
    std::string loc = at(o, node.source());
    o.where[prefix + key] = loc;
    if (auto bad = set_from_node(*field, node))
      out.push_back(problem(loc, label, key_prefix + key, *bad));
  }
}

namespace {

void read_service(const toml::table& t, size_t index, Service& svc, Origins& o, Problems& out) {
  std::string prefix = "services." + std::to_string(index) + ".";
  o.where["services." + std::to_string(index)] = at(o, t.source());
  std::string label = "services[" + std::to_string(index) + "]";
  if (const auto* name = t.get_as<std::string>("name")) {
    std::string v = name->get();
    if (!v.empty() &&
        v.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_-") == std::string::npos)
      label = "services." + v;
  }
  read_table(t, service_fields(svc), prefix, label, "", o, out, {"health_check", "jwt"});
  if (const toml::node* jwt = t.get("jwt")) read_service_jwt(*jwt, prefix, label, svc, o, out);
  if (const toml::node* hc_node = t.get("health_check")) {
    if (const auto* hc = hc_node->as_table()) {
      read_table(*hc, health_check_fields(svc.health_check), prefix + "health_check.", label,
                 "health_check.", o, out);
    } else {
      out.push_back(problem(at(o, hc_node->source()), label, "health_check",
                            "expected a table, got " + describe(*hc_node)));
    }
  }
}

void read_services(const toml::node& node, Config& cfg, Origins& o, Problems& out) {
  const auto* arr = node.as_array();
  if (!arr) {
    out.push_back(problem(at(o, node.source()), "services", "",
                          "expected [[services]] tables, got " + describe(node)));
    return;
  }
  for (const toml::node& e : *arr) {
    const auto* t = e.as_table();
    if (!t) {
      out.push_back(
          problem(at(o, e.source()), "services", "", "expected a table, got " + describe(e)));
      continue;
    }
    Service svc;
    read_service(*t, cfg.services.size(), svc, o, out);
    cfg.services.push_back(std::move(svc));
  }
}

}  // namespace

void read_toml(std::string_view text, Config& cfg, Origins& o, Problems& out) {
  toml::table root;
  try {
    root = toml::parse(text, o.name);
  } catch (const toml::parse_error& e) {
    out.push_back(at(o, e.source()) + ": toml syntax: " + std::string(e.description()));
    return;
  }
  std::vector<std::string_view> known = section_names();
  known.push_back("services");
  known.push_back("jwt");
  for (auto&& [k, node] : root) {
    std::string section(k.str());
    if (section == "services") {
      read_services(node, cfg, o, out);
      continue;
    }
    if (section == "jwt") {
      read_jwt(node, cfg, o, out);
      continue;
    }
    if (section == "notify") {
      read_notify(node, cfg, o, out);
      continue;
    }
    std::vector<Field> fields = section_fields(cfg, section);
    if (fields.empty()) {
      std::string hint = closest(section, known);
      out.push_back(at(o, k.source()) + ": [" + section + "]: unknown section" +
                    (hint.empty() ? "" : " (did you mean " + hint + "?)"));
      continue;
    }
    const auto* t = node.as_table();
    if (!t) {
      out.push_back(problem(at(o, node.source()), section, "",
                            "expected a [" + section + "] table, got " + describe(node)));
      continue;
    }
    read_table(*t, fields, section + ".", section, "", o, out);
  }
}

}  // namespace x0::config::detail
