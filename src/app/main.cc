// x0tta6bl4 command line: run a node, check a config, run the test origin, print the version.
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "app/cli.h"
#include "app/node.h"
#include "app/origin.h"
#include "app/pki_command.h"
#include "app/pqc_command.h"
#include "config/config.h"

namespace {

constexpr const char* kUsage =
    "usage:\n"
    "  x0tta6bl4 run [--config FILE] [--takeover]\n"
    "                                       run a node (no --config: embedded defaults);\n"
    "                                       --takeover: restart without refusing a connection,\n"
    "                                       taking the listening sockets over from the node\n"
    "                                       running on the same data dir ([node] takeover_socket)\n"
    "  x0tta6bl4 check-config FILE          validate a configuration file and exit\n"
    "  x0tta6bl4 origin --port N [--host H] [--error-rate R] [--latency-ms M] [--threads T] "
    "[--name S]\n"
    "                                       run the fault-injectable test origin\n"
    "  x0tta6bl4 release list|start|promote|rollback|pause|resume|abort ...   (see: x0tta6bl4 "
    "release)\n"
    "  x0tta6bl4 incident list|show|ack|resolve|report ...                      (see: x0tta6bl4 "
    "incident)\n"
    "  x0tta6bl4 pqc selftest [--print]    run the post-quantum self-tests (exit 1 on a failure)\n"
    "  x0tta6bl4 pki init|issue|show ...   mesh CA and node certificates    (see: x0tta6bl4 pki)\n"
    "  x0tta6bl4 mesh peers|status|routes|ping   the mesh as the node sees it (see: x0tta6bl4 "
    "mesh)\n"
    "  x0tta6bl4 isolate on|off|status [--reason TEXT]   block external traffic (the security "
    "runbook)\n"
    "  x0tta6bl4 --version\n";

int usage_error(const std::string& message) {
  std::fprintf(stderr, "x0tta6bl4: %s\n%s", message.c_str(), kUsage);
  return 2;
}

bool parse_number(const std::string& text, double* out) {
  char* end = nullptr;
  *out = std::strtod(text.c_str(), &end);
  return !text.empty() && end != nullptr && *end == '\0';
}

int origin_command(const std::vector<std::string>& args) {
  x0::app::OriginOptions options;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& flag = args[i];
    if (i + 1 >= args.size()) return usage_error("missing value for " + flag);
    const std::string& value = args[++i];
    double number = 0;
    if (flag == "--host") {
      options.host = value;
    } else if (flag == "--name") {
      options.name = value;
    } else if (!parse_number(value, &number)) {
      return usage_error("not a number for " + flag + ": " + value);
    } else if (flag == "--port" && number >= 1 && number <= 65535) {
      options.port = static_cast<uint16_t>(number);
    } else if (flag == "--error-rate" && number >= 0 && number <= 1) {
      options.error_rate = number;
    } else if (flag == "--latency-ms" && number >= 0) {
      options.latency_ms = static_cast<int>(number);
    } else if (flag == "--threads" && number >= 1 && number <= 64) {
      options.threads = static_cast<int>(number);
    } else {
      return usage_error("bad option or value: " + flag + " " + value);
    }
  }
  return x0::app::run_origin(options);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) return usage_error("missing command");
  const std::string& command = args[0];
  std::vector<std::string> rest(args.begin() + 1, args.end());
  if (command == "--version" || command == "version") {
    std::printf("x0tta6bl4 %s\n", X0_VERSION);
    return 0;
  }
  if (command == "--help" || command == "-h" || command == "help") {
    std::printf("%s", kUsage);
    return 0;
  }
  if (command == "check-config") {
    if (rest.size() != 1) return usage_error("check-config takes one FILE");
    return x0::config::check_config(rest[0], std::cout, std::cerr);
  }
  if (command == "origin") return origin_command(rest);
  if (command == "release") return x0::app::release_command(rest);
  if (command == "incident") return x0::app::incident_command(rest);
  if (command == "mesh") return x0::app::mesh_command(rest);
  if (command == "isolate") return x0::app::isolate_command(rest);
  if (command == "pqc") return x0::app::pqc_command(rest);
  if (command == "pki") return x0::app::pki_command(rest);
  if (command == "run") {
    std::string config_path;
    x0::app::RunOptions options;
    for (size_t i = 0; i < rest.size(); ++i) {
      if (rest[i] == "--config" && i + 1 < rest.size()) {
        config_path = rest[++i];
      } else if (rest[i] == "--takeover") {
        options.takeover = true;
      } else {
        return usage_error("unknown option for run: " + rest[i]);
      }
    }
    x0::app::Node node(config_path, options);
    int code = node.run();
    // A node that handed over ends here, without destructors: its control and disk threads
    // are parked on purpose (what they have queued is the new process's to do), and joining
    // them would wait forever. Everything it had to finish (in-flight requests) is finished.
    if (node.handed_over()) std::_Exit(code);
    return code;
  }
  return usage_error("unknown command: " + command);
}
