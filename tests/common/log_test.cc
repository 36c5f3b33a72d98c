// Log lines: format, level filter, quoting, file output and size-based rotation.
#include "common/log.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace x0::log {
namespace {

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class LogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("x0-log-" + std::to_string(getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    path_ = dir_ / "node.log";
  }
  void TearDown() override {
    set_file("");
    set_level(Level::kInfo);
    std::filesystem::remove_all(dir_);
  }
  std::filesystem::path dir_;
  std::filesystem::path path_;
};

TEST_F(LogTest, LineCarriesLevelCategoryMessageAndFields) {
  ASSERT_TRUE(set_file(path_.string()));
  error("PQC", "handshake failed", {{"peer", "10.0.0.2:7946"}, {"reason", "bad signature"}, {"n", 3}});
  std::string text = slurp(path_);
  EXPECT_NE(text.find(" ERROR PQC handshake failed peer=10.0.0.2:7946 reason=\"bad signature\" n=3\n"),
            std::string::npos)
      << text;
  EXPECT_EQ(text[4], '-');  // starts with an ISO-8601 date
}

TEST_F(LogTest, LevelFilterDropsLowerLevels) {
  ASSERT_TRUE(set_file(path_.string()));
  set_level(Level::kWarn);
  info("NODE", "not shown");
  debug("NODE", "not shown either");
  warn("NODE", "shown");
  std::string text = slurp(path_);
  EXPECT_EQ(text.find("not shown"), std::string::npos);
  EXPECT_NE(text.find("WARN NODE shown"), std::string::npos);
}

TEST_F(LogTest, QuotesValuesThatWouldBreakTheLine) {
  ASSERT_TRUE(set_file(path_.string()));
  info("X", "m", {{"a", "two words"}, {"b", "x=y"}, {"c", "line\nbreak"}, {"d", ""}});
  std::string text = slurp(path_);
  EXPECT_NE(text.find(R"(a="two words" b="x=y" c="line\nbreak" d="")"), std::string::npos) << text;
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1);
}

TEST_F(LogTest, RotatesBySizeAndKeepsMaxFiles) {
  ASSERT_TRUE(set_file(path_.string(), 1000, 2));
  for (int i = 0; i < 100; ++i) info("ROT", "line", {{"i", i}});
  EXPECT_TRUE(std::filesystem::exists(path_));
  EXPECT_TRUE(std::filesystem::exists(dir_ / "node.log.1"));
  EXPECT_TRUE(std::filesystem::exists(dir_ / "node.log.2"));
  EXPECT_FALSE(std::filesystem::exists(dir_ / "node.log.3"));
  EXPECT_LE(std::filesystem::file_size(path_), 1100u);
  EXPECT_NE(slurp(path_).find("i=99"), std::string::npos);  // newest lines in the live file
}

TEST(LogLevel, ParsesNamesInAnyCase) {
  Level level = Level::kInfo;
  EXPECT_TRUE(parse_level("DEBUG", &level));
  EXPECT_EQ(level, Level::kDebug);
  EXPECT_TRUE(parse_level("warning", &level));
  EXPECT_EQ(level, Level::kWarn);
  EXPECT_FALSE(parse_level("loud", &level));
}

}  // namespace
}  // namespace x0::log
