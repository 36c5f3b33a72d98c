// Blue/green pre-switch smoke check: a blocking GET of the release's smoke path on each
// candidate endpoint, with the override header. Runs on the control thread, bounded by a
// timeout, never on a worker.
#pragma once

#include "common/result.h"
#include "release/release.h"

namespace x0::app {

Result<void> smoke_check(const release::Release& release, int timeout_ms = 2000);

}  // namespace x0::app
