// The data plane's own answers: each error is one code with its status and its name in the JSON
// body ({"error":"<name>","detail":"..."}), so a status and its name cannot drift apart.
#pragma once

#include <string_view>

namespace x0::gateway {

enum class ErrorCode {
  kBadRequest,         // 400 bad_request
  kUnauthorized,       // 401 unauthorized: no valid bearer token (filters/jwt_filter.cc)
  kBadPath,            // 400 bad_path
  kNoRoute,            // 404 no_route
  kMethodNotAllowed,   // 405 method_not_allowed
  kRateLimited,        // 429 rate_limited
  kNotImplemented,     // 501 not_implemented
  kBadGateway,         // 502 bad_gateway
  kNoHealthyUpstream,  // 503 no_healthy_upstream
  kIsolated,           // 503 isolated
  kGatewayTimeout,     // 504 gateway_timeout
  kMeshLoop,           // 508 mesh_loop: a forwarded request came back through this node
};

struct ErrorInfo {
  int status;
  std::string_view name;
};

constexpr ErrorInfo error_info(ErrorCode code) {
  switch (code) {
    case ErrorCode::kBadRequest:
      return {400, "bad_request"};
    case ErrorCode::kBadPath:
      return {400, "bad_path"};
    case ErrorCode::kUnauthorized:
      return {401, "unauthorized"};
    case ErrorCode::kNoRoute:
      return {404, "no_route"};
    case ErrorCode::kMethodNotAllowed:
      return {405, "method_not_allowed"};
    case ErrorCode::kRateLimited:
      return {429, "rate_limited"};
    case ErrorCode::kNotImplemented:
      return {501, "not_implemented"};
    case ErrorCode::kBadGateway:
      return {502, "bad_gateway"};
    case ErrorCode::kNoHealthyUpstream:
      return {503, "no_healthy_upstream"};
    case ErrorCode::kIsolated:
      return {503, "isolated"};
    case ErrorCode::kGatewayTimeout:
      return {504, "gateway_timeout"};
    case ErrorCode::kMeshLoop:
      return {508, "mesh_loop"};
  }
  return {500, "internal"};
}

}  // namespace x0::gateway
