// WatchCall: one orb.v1.ObjectBroker/Watch call of the C++ client, a gRPC
// callback reactor behind orb::client::Subscription (orb/client/watch.h).
//
// Life: Start() opens the call and AwaitStart() waits for its first event
// or its end. From StartCall until OnDone the call holds itself (self_), so
// gRPC never reacts on a destroyed object; a Subscription holds it too.
//
// Callbacks: OnReadDone converts the event and calls on_event, then starts
// the next read, so a subscription's callbacks run one at a time and in
// order; OnDone calls on_end once (unless the watch never started: the
// start's error goes to AwaitStart's caller instead). No callback runs
// with mu_ held, and the thread running one is recorded so that Cancel()
// from inside a callback returns instead of waiting for itself.
//
// Thread safety: gRPC calls the On* methods on its callback threads (it
// hands the reactor between them out of ThreadSanitizer's sight: every
// reaction takes mu_ first, and releases it after its last use of the read
// buffer); Cancel() may run on any thread. Every shared field is guarded by
// mu_.
#ifndef ORB_CLIENT_SRC_WATCH_CALL_H_
#define ORB_CLIENT_SRC_WATCH_CALL_H_

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "client/src/internal.h"
#include "grpcpp/grpcpp.h"
#include "orb/client/watch.h"
#include "orb/v1/broker.grpc.pb.h"

namespace orb {
namespace client {
namespace client_internal {

class WatchCall final : public grpc::ClientReadReactor<v1::WatchEvent>,
                        public std::enable_shared_from_this<WatchCall> {
 public:
  // REQUIRES: on_event is not empty; target belongs to session.
  WatchCall(std::shared_ptr<SessionCore> session, std::shared_ptr<const RefState> target,
            WatchEventCallback on_event, WatchEndCallback on_end);
  WatchCall(const WatchCall&) = delete;
  WatchCall& operator=(const WatchCall&) = delete;

  // Opens the call with `request` (credentials and the session's orb-route
  // from `client`; no deadline: a watch lives until it ends). Once only.
  void Start(const ClientCore& client, v1::WatchRequest request) ABSL_LOCKS_EXCLUDED(mu_);

  // Waits up to `timeout` for the first event: then returns the
  // Subscription that owns this call. Else returns the call's end status
  // (the broker's refusal), or DEADLINE_EXCEEDED after cancelling the call;
  // either way no callback will ever be called.
  absl::StatusOr<Subscription> AwaitStart(absl::Duration timeout) ABSL_LOCKS_EXCLUDED(mu_);

  // Subscription::Cancel(): ends the call and, unless on the thread running
  // one of this call's callbacks, waits until OnDone has run on_end.
  void Cancel() ABSL_LOCKS_EXCLUDED(mu_);

  void OnReadDone(bool ok) override ABSL_LOCKS_EXCLUDED(mu_);
  void OnDone(const grpc::Status& status) override ABSL_LOCKS_EXCLUDED(mu_);

 private:
  // AwaitStart's condition: the first event came or the call ended.
  bool StartSettled() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return started_ || ended_; }
  // Cancel's condition: OnDone is past its callback.
  bool Finished() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return finished_; }
  // Whether the calling thread is running one of this call's callbacks.
  bool InOwnCallback() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The client's form of the event in the read buffer.
  WatchEvent Convert();

  // Constant after construction.
  const std::shared_ptr<SessionCore> session_;
  // Keeps the watched handle from being released while the watch runs.
  const std::shared_ptr<const RefState> target_;
  const WatchEventCallback on_event_;
  const WatchEndCallback on_end_;

  // gRPC's: used by Start() before the call starts, then by gRPC and by
  // TryCancel (thread-safe).
  grpc::ClientContext context_;
  v1::WatchRequest request_;
  // The read buffer: written by gRPC while a read is outstanding, read by
  // OnReadDone only (reads never overlap).
  v1::WatchEvent event_;

  absl::Mutex mu_;
  std::shared_ptr<WatchCall> self_ ABSL_GUARDED_BY(mu_);
  bool started_ ABSL_GUARDED_BY(mu_) = false;    // the first event came
  bool abandoned_ ABSL_GUARDED_BY(mu_) = false;  // AwaitStart gave up
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;  // Cancel() was called
  bool ended_ ABSL_GUARDED_BY(mu_) = false;      // OnDone began
  bool finished_ ABSL_GUARDED_BY(mu_) = false;   // OnDone is past on_end
  absl::Status end_ ABSL_GUARDED_BY(mu_);
  // The thread running on_event or on_end; a default id when none runs.
  std::thread::id callback_thread_ ABSL_GUARDED_BY(mu_);
};

}  // namespace client_internal
}  // namespace client
}  // namespace orb

#endif  // ORB_CLIENT_SRC_WATCH_CALL_H_
