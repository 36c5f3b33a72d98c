// ACCESS log lines (see access_log.h).
#include "gateway/access_log.h"

#include <string>

#include "common/log.h"

namespace x0::gateway {
namespace {
std::atomic<bool> g_enabled{false};
}

void set_access_log(bool enabled) { g_enabled.store(enabled, std::memory_order_relaxed); }
bool access_log_enabled() { return g_enabled.load(std::memory_order_relaxed); }

void log_access(const AccessRecord& r) {
  log::info("ACCESS", "request",
            {{"peer", r.peer}, {"method", r.method}, {"target", r.target}, {"status", r.status},
             {"duration_ms", r.seconds * 1000.0}, {"service", r.service},
             {"endpoint", r.endpoint}, {"request_id", r.request_id}});
}

}  // namespace x0::gateway
