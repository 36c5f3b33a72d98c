// JwtRoute from the loaded config (see jwt_route.h).
#include "gateway/jwt_route.h"

#include "http/serialize.h"

namespace x0::gateway {

std::shared_ptr<const JwtRoute> make_jwt_route(const config::Config& config,
                                               const config::Service& service) {
  const config::JwtProvider* p = config::jwt_provider(config, service);
  if (p == nullptr) return nullptr;
  jwt::Rules rules;
  rules.issuer = p->issuer;
  rules.audiences = p->audiences;
  rules.algorithms = p->allowed_algorithms;
  rules.skew_s = p->clock_skew_seconds;
  auto route = std::make_shared<JwtRoute>(JwtRoute{p->name, jwt::Verifier(p->keys, rules),
                                                   p->from_header, false, p->forward_claims,
                                                   p->forward_token});
  route->bearer = http::iequals(p->from_header, "Authorization");
  return route;
}

}  // namespace x0::gateway
