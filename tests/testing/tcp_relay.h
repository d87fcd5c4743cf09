// TcpRelay: a loopback TCP relay the test controls, between a client and a
// server, for fault tests: CutAll() resets every connection it carries at
// a moment the test chooses (e.g. from inside a member, after the broker
// applied a call and before its answer is written), and new connections
// are relayed again afterwards, as after a network blip.
//
// Thread safety: every method may be called from any thread. Each
// connection is relayed by a thread of its own; the destructor cuts and
// joins them all.
#ifndef ORB_TESTS_TESTING_TCP_RELAY_H_
#define ORB_TESTS_TESTING_TCP_RELAY_H_

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace orb::testing {

class TcpRelay {
 public:
  // Listens on 127.0.0.1 (an ephemeral port) and relays each connection to
  // `target_port` on 127.0.0.1. started() is false if it could not listen.
  explicit TcpRelay(int target_port);
  ~TcpRelay();
  TcpRelay(const TcpRelay&) = delete;
  TcpRelay& operator=(const TcpRelay&) = delete;

  bool started() const { return listen_fd_ >= 0; }
  // "127.0.0.1:PORT", where clients connect.
  std::string address() const;

  // Resets every connection now (both sides see the connection end); the
  // relay keeps accepting new ones. Returns how many were cut.
  int CutAll() ABSL_LOCKS_EXCLUDED(mu_);
  // Connections accepted so far.
  int accepted() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  void AcceptLoop();
  void Relay(int client_fd, int server_fd);

  const int target_port_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::thread acceptor_;
  mutable absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  int accepted_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<int> open_fds_ ABSL_GUARDED_BY(mu_);  // both ends of each live connection
  std::vector<std::thread> relays_ ABSL_GUARDED_BY(mu_);
};

}  // namespace orb::testing

#endif  // ORB_TESTS_TESTING_TCP_RELAY_H_
