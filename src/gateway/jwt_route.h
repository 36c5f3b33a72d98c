// What the jwt filter (filters/jwt_filter.cc) checks on one route: the provider's verifier and
// where the token is and what is forwarded. Made by each route build from the loaded config (the
// keys are the config's, read at load or SIGHUP), published with the table, shared read-only.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "config/config.h"
#include "jwt/verifier.h"

namespace x0::gateway {

struct JwtRoute {
  std::string provider;     // its name, in metrics and logs
  jwt::Verifier verifier;
  std::string from_header;  // "Authorization": the Bearer scheme; otherwise the bare token
  bool bearer = true;
  std::vector<std::pair<std::string, std::string>> forward_claims;  // claim -> header
  bool forward_token = false;
};

// nullptr when the service is open (no provider applies).
std::shared_ptr<const JwtRoute> make_jwt_route(const config::Config& config,
                                               const config::Service& service);

}  // namespace x0::gateway
