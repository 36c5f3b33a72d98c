// A channel's pace: at most `per_minute` requests a minute to its service, `burst` of them at
// once after a quiet spell. GCRA, as the gateway's rate limiter (gateway/rate_limiter.cc): `tat`
// is when the bucket would be full again; a request at `now` may go while tat - now leaves room
// for one more within (burst - 1) intervals. Owned by one delivery lane; no locking.
#pragma once

#include <algorithm>
#include <cstdint>

namespace x0::notify {

class SendBudget {
 public:
  // per_minute 0: no limit. The interval is 2 % longer than the limit's, so that jitter on the
  // way (a request sent on time, the one before it late) never lands two inside one interval
  // at the service: bench/oncall.sh measured 2 in a second at 1/s without it.
  void set(int per_minute, int burst) {
    interval_ms_ = per_minute > 0 ? std::max<int64_t>(61'200 / per_minute, 1) : 0;
    burst_ = std::max(burst, 1);
  }
  // When the next request may go: now_ms or later.
  int64_t next_ms(int64_t now_ms) const {
    if (interval_ms_ == 0) return now_ms;
    return std::max(now_ms, tat_ms_ - interval_ms_ * burst_ + interval_ms_);
  }
  bool allows(int64_t now_ms) const { return next_ms(now_ms) <= now_ms; }
  // A request went (or is about to).
  void spend(int64_t now_ms) {
    if (interval_ms_ != 0) tat_ms_ = std::max(tat_ms_, now_ms) + interval_ms_;
  }

 private:
  int64_t interval_ms_ = 0;
  int burst_ = 1;
  int64_t tat_ms_ = 0;
};

}  // namespace x0::notify
