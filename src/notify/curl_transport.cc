// libcurl behind the Transport seam (see transport.h). One easy handle, reused across sends so
// that connections to the same service stay open; only the delivery thread touches it.
#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <mutex>

#include "notify/transport.h"

namespace x0::notify {
namespace {

constexpr size_t kMaxBody = 64 * 1024;  // the status and a short body are all that count

struct Collected {
  std::string body;
  std::optional<int64_t> retry_after_s;
};

size_t on_body(char* data, size_t size, size_t n, void* user) {
  auto* c = static_cast<Collected*>(user);
  const size_t len = size * n;
  if (c->body.size() < kMaxBody) c->body.append(data, std::min(len, kMaxBody - c->body.size()));
  return len;
}

// Retry-After in delta-seconds (RFC 9110 10.2.3); an HTTP-date is ignored (our backoff applies).
size_t on_header(char* data, size_t size, size_t n, void* user) {
  auto* c = static_cast<Collected*>(user);
  const size_t len = size * n;
  std::string_view line(data, len);
  constexpr std::string_view kName = "retry-after:";
  if (line.size() > kName.size()) {
    bool match = true;
    for (size_t i = 0; i < kName.size() && match; ++i)
      match = std::tolower(static_cast<unsigned char>(line[i])) == kName[i];
    if (match) {
      std::string_view v = line.substr(kName.size());
      while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
      int64_t secs = 0;
      auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), secs);
      if (ec == std::errc() && p != v.data() && secs >= 0)
        c->retry_after_s = std::min<int64_t>(secs, 86400);  // a day: no overflow in ms
    }
  }
  if (line.starts_with("HTTP/")) c->retry_after_s.reset();  // a new response (after a 100)
  return len;
}

class CurlTransport final : public Transport {
 public:
  explicit CurlTransport(const std::atomic<bool>* abort) : abort_(abort) {
    static std::once_flag once;
    // Not thread-safe by itself: once per process, before any handle exists.
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    handle_ = curl_easy_init();
  }
  ~CurlTransport() override {
    if (handle_ != nullptr) curl_easy_cleanup(handle_);
  }

  ServiceAnswer send(const OutboundRequest& r, const Channel& c) override {
    ServiceAnswer a;
    if (handle_ == nullptr) {
      a.transport_error = "libcurl could not be initialised";
      return a;
    }
    CURL* h = handle_;
    curl_easy_reset(h);
    Collected got;
    curl_slist* headers = nullptr;
    for (const auto& [k, v] : r.headers)
      headers = curl_slist_append(headers, (k + ": " + v).c_str());
    headers = curl_slist_append(headers, "Expect:");  // no 100-continue round trip
    char error[CURL_ERROR_SIZE] = {0};
    curl_easy_setopt(h, CURLOPT_URL, r.url.c_str());
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, r.method.c_str());
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, r.body.data());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(r.body.size()));
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "x0tta6bl4-notify");
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(c.connect_timeout_ms));
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(c.timeout_ms));
    curl_easy_setopt(h, CURLOPT_NOSIGNAL,
                     1L);  // timeouts without SIGALRM: we are one thread of many
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    if (!c.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, c.ca_file.c_str());
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &got);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &got);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error);
    if (abort_ != nullptr) {
      curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
      curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
      curl_easy_setopt(h, CURLOPT_XFERINFODATA, abort_);
    }
    // Proxies: libcurl reads http_proxy, https_proxy, all_proxy and no_proxy itself.
    const CURLcode rc = curl_easy_perform(h);
    curl_slist_free_all(headers);
    if (rc != CURLE_OK) {
      // The URL may hold the secret (Telegram's bot token): say what failed, never where.
      a.transport_error =
          std::string(curl_easy_strerror(rc)) + (error[0] ? std::string(": ") + error : "");
      if (const auto at = a.transport_error.find(r.url); at != std::string::npos)
        a.transport_error.replace(at, r.url.size(), "<url>");
      return a;
    }
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    a.status = static_cast<int>(status);
    a.body = std::move(got.body);
    a.retry_after_s = got.retry_after_s;
    return a;
  }

 private:
  static int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    return static_cast<const std::atomic<bool>*>(user)->load(std::memory_order_relaxed) ? 1 : 0;
  }

  const std::atomic<bool>* abort_;
  CURL* handle_ = nullptr;
};

}  // namespace

std::unique_ptr<Transport> make_curl_transport(const std::atomic<bool>* abort) {
  return std::make_unique<CurlTransport>(abort);
}

}  // namespace x0::notify
