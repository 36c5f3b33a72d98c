// `x0tta6bl4 pki init|issue|show`: the mesh CA and node identities on disk (docs/TLS.md, "Node
// PKI"). init makes the CA, issue a node's Ed25519 and composite certificates, show prints a
// certificate of either kind as `key: value` lines and, when the CA certificate is at hand,
// whether it verifies. Exit 0 on success, 1 on a failure, 2 on a usage error.
#pragma once

#include <string>
#include <vector>

namespace x0::app {

int pki_command(const std::vector<std::string>& args);

}  // namespace x0::app
