// kill -9 durability: a child process writes incidents as fast as it can and reports each write
// on a pipe only after the store returned success; the parent SIGKILLs it mid-stream, reopens
// the database and finds every reported write intact, and verify() clean. Three rounds on the
// same file, so recovery from a killed writer is itself followed by more writes and kills.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>
#include <sstream>

#include "incident/incident_store.h"
#include "test_support.h"

namespace x0::incident {
namespace {

using testing::rule_request;
using testing::ScratchDir;

void write_all(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    const ssize_t n = ::write(fd, s.data() + off, s.size() - off);
    if (n <= 0) _exit(4);
    off += static_cast<size_t>(n);
  }
}

[[noreturn]] void writer(const std::string& path, int round, int fd) {
  auto store = IncidentStore::open(path);
  if (!store) _exit(2);
  for (int i = 0;; ++i) {
    auto r = rule_request("rule-" + std::to_string(round) + "-" + std::to_string(i), "svc",
                          Severity::kSev1);
    auto opened = (*store)->open_incident(r);
    if (!opened) _exit(3);
    const std::string id = opened->incident.id;
    write_all(fd, id + " 1\n");
    TimelineEntry action{0, TimelineKind::kActionTaken, "autopilot", "rollback", {}, 0};
    if (!(*store)->append(id, action)) _exit(3);
    write_all(fd, id + " 2\n");
    if (!(*store)->acknowledge(id, {"op", "ack", {}, {}})) _exit(3);
    write_all(fd, id + " 3\n");
  }
}

TEST(Durability, EveryCommittedWriteSurvivesSigkill) {
  ScratchDir dir;
  const std::string path = dir.file("incidents.db");
  std::map<std::string, size_t> committed;  // id -> timeline entries reported committed
  for (int round = 0; round < 3; ++round) {
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(fds[0]);
      writer(path, round, fds[1]);
    }
    close(fds[1]);
    std::string buffer;
    int lines = 0;
    const int kill_after = 25 + 17 * round;
    char chunk[4096];
    bool killed = false;
    for (;;) {
      const ssize_t n = read(fds[0], chunk, sizeof chunk);
      if (n <= 0) break;  // EOF once the child is dead and the pipe drained
      buffer.append(chunk, static_cast<size_t>(n));
      for (char c : std::string_view(chunk, static_cast<size_t>(n))) lines += c == '\n';
      if (!killed && lines >= kill_after) {
        kill(pid, SIGKILL);
        killed = true;
      }
    }
    close(fds[0]);
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status)) << "writer exited early with " << WEXITSTATUS(status);
    ASSERT_EQ(WTERMSIG(status), SIGKILL);

    std::istringstream in(buffer);
    std::string id;
    size_t entries = 0;
    while (in >> id >> entries) committed[id] = std::max(committed[id], entries);

    auto store = IncidentStore::open(path);
    ASSERT_TRUE(store.has_value()) << store.error().detail;
    for (const auto& [cid, want] : committed) {
      auto inc = (*store)->get(cid);
      ASSERT_TRUE(inc.has_value()) << cid << " lost: " << inc.error().detail;
      EXPECT_GE(inc->timeline.size(), want) << cid;
      EXPECT_EQ(inc->timeline.front().kind, TimelineKind::kDetected);
      if (want >= 3) {
        EXPECT_EQ(inc->status, Status::kAcknowledged) << cid;
      }
    }
    auto v = (*store)->verify();
    ASSERT_TRUE(v.has_value()) << v.error().detail;
    EXPECT_TRUE(v->ok) << (v->problems.empty() ? "" : v->problems.front());
    EXPECT_GE(v->incidents, static_cast<int64_t>(committed.size()));
    RecordProperty("round" + std::to_string(round) + "_reported",
                   static_cast<int>(committed.size()));
    RecordProperty("round" + std::to_string(round) + "_in_store", static_cast<int>(v->incidents));
  }
  EXPECT_GE(committed.size(), 3u);
}

}  // namespace
}  // namespace x0::incident
