// `x0tta6bl4 release ...` and `x0tta6bl4 incident ...`: the operator API from the command line.
// They talk HTTP to a running node (--node URL, default http://127.0.0.1:8080; the admin token
// with --token T or --token-file F), print the JSON or Markdown it answers, and exit non-zero
// when the node refuses.
#pragma once

#include <string>
#include <vector>

namespace x0::app {

int release_command(const std::vector<std::string>& args);
int incident_command(const std::vector<std::string>& args);
// `x0tta6bl4 mesh peers|status|routes|ping`: the mesh as the node sees it (docs/MESH.md).
int mesh_command(const std::vector<std::string>& args);
// `x0tta6bl4 isolate on|off|status [--reason TEXT]`: POST/GET /admin/isolate.
int isolate_command(const std::vector<std::string>& args);

}  // namespace x0::app
