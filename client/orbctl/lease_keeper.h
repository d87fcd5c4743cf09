// Keeps a session's lease from lapsing while `orbctl shell` waits for the
// next line: a person may think longer than the broker's lease (300 s by
// default), and a lapsed lease would drop every named handle.
#ifndef ORB_CLIENT_ORBCTL_LEASE_KEEPER_H_
#define ORB_CLIENT_ORBCTL_LEASE_KEEPER_H_

#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "orb/client/client.h"

namespace orb::orbctl {

// Calls session->KeepAlive() every third of the session's lease (at least
// every second) on a thread of its own, from construction to destruction;
// errors are ignored (the shell's next command meets them). `session` must
// outlive the keeper and must not be moved or assigned while it runs.
class LeaseKeeper {
 public:
  explicit LeaseKeeper(const client::Session* session);
  ~LeaseKeeper();  // stops the thread and waits for it
  LeaseKeeper(const LeaseKeeper&) = delete;
  LeaseKeeper& operator=(const LeaseKeeper&) = delete;

 private:
  void Loop();

  const client::Session* const session_;
  const absl::Duration every_;
  absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace orb::orbctl

#endif  // ORB_CLIENT_ORBCTL_LEASE_KEEPER_H_
