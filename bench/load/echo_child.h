// An echo server in a process of its own, for the server-model comparison.
//
// Why a separate process: gRPC's pollers are process-wide. When a
// synchronous server and a callback server live in one process, the sync
// server's polling threads also pick up the callback server's socket events
// and hand them over, which makes the callback model look slower than it is
// (and the other way round). Each model therefore runs alone in a child:
// this same binary started with --serve_echo=<model>.
//
// Thread safety: one EchoChild is used by one thread.
#ifndef ORB_BENCH_LOAD_ECHO_CHILD_H_
#define ORB_BENCH_LOAD_ECHO_CHILD_H_

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "bench/load/echo_server.h"

namespace orb::bench {

class EchoChild {
 public:
  // Starts `self_exe` (this binary) as `self_exe --serve_echo=<model>` and
  // waits (up to 10 s) for it to report its port. Errors: INTERNAL when
  // the child cannot be started, UNAVAILABLE when it reports no port.
  static absl::StatusOr<std::unique_ptr<EchoChild>> Start(const std::string& self_exe,
                                                          ServerModel model);
  // Closes the child's stdin, which stops it; kills it if it has not
  // exited within 5 s. Always reaps it.
  ~EchoChild();
  EchoChild(const EchoChild&) = delete;
  EchoChild& operator=(const EchoChild&) = delete;

  const std::string& address() const { return address_; }

 private:
  EchoChild() = default;
  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  std::string address_;
};

// The child's side: serves echo with `model` on an ephemeral loopback port,
// writes "PORT <n>\n" to stdout, and returns once stdin reaches end of file
// (the parent closed it or died). Returns the process exit code.
int ServeEchoUntilStdinCloses(ServerModel model, uint64_t max_message_bytes);

// "callback" or "sync"; false for anything else.
bool ParseServerModel(const std::string& text, ServerModel* model);

}  // namespace orb::bench

#endif  // ORB_BENCH_LOAD_ECHO_CHILD_H_
