#include "client/orbctl/lease_keeper.h"

#include <algorithm>

#include "base/sync.h"

namespace orb::orbctl {

LeaseKeeper::LeaseKeeper(const client::Session* session)
    : session_(session),
      every_(std::max(absl::Seconds(1), absl::Seconds(session->lease_seconds()) / 3)),
      thread_([this] { Loop(); }) {}

LeaseKeeper::~LeaseKeeper() {
  {
    MutexHold hold(&mu_);
    stop_ = true;
  }
  thread_.join();
}

void LeaseKeeper::Loop() {
  HoldVisible(&mu_);
  while (!AwaitWithTimeout(&mu_, absl::Condition(&stop_), every_)) {
    // Not held across the call: the shell asks to stop without waiting
    // for the mutex (the join still waits for a call under way).
    ReleaseVisible(&mu_);
    (void)session_->KeepAlive();
    HoldVisible(&mu_);
  }
  ReleaseVisible(&mu_);
}

}  // namespace orb::orbctl
