// Helpers shared by the ML-KEM and hybrid tests: hex decoding and loading the NIST ACVP vector
// files from ../shared/testdata/pqc (never copied into the repo).
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace x0::pqc::testing {

inline std::vector<uint8_t> from_hex(const std::string& hex) {
  auto nibble = [](char ch) -> int {
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return -1;
  };
  std::vector<uint8_t> out;
  EXPECT_EQ(hex.size() % 2, 0u) << "odd-length hex";
  out.reserve(hex.size() / 2);
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    const int hi = nibble(hex[i]), lo = nibble(hex[i + 1]);
    EXPECT_GE(hi, 0);
    EXPECT_GE(lo, 0);
    out.push_back(static_cast<uint8_t>(hi * 16 + lo));
  }
  return out;
}

template <class Span>
std::vector<uint8_t> to_vec(const Span& s) {
  return std::vector<uint8_t>(s.begin(), s.end());
}

inline std::string pqc_testdata_dir() { return std::string(X0_SHARED_DIR) + "/testdata/pqc"; }

inline bool pqc_testdata_present() { return std::filesystem::is_directory(pqc_testdata_dir()); }

// Loads <testdata>/acvp/<relative>; a missing or unparsable file is a test failure (the
// directory itself being absent is a skip, checked by the caller first).
inline nlohmann::json load_acvp(const std::string& relative) {
  const std::string path = pqc_testdata_dir() + "/acvp/" + relative;
  std::ifstream in(path);
  if (!in) {
    ADD_FAILURE() << "cannot open " << path;
    return nlohmann::json::object();
  }
  return nlohmann::json::parse(in);
}

}  // namespace x0::pqc::testing

#define X0_SKIP_WITHOUT_PQC_TESTDATA()                                                     \
  do {                                                                                     \
    if (!::x0::pqc::testing::pqc_testdata_present())                                       \
      GTEST_SKIP() << "no PQC test vectors at " << ::x0::pqc::testing::pqc_testdata_dir(); \
  } while (0)
