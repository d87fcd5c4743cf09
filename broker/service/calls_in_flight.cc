#include "broker/service/calls_in_flight.h"

#include "base/sync.h"

namespace orb::broker {

// in_flight_ and awaited_ are both sequentially consistent: either the last
// call to leave sees awaited_ set and wakes the waiter, or the waiter's
// first look at in_flight_ already sees zero.
void CallsInFlight::Leave() {
  if (in_flight_.fetch_sub(1) == 1 && awaited_.load()) {
    // Releasing mu_ makes the waiter's condition be evaluated again.
    orb::MutexHold wake(&mu_);
  }
}

bool CallsInFlight::AwaitNone(absl::Time deadline) {
  awaited_.store(true);
  orb::MutexHold lock(&mu_);
  const auto none = [this] { return in_flight_.load() == 0; };
  return orb::AwaitWithTimeout(&mu_, absl::Condition(&none), deadline - absl::Now());
}

}  // namespace orb::broker
