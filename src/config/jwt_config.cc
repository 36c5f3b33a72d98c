// [[jwt.providers]], a service's `jwt` key and the providers' key files (docs/CONFIG.md, "[jwt]").
// Key files are read here, at load, so `check-config` and a reload refuse an unreadable or
// mismatched key with file:line like any other bad value, and a reload is what re-reads them.
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <map>
#include <sstream>

#include "config/toml_reading.h"
#include "jwt/keys.h"

namespace x0::config::detail {
namespace {

constexpr size_t kMaxKeyFileBytes = 1 << 20;

std::vector<Field> provider_fields(JwtProvider& p) {
  return {Field{"name", &p.name, 0, 0, Shape::kServiceName},
          Field{"issuer", &p.issuer},
          Field{"audiences", &p.audiences},
          Field{"jwks_file", &p.jwks_file},
          Field{"secret_file", &p.secret_file},
          Field{"public_key_file", &p.public_key_file},
          Field{"algorithms", &p.algorithms},
          Field{"clock_skew_seconds", &p.clock_skew_seconds, 0, 3600},
          Field{"from_header", &p.from_header},
          Field{"forward_token", &p.forward_token}};
}

bool header_name(std::string_view v) {
  if (v.empty()) return false;
  for (char c : v)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
  return true;
}

void read_forward_claims(const toml::node& node, const std::string& loc_prefix,
                         const std::string& label, JwtProvider& p, Origins& o, Problems& out) {
  const auto* t = node.as_table();
  if (!t) {
    out.push_back(problem(at(o, node.source()), label, "forward_claims",
                          "expected a table of claim = \"Header-Name\", got " + describe(node)));
    return;
  }
  o.where[loc_prefix + "forward_claims"] = at(o, node.source());
  for (auto&& [k, v] : *t) {
    const auto* name = v.as_string();
    if (!name) {
      out.push_back(problem(at(o, v.source()), label, "forward_claims." + std::string(k.str()),
                            "expected a header name, got " + describe(v)));
      continue;
    }
    p.forward_claims.emplace_back(std::string(k.str()), name->get());
  }
}

void read_provider(const toml::table& t, size_t index, Config& cfg, Origins& o, Problems& out) {
  JwtProvider p;
  std::string prefix = "jwt.providers." + std::to_string(index) + ".";
  o.where["jwt.providers." + std::to_string(index)] = at(o, t.source());
  std::string label = "jwt.providers[" + std::to_string(index) + "]";
  read_table(t, provider_fields(p), prefix, label, "", o, out, {"forward_claims"});
  if (const toml::node* fc = t.get("forward_claims"))
    read_forward_claims(*fc, prefix, label, p, o, out);
  cfg.jwt.providers.push_back(std::move(p));
}

Result<std::string> read_key_file(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
    return fail(Errc::kConfigUnreadable, "\"" + path + "\": cannot read (no such regular file)");
  if (static_cast<size_t>(st.st_size) > kMaxKeyFileBytes)
    return fail(Errc::kConfigUnreadable, "\"" + path + "\": larger than 1 MiB");
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  if (!in || in.bad()) return fail(Errc::kConfigUnreadable, "\"" + path + "\": cannot read");
  return text.str();
}

// Loads one provider's keys and settles its algorithms; problems under `label`.
void load_provider(JwtProvider& p, const std::string& at_path, const std::string& label,
                   const Origins& o, Problems& out) {
  auto where = [&](const char* key) {
    std::string path = at_path + "." + key;
    return o.where.contains(path) ? o.locate(path) : o.locate(at_path);
  };
  int sources = !p.jwks_file.empty() + !p.secret_file.empty() + !p.public_key_file.empty();
  if (sources != 1) {
    out.push_back(problem(where("name"), label, "jwks_file",
                          "exactly one of jwks_file, secret_file, public_key_file is needed"));
    return;
  }
  const char* key = !p.jwks_file.empty()     ? "jwks_file"
                    : !p.secret_file.empty() ? "secret_file"
                                             : "public_key_file";
  const std::string& file = !p.jwks_file.empty()     ? p.jwks_file
                            : !p.secret_file.empty() ? p.secret_file
                                                     : p.public_key_file;
  auto text = read_key_file(file);
  if (!text) {
    out.push_back(problem(where(key), label, key, text.error().detail));
    return;
  }
  auto keys = !p.jwks_file.empty()     ? jwt::keys_from_jwks(*text)
              : !p.secret_file.empty() ? jwt::keys_from_secret(*text)
                                       : jwt::keys_from_pem(*text);
  if (!keys) {
    out.push_back(problem(where(key), label, key, "\"" + file + "\": " + keys.error().detail));
    return;
  }
  jwt::AlgSet usable = keys->algorithms();
  jwt::AlgSet allowed = p.algorithms.empty() ? usable : 0;
  for (const std::string& name : p.algorithms) {
    auto alg = jwt::alg_from_name(name);
    if (!alg) {
      out.push_back(problem(where("algorithms"), label, "algorithms",
                            "\"" + name + "\" is not accepted (RS256, ES256, EdDSA or HS256; "
                            "never \"none\")"));
      continue;
    }
    if ((usable & jwt::alg_bit(*alg)) == 0) {
      out.push_back(problem(where("algorithms"), label, "algorithms",
                            name + " needs a " +
                                std::string(alg == jwt::Alg::kHS256 ? "secret" : "public") +
                                " key of its type, and " + key + " \"" + file +
                                "\" has none (an algorithm the key type does not match is "
                                "never allowed)"));
      continue;
    }
    allowed |= jwt::alg_bit(*alg);
  }
  p.allowed_algorithms = allowed;
  p.keys = std::make_shared<const jwt::KeySet>(std::move(*keys));
}

void check_provider_keys(const JwtProvider& p, const std::string& at_path, const std::string& label,
                         const Origins& o, Problems& out) {
  auto where = [&](const char* key) {
    std::string path = at_path + "." + key;
    return o.where.contains(path) ? o.locate(path) : o.locate(at_path);
  };
  if (p.name.empty()) out.push_back(problem(where("name"), label, "name", "required key missing"));
  if (!header_name(p.from_header))
    out.push_back(problem(where("from_header"), label, "from_header",
                          "\"" + p.from_header + "\" is not a header name"));
  for (const auto& [claim, header] : p.forward_claims) {
    static const char* const kReserved[] = {"host",    "content-length", "transfer-encoding",
                                            "connection", "authorization", "te", "upgrade"};
    bool reserved = false;
    std::string lower;
    for (char c : header) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (const char* r : kReserved) reserved = reserved || lower == r;
    if (!header_name(header) || reserved || claim.empty())
      out.push_back(problem(where("forward_claims"), label, "forward_claims." + claim,
                            "\"" + header + "\" cannot carry a claim (not a header name, or one "
                            "the proxy must own)"));
  }
}

}  // namespace

void read_jwt(const toml::node& node, Config& cfg, Origins& o, Problems& out) {
  const auto* t = node.as_table();
  if (!t) {
    out.push_back(problem(at(o, node.source()), "jwt", "", "expected a [jwt] table, got " +
                                                               describe(node)));
    return;
  }
  for (auto&& [k, v] : *t) {
    if (k.str() != "providers") {
      out.push_back(problem(at(o, k.source()), "jwt", std::string(k.str()),
                            "unknown key (the section holds [[jwt.providers]])"));
      continue;
    }
    const auto* arr = v.as_array();
    if (!arr) {
      out.push_back(problem(at(o, v.source()), "jwt", "providers",
                            "expected [[jwt.providers]] tables, got " + describe(v)));
      continue;
    }
    for (const toml::node& e : *arr) {
      if (const auto* pt = e.as_table()) {
        read_provider(*pt, cfg.jwt.providers.size(), cfg, o, out);
      } else {
        out.push_back(problem(at(o, e.source()), "jwt", "providers",
                              "expected a table, got " + describe(e)));
      }
    }
  }
}

void read_service_jwt(const toml::node& node, const std::string& prefix, const std::string& label,
                      Service& svc, Origins& o, Problems& out) {
  o.where[prefix + "jwt"] = at(o, node.source());
  if (const auto* b = node.as_boolean()) {
    svc.jwt = b->get();
  } else if (const auto* s = node.as_string()) {
    svc.jwt = true;
    svc.jwt_provider_name = s->get();
  } else {
    out.push_back(problem(at(o, node.source()), label, "jwt",
                          "expected true, false or a provider name, got " + describe(node)));
  }
}

void load_jwt(Config& cfg, const Origins& o, Problems& out) {
  std::erase_if(cfg.jwt.providers, [](const JwtProvider& p) { return p.implicit; });
  if (!cfg.security.jwt_secret_file.empty()) {
    JwtProvider p;
    p.name = "default";
    p.secret_file = cfg.security.jwt_secret_file;
    p.implicit = true;
    cfg.jwt.providers.push_back(std::move(p));
  }
  std::map<std::string, size_t> names;
  for (size_t i = 0; i < cfg.jwt.providers.size(); ++i) {
    JwtProvider& p = cfg.jwt.providers[i];
    std::string at_path = p.implicit ? "security" : "jwt.providers." + std::to_string(i);
    std::string label = p.implicit ? "security" : "jwt.providers." + p.name;
    if (p.implicit) {
      // The secret file's problems belong to [security] jwt_secret_file.
      Problems mine;
      load_provider(p, at_path, label, o, mine);
      for (std::string& m : mine) {
        size_t key = m.find("secret_file:");
        if (key != std::string::npos) m.replace(key, 11, "jwt_secret_file");
        out.push_back(std::move(m));
      }
    } else {
      check_provider_keys(p, at_path, label, o, out);
      load_provider(p, at_path, label, o, out);
    }
    auto [it, fresh] = names.emplace(p.name, i);
    if (!fresh && !p.name.empty())
      out.push_back(problem(o.locate(at_path), label, "name",
                            p.implicit || cfg.jwt.providers[it->second].implicit
                                ? "\"default\" is [security] jwt_secret_file's provider already"
                                : "duplicate provider name"));
  }
  for (size_t i = 0; i < cfg.services.size(); ++i) {
    const Service& s = cfg.services[i];
    bool on = s.jwt.value_or(cfg.security.enable_jwt_validation);
    if (!on) continue;
    std::string at_path = "services." + std::to_string(i) + ".jwt";
    std::string loc = o.where.contains(at_path) ? o.locate(at_path)
                                                : o.locate("security.enable_jwt_validation");
    if (jwt_provider(cfg, s) != nullptr) continue;
    std::string want = s.jwt_provider_name.empty() ? "default" : s.jwt_provider_name;
    if (std::any_of(cfg.jwt.providers.begin(), cfg.jwt.providers.end(),
                    [&](const JwtProvider& p) { return p.name == want; }))
      continue;  // it exists, its keys did not load: that problem is reported already
    std::string label = "services." + s.name;
    if (!s.jwt_provider_name.empty()) {
      out.push_back(problem(loc, label, "jwt",
                            "unknown provider \"" + s.jwt_provider_name + "\" (no [[jwt.providers]] "
                            "of that name)"));
    } else {
      out.push_back(problem(loc, label, "jwt",
                            "JWT validation is on but there is no default provider: set "
                            "[security] jwt_secret_file, or name a [[jwt.providers]] \"default\" "
                            "(or have exactly one)"));
    }
  }
}

}  // namespace x0::config::detail

namespace x0::config {

const JwtProvider* jwt_provider(const Config& config, const Service& service) {
  if (!service.jwt.value_or(config.security.enable_jwt_validation)) return nullptr;
  const auto& all = config.jwt.providers;
  // (Not `empty() ? "default" : name`: that makes a temporary std::string the view outlives.)
  std::string_view want = service.jwt_provider_name;
  if (want.empty()) want = "default";
  for (const JwtProvider& p : all)
    if (p.name == want) return p.keys ? &p : nullptr;
  if (service.jwt_provider_name.empty() && all.size() == 1 && all[0].keys) return &all[0];
  return nullptr;
}

}  // namespace x0::config
