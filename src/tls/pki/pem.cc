// PEM through OpenSSL's BIO functions (see pem.h).
#include "tls/pki/pem.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "tls/pki/openssl_ptr.h"
#include "tls/pki/pki_files.h"

namespace x0::tls::pki {

std::string pem_encode(std::string_view label, std::span<const uint8_t> der) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  const std::string name(label);
  if (!bio ||
      PEM_write_bio(bio.get(), name.c_str(), "", der.data(), static_cast<long>(der.size())) <= 0)
    return "";
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  std::string out(data, static_cast<size_t>(len));
  OPENSSL_cleanse(data, static_cast<size_t>(len));  // it may be a private key
  return out;
}

Result<std::vector<uint8_t>> pem_decode(std::string_view label, std::string_view text) {
  BioPtr bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
  char* name = nullptr;
  char* header = nullptr;
  unsigned char* data = nullptr;
  long len = 0;
  if (!bio || PEM_read_bio(bio.get(), &name, &header, &data, &len) != 1) {
    ERR_clear_error();
    return fail(Errc::kBadRequest, "no PEM block");
  }
  const bool same = label == name;
  std::vector<uint8_t> out(data, data + (same ? len : 0));
  std::string found(name);
  OPENSSL_free(name);
  OPENSSL_free(header);
  OPENSSL_clear_free(data, static_cast<size_t>(len));
  if (!same)
    return fail(Errc::kBadRequest,
                "PEM block is \"" + found + "\", not \"" + std::string(label) + "\"");
  return out;
}

Result<std::vector<uint8_t>> read_pem_file(const std::string& path, std::string_view label) {
  auto text = read_small_file(path);
  if (!text) return std::unexpected(text.error());
  auto der = pem_decode(label, *text);
  OPENSSL_cleanse(text->data(), text->size());
  if (!der) return fail(der.error().code, path + ": " + der.error().detail);
  return der;
}

}  // namespace x0::tls::pki
