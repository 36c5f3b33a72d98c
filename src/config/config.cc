// Public entry points of the config module: parse, load_file, load_defaults, apply_env and
// check-config. They run the steps of pipeline.h in order and turn the collected problems into
// one Error whose detail has one line per problem. Nothing escapes as an exception.
#include "config/config.h"

#include <fstream>
#include <ostream>
#include <sstream>

#include "config/fields.h"
#include "config/pipeline.h"

extern char** environ;

namespace x0::config {
namespace {

// The text of examples/x0tta6bl4.toml, embedded by CMake (src/config/CMakeLists.txt).
#include "config/embedded_defaults.inc"

constexpr std::string_view kDefaultsName = "<embedded defaults>";

std::vector<std::pair<std::string, std::string>> process_env() {
  std::vector<std::pair<std::string, std::string>> out;
  for (char** e = environ; e && *e; ++e) {
    std::string_view entry(*e);
    size_t eq = entry.find('=');
    if (eq == std::string_view::npos) continue;
    out.emplace_back(std::string(entry.substr(0, eq)), std::string(entry.substr(eq + 1)));
  }
  return out;
}

x0::Result<Config> finish(Config cfg, detail::Problems& problems) {
  if (problems.empty()) return cfg;
  std::string detail;
  for (const std::string& p : problems) {
    if (!detail.empty()) detail += '\n';
    detail += p;
  }
  return x0::fail(Errc::kConfigInvalid, std::move(detail));
}

// The whole pipeline; `env` is null for parse() (no overrides).
x0::Result<Config> run(std::string_view text, std::string_view name,
                       const std::vector<std::pair<std::string, std::string>>* env) {
  try {
    Config cfg;
    cfg.source = std::string(name);
    detail::Origins origins{std::string(name), {}};
    detail::Problems problems;
    detail::read_toml(text, cfg, origins, problems);
    if (env) detail::read_env(*env, cfg, origins, problems);
    if (!problems.empty()) return finish(std::move(cfg), problems);
    detail::resolve(cfg);
    detail::validate(cfg, origins, problems);
    if (problems.empty()) detail::load_jwt(cfg, origins, problems);
    if (problems.empty()) detail::load_notify(cfg, origins, problems);
    return finish(std::move(cfg), problems);
  } catch (const std::exception& e) {
    return x0::fail(Errc::kConfigInvalid, std::string(name) + ": " + e.what());
  }
}

}  // namespace

std::string_view embedded_defaults() { return kEmbeddedDefaults; }

x0::Result<Config> parse(std::string_view toml_text, std::string_view name) {
  return run(toml_text, name, nullptr);
}

x0::Result<Config> load_defaults() {
  auto env = process_env();
  return run(embedded_defaults(), kDefaultsName, &env);
}

x0::Result<Config> load_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return x0::fail(Errc::kConfigUnreadable, path + ": cannot open for reading");
  std::stringstream text;
  text << in.rdbuf();
  if (in.bad()) return x0::fail(Errc::kConfigUnreadable, path + ": read error");
  auto env = process_env();
  return run(text.str(), path, &env);
}

x0::Result<void> apply_env(Config& cfg,
                           const std::vector<std::pair<std::string, std::string>>& env) {
  try {
    detail::Origins origins{cfg.source.empty() ? std::string(kDefaultsName) : cfg.source, {}};
    detail::Problems problems;
    Config updated = cfg;  // all or nothing: a bad variable leaves cfg untouched
    detail::read_env(env, updated, origins, problems);
    if (problems.empty()) detail::validate(updated, origins, problems);
    if (problems.empty()) detail::load_jwt(updated, origins, problems);
    if (problems.empty()) detail::load_notify(updated, origins, problems);
    auto done = finish(std::move(updated), problems);
    if (!done) return std::unexpected(done.error());
    cfg = std::move(*done);
    return {};
  } catch (const std::exception& e) {
    return x0::fail(Errc::kConfigInvalid, std::string("environment: ") + e.what());
  }
}

std::vector<std::string> env_variable_names() {
  std::vector<std::string> out;
  Config scratch;
  for (std::string_view section : detail::section_names())
    for (const auto& f : detail::section_fields(scratch, section))
      out.push_back(detail::env_name(section, f.key));
  return out;
}

int check_config(const std::string& path, std::ostream& out, std::ostream& err) {
  auto cfg = load_file(path);
  if (!cfg) {
    err << cfg.error().detail << '\n';
    return 1;
  }
  out << "ok: " << path << " (" << cfg->services.size() << " service"
      << (cfg->services.size() == 1 ? "" : "s") << ")\n";
  return 0;
}

}  // namespace x0::config
