// Wiping, randomness and constant-time comparison for the pqc module (see secure.h).
#include "pqc/secure.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <sys/random.h>
#include <valgrind/memcheck.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

namespace x0::pqc {

void secure_wipe(std::span<uint8_t> bytes) {
  if (!bytes.empty()) OPENSSL_cleanse(bytes.data(), bytes.size());
}

namespace {
bool getrandom_fill(std::span<uint8_t> out) {
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n = getrandom(out.data() + done, out.size() - done, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    done += static_cast<size_t>(n);
  }
  return true;
}
}  // namespace

void random_bytes(std::span<uint8_t> out) {
  if (out.empty()) return;
  // RAND_bytes takes an int length; large requests are split.
  size_t done = 0;
  bool ok = true;
  while (ok && done < out.size()) {
    size_t chunk = out.size() - done;
    if (chunk > (1u << 30)) chunk = 1u << 30;
    ok = RAND_bytes(out.data() + done, static_cast<int>(chunk)) == 1;
    if (ok) done += chunk;
  }
  if (ok) return;
  if (getrandom_fill(out)) return;
  std::fputs("x0::pqc::random_bytes: no randomness available (RAND_bytes and getrandom failed)\n",
             stderr);
  std::abort();
}

bool ct_equal(std::span<const uint8_t> a, std::span<const uint8_t> b) {
  if (a.size() != b.size()) return false;  // lengths are public
  uint8_t diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff = static_cast<uint8_t>(diff | (a[i] ^ b[i]));
  return diff == 0;
}

namespace detail {
void declassify(const void* data, size_t size) {
  // Client request: a few no-op instructions unless running under valgrind.
  (void)VALGRIND_MAKE_MEM_DEFINED(data, size);
}
}  // namespace detail

}  // namespace x0::pqc
