// RFC 3339 timestamps as Alertmanager sends them.
#include "common/rfc3339.h"

#include <gtest/gtest.h>

namespace x0 {
namespace {

TEST(Rfc3339, ReadsUtcOffsetsAndFractions) {
  EXPECT_EQ(parse_rfc3339_ms("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(parse_rfc3339_ms("2026-12-03T13:45:00Z"), 1796305500000);
  EXPECT_EQ(parse_rfc3339_ms("2026-12-03T13:45:00.123456789Z"), 1796305500123);
  EXPECT_EQ(parse_rfc3339_ms("2026-12-03t13:45:00.5z"), 1796305500500);
  EXPECT_EQ(parse_rfc3339_ms("2026-12-03T14:45:00+01:00"), 1796305500000);
  EXPECT_EQ(parse_rfc3339_ms("2026-12-03T08:15:00-05:30"), 1796305500000);
  EXPECT_EQ(parse_rfc3339_ms("2024-02-29T00:00:00Z"), 1709164800000);  // a leap day
  EXPECT_EQ(parse_rfc3339_ms("2016-12-31T23:59:60Z"), parse_rfc3339_ms("2016-12-31T23:59:59Z"));
  // Alertmanager's "not set" endsAt: a valid time, long before anything the node records.
  ASSERT_TRUE(parse_rfc3339_ms("0001-01-01T00:00:00Z"));
  EXPECT_LT(*parse_rfc3339_ms("0001-01-01T00:00:00Z"), 0);
}

TEST(Rfc3339, RefusesAnythingElse) {
  for (const char* bad :
       {"", "2026-12-03", "2026-12-03T13:45:00", "2026-12-03 13:45:00Z", "2026-13-03T13:45:00Z",
        "2026-04-31T00:00:00Z", "2025-02-29T00:00:00Z", "2026-12-03T24:00:00Z",
        "2026-12-03T13:60:00Z", "2026-12-03T13:45:61Z", "2026-12-03T13:45:00.Z",
        "2026-12-03T13:45:00.1234567890Z", "2026-12-03T13:45:00+0100", "2026-12-03T13:45:00+24:00",
        "2026-12-03T13:45:00Zjunk", "+2026-12-03T13:45:00Z", "2026-1x-03T13:45:00Z",
        "2026-12-03T13:45:00+01:6"})
    EXPECT_FALSE(parse_rfc3339_ms(bad)) << bad;
}

}  // namespace
}  // namespace x0
