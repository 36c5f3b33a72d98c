// Runs an event loop on the test's thread until a callback stops it, with a bound: a loop that
// is never stopped fails the test instead of hanging it.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>

#include "net/event_loop.h"

namespace x0::testing {

inline void run_until_stopped(net::EventLoop& loop, int64_t bound_ms = 5000) {
  loop.add_timer(bound_ms, [&loop] {
    ADD_FAILURE() << "loop did not stop in time";
    loop.stop();
  });
  loop.run();
}

}  // namespace x0::testing
