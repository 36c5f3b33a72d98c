// TLS transport (see tls_transport.h).
#include "tls/tls_transport.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "tls/provider/pq_provider.h"

namespace x0::tls {
namespace {

int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// What a failed handshake's OpenSSL error says, and whether it is what an attacker (or a broken
// peer) sends rather than a client that simply does not share our settings.
// A certificate that does not verify says why ("certificate verify failed: hostname mismatch").
std::string error_reason(unsigned long error, SSL* ssl) {
  if (error == 0) return "unknown";
  const char* reason = ERR_reason_error_string(error);
  std::string out = reason != nullptr ? reason : "unknown";
  if (ERR_GET_LIB(error) == ERR_LIB_SSL &&
      ERR_GET_REASON(error) == SSL_R_CERTIFICATE_VERIFY_FAILED) {
    out += ": ";
    out += X509_verify_cert_error_string(SSL_get_verify_result(ssl));
  }
  return out;
}

bool looks_hostile(unsigned long error) {
  if (ERR_GET_LIB(error) != ERR_LIB_SSL) return false;
  switch (ERR_GET_REASON(error)) {
    case SSL_R_BAD_ECPOINT:  // a key share that fails its checks
    case SSL_R_BAD_KEY_SHARE:
    case SSL_R_BAD_SIGNATURE:
    case SSL_R_CERTIFICATE_VERIFY_FAILED:
    case SSL_R_DECRYPTION_FAILED_OR_BAD_RECORD_MAC:  // tampered records
    case SSL_R_DIGEST_CHECK_FAILED:                  // Finished does not match: a tampered flight
      return true;
    default:
      return false;
  }
}

// A plain HTTP request sent to an HTTPS listener is told so in plain HTTP (as nginx does), once,
// best effort, before the connection closes: the operator at a browser or curl sees why.
void answer_plain_http(int fd) {
  static constexpr std::string_view kAnswer =
      "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 52\r\n"
      "Connection: close\r\n\r\nThis port speaks HTTPS: use https:// to talk to it.\n";
  static_assert(kAnswer.size() - kAnswer.find("\r\n\r\n") - 4 == 52);
  [[maybe_unused]] ssize_t sent =
      ::send(fd, kAnswer.data(), kAnswer.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
}

}  // namespace

TlsTransport::TlsTransport(net::Fd fd, SSL* ssl, HandshakeObserver* observer)
    : fd_(std::move(fd)), ssl_(ssl), observer_(observer), started_us_(now_us()) {
  SSL_set_fd(ssl_, fd_.get());
  // Partial writes: a large response moves as far as the socket takes it. A moving buffer: the
  // connection's output buffer may grow (and move) between a WANT_WRITE and the retry.
  // Released buffers: an idle keep-alive connection holds no record buffers.
  SSL_set_mode(ssl_, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                         SSL_MODE_RELEASE_BUFFERS);
  // A peer closing without close_notify is an end of stream (HTTP/1.1 framing detects a
  // truncated message), not a protocol error.
  SSL_set_options(ssl_, SSL_OP_IGNORE_UNEXPECTED_EOF);
  // One read(2) per request instead of two (a record's header, then its body): +5 % keep-alive
  // HTTPS requests per second (docs/BENCHMARKS.md). What it reads beyond one record is
  // has_buffered_input(), which the connection drains without waiting for epoll.
  SSL_set_read_ahead(ssl_, 1);
}

TlsTransport::~TlsTransport() {
  if (!handshake_reported_) report_handshake(false, "closed during the handshake", false);
  SSL_free(ssl_);
}

net::IoResult TlsTransport::read(char* into, size_t capacity) {
  ERR_clear_error();
  size_t n = 0;
  int rc = SSL_read_ex(ssl_, into, capacity, &n);
  return after(rc, n, true);
}

net::IoResult TlsTransport::write(std::string_view bytes) {
  if (bytes.empty()) return {net::IoStatus::kDone, 0, 0};
  ERR_clear_error();
  size_t n = 0;
  int rc = SSL_write_ex(ssl_, bytes.data(), bytes.size(), &n);
  return after(rc, n, false);
}

// Small gathers go out as one record (a head and its body: one SSL_write, not two records).
net::IoResult TlsTransport::writev(const iovec* parts, int count) {
  constexpr size_t kCoalesce = 16384;  // one full TLS record
  size_t total = 0;
  for (int i = 0; i < count; ++i) total += parts[i].iov_len;
  if (total <= kCoalesce) {
    char joined[kCoalesce];
    size_t at = 0;
    for (int i = 0; i < count; ++i) {
      std::memcpy(joined + at, parts[i].iov_base, parts[i].iov_len);
      at += parts[i].iov_len;
    }
    return write(std::string_view(joined, total));
  }
  size_t moved = 0;
  for (int i = 0; i < count; ++i) {
    net::IoResult r =
        write(std::string_view(static_cast<const char*>(parts[i].iov_base), parts[i].iov_len));
    if (r.status != net::IoStatus::kDone)
      return moved > 0 ? net::IoResult{net::IoStatus::kDone, moved, 0} : r;
    moved += r.bytes;
    if (r.bytes < parts[i].iov_len) break;
  }
  return {net::IoStatus::kDone, moved, 0};
}

void TlsTransport::shutdown_write() {
  if (handshake_done()) {
    ERR_clear_error();
    SSL_shutdown(ssl_);  // close_notify, best effort: the socket is non-blocking
  }
  ::shutdown(fd_.get(), SHUT_WR);
}

bool TlsTransport::has_buffered_input() const {
  return SSL_pending(ssl_) > 0 || SSL_has_pending(ssl_) == 1;
}

bool TlsTransport::idle_and_open() const {
  if (has_buffered_input()) return false;
  char byte;
  ssize_t n = ::recv(fd_.get(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

net::IoResult TlsTransport::handshake() {
  if (handshake_reported_) {
    if (handshake_ok_) return {};
    return {net::IoStatus::kError, 0, EPROTO};
  }
  ERR_clear_error();
  net::IoResult r = after(SSL_do_handshake(ssl_), 0, false);
  // A write-side call waits on EPOLLIN when TLS needs the peer's records; a handshake waiting
  // to send its own flight waits on EPOLLOUT.
  if (r.status == net::IoStatus::kWouldBlock && extra_events_ == 0) extra_events_ = EPOLLOUT;
  return r;
}

bool TlsTransport::peer_sent_data() {
  ERR_clear_error();
  char byte;
  size_t n = 0;
  int rc = SSL_peek_ex(ssl_, &byte, 1, &n);
  if (rc == 1) return true;
  int error = SSL_get_error(ssl_, rc);
  ERR_clear_error();
  return error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE;
}

net::IoResult TlsTransport::after(int rc, size_t moved, bool reading) {
  if (rc == 1) {
    extra_events_ = 0;
    if (!handshake_reported_) report_handshake(true, "", false);
    return {net::IoStatus::kDone, moved, 0};
  }
  int error = SSL_get_error(ssl_, rc);
  switch (error) {
    case SSL_ERROR_WANT_READ:
      extra_events_ = reading ? 0u : uint32_t{EPOLLIN};
      if (!handshake_reported_ && SSL_is_init_finished(ssl_)) report_handshake(true, "", false);
      return {net::IoStatus::kWouldBlock, 0, 0};
    case SSL_ERROR_WANT_WRITE:
      extra_events_ = reading ? uint32_t{EPOLLOUT} : 0u;
      return {net::IoStatus::kWouldBlock, 0, 0};
    case SSL_ERROR_ZERO_RETURN:  // close_notify, or a plain FIN (SSL_OP_IGNORE_UNEXPECTED_EOF)
      if (!handshake_reported_) report_handshake(false, "closed during the handshake", false);
      return {net::IoStatus::kEof, 0, 0};
    case SSL_ERROR_SYSCALL: {
      int saved = errno;
      if (!handshake_reported_)
        report_handshake(false, saved == 0 ? "closed during the handshake" : std::strerror(saved),
                         false);
      if (saved == 0) return {net::IoStatus::kEof, 0, 0};
      return {net::IoStatus::kError, 0, saved};
    }
    default: {
      unsigned long e = ERR_peek_error();
      if (answer_plain_http_ && SSL_is_server(ssl_) && ERR_GET_LIB(e) == ERR_LIB_SSL &&
          ERR_GET_REASON(e) == SSL_R_HTTP_REQUEST && !handshake_reported_) {
        answer_plain_http(fd_.get());
      }
      if (!handshake_reported_) report_handshake(false, error_reason(e, ssl_), looks_hostile(e));
      ERR_clear_error();
      return {net::IoStatus::kError, 0, EPROTO};
    }
  }
}

void TlsTransport::report_handshake(bool ok, std::string reason, bool suspicious) {
  handshake_reported_ = true;
  handshake_ok_ = ok;
  if (!ok) failure_ = reason;
  // A client that closes before its first handshake message (a browser's spare pre-connection,
  // a TCP probe) made no handshake: it is not counted, nor logged. A server that does is a
  // failed handshake of ours.
  if (!ok && SSL_is_server(ssl_) && BIO_number_read(SSL_get_rbio(ssl_)) == 0) return;
  if (observer_ == nullptr) return;
  HandshakeOutcome outcome;
  outcome.ok = ok;
  outcome.group = ok ? negotiated_group(ssl_) : "";
  outcome.reason = std::move(reason);
  outcome.suspicious = suspicious;
  outcome.duration_us = now_us() - started_us_;
  observer_->on_handshake(outcome, fd_.get());
}

std::string negotiated_group(SSL* ssl) {
  int id = SSL_get_negotiated_group(ssl);
  if (id == 0 || id == NID_undef) return "";
  if ((id & TLSEXT_nid_unknown) != 0) {  // a provider group: the TLS codepoint
    unsigned codepoint = static_cast<unsigned>(id) & 0xFFFFu;
    if (codepoint == kHybridGroupId) return std::string(kHybridGroup);
    char hex[8];
    std::snprintf(hex, sizeof hex, "0x%04X", codepoint);
    return hex;
  }
  switch (id) {
    case NID_X25519:
      return "X25519";
    case NID_X448:
      return "X448";
    case NID_X9_62_prime256v1:
      return "P-256";
    case NID_secp384r1:
      return "P-384";
    case NID_secp521r1:
      return "P-521";
    default:
      break;
  }
  const char* name = SSL_group_to_name(ssl, id);  // OpenSSL 3.5+: its own X25519MLKEM768
  return name != nullptr ? name : "unknown";
}

}  // namespace x0::tls
