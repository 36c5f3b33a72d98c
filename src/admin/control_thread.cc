// Asynchronous operator replies (see control_thread.h).
#include "admin/control_thread.h"

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

void answer_async(http::ServerConnection& conn, ControlThread& control, std::function<Reply()> work) {
  auto waiter = std::make_shared<Waiter>();
  conn.set_pending(waiter.get());
  net::EventLoop* worker = &conn.loop();
  http::ServerConnection* client = &conn;
  control.post([waiter, worker, client, work = std::move(work)] {
    Reply reply;
    try {
      reply = work();
    } catch (const std::exception& e) {
      // A handler bug must not take the control thread down; the operator gets a 500.
      log::error("ADMIN", "operator request failed", {{"detail", e.what()}});
      reply = Reply{500, std::string(R"({"error":"internal","detail":")") + "see the node log" + "\"}"};
    }
    worker->post([waiter, client, reply = std::move(reply)] {
      if (waiter->gone) return;
      client->set_pending(nullptr);
      client->respond(reply.status, reply.content_type, reply.body);
    });
  });
}

}  // namespace x0::admin
