// Command-line front end of the operator API (see cli.h).
#include "app/cli.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>

#include "net/event_loop.h"
#include "net/socket.h"

namespace x0::app {
namespace {

using json = nlohmann::json;

struct Options {
  std::string node = "http://127.0.0.1:8080";
  std::string token;
  std::vector<std::string> positional;
  std::map<std::string, std::string> flags;
};

// A token file's first line (as `echo token > file` writes it); "" when it cannot be read.
std::string read_token(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
  if (!in && line.empty()) std::fprintf(stderr, "x0tta6bl4: cannot read %s\n", path.c_str());
  return line;
}

Options parse(const std::vector<std::string>& args) {
  Options o;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a.rfind("--", 0) == 0 && i + 1 < args.size()) {
      std::string value = args[++i];
      if (a == "--node")
        o.node = value;
      else if (a == "--token")
        o.token = value;
      else if (a == "--token-file")
        o.token = read_token(value);
      else
        o.flags[a.substr(2)] = value;
    } else {
      o.positional.push_back(a);
    }
  }
  return o;
}

// A blocking HTTP/1.1 exchange with Connection: close; returns status and body.
bool http_call(const Options& o, const std::string& method, const std::string& path,
               const std::string& body, int* status, std::string* response_body) {
  std::string rest = o.node.rfind("http://", 0) == 0 ? o.node.substr(7) : o.node;
  std::string host = rest.substr(0, rest.find(':'));
  uint16_t port = rest.find(':') == std::string::npos
                      ? 80
                      : static_cast<uint16_t>(std::atoi(rest.substr(rest.find(':') + 1).c_str()));
  auto address = net::resolve(host, port);
  if (!address) {
    std::fprintf(stderr, "x0tta6bl4: %s\n", address.error().detail.c_str());
    return false;
  }
  auto fd = net::connect_tcp(*address);
  pollfd p{fd ? fd->get() : -1, POLLOUT, 0};
  if (!fd || ::poll(&p, 1, 5000) != 1 || net::connect_result(fd->get()) != 0) {
    std::fprintf(stderr, "x0tta6bl4: cannot reach the node at %s\n", o.node.c_str());
    return false;
  }
  std::string request =
      method + " " + path + " HTTP/1.1\r\nHost: " + rest +
      "\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: " +
      std::to_string(body.size()) + "\r\n";
  if (!o.token.empty()) request += "Authorization: Bearer " + o.token + "\r\n";
  request += "\r\n" + body;
  if (::send(fd->get(), request.data(), request.size(), MSG_NOSIGNAL) < 0) return false;
  std::string response;
  char buf[4096];
  for (;;) {
    pollfd r{fd->get(), POLLIN, 0};
    if (::poll(&r, 1, 30000) != 1) break;
    ssize_t n = ::recv(fd->get(), buf, sizeof buf, 0);
    if (n <= 0) break;
    response.append(buf, static_cast<size_t>(n));
  }
  size_t head_end = response.find("\r\n\r\n");
  if (response.size() < 12 || head_end == std::string::npos) {
    std::fprintf(stderr, "x0tta6bl4: no valid answer from the node\n");
    return false;
  }
  *status = std::atoi(response.substr(9, 3).c_str());
  *response_body = response.substr(head_end + 4);
  return true;
}

int call(const Options& o, const std::string& method, const std::string& path,
         const std::string& body = "") {
  int status = 0;
  std::string out;
  if (!http_call(o, method, path, body, &status, &out)) return 2;
  std::fwrite(out.data(), 1, out.size(), status < 300 ? stdout : stderr);
  if (!out.empty() && out.back() != '\n') std::fputc('\n', status < 300 ? stdout : stderr);
  return status < 300 ? 0 : 1;
}

int usage(const char* text) {
  std::fprintf(stderr, "%s", text);
  return 2;
}

std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream s(text);
  std::string item;
  while (std::getline(s, item, ',')) out.push_back(item);
  return out;
}

}  // namespace

int release_command(const std::vector<std::string>& args) {
  constexpr const char* kUsage =
      "usage: x0tta6bl4 release list [--node URL]\n"
      "       x0tta6bl4 release start SERVICE --candidate HOST:PORT[,...] [--strategy "
      "canary|blue_green]\n"
      "                               [--steps 5,25,50,100] [--interval SECONDS] [--header "
      "X-Canary]\n"
      "                               [--analysis-window SECONDS]\n"
      "       x0tta6bl4 release promote|pause|resume SERVICE\n"
      "       x0tta6bl4 release rollback|abort SERVICE [--reason TEXT]\n";
  Options o = parse(args);
  if (o.positional.empty()) return usage(kUsage);
  const std::string& verb = o.positional[0];
  if (verb == "list") return call(o, "GET", "/releases");
  if (o.positional.size() != 2) return usage(kUsage);
  const std::string& service = o.positional[1];
  if (verb == "start") {
    if (!o.flags.count("candidate")) return usage(kUsage);
    json body = {{"strategy", o.flags.count("strategy") ? o.flags["strategy"] : "canary"},
                 {"candidate", split(o.flags["candidate"])},
                 {"header", o.flags.count("header") ? o.flags["header"] : "X-Canary"}};
    if (o.flags.count("steps")) {
      json steps = json::array();
      for (const auto& s : split(o.flags["steps"])) steps.push_back(std::atoi(s.c_str()));
      body["steps"] = steps;
    }
    if (o.flags.count("interval")) body["step_interval_s"] = std::atoi(o.flags["interval"].c_str());
    if (o.flags.count("analysis-window")) {
      body["analysis_window_s"] = std::atoi(o.flags["analysis-window"].c_str());
    }
    return call(o, "POST", "/releases/" + service + "/start", body.dump());
  }
  if (verb == "rollback" || verb == "abort" || verb == "pause") {
    std::string body = o.flags.count("reason") ? json{{"reason", o.flags["reason"]}}.dump() : "";
    return call(o, "POST", "/releases/" + service + "/" + verb, body);
  }
  if (verb == "promote" || verb == "resume")
    return call(o, "POST", "/releases/" + service + "/" + verb);
  if (verb == "show") return call(o, "GET", "/releases/" + service);
  return usage(kUsage);
}

namespace {

std::string cell(const json& v) {
  if (v.is_null()) return "-";
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "yes" : "no";
  if (v.is_number_float()) {
    char out[32];
    std::snprintf(out, sizeof out, "%.3f", v.get<double>());
    return out;
  }
  return v.dump();
}

// GET `path`: its body when the node answered 2xx; otherwise what it said (or why it could not be
// reached) is on stderr and `exit_code` is set (1, or 2 when unreachable).
std::optional<std::string> fetch(const Options& o, const std::string& path, int* exit_code) {
  int status = 0;
  std::string body;
  if (!http_call(o, "GET", path, "", &status, &body)) {
    *exit_code = 2;
    return std::nullopt;
  }
  if (status >= 300) {
    std::fprintf(stderr, "%s\n", body.c_str());
    *exit_code = 1;
    return std::nullopt;
  }
  return body;
}

// A JSON array of objects as aligned columns (`keys`, headed by `titles`).
int print_table(const std::string& body, const std::vector<std::string>& keys,
                const std::vector<std::string>& titles) {
  json rows = json::parse(body, nullptr, false);
  if (!rows.is_array()) {
    std::fprintf(stderr, "x0tta6bl4: unexpected answer: %s\n", body.c_str());
    return 1;
  }
  std::vector<std::vector<std::string>> table = {titles};
  for (const json& row : rows) {
    std::vector<std::string> line;
    for (const std::string& k : keys)
      line.push_back(row.is_object() && row.contains(k) ? cell(row[k]) : "-");
    table.push_back(line);
  }
  std::vector<size_t> width(keys.size(), 0);
  for (const auto& line : table)
    for (size_t i = 0; i < line.size(); ++i) width[i] = std::max(width[i], line[i].size());
  for (const auto& line : table) {
    for (size_t i = 0; i < line.size(); ++i)
      if (i + 1 < line.size())
        std::printf("%-*s  ", static_cast<int>(width[i]), line[i].c_str());
      else
        std::printf("%s\n", line[i].c_str());  // the last column unpadded: no trailing blanks
  }
  if (rows.empty()) std::printf("(none)\n");
  return 0;
}

// /mesh/routes as rows of print_table: a hop reads "node-3 (direct)".
std::string flat_routes(const std::string& body) {
  json answer = json::parse(body, nullptr, false);
  if (!answer.is_object() || !answer.contains("routes") || !answer["routes"].is_array())
    return body;  // print_table says what came instead
  auto hop = [](const json& h) {
    if (!h.is_object()) return std::string("-");
    return cell(h.value("peer", json())) + " (" + cell(h.value("via", json())) +
           (h.value("available", true) ? "" : ", ejected") + ")";
  };
  json rows = json::array();
  for (const json& r : answer["routes"]) {
    std::string others;
    for (const json& h : r.value("alternatives", json::array()))
      others += (others.empty() ? "" : ", ") + hop(h);
    rows.push_back({{"service", r.value("service", json())},
                    {"serving", r.value("serving", json())},
                    {"local", r.value("local_healthy_endpoints", json())},
                    {"next_hop", hop(r.value("next_hop", json()))},
                    {"alternatives", others.empty() ? "-" : others}});
  }
  return rows.dump();
}

}  // namespace

int mesh_command(const std::vector<std::string>& args) {
  constexpr const char* kUsage =
      "usage: x0tta6bl4 mesh peers|status|routes|ping [--node URL] [--json true]\n"
      "  peers   every member this node knows, its state and its link (post-quantum or not)\n"
      "  status  members by state, quorum, partitioned\n"
      "  routes  remote services and their next hops\n"
      "  ping    a probe over the link to every live member now, with its round trip\n";
  Options o = parse(args);
  if (o.positional.size() != 1) return usage(kUsage);
  const std::string& verb = o.positional[0];
  bool raw = o.flags.count("json") != 0;
  if (verb == "status") return call(o, "GET", "/mesh/" + verb);
  if (verb != "peers" && verb != "ping" && verb != "routes") return usage(kUsage);
  if (raw) return call(o, "GET", "/mesh/" + verb);
  int exit_code = 0;
  std::optional<std::string> answer = fetch(o, "/mesh/" + verb, &exit_code);
  if (!answer) return exit_code;
  const std::string& body = *answer;
  if (verb == "peers")
    return print_table(body, {"id", "address", "state", "rtt_ms", "pqc", "kex_group", "last_seen"},
                       {"ID", "ADDRESS", "STATE", "RTT_MS", "PQC", "KEX", "LAST_SEEN"});
  if (verb == "routes")
    return print_table(flat_routes(body),
                       {"service", "serving", "local", "next_hop", "alternatives"},
                       {"SERVICE", "SERVING", "LOCAL_UP", "NEXT_HOP", "ALTERNATIVES"});
  int failed = 0;
  for (const json& r : json::parse(body, nullptr, false))
    if (r.is_object() && !r.value("ok", false)) ++failed;
  int printed = print_table(body, {"id", "address", "ok", "rtt_ms", "error"},
                            {"ID", "ADDRESS", "OK", "RTT_MS", "ERROR"});
  return printed != 0 ? printed : failed > 0 ? 1 : 0;
}

int incident_command(const std::vector<std::string>& args) {
  constexpr const char* kUsage =
      "usage: x0tta6bl4 incident list [--status open|resolved] [--node URL] [--json true]\n"
      "       x0tta6bl4 incident show|report ID\n"
      "       x0tta6bl4 incident ack ID [--text TEXT]\n"
      "       x0tta6bl4 incident resolve ID --root-cause TEXT --resolution TEXT [--lessons TEXT]\n";
  Options o = parse(args);
  if (o.positional.empty()) return usage(kUsage);
  const std::string& verb = o.positional[0];
  if (verb == "list") {
    std::string path =
        "/incidents" + (o.flags.count("status") ? "?status=" + o.flags["status"] : std::string());
    if (o.flags.count("json") != 0) return call(o, "GET", path);
    int exit_code = 0;
    std::optional<std::string> body = fetch(o, path, &exit_code);
    if (!body) return exit_code;
    return print_table(*body, {"id", "severity", "status", "created_at", "title"},
                       {"ID", "SEVERITY", "STATUS", "OPENED", "TITLE"});
  }
  if (o.positional.size() != 2) return usage(kUsage);
  const std::string& id = o.positional[1];
  if (verb == "show") return call(o, "GET", "/incidents/" + id);
  if (verb == "report") return call(o, "GET", "/incidents/" + id + "/report");
  if (verb == "ack") {
    return call(o, "POST", "/incidents/" + id + "/ack",
                json{{"text", o.flags.count("text") ? o.flags["text"] : "acknowledged"}}.dump());
  }
  if (verb == "resolve") {
    if (!o.flags.count("root-cause") || !o.flags.count("resolution")) return usage(kUsage);
    json body = {{"root_cause", o.flags["root-cause"]}, {"resolution", o.flags["resolution"]}};
    if (o.flags.count("lessons")) body["lessons_learned"] = o.flags["lessons"];
    return call(o, "POST", "/incidents/" + id + "/resolve", body.dump());
  }
  return usage(kUsage);
}

int isolate_command(const std::vector<std::string>& args) {
  constexpr const char* kUsage =
      "usage: x0tta6bl4 isolate on [--reason TEXT] [--node URL] [--token-file F]\n"
      "       x0tta6bl4 isolate off [--reason TEXT]\n"
      "       x0tta6bl4 isolate status\n";
  Options o = parse(args);
  if (o.positional.size() != 1) return usage(kUsage);
  const std::string& verb = o.positional[0];
  if (verb == "status") return call(o, "GET", "/admin/isolate");
  if (verb != "on" && verb != "off") return usage(kUsage);
  json body = {{"isolate", verb == "on"}};
  if (o.flags.count("reason")) body["reason"] = o.flags["reason"];
  return call(o, "POST", "/admin/isolate", body.dump());
}

}  // namespace x0::app
