// Every Errc has its own stable snake_case name: JSON bodies, log lines and runbooks read these
// words, so a new enumerator without a name (or with one already taken) must fail here.
#include "common/errc.h"

#include <gtest/gtest.h>

#include <set>
#include <sstream>
#include <string_view>

#include "common/result.h"

namespace x0 {
namespace {

bool is_snake_case(std::string_view name) {
  if (name.empty() || name.front() == '_' || name.back() == '_') return false;
  if (name.front() < 'a' || name.front() > 'z') return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok || (c == '_' && name[i + 1] == '_')) return false;
  }
  return true;
}

TEST(Errc, EveryCodeHasADistinctSnakeCaseName) {
  std::set<std::string_view> seen;
  for (int i = 0; i < static_cast<int>(Errc::kCount); ++i) {
    const auto code = static_cast<Errc>(i);
    const std::string_view name = errc_name(code);
    EXPECT_TRUE(is_snake_case(name)) << "enumerator " << i << " has name '" << name << "'";
    EXPECT_TRUE(seen.insert(name).second) << "enumerator " << i << " reuses '" << name << "'";
  }
  EXPECT_EQ(seen.size(), static_cast<size_t>(Errc::kCount));
  EXPECT_EQ(errc_name(Errc::kCount), "");  // the count is not a code
}

// The words operators and tests read today: a rename here breaks JSON bodies and runbooks.
TEST(Errc, NamesAreTheWordsOnTheWire) {
  EXPECT_EQ(errc_name(Errc::kBadRequest), "bad_request");
  EXPECT_EQ(errc_name(Errc::kInvalidTransition), "invalid_transition");
  EXPECT_EQ(errc_name(Errc::kStoreTooNew), "store_too_new");
  EXPECT_EQ(errc_name(Errc::kCryptoFailure), "crypto_failure");
  EXPECT_EQ((Error{Errc::kTimedOut, "slow"}.name()), "timed_out");
  std::ostringstream os;
  os << Errc::kSmokeUnavailable;
  EXPECT_EQ(os.str(), "smoke_unavailable");
}

// is_store_error() replaced a prefix test on the name; the two must keep agreeing.
TEST(Errc, StoreErrorsAreExactlyTheStoreNames) {
  for (int i = 0; i < static_cast<int>(Errc::kCount); ++i) {
    const auto code = static_cast<Errc>(i);
    EXPECT_EQ(is_store_error(code), errc_name(code).starts_with("store_")) << errc_name(code);
  }
  EXPECT_FALSE(is_store_error(Errc::kNotFound));
  EXPECT_TRUE(is_store_error(Errc::kStoreBusy));
}

}  // namespace
}  // namespace x0
