// The store when the disk is not kind: missing or read-only directory, a file that is not a
// database, a damaged page, a full store, a schema from a newer binary. Each is a clear error
// (or a verify() finding), never a crash.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "incident/incident_store.h"
#include "test_support.h"

namespace x0::incident {
namespace {

using testing::FakeClock;
using testing::open_store;
using testing::rule_request;
using testing::ScratchDir;

TEST(StoreFailure, MissingDirectoryIsAClearError) {
  ScratchDir dir;
  auto store = IncidentStore::open(dir.file("no/such/dir/incidents.db"));
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().code, Errc::kStoreUnavailable);
  EXPECT_NE(store.error().detail.find("does not exist"), std::string::npos);
  EXPECT_NE(store.error().detail.find(dir.file("no/such/dir")), std::string::npos);
}

TEST(StoreFailure, PathUnderAFileIsAClearError) {
  ScratchDir dir;
  std::ofstream(dir.file("plain")) << "x";
  auto store = IncidentStore::open(dir.file("plain/incidents.db"));
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().code, Errc::kStoreUnavailable);
}

TEST(StoreFailure, ReadOnlyFilesystemIsAClearError) {
  auto store = IncidentStore::open("/proc/x0-incidents-test.db");
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().code, Errc::kStoreUnavailable) << store.error().detail;
}

// A directory without write permission. Root ignores permissions, so the check runs in a child
// that drops to nobody first; the child reports through its exit code.
TEST(StoreFailure, ReadOnlyDirectoryIsAClearError) {
  ScratchDir dir;
  ASSERT_EQ(chmod(dir.path().c_str(), 0555), 0);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0)) _exit(3);
    auto store = IncidentStore::open(dir.file("incidents.db"));
    if (store.has_value()) _exit(2);
    _exit(store.error().code == Errc::kStoreUnavailable ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "1: wrong error code, 2: opened, 3: could not drop root";
}

TEST(StoreFailure, NotADatabaseIsReportedAsCorrupt) {
  ScratchDir dir;
  std::ofstream(dir.file("incidents.db")) << std::string(8192, 'Z');
  auto store = IncidentStore::open(dir.file("incidents.db"));
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().code, Errc::kStoreCorrupt) << store.error().detail;
}

TEST(StoreFailure, DamagedPageIsFoundAndNothingCrashes) {
  ScratchDir dir;
  FakeClock clock;
  const std::string path = dir.file("incidents.db");
  {
    auto store = open_store(path, &clock);
    ASSERT_NE(store, nullptr);
    for (int i = 0; i < 200; ++i) {
      auto r = rule_request("rule" + std::to_string(i), "svc", Severity::kSev2);
      r.impact = std::string(300, 'i');
      ASSERT_TRUE(store->open_incident(r));
    }
  }  // closing checkpoints the WAL into the main file
  const auto size = std::filesystem::file_size(path);
  ASSERT_GT(size, 8 * 4096u);
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(size / 2));
    const std::string junk(4096, '\x5a');
    f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  }
  // Opening still works (so /admin/data/verify can say what is wrong); verify() finds it.
  auto store = IncidentStore::open(path);
  ASSERT_TRUE(store.has_value()) << store.error().detail;
  auto report = (*store)->verify();
  ASSERT_TRUE(report.has_value()) << report.error().detail;
  EXPECT_FALSE(report->ok);
  EXPECT_FALSE(report->problems.empty());
  auto listed = (*store)->list({.limit = 1000});  // an error or a partial list, not a crash
  if (!listed.has_value()) {
    EXPECT_EQ(listed.error().code, Errc::kStoreCorrupt);
  }
}

TEST(StoreFailure, FullStoreRefusesTheWriteAndKeepsWhatIsCommitted) {
  ScratchDir dir;
  FakeClock clock;
  auto store = open_store(dir.file("incidents.db"), &clock, {.max_bytes = 96 * 1024});
  ASSERT_NE(store, nullptr);
  int written = 0;
  Error last;
  for (int i = 0; i < 1000; ++i) {
    auto r = rule_request("rule" + std::to_string(i), "svc", Severity::kSev3);
    r.impact = std::string(2000, 'x');
    auto out = store->open_incident(r);
    if (!out) {
      last = out.error();
      break;
    }
    ++written;
  }
  ASSERT_GT(written, 0);
  ASSERT_LT(written, 1000);
  EXPECT_EQ(last.code, Errc::kStoreFull) << last.detail;
  auto all = store->list({.limit = 2000});
  ASSERT_TRUE(all.has_value());
  EXPECT_EQ(static_cast<int>(all->size()), written);
  auto v = store->verify();
  ASSERT_TRUE(v.has_value());
  EXPECT_TRUE(v->ok);
}

TEST(StoreFailure, SchemaFromANewerBinaryIsRefused) {
  ScratchDir dir;
  const std::string path = dir.file("incidents.db");
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version = 99", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  auto store = IncidentStore::open(path);
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().code, Errc::kStoreTooNew);
}

}  // namespace
}  // namespace x0::incident
