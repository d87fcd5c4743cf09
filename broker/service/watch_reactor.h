// WatchReactor: one orb.v1.ObjectBroker/Watch call, from open to end.
//
// The call authenticates when it opens; the identity is checked again
// before each event when the policy was replaced since or the credential
// is a ticket (an expired ticket ends the watch UNAUTHENTICATED). The core
// (BrokerCore::StartWatch, broker/watch.h) checks the request; a refusal
// ends the call at once with the unary codes and ErrorInfo.
//
// Events: the watch wakes the reactor (a change, a handle released, the
// session gone); the reactor then reads on a member thread (WorkerPool:
// reading runs members) and writes what the watch gives. One write is in
// flight at a time, and changes that come meanwhile are coalesced by the
// watch: a watcher that never reads holds one event in gRPC's buffers and
// one set of names, nothing more.
//
// End: the watch's end status (NOT_FOUND, PERMISSION_DENIED, a member's
// error), the client's cancel or disconnect, a failed write, or the server's
// shutdown (the call is cancelled). A watch is a long-lived call: it does
// not hold up a drain.
//
// Thread safety: gRPC calls the On* methods, the watch calls Wake from any
// thread, and reads run on a member thread; all shared state is guarded by
// mu_, and gRPC's StartWrite/Finish are never called with mu_ held.
// Ownership: created by ObjectBrokerService::Watch; deletes itself in
// OnDone, which gRPC calls after Finish. Finish is called only once no read
// is running, so no member thread touches the reactor after OnDone.
#ifndef ORB_BROKER_SERVICE_WATCH_REACTOR_H_
#define ORB_BROKER_SERVICE_WATCH_REACTOR_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "broker/service/operation_runner.h"
#include "broker/service/rpc_stats.h"
#include "broker/service/worker_pool.h"
#include "broker/watch.h"
#include "grpcpp/grpcpp.h"
#include "orb/policy/authn.h"

namespace orb::broker {

class WatchReactor final : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
 public:
  // REQUIRES: runner, reads and context outlive the reactor (gRPC
  // guarantees the context until OnDone; the server outlives every call).
  // `reads`: the threads that read the watched values.
  WatchReactor(OperationRunner* runner, WorkerPool* reads, grpc::CallbackServerContext* context,
               const grpc::ByteBuffer& request, bool peer_certificates_verified);

  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

 private:
  // The constructor's work: parse, authenticate, start the watch.
  absl::StatusOr<std::shared_ptr<Watch>> Start(grpc::CallbackServerContext* context,
                                               const grpc::ByteBuffer& request,
                                               bool peer_certificates_verified);
  // The watch has something new (any thread; quick).
  void Wake() ABSL_LOCKS_EXCLUDED(mu_);
  // Hands a read to a member thread; ends the call when none takes it.
  // REQUIRES: reading_ was set by the caller.
  void ScheduleRead() ABSL_LOCKS_EXCLUDED(mu_);
  // One read on a member thread: the next event, or the end.
  void Read() ABSL_LOCKS_EXCLUDED(mu_);
  // Ends the call with `status` once nothing runs (or now, when nothing
  // does). Any thread.
  void End(absl::Status status) ABSL_LOCKS_EXCLUDED(mu_);
  // Whether the call may be finished now; marks it finished if so.
  bool TakeFinish() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void FinishWith(const absl::Status& status);
  // The identity for the next read (see the header comment).
  absl::StatusOr<policy::Identity> CurrentIdentity();

  OperationRunner* const runner_;
  WorkerPool* const reads_;
  const std::string peer_;
  const RpcTimer timer_;

  // Set on gRPC's thread before the first read is scheduled; read by the
  // reads, one at a time, after the hand-over through mu_.
  std::shared_ptr<Watch> watch_;
  policy::CallCredentials credentials_;
  policy::Identity identity_;
  policy::PolicyPtr identity_policy_;
  grpc::ByteBuffer event_bytes_;  // the write in flight

  absl::Mutex mu_;
  // watch_ is set and the first read is scheduled: the watch may wake the
  // reactor as soon as StartWatch registers it, before the constructor ends.
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool reading_ ABSL_GUARDED_BY(mu_) = false;  // a read is scheduled or runs
  bool writing_ ABSL_GUARDED_BY(mu_) = false;  // a write is in flight
  bool woken_ ABSL_GUARDED_BY(mu_) = false;    // woken while reading or writing
  std::optional<absl::Status> end_ ABSL_GUARDED_BY(mu_);
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace orb::broker

#endif  // ORB_BROKER_SERVICE_WATCH_REACTOR_H_
