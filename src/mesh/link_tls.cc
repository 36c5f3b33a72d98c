// Mesh link TLS contexts (see link_tls.h).
#include "mesh/link_tls.h"

#include "tls/openssl_reason.h"
#include "tls/provider/pq_provider.h"

namespace x0::mesh {
namespace {

const char* groups_for(PqcMode mode) {
  switch (mode) {
    case PqcMode::kRequired:
      return "X25519MLKEM768";
    case PqcMode::kPreferred:
      return "X25519MLKEM768:X25519";
    case PqcMode::kDisabled:
      return "X25519";
  }
  return "X25519MLKEM768";
}

Result<void> configure(SSL_CTX* ctx, const LocalIdentity& id, PqcMode mode) {
  SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
  SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION);
  SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_TICKET);
  SSL_CTX_set_num_tickets(ctx, 0);
  if (SSL_CTX_use_certificate_chain_file(ctx, id.tls_certificate_file.c_str()) != 1)
    return fail(Errc::kInvalidKey, id.tls_certificate_file + ": " + tls::openssl_reason());
  if (SSL_CTX_use_PrivateKey_file(ctx, id.tls_key_file.c_str(), SSL_FILETYPE_PEM) != 1)
    return fail(Errc::kInvalidKey, id.tls_key_file + ": " + tls::openssl_reason());
  if (SSL_CTX_check_private_key(ctx) != 1)
    return fail(Errc::kInvalidKey,
                id.tls_key_file + " is not the key of " + id.tls_certificate_file);
  if (SSL_CTX_load_verify_locations(ctx, id.ca_file.c_str(), nullptr) != 1)
    return fail(Errc::kInvalidKey, id.ca_file + ": " + tls::openssl_reason());
  // Both sides present a certificate from the mesh CA, or the handshake fails.
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  SSL_CTX_set_verify_depth(ctx, 1);
  if (SSL_CTX_set1_groups_list(ctx, groups_for(mode)) != 1)
    return fail(Errc::kCryptoError, std::string("key-exchange groups ") + groups_for(mode) + ": " +
                                        tls::openssl_reason());
  return {};
}

}  // namespace

std::optional<PqcMode> parse_pqc_mode(std::string_view text) {
  if (text == "required") return PqcMode::kRequired;
  if (text == "preferred") return PqcMode::kPreferred;
  if (text == "disabled") return PqcMode::kDisabled;
  return std::nullopt;
}

std::string_view pqc_mode_name(PqcMode mode) {
  switch (mode) {
    case PqcMode::kRequired:
      return "required";
    case PqcMode::kPreferred:
      return "preferred";
    case PqcMode::kDisabled:
      return "disabled";
  }
  return "required";
}

LinkContexts::~LinkContexts() {
  SSL_CTX_free(server_);
  SSL_CTX_free(client_);
}

Result<std::shared_ptr<const LinkContexts>> LinkContexts::build(const LocalIdentity& identity,
                                                                PqcMode mode) {
  if (auto loaded = tls::load_pq_provider(); !loaded) return std::unexpected(loaded.error());
  ERR_clear_error();
  std::shared_ptr<LinkContexts> contexts(new LinkContexts());
  contexts->mode_ = mode;
  contexts->server_ = SSL_CTX_new(TLS_server_method());
  contexts->client_ = SSL_CTX_new(TLS_client_method());
  if (contexts->server_ == nullptr || contexts->client_ == nullptr)
    return fail(Errc::kCryptoError, "SSL_CTX_new: " + tls::openssl_reason());
  if (auto ok = configure(contexts->server_, identity, mode); !ok)
    return std::unexpected(ok.error());
  if (auto ok = configure(contexts->client_, identity, mode); !ok)
    return std::unexpected(ok.error());
  return std::shared_ptr<const LinkContexts>(std::move(contexts));
}

}  // namespace x0::mesh
