// A set of IP address ranges in CIDR notation ("10.0.0.0/8", "::1/128", "192.0.2.7"), used to
// decide whether a client is a trusted front proxy whose forwarding headers may be kept.
#pragma once

#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"

namespace x0 {

class AddressRanges {
 public:
  // Every entry must be an IPv4 or IPv6 literal with an optional "/prefix"; the first bad one
  // is an error naming it. An IPv4-mapped IPv6 peer (::ffff:a.b.c.d) matches IPv4 ranges.
  static Result<AddressRanges> parse(const std::vector<std::string>& cidrs);

  bool contains(const sockaddr_storage& address) const;
  bool empty() const { return ranges_.empty(); }

 private:
  struct Range {
    std::array<uint8_t, 16> bytes{};  // IPv4 in the first 4 bytes
    bool v4 = false;
    int prefix = 0;
  };
  std::vector<Range> ranges_;
};

}  // namespace x0
