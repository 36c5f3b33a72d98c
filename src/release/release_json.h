// JSON for the operator API and the releases.json file: one release (with or without history),
// the list, and the strict parsers for POST /releases/{service}/start and rollback/pause bodies.
// Parsers never throw: bad input becomes Error{Errc::kBadRequest, "<field>: <what is wrong>"}.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "release/release.h"

namespace x0::release {

// {"id","service","strategy","state","adopted","candidate":["host:port"],"steps","step",
//  "weight_percent","step_interval_ms","header","header_value","smoke"?,"created_ms",
//  "updated_ms","step_started_ms","reason","history"?:[{"time_ms","from","to","weight_percent",
//  "actor","reason"}]}. The same shape is stored in releases.json (always with history).
nlohmann::json to_json(const Release& r, bool with_history = true);
// GET /releases: {"releases":[...]} without history.
nlohmann::json to_json(const std::vector<Release>& releases);
// Strict inverse of to_json(r, true): every field present and typed, the spec valid.
x0::Result<Release> release_from_json(const nlohmann::json& j);

// {"strategy":"canary"|"blue_green","candidate":["127.0.0.1:9003"],"steps":[5,25,50,100],
//  "step_interval_s":60 | "step_interval_ms":60000,"header":"X-Canary","header_value":"always",
//  "smoke":{"path":"/health","expect_status":200}}. strategy and candidate are required; unknown
// keys are refused (a typo must not silently start a release with defaults).
x0::Result<ReleaseSpec> parse_start_body(std::string_view body);
// Rollback, pause, promote bodies: empty, or {"reason":"..."} (optional, at most 512 chars).
x0::Result<std::string> parse_reason_body(std::string_view body);

}  // namespace x0::release
