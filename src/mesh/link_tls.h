// The OpenSSL contexts of mesh links: mutual TLS 1.3 with the node's Ed25519 certificate, peers
// verified against the mesh CA (ca.ed25519.crt), no session tickets (every link proves its
// composite identity afresh), and the key-exchange groups of [pqc] mode:
//   required  X25519MLKEM768 only     preferred  X25519MLKEM768, then X25519     disabled  X25519
#pragma once

#include <openssl/ssl.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "mesh/link_identity.h"

namespace x0::mesh {

enum class PqcMode { kRequired, kPreferred, kDisabled };
std::optional<PqcMode> parse_pqc_mode(std::string_view text);
std::string_view pqc_mode_name(PqcMode mode);

class LinkContexts {
 public:
  // Loads the PQ provider first. Errors name the file at fault.
  static Result<std::shared_ptr<const LinkContexts>> build(const LocalIdentity& identity,
                                                           PqcMode mode);
  ~LinkContexts();
  LinkContexts(const LinkContexts&) = delete;
  LinkContexts& operator=(const LinkContexts&) = delete;

  SSL_CTX* server() const { return server_; }
  SSL_CTX* client() const { return client_; }
  PqcMode mode() const { return mode_; }

 private:
  LinkContexts() = default;
  SSL_CTX* server_ = nullptr;
  SSL_CTX* client_ = nullptr;
  PqcMode mode_ = PqcMode::kRequired;
};

}  // namespace x0::mesh
