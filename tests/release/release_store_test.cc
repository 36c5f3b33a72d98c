// Durability: every change is on disk before the call returns, a new controller comes back in
// the same state, a SIGKILLed writer never leaves a half-written file, a corrupt file is put
// aside and the node starts clean.
#include "release/release_store.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "release/release_controller.h"
#include "release/release_json.h"
#include "release_test_util.h"

namespace x0::release {
namespace {

using testing::blue_green_spec;
using testing::canary_spec;

namespace fs = std::filesystem;

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_file(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

class StoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<ReleaseController> make() {
    return std::make_unique<ReleaseController>(
        ControllerOptions{dir_.path(), clock_.fn(), &registry_, 50, {}});
  }
  std::string file() const { return dir_.path() + "/releases.json"; }

  testing::ScratchDir dir_;
  testing::FakeClock clock_;
  telemetry::Registry registry_;
};

TEST_F(StoreTest, EveryChangeIsOnDiskBeforeTheCallReturns) {
  auto c = make();
  EXPECT_FALSE(fs::exists(file()));  // nothing to save yet
  ASSERT_TRUE(c->start("api", canary_spec(), "op"));
  auto on_disk = decode_releases(read_file(file()));
  ASSERT_TRUE(on_disk) << on_disk.error().detail;
  ASSERT_EQ(on_disk->releases.size(), 1u);
  EXPECT_EQ(on_disk->releases[0].state, State::kRunning);
  ASSERT_TRUE(c->pause("api", "hold", "op"));
  on_disk = decode_releases(read_file(file()));
  EXPECT_EQ(on_disk->releases[0].state, State::kPaused);
  EXPECT_EQ(on_disk->releases[0].history.size(), 2u);
  EXPECT_FALSE(fs::exists(file() + ".tmp"));
}

TEST_F(StoreTest, ReloadComesBackInTheSameStateAndResumesTheStepTimer) {
  const int64_t t0 = *clock_.now;
  {
    auto c = make();
    ASSERT_TRUE(c->start("api", canary_spec(), "op"));
    clock_.advance(200);
    ASSERT_TRUE(c->promote("api", "op"));  // step 2 (25 %), started at t0 + 200
    ASSERT_TRUE(c->start("web", blue_green_spec(), "op"));
    ASSERT_TRUE(c->start("old", canary_spec(), "op"));
    ASSERT_TRUE(c->rollback("old", "error_rate", "autopilot"));
  }
  auto before = decode_releases(read_file(file()));
  ASSERT_TRUE(before);
  auto c = make();  // "restarted node"
  EXPECT_FALSE(c->load_error());
  auto list = c->list();
  ASSERT_EQ(list.size(), 3u);
  auto api = c->active("api");
  ASSERT_TRUE(api);
  EXPECT_EQ(api->step, 1u);
  EXPECT_EQ(api->step_started_ms, t0 + 200);
  EXPECT_EQ(*api, *c->find(before->releases[0].id));
  EXPECT_EQ(c->routing()->at("api").weight_bp, 2500);
  EXPECT_EQ(c->routing()->at("web").weight_bp, 0);
  EXPECT_EQ(c->routing()->at("web").header_name, "X-Canary");
  EXPECT_EQ(c->routing()->count("old"), 0u);
  EXPECT_EQ(c->find("old-3")->reason, "error_rate");
  // The step timer runs from the saved step_started, not from the restart.
  EXPECT_EQ(c->tick(t0 + 1199, [](const std::string&) { return Analysis::kClean; }).value(), 0);
  EXPECT_EQ(c->tick(t0 + 1200, [](const std::string&) { return Analysis::kClean; }).value(), 1);
  EXPECT_EQ(c->routing()->at("api").weight_bp, 5000);
  // Sequence numbers continue: ids stay unique across restarts.
  ASSERT_TRUE(c->rollback("web", "", "op"));
  EXPECT_EQ(c->start("web", blue_green_spec(), "op")->id, "web-4");
}

TEST_F(StoreTest, EncodeDecodeRoundTrip) {
  {
    auto c = make();
    ASSERT_TRUE(c->start("api", canary_spec(), "op"));
    ASSERT_TRUE(c->promote("api", "op"));
  }
  auto s = decode_releases(read_file(file()));
  ASSERT_TRUE(s);
  auto again = decode_releases(encode_releases(*s));
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, *s);
  EXPECT_EQ(again->next_sequence, 2u);
}

TEST_F(StoreTest, CorruptFileIsPutAsideAndNodeStartsEmpty) {
  {
    auto c = make();
    ASSERT_TRUE(c->start("api", canary_spec(), "op"));
  }
  std::string good = read_file(file());
  write_file(file(), good.substr(0, good.size() / 2));  // a torn write
  auto c = make();
  ASSERT_TRUE(c->load_error());
  EXPECT_EQ(c->load_error()->code, x0::Errc::kStoreCorrupt);
  EXPECT_NE(c->load_error()->detail.find("releases.json"), std::string::npos);
  EXPECT_TRUE(c->list().empty());
  EXPECT_TRUE(c->routing()->empty());
  EXPECT_FALSE(fs::exists(file()));
  const std::string aside = file() + ".corrupt-" + std::to_string(*clock_.now);
  ASSERT_TRUE(fs::exists(aside));
  EXPECT_EQ(read_file(aside), good.substr(0, good.size() / 2));  // kept for the operator
  // The node carries on: a new release is saved to a fresh file.
  ASSERT_TRUE(c->start("api", canary_spec(), "op"));
  EXPECT_TRUE(decode_releases(read_file(file())));
}

TEST_F(StoreTest, SemanticallyBrokenFilesAreCorruptToo) {
  ReleaseStore store(dir_.path());
  const std::string cases[] = {
      "",
      "[]",
      R"({"format":2,"next_sequence":1,"releases":[]})",
      R"({"format":1,"next_sequence":0,"releases":[]})",
      R"({"format":1,"next_sequence":1,"releases":{}})",
      R"({"format":1,"next_sequence":1,"releases":[{"id":"x"}]})",
  };
  for (const auto& text : cases) {
    write_file(file(), text);
    auto out = store.load(++*clock_.now);
    EXPECT_TRUE(out.error) << text;
    EXPECT_TRUE(out.state.releases.empty());
    EXPECT_FALSE(out.moved_to.empty());
  }
  // Two active releases for one service cannot both steer it.
  StoredReleases two;
  Release r;
  r.id = "api-1";
  r.service = "api";
  r.spec = canary_spec();
  two.releases = {r, r};
  two.releases[1].id = "api-2";
  EXPECT_EQ(decode_releases(encode_releases(two)).error().detail,
            "two active releases for service api");
  two.releases[1].id = "api-1";
  two.releases[1].state = State::kRolledBack;
  EXPECT_EQ(decode_releases(encode_releases(two)).error().detail, "duplicate release id api-1");
}

TEST_F(StoreTest, LeftoverTempFileIsIgnored) {
  {
    auto c = make();
    ASSERT_TRUE(c->start("api", canary_spec(), "op"));
  }
  write_file(file() + ".tmp", "{\"format\":1, half");
  auto c = make();
  EXPECT_FALSE(c->load_error());
  EXPECT_TRUE(c->active("api"));
  EXPECT_FALSE(fs::exists(file() + ".tmp"));
}

TEST_F(StoreTest, FailedSaveRefusesTheChangeAndKeepsState) {
  auto c = make();
  ASSERT_TRUE(c->start("api", canary_spec(), "op"));
  const std::string before = read_file(file());
  const uint64_t version = c->routing_version();
  fs::create_directory(file() + ".tmp");  // the temp file cannot be opened (even as root)
  auto r = c->promote("api", "op");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kStoreFailed);
  EXPECT_EQ(c->active("api")->step, 0u);
  EXPECT_EQ(c->routing()->at("api").weight_bp, 500);
  EXPECT_EQ(c->routing_version(), version);
  EXPECT_EQ(read_file(file()), before);
  fs::remove(file() + ".tmp");
  EXPECT_EQ(c->promote("api", "op")->step, 1u);  // and works again once the disk does
}

TEST_F(StoreTest, FailedSaveRefusesTheChangeWhenTheDirectoryIsAFile) {
  testing::ScratchDir parent;
  const std::string not_a_dir = parent.path() + "/data";
  write_file(not_a_dir, "x");  // data_dir cannot be created
  ReleaseController c(ControllerOptions{not_a_dir, clock_.fn(), &registry_, 50, {}});
  auto r = c.start("api", canary_spec(), "op");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kStoreFailed);
  EXPECT_FALSE(c.active("api"));
  EXPECT_TRUE(c.routing()->empty());
}

// A child process changes release state as fast as it can and is SIGKILLed at a random moment;
// the parent must always find a file that decodes (the previous or the next version).
TEST_F(StoreTest, KillMinus9NeverLeavesAHalfWrittenFile) {
  for (int round = 0; round < 40; ++round) {
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      telemetry::Registry child_registry;
      ReleaseController c(ControllerOptions{dir_.path(), {}, &child_registry, 50, {}});
      for (;;) {
        (void)c.start("api", canary_spec(), "child");
        (void)c.promote("api", "child");
        (void)c.pause("api", "", "child");
        (void)c.resume("api", "child");
        (void)c.rollback("api", "", "child");
      }
    }
    ::usleep(static_cast<useconds_t>(3000 + (round * 7919) % 25000));
    ASSERT_EQ(::kill(pid, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status));
    if (!fs::exists(file())) continue;  // killed before the first save completed
    auto decoded = decode_releases(read_file(file()));
    ASSERT_TRUE(decoded) << "round " << round << ": " << decoded.error().detail;
    auto c = make();
    EXPECT_FALSE(c->load_error()) << "round " << round;
  }
  EXPECT_TRUE(fs::exists(file()));  // the child did get to write
}

}  // namespace
}  // namespace x0::release

namespace x0::release {
namespace {

// The fuzz seed is a real releases.json (after its selector byte): it must decode, so the
// fuzzer starts from the format the node writes.
TEST(StoreCorpus, FuzzSeedIsAValidReleasesFile) {
  std::ifstream in(std::string(X0_RELEASE_CORPUS_DIR) + "/releases_json", std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  ASSERT_FALSE(text.empty());
  auto s = decode_releases(std::string_view(text).substr(1));
  ASSERT_TRUE(s) << s.error().detail;
  ASSERT_EQ(s->releases.size(), 2u);
  EXPECT_EQ(routing_for(s->releases[0])->weight_bp, 2500);
  EXPECT_TRUE(routing_for(s->releases[1])->candidate_only);
}

}  // namespace
}  // namespace x0::release

namespace x0::release {
namespace {

TEST(StoreSequence, IdsStayUniqueWhenTheFileUnderstatesTheSequence) {
  testing::ScratchDir dir;
  testing::FakeClock clock;
  telemetry::Registry registry;
  StoredReleases s;
  Release old;
  old.id = "api-1";
  old.service = "api";
  old.spec = testing::canary_spec();
  old.state = State::kRolledBack;
  s.releases = {old};
  s.next_sequence = 1;  // as if hand-edited
  ASSERT_TRUE(ReleaseStore(dir.path()).save(s));
  ReleaseController c(ControllerOptions{dir.path(), clock.fn(), &registry, 50, {}});
  ASSERT_FALSE(c.load_error());
  auto r = c.start("api", testing::canary_spec(), "op");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->id, "api-2");
  ReleaseController again(ControllerOptions{dir.path(), clock.fn(), &registry, 50, {}});
  EXPECT_FALSE(again.load_error());
  EXPECT_EQ(decode_releases(R"({"format":1,"next_sequence":9007199254740993,"releases":[]})")
                .error()
                .code,
            Errc::kStoreCorrupt);
}

}  // namespace
}  // namespace x0::release
