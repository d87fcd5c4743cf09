// Watch: one ObjectBroker.Watch as the core sees it, with no gRPC in it.
//
// BrokerCore::StartWatch checks the request (names, session, handle, the
// session's watch quota) and returns a Watch registered with the object
// (Object::Changed) and with the session (its end, handle releases). The
// adapter then calls Next() each time the watch wakes it, on a thread that
// may block (reading a value runs the member), and sends what Next() gives.
//
// Coalescing: a change marks its name; Next() reads every marked name at
// once, as it is then. However many changes come before a read, a watch
// holds at most its set of names: a watcher that reads slowly gets the
// latest value of each name, never a queue.
//
// Gates: every value is read through GetAttrs, for the watcher, under the
// policy current when it is read (each read is gated and audited as its
// GetAttr). In the first event, a name the watcher may not read is left
// out as GetAttrs leaves it out (and never watched); when every name is,
// the watch fails with the first name's error. Later, a name the watcher may
// no longer read (a reload took the right, or the attribute was deleted) is
// listed in the event's `dropped` and no longer watched; once none is
// left, the watch ends PERMISSION_DENIED (WATCH_NOTHING_LEFT).
//
// Lease: a watch's reads do not renew its session's lease; the watcher
// keeps the session alive as any client does (calls, KeepAlive), and the
// watch ends when the session lapses.
//
// End: Next() returns the watch's end status: NOT_FOUND (SESSION_NOT_FOUND)
// once its session is closed, expired or revoked, NOT_FOUND
// (HANDLE_NOT_FOUND) once its handle is released, FAILED_PRECONDITION when
// the object's lineage broke, or a member's own error while reading.
//
// Thread safety: OnChanged and Poke may be called from any thread at any
// time; Next() by one thread at a time; Cancel() from any thread. `wake`
// is called with no lock of the watch held, never after Cancel() returned.
#ifndef ORB_BROKER_WATCH_H_
#define ORB_BROKER_WATCH_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "broker/session_watches.h"
#include "orb/broker/broker_core.h"
#include "orb/broker/object.h"
#include "orb/v1/broker.pb.h"

namespace orb::broker {

class Session;

class Watch final : public ChangeListener,
                    public WatchPoke,
                    public std::enable_shared_from_this<Watch> {
 public:
  // Use BrokerCore::StartWatch.
  Watch(BrokerCore* core, RequestContext context, std::string session_id, std::string handle_id,
        std::vector<std::string> names, std::shared_ptr<Object> object,
        std::shared_ptr<Session> session, std::function<void()> wake);
  ~Watch() override;
  Watch(const Watch&) = delete;
  Watch& operator=(const Watch&) = delete;

  // What there is to send now: an event, nothing (std::nullopt: a wake that
  // found no change), or the status the watch ends with (then every later
  // call returns it too). The first call always gives the first event (or
  // the watch's failure). `identity`: the watcher as authenticated now (the
  // adapter authenticates again after a reload or for a ticket).
  // REQUIRES: a thread that may block.
  absl::StatusOr<std::optional<v1::WatchEvent>> Next(const policy::Identity& identity)
      ABSL_LOCKS_EXCLUDED(mu_);

  // The watcher is gone: unregisters from the object and the session and
  // waits until no `wake` runs. Idempotent.
  void Cancel() ABSL_LOCKS_EXCLUDED(mu_);

  // ChangeListener: `name` changed on the object.
  void OnChanged(absl::string_view name) override ABSL_LOCKS_EXCLUDED(mu_);
  // WatchPoke: check the session and handle again.
  void Poke() override ABSL_LOCKS_EXCLUDED(mu_);

 private:
  // Marks `name` (when watched; empty: a check only) and wakes the adapter
  // unless a wake is already due.
  void Mark(absl::string_view name) ABSL_LOCKS_EXCLUDED(mu_);
  // Reads `names` for the watcher into *event; names it may no longer read
  // are dropped (and listed). Returns the end status, if the read ends the
  // watch.
  absl::Status Read(const RequestContext& context, const std::vector<std::string>& names,
                    bool first, v1::WatchEvent* event) ABSL_LOCKS_EXCLUDED(mu_);

  BrokerCore* const core_;
  const RequestContext context_;
  const std::string session_id_;
  const std::string handle_id_;
  const std::vector<std::string> names_;  // as asked, repeats dropped
  const std::shared_ptr<Object> object_;
  // Held weakly: the session owns its watch registry, which holds this
  // watch weakly in turn.
  const std::weak_ptr<Session> session_;
  const std::function<void()> wake_;

  mutable absl::Mutex mu_;
  absl::flat_hash_set<std::string> watched_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<std::string> changed_ ABSL_GUARDED_BY(mu_);
  bool first_ ABSL_GUARDED_BY(mu_) = true;
  bool wake_due_ ABSL_GUARDED_BY(mu_) = false;  // woken, Next() not yet called
  int waking_ ABSL_GUARDED_BY(mu_) = 0;         // calls of wake_ running
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  std::optional<absl::Status> ended_ ABSL_GUARDED_BY(mu_);
};

}  // namespace orb::broker

#endif  // ORB_BROKER_WATCH_H_
