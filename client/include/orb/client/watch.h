// File: orb/client/watch.h
//
// Watching attributes of a remote object (orb.v1 ObjectBroker.Watch):
// Ref::Watch (orb/client/client.h) returns a Subscription, and the broker
// pushes the watched attributes' values, first all of them, then those
// that changed.
//
//   absl::StatusOr<orb::client::Subscription> sub = blog.Watch(
//       {"title", "entry_count"},
//       [](const orb::client::WatchEvent& e) { /* e.values: what changed */ },
//       [](const absl::Status& end) { /* once, when the watch ends */ });
//   // ... later: sub->Cancel(), or let `sub` go out of scope.
//
// Events
//   The first event (initial == true) holds the value of every watched name
//   the caller may read (names it may not read are left out, as
//   Ref::GetMany leaves them out). Each later event holds the new value of
//   each name that changed since the previous event; changes that come
//   faster than they are delivered are coalesced (the latest value of each
//   name, never a queue). A name the caller may no longer read after a
//   policy reload is listed once in `dropped` and no longer watched. Handles
//   among the values are Refs of the watched Ref's session.
//
// End
//   on_end is called exactly once per Subscription that Ref::Watch returned,
//   with why the watch ended: CANCELLED after Cancel() or the destructor,
//   NOT_FOUND (ErrorInfo reason HANDLE_NOT_FOUND) when the handle is
//   released, NOT_FOUND (SESSION_NOT_FOUND) when the session ends,
//   PERMISSION_DENIED (WATCH_NOTHING_LEFT) when a reload left nothing the
//   caller may read, UNAVAILABLE when the connection is lost. No callback
//   runs after on_end. The watch's reads do not renew the session's lease:
//   keep the session alive as usual (operations, Session::KeepAlive).
//
// Threads
//   Callbacks run on a gRPC callback thread, never under a lock of the
//   client, one at a time and in order (a subscription's callbacks never
//   overlap). They should return quickly: while one runs, no further event
//   of that subscription is read (the broker coalesces meanwhile). The
//   first event may be delivered before Ref::Watch has returned to its
//   caller. A callback may call any client operation, including the
//   blocking ones, and may destroy or Cancel() its own Subscription (see
//   below).
//
// Ownership
//   A Subscription is RAII, movable, not copyable. It keeps the watched Ref
//   (and so its handle and session state) alive until the watch ends.
#ifndef ORB_CLIENT_WATCH_H_
#define ORB_CLIENT_WATCH_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "orb/client/value.h"

namespace orb {
namespace client {

namespace client_internal {
class WatchCall;
}  // namespace client_internal

// orb::client::WatchEvent: one event of a watch (orb.v1.WatchEvent).
struct WatchEvent {
  // The value of each name that changed since the previous event; in the
  // first event, of every watched name the caller may read.
  std::map<std::string, Value> values;
  // Names the caller may no longer read: they are not watched any more.
  std::vector<std::string> dropped;
  // True for the first event only.
  bool initial = false;
};

using WatchEventCallback = std::function<void(const WatchEvent&)>;
using WatchEndCallback = std::function<void(const absl::Status&)>;

// orb::client::Subscription: one running watch. Thread-compatible: Cancel()
// and the destructor of one Subscription are not to be called concurrently
// (as for any object), but may run on any thread, a callback's included.
class Subscription {
 public:
  // Empty: watches nothing; Cancel() and destruction do nothing.
  Subscription() = default;
  Subscription(Subscription&&) noexcept;
  // Cancels the watch it replaces first (as Cancel()).
  Subscription& operator=(Subscription&&) noexcept;
  Subscription(const Subscription&) = delete;
  Subscription& operator=(const Subscription&) = delete;
  // Cancel().
  ~Subscription();

  // Ends the watch (on_end gets CANCELLED unless it ended already) and
  // waits until no callback of it runs any more: after Cancel() returns,
  // neither callback will be called again, and on_end has run. Called from
  // inside one of this subscription's own callbacks it cannot wait for
  // itself: it ends the watch and returns at once; no further event is
  // delivered, and on_end runs after the running callback returns, on a
  // gRPC thread. Leaves the Subscription empty. Idempotent.
  void Cancel();

  // Whether this Subscription holds a watch (not empty, not cancelled). A
  // watch that ended by itself still counts until Cancel() or destruction.
  explicit operator bool() const { return call_ != nullptr; }

 private:
  friend class client_internal::WatchCall;
  explicit Subscription(std::shared_ptr<client_internal::WatchCall> call)
      : call_(std::move(call)) {}
  std::shared_ptr<client_internal::WatchCall> call_;
};

}  // namespace client
}  // namespace orb

#endif  // ORB_CLIENT_WATCH_H_
