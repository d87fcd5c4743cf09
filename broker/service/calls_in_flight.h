// CallsInFlight: how many calls orb's services are working on, so that a
// drain can end as soon as the last one has been answered.
//
// Why: gRPC's Server::Shutdown(deadline) returns when every connection is
// gone, not when every call is. A connection with no call on it closes
// only once its client has answered the server's GOAWAY ping, and a client
// that is not using its channel may not read from it for seconds; streams
// that only wait (a health Watch, a reflection stream) never end on their
// own. Counting the calls lets Server::Shutdown stop waiting for those
// as soon as the real work is done.
//
// A call counts from the moment its handler starts until it has handed its
// answer to gRPC (ServerUnaryReactor::Finish): the handler holds a Token
// for that long, and a call whose member runs on the worker pool takes its
// Token there. Counting costs two atomic operations per call.
//
// Thread safety: all methods may be called from any thread. A Token must
// not outlive the CallsInFlight that issued it.
#ifndef ORB_BROKER_SERVICE_CALLS_IN_FLIGHT_H_
#define ORB_BROKER_SERVICE_CALLS_IN_FLIGHT_H_

#include <atomic>
#include <cstdint>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace orb::broker {

class CallsInFlight {
 public:
  // One call in flight, until destroyed. Movable; a default-constructed or
  // moved-from Token counts nothing.
  class Token {
   public:
    Token() = default;
    Token(Token&& other) noexcept : calls_(std::exchange(other.calls_, nullptr)) {}
    Token& operator=(Token&&) = delete;
    ~Token() {
      if (calls_ != nullptr) calls_->Leave();
    }

   private:
    friend class CallsInFlight;
    explicit Token(CallsInFlight* calls) : calls_(calls) {}
    CallsInFlight* calls_ = nullptr;
  };

  CallsInFlight() = default;
  CallsInFlight(const CallsInFlight&) = delete;
  CallsInFlight& operator=(const CallsInFlight&) = delete;

  // Counts a call that starts now. `calls` may be null: then nothing is
  // counted.
  static Token Enter(CallsInFlight* calls) {
    if (calls == nullptr) return Token();
    calls->in_flight_.fetch_add(1);
    return Token(calls);
  }

  // Marks the start of a drain: from now on draining() is true. Long-lived
  // calls (a Stream) take no new work once it is.
  void BeginDrain() { draining_.store(true); }
  bool draining() const { return draining_.load(); }

  // Blocks until no call is in flight, or until `deadline`. Returns whether
  // none is.
  bool AwaitNone(absl::Time deadline) ABSL_LOCKS_EXCLUDED(mu_);

 private:
  void Leave() ABSL_LOCKS_EXCLUDED(mu_);

  std::atomic<int64_t> in_flight_{0};
  // Set by AwaitNone: from then on the last call to leave wakes it.
  std::atomic<bool> awaited_{false};
  std::atomic<bool> draining_{false};
  absl::Mutex mu_;
};

}  // namespace orb::broker

#endif  // ORB_BROKER_SERVICE_CALLS_IN_FLIGHT_H_
