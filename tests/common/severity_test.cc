// Severity names: one spelling out, the documented spellings in, nothing else.
#include "common/severity.h"

#include <gtest/gtest.h>

namespace x0 {
namespace {

TEST(Severity, NamesRoundTrip) {
  for (Severity s : {Severity::kSev1, Severity::kSev2, Severity::kSev3, Severity::kSev4}) {
    EXPECT_EQ(parse_severity(to_string(s)), s);
    EXPECT_EQ(parse_severity_strict(to_string(s)), s);
  }
  EXPECT_EQ(to_string(Severity::kSev1), "SEV-1");
  EXPECT_EQ(to_string(Severity::kSev4), "SEV-4");
  EXPECT_EQ(static_cast<int>(Severity::kSev3), 3);  // the number in the name (metrics index by it)
}

TEST(Severity, LenientParserTakesTheApiSpellings) {
  EXPECT_EQ(parse_severity("sev1"), Severity::kSev1);
  EXPECT_EQ(parse_severity("SEV2"), Severity::kSev2);
  EXPECT_EQ(parse_severity("Sev-3"), Severity::kSev3);
  EXPECT_EQ(parse_severity("4"), Severity::kSev4);
  for (const char* bad :
       {"", "SEV-", "SEV-0", "SEV-5", "SEV-10", "SEV--1", "sev 1", "critical", "5"}) {
    EXPECT_EQ(parse_severity(bad), std::nullopt) << bad;
  }
}

TEST(Severity, StrictParserTakesOnlyTheCanonicalSpelling) {
  for (const char* bad : {"sev-1", "SEV1", "1", "SEV-5", "SEV-1 ", ""}) {
    EXPECT_EQ(parse_severity_strict(bad), std::nullopt) << bad;
  }
}

}  // namespace
}  // namespace x0
