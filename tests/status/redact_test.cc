// Addresses out of the public page's incident text (status/redact.h).
#include "status/redact.h"

#include <gtest/gtest.h>

namespace x0::status {
namespace {

TEST(RedactTest, AddressesAndUrlsGoWordsAndTimesStay) {
  EXPECT_EQ(redact_addresses("ejected 10.0.3.7:8080 from checkout"),
            "ejected [address] from checkout");
  EXPECT_EQ(redact_addresses("see http://grafana.internal/d/x, then retry"),
            "see [url], then retry");
  EXPECT_EQ(redact_addresses("(10.0.0.0/8)"), "([address])");
  EXPECT_EQ(redact_addresses("peer [fd00::7]:7946 down"), "peer [address] down");
  EXPECT_EQ(redact_addresses("fe80::1%eth0 and ::ffff:10.1.2.3."), "[address] and [address].");
  EXPECT_EQ(redact_addresses("db-1.internal:5432 refused"), "[address] refused");
  EXPECT_EQ(redact_addresses("at 10:30 SEV-1: error rate 14.5% v1.2.3"),
            "at 10:30 SEV-1: error rate 14.5% v1.2.3");
  EXPECT_EQ(redact_addresses("  two  spaces\tand\nlines "), "  two  spaces\tand\nlines ");
  EXPECT_EQ(redact_addresses("999.1.1.1 is no address"), "999.1.1.1 is no address");
  EXPECT_EQ(redact_addresses(""), "");
}

TEST(RedactTest, LongWordsCostLinearTime) {
  std::string junk(200000, '.');
  EXPECT_EQ(redact_addresses(junk), junk);
  std::string words;
  for (int i = 0; i < 20000; ++i) words += "((10.0.0.1)) ";
  EXPECT_EQ(redact_addresses(words).find("10.0.0.1"), std::string::npos);
}

}  // namespace
}  // namespace x0::status
