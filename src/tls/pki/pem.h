// PEM (RFC 7468) in memory, through OpenSSL: certificates ("CERTIFICATE") and private keys
// ("PRIVATE KEY") of both kinds are stored this way.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace x0::tls::pki {

inline constexpr std::string_view kPemCertificate = "CERTIFICATE";
inline constexpr std::string_view kPemPrivateKey = "PRIVATE KEY";

std::string pem_encode(std::string_view label, std::span<const uint8_t> der);
// The first PEM block of `text`; "bad_request" when there is none or its label differs.
Result<std::vector<uint8_t>> pem_decode(std::string_view label, std::string_view text);
// The first `label` block of the file at `path` (its text wiped after); errors name the file.
Result<std::vector<uint8_t>> read_pem_file(const std::string& path, std::string_view label);

}  // namespace x0::tls::pki
