// SessionWatches: the watches (ObjectBroker.Watch) open on one session, so
// that the session can bound their number and tell them when it ends or
// when one of its handles is released.
//
// A watch registers with Add() and leaves with Remove(); the session holds
// it weakly. Poke() asks each watch to check its session and handle again
// (WatchPoke::Poke must return quickly and must not block): the watch then
// finds for itself that its handle was released or its session is gone,
// and ends with the same NOT_FOUND a GetAttr would get.
//
// Thread safety: all methods may be called concurrently; Poke() calls the
// watches with no lock held.
#ifndef ORB_BROKER_SESSION_WATCHES_H_
#define ORB_BROKER_SESSION_WATCHES_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"

namespace orb::broker {

// What a session asks of its watches.
class WatchPoke {
 public:
  virtual ~WatchPoke() = default;
  // Check the session and the handle again soon. Quick; never blocks.
  virtual void Poke() = 0;
};

class SessionWatches {
 public:
  SessionWatches() = default;
  SessionWatches(const SessionWatches&) = delete;
  SessionWatches& operator=(const SessionWatches&) = delete;

  // Registers `watch`. Errors: RESOURCE_EXHAUSTED (QUOTA_WATCHES) when
  // `max` watches are registered; NOT_FOUND (SESSION_NOT_FOUND) once the
  // session has ended. Nothing is registered on error.
  absl::Status Add(const std::shared_ptr<WatchPoke>& watch, uint32_t max)
      ABSL_LOCKS_EXCLUDED(mu_);
  // Unregisters `watch` (a no-op when it is not registered).
  void Remove(const WatchPoke* watch) ABSL_LOCKS_EXCLUDED(mu_);
  // Pokes every registered watch.
  void PokeAll() ABSL_LOCKS_EXCLUDED(mu_);
  // The session ended: refuses further watches and pokes every one.
  void End() ABSL_LOCKS_EXCLUDED(mu_);
  size_t size() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  mutable absl::Mutex mu_;
  std::vector<std::weak_ptr<WatchPoke>> watches_ ABSL_GUARDED_BY(mu_);
  bool ended_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace orb::broker

#endif  // ORB_BROKER_SESSION_WATCHES_H_
