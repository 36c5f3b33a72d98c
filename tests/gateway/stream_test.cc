// The stream with scripted filters at its seam: chain order, a filter that answers, one that
// waits and resumes, response hooks, the outcome every filter that saw the request gets, the
// client going away, pipelined requests started from the loop and streams recycled through it.
#include "gateway/stream.h"

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "gateway/filters/filters.h"
#include "net/timer.h"
#include "stream_harness.h"

namespace x0::gateway {
namespace {

using testing::StreamHarness;

struct Script {
  std::vector<std::string> log;
  int depth = 0;  // nesting of on_request calls on the terminal
  int max_depth = 0;
  std::function<void()> after_finish;  // runs on the terminal right after it finished a stream
};

std::string joined(const std::vector<std::string>& log) {
  std::string out;
  for (const std::string& line : log) out += (out.empty() ? "" : " ") + line;
  return out;
}

// A filter that logs its hooks and does one scripted thing.
class Scripted final : public Filter<Scripted> {
 public:
  enum class Does { kPass, kAnswer, kWait, kRefuseHead, kSkipRequest };
  Scripted(net::EventLoop& loop, Script& script, std::string name, Does does)
      : script_(script),
        name_(std::move(name)),
        does_(does),
        timer_(loop, net::Timer::call<&Scripted::on_timer>(this)) {}

  bool takes_part(const Stream&) const override { return does_ != Does::kSkipRequest; }
  FilterStatus on_request(Stream& stream) override {
    script_.log.push_back(name_ + ".request");
    if (does_ == Does::kAnswer) {
      stream.respond(ErrorCode::kIsolated, "scripted");
      return FilterStatus::kStop;
    }
    if (does_ == Does::kWait) {
      stream_ = &stream;
      timer_.arm(5);
      return FilterStatus::kStop;
    }
    return FilterStatus::kContinue;
  }
  FilterStatus on_response_head(Stream&, const http::ResponseHead& head) override {
    script_.log.push_back(name_ + ".head:" + std::to_string(head.status));
    return does_ == Does::kRefuseHead ? FilterStatus::kStop : FilterStatus::kContinue;
  }
  void on_done(Stream&, const StreamOutcome& outcome) override {
    script_.log.push_back(name_ + ".done:" + std::to_string(outcome.status));
    timer_.cancel();
  }

 private:
  void on_timer() {
    script_.log.push_back(name_ + ".resume");
    stream_->resume();
  }
  Script& script_;
  std::string name_;
  Does does_;
  Stream* stream_ = nullptr;
  net::Timer timer_;
};

// The terminal: shows the filters a response head, then answers 200 (now or from a timer).
class Terminal final : public Filter<Terminal> {
 public:
  Terminal(net::EventLoop& loop, Script& script, bool later)
      : script_(script),
        later_(later),
        timer_(loop, net::Timer::call<&Terminal::answer_later>(this)) {}
  FilterStatus on_request(Stream& stream) override {
    script_.log.push_back("T.request");
    stream_ = &stream;
    enter();
    if (later_)
      timer_.arm(1);
    else
      answer();
    --script_.depth;
    return FilterStatus::kStop;
  }
  void on_done(Stream&, const StreamOutcome& outcome) override {
    script_.log.push_back("T.done:" + std::to_string(outcome.status));
    timer_.cancel();
  }

 private:
  void enter() {
    ++script_.depth;
    script_.max_depth = std::max(script_.max_depth, script_.depth);
  }
  void answer_later() {
    enter();
    answer();
    --script_.depth;
  }
  void answer() {
    http::ResponseHead head;
    head.status = 200;
    if (stream_->response_head(head) == FilterStatus::kStop) {
      stream_->respond(ErrorCode::kBadGateway, "a filter refused the head");
      return;
    }
    stream_->client().send_raw("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    stream_->finish({200, StreamOutcome::Source::kUpstream, nullptr}, true);
    if (script_.after_finish) script_.after_finish();
  }
  Script& script_;
  bool later_;
  Stream* stream_ = nullptr;
  net::Timer timer_;
};

struct Chain {
  Script script;
  FilterChain factories;
  void add(std::string name, Scripted::Does does) {
    factories.push_back([this, name, does](WorkerContext& w) {
      return std::make_unique<Scripted>(w.loop, script, name, does);
    });
  }
  void terminal(bool later) {
    factories.push_back([this, later](WorkerContext& w) {
      return std::make_unique<Terminal>(w.loop, script, later);
    });
  }
};

class OnlyDone final : public Filter<OnlyDone> {
 public:
  void on_done(Stream&, const StreamOutcome&) override {}
};

TEST(Filter, KnowsWhichHooksItOverrides) {
  EXPECT_EQ(OnlyDone().hooks(), uint32_t{kOnDone});
  Script script;
  net::EventLoop loop;
  uint32_t scripted = Scripted(loop, script, "A", Scripted::Does::kPass).hooks();
  EXPECT_EQ(scripted, uint32_t{kTakesPart | kOnRequest | kOnResponseHead | kOnDone});
}

constexpr std::string_view kGet = "GET /x HTTP/1.1\r\nHost: svc.test\r\n\r\n";

TEST(Stream, RunsTheChainInOrderAndEveryFilterSeesTheEnd) {
  Chain chain;
  chain.add("A", Scripted::Does::kPass);
  chain.add("B", Scripted::Does::kPass);
  chain.terminal(false);
  StreamHarness h(chain.factories, testing::service_at(1));
  h.exchange(kGet);
  EXPECT_EQ(joined(chain.script.log),
            "A.request B.request T.request A.head:200 B.head:200 A.done:200 B.done:200 T.done:200");
  EXPECT_TRUE(h.received().ends_with("\r\n\r\nok"));
}

TEST(Stream, AFilterThatAnswersEndsTheChainAndOnlyThoseBeforeItSeeTheEnd) {
  Chain chain;
  chain.add("A", Scripted::Does::kPass);
  chain.add("B", Scripted::Does::kAnswer);
  chain.add("C", Scripted::Does::kPass);
  chain.terminal(false);
  StreamHarness h(chain.factories, testing::service_at(1));
  h.exchange(kGet);
  EXPECT_EQ(joined(chain.script.log), "A.request B.request A.done:503 B.done:503");
  std::string out = h.received();
  EXPECT_TRUE(out.starts_with("HTTP/1.1 503")) << out;
  EXPECT_NE(out.find(R"("error":"isolated")"), std::string::npos) << out;
  EXPECT_NE(out.find("X-Request-Id: "), std::string::npos) << out;
}

TEST(Stream, AFilterThatWaitsResumesTheChainAfterItself) {
  Chain chain;
  chain.add("A", Scripted::Does::kPass);
  chain.add("W", Scripted::Does::kWait);
  chain.terminal(true);
  StreamHarness h(chain.factories, testing::service_at(1));
  h.exchange(kGet, 100);
  EXPECT_EQ(joined(chain.script.log),
            "A.request W.request W.resume T.request A.head:200 W.head:200 A.done:200 W.done:200 "
            "T.done:200");
  EXPECT_TRUE(h.received().ends_with("ok"));
}

TEST(Stream, AFilterThatDoesNotTakePartSeesNothing) {
  Chain chain;
  chain.add("A", Scripted::Does::kPass);
  chain.add("S", Scripted::Does::kSkipRequest);
  chain.terminal(false);
  StreamHarness h(chain.factories, testing::service_at(1));
  h.exchange(kGet);
  EXPECT_EQ(joined(chain.script.log), "A.request T.request A.head:200 A.done:200 T.done:200");
}

TEST(Stream, AResponseHeadAFilterRefusesIsNotForwarded) {
  Chain chain;
  chain.add("A", Scripted::Does::kRefuseHead);
  chain.terminal(false);
  StreamHarness h(chain.factories, testing::service_at(1));
  h.exchange(kGet);
  EXPECT_EQ(joined(chain.script.log), "A.request T.request A.head:200 A.done:502 T.done:502");
  EXPECT_TRUE(h.received().starts_with("HTTP/1.1 502"));
}

TEST(Stream, TheClientGoingAwayEndsTheStreamWithA499ForEveryFilterThatSawIt) {
  Chain chain;
  chain.add("A", Scripted::Does::kPass);
  chain.add("W", Scripted::Does::kWait);
  chain.terminal(true);
  StreamHarness h(chain.factories, testing::service_at(1));
  h.send(kGet);
  h.loop().add_timer(2, [&] { h.connection().close(); });  // before W resumes (5 ms)
  h.loop().add_timer(50, [&] { h.stop(); });
  h.run();
  EXPECT_EQ(joined(chain.script.log), "A.request W.request A.done:499 W.done:499");
  EXPECT_EQ(h.worker().in_flight.load(), 0u);
}

TEST(Stream, PipelinedRequestsStartFromTheLoopAndReuseTheRecycledStream) {
  Chain chain;
  chain.terminal(true);
  StreamHarness h(chain.factories, testing::service_at(1));
  h.exchange(std::string(kGet) + std::string(kGet) + std::string(kGet), 100);
  EXPECT_EQ(joined(chain.script.log),
            "T.request T.done:200 T.request T.done:200 T.request T.done:200");
  EXPECT_EQ(chain.script.max_depth, 1);  // no request started inside another's call
  EXPECT_EQ(h.pool().size(), 1u);        // one stream, recycled between them
  EXPECT_EQ(h.pool().idle(), 1u);
  std::string out = h.received();
  EXPECT_EQ(testing::count_of(out, "HTTP/1.1 200"), 3u);
}

TEST(Stream, AStreamIsNotBackInItsPoolWhileOneOfItsCallsRuns) {
  Chain chain;
  chain.terminal(false);
  StreamHarness h(chain.factories, testing::service_at(1));
  size_t idle_right_after = 99;
  chain.script.after_finish = [&] { idle_right_after = h.pool().idle(); };
  h.exchange(kGet, 20);
  EXPECT_EQ(idle_right_after, 0u);  // ended, but not back while its call is on the stack
  EXPECT_EQ(h.pool().size(), 1u);
  EXPECT_EQ(h.pool().idle(), 1u);
}

TEST(Stream, PipelinedRequestsAnsweredAtOnceShareOneStream) {
  Chain chain;
  chain.terminal(false);  // answers inside start()
  StreamHarness h(chain.factories, testing::service_at(1));
  std::string many;
  for (int i = 0; i < 50; ++i) many += kGet;
  h.exchange(many, 50);
  EXPECT_EQ(h.pool().size(), 1u);  // recycled as each start() returned, not one per request
  std::string out = h.received();
  EXPECT_EQ(testing::count_of(out, "HTTP/1.1 200"), 50u);
}

// Isolation answers in the data plane, before routing: an outside client of an isolated node
// learns nothing of its routes (an unrouted host is 503 isolated too, not 404).
TEST(DataPlane, AnIsolatedNodeAnswersOutsideClientsBeforeRouting) {
  std::atomic<bool> isolated{true};
  for (const char* peer : {"192.0.2.7", "127.0.0.1"}) {
    Chain chain;
    chain.terminal(false);
    StreamHarness h(chain.factories, testing::service_at(1), peer);
    h.worker().isolated = &isolated;
    h.use_data_plane();
    std::string out = h.exchange("GET /x HTTP/1.1\r\nHost: nowhere.test\r\n\r\n", 50);
    if (std::string_view(peer) == "127.0.0.1") {
      EXPECT_EQ(out.find("isolated"), std::string::npos) << out;  // served: routed as usual
    } else {
      EXPECT_TRUE(out.starts_with("HTTP/1.1 503")) << out;
      EXPECT_NE(out.find(R"("error":"isolated")"), std::string::npos) << out;
    }
  }
}

}  // namespace
}  // namespace x0::gateway
