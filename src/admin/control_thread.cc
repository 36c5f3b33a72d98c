// Asynchronous operator replies (see control_thread.h).
#include "admin/control_thread.h"

#include <atomic>
#include <exception>

#include "common/log.h"

namespace x0::admin {
namespace {

// Lives until the reply has been delivered or dropped; the connection only points at it.
class Waiter final : public http::PendingResponse {
 public:
  void on_client_gone() override { gone = true; }
  bool gone = false;  // touched only on the connection's worker thread
};

}  // namespace

void answer_async_later(http::ServerConnection& conn, ControlThread& control,
                        std::function<void(ReplyFn reply)> work) {
  answer_async_via(
      conn, [&control](std::function<void()> task) { control.post(std::move(task)); },
      std::move(work));
}

void answer_async_via(http::ServerConnection& conn, const PostFn& post,
                      std::function<void(ReplyFn reply)> work) {
  auto waiter = std::make_shared<Waiter>();
  conn.set_pending(waiter.get());
  net::EventLoop* worker = &conn.loop();
  http::ServerConnection* client = &conn;
  // One-shot: only the first call answers, whichever thread makes it (the control thread, the
  // mesh thread, or the worker itself when the mesh is gone).
  auto replied = std::make_shared<std::atomic<bool>>(false);
  ReplyFn reply = [waiter, worker, client, replied](Reply r) {
    if (replied->exchange(true)) return;
    worker->post([waiter, client, r = std::move(r)] {
      if (waiter->gone) return;
      client->set_pending(nullptr);
      client->respond(r.status, r.content_type, r.body, r.extra_headers);
    });
  };
  post([reply = std::move(reply), work = std::move(work)] {
    try {
      work(reply);
    } catch (const std::exception& e) {
      // A handler bug must not take the thread down; the operator gets a 500. (If the work
      // replied before throwing, this second reply is ignored.)
      log::error("ADMIN", "operator request failed", {{"detail", e.what()}});
      reply(Reply{500,
                  std::string(R"({"error":"internal","detail":")") + "see the node log" + "\"}"});
    }
  });
}

void answer_async(http::ServerConnection& conn, ControlThread& control,
                  std::function<Reply()> work) {
  answer_async_later(conn, control,
                     [work = std::move(work)](const ReplyFn& reply) { reply(work()); });
}

}  // namespace x0::admin
