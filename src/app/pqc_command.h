// `x0tta6bl4 pqc selftest [--print]`: the node's power-on self-tests from the command line (what
// the runbooks' `ldconfig -p | grep liboqs` check becomes: the backend is built in). Prints one
// line per check; exit 0 when all pass, 1 otherwise. --print also shows the digests this build
// computes, to record them again in src/tls/self_test.cc after a deliberate change.
#pragma once

#include <string>
#include <vector>

namespace x0::app {

int pqc_command(const std::vector<std::string>& args);

}  // namespace x0::app
