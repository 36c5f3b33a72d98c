// CIDR parsing and matching (see address_ranges.h).
#include "common/address_ranges.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <charconv>
#include <cstring>

namespace x0 {
namespace {

bool prefix_matches(const uint8_t* a, const uint8_t* b, int prefix) {
  int full = prefix / 8;
  if (std::memcmp(a, b, static_cast<size_t>(full)) != 0) return false;
  int rest = prefix % 8;
  if (rest == 0) return true;
  auto mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (a[full] & mask) == (b[full] & mask);
}

}  // namespace

Result<AddressRanges> AddressRanges::parse(const std::vector<std::string>& cidrs) {
  AddressRanges out;
  for (const std::string& text : cidrs) {
    auto bad = [&] {
      return std::unexpected(
          Error{Errc::kConfigInvalid, "not an IP address or CIDR range: \"" + text + "\""});
    };
    size_t slash = text.find('/');
    std::string address = text.substr(0, slash);
    Range range;
    if (::inet_pton(AF_INET, address.c_str(), range.bytes.data()) == 1) {
      range.v4 = true;
      range.prefix = 32;
    } else if (::inet_pton(AF_INET6, address.c_str(), range.bytes.data()) == 1) {
      range.prefix = 128;
    } else {
      return bad();
    }
    if (slash != std::string::npos) {
      std::string_view digits = std::string_view(text).substr(slash + 1);
      int prefix = -1;
      auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
      if (ec != std::errc() || end != digits.data() + digits.size() || digits.empty() ||
          prefix < 0 || prefix > range.prefix) {
        return bad();
      }
      range.prefix = prefix;
    }
    out.ranges_.push_back(range);
  }
  return out;
}

bool AddressRanges::contains(const sockaddr_storage& address) const {
  const uint8_t* v4 = nullptr;
  const uint8_t* v6 = nullptr;
  if (address.ss_family == AF_INET) {
    v4 = reinterpret_cast<const uint8_t*>(&reinterpret_cast<const sockaddr_in&>(address).sin_addr);
  } else if (address.ss_family == AF_INET6) {
    const auto& in6 = reinterpret_cast<const sockaddr_in6&>(address).sin6_addr;
    v6 = reinterpret_cast<const uint8_t*>(&in6);
    if (IN6_IS_ADDR_V4MAPPED(&in6)) v4 = v6 + 12;
  }
  for (const Range& r : ranges_) {
    if (r.v4 ? (v4 != nullptr && prefix_matches(v4, r.bytes.data(), r.prefix))
             : (v6 != nullptr && prefix_matches(v6, r.bytes.data(), r.prefix))) {
      return true;
    }
  }
  return false;
}

}  // namespace x0
