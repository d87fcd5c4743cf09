// OperationRunner: what the unary methods and the Stream share, so that an
// operation is authenticated, placed on a thread, counted and answered the
// same way whichever transport carried it.
//
// Run() takes an authenticated RequestContext and one request, and runs the
// BrokerCore method on the right thread: gRPC's own when no member that may
// block runs, a member thread (WorkerPool) otherwise. It calls `finish`
// exactly once with the result, on whichever thread the method ran on (or
// at once, for a refusal: IDENTITY_BUSY, BROKER_BUSY).
//
// Thread safety: all methods may be called concurrently. The runner's only
// mutable state is the count of member-thread calls per identity
// (MemberCallQuota, itself thread-safe).
#ifndef ORB_BROKER_SERVICE_OPERATION_RUNNER_H_
#define ORB_BROKER_SERVICE_OPERATION_RUNNER_H_

#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "broker/core_counters.h"
#include "broker/service/calls_in_flight.h"
#include "broker/service/member_call_quota.h"
#include "broker/service/worker_pool.h"
#include "orb/broker/broker_core.h"
#include "orb/broker/errors.h"
#include "orb/policy/authn.h"
#include "orb/policy/policy_loader.h"

namespace orb::broker {

// Where an operation's core method runs.
enum class MemberThreads {
  kNever,         // no bound member runs: on the calling (gRPC) thread
  kWhenBlocking,  // decided on the calling thread; a member that may block runs on `members`
  kAlways,        // wholly on `members` (a Batch: many members, any may block),
                  // unless no registered member may block at all
};

// Every operation of orb.v1.ObjectBroker, once: X(Name, field, threads),
// with Name the RPC (and BrokerCore method), field its StreamRequest /
// StreamResponse oneof field and threads where its core method runs. The
// unary methods and the Stream are generated from this one list.
#define ORB_BROKER_OPERATIONS(X)           \
  X(OpenSession, open_session, kNever)     \
  X(CloseSession, close_session, kNever)   \
  X(KeepAlive, keep_alive, kNever)         \
  X(GetAttr, get_attr, kWhenBlocking)      \
  X(SetAttr, set_attr, kWhenBlocking)      \
  X(DelAttr, del_attr, kWhenBlocking)      \
  X(Call, call, kWhenBlocking)             \
  X(Release, release, kNever)              \
  X(ListHandles, list_handles, kNever)     \
  X(Describe, describe, kNever)            \
  X(Restrict, restrict, kNever)            \
  X(Batch, batch, kAlways)                 \
  X(GetAttrs, get_attrs, kWhenBlocking)

class RpcStats;

class OperationRunner {
 public:
  // REQUIRES: core (and members, calls and stats, when not null) outlive
  // the runner. `members` null: every method runs on the calling thread.
  // `stats`: where the unary methods and the Stream record each answer
  // (null: nowhere).
  OperationRunner(BrokerCore* core, WorkerPool* members, CallsInFlight* calls,
                  RpcStats* stats = nullptr)
      : core_(core), members_(members), calls_(calls), stats_(stats) {}
  OperationRunner(const OperationRunner&) = delete;
  OperationRunner& operator=(const OperationRunner&) = delete;

  BrokerCore* core() const { return core_; }
  WorkerPool* members() const { return members_; }
  CallsInFlight* calls() const { return calls_; }
  RpcStats* stats() const { return stats_; }

  // The caller's identity under `policy`; on failure UNAUTHENTICATED (with
  // ErrorInfo, gate authn), audited as event "authenticate" for `rpc`
  // (e.g. "GetAttr", "Stream") from `peer`. Never logs a credential.
  absl::StatusOr<policy::Identity> Authenticate(const policy::CompiledPolicy& policy,
                                                const policy::CallCredentials& credentials,
                                                absl::string_view peer,
                                                absl::string_view rpc) const;

  // Runs `method(context, request, &response)` and then
  // `finish(status, response)`, exactly once. `in_flight` is held until
  // `finish` has returned. `finish` must be callable on any thread; it is
  // given a mutable response so that it may move it out.
  template <typename Request, typename Response, typename Finish>
  void Run(RequestContext context, Request request, MemberThreads threads,
           absl::Status (BrokerCore::*method)(const RequestContext&, const Request&, Response*),
           CallsInFlight::Token in_flight, Finish finish);

 private:
  static absl::Status Busy();

  BrokerCore* const core_;
  WorkerPool* const members_;
  CallsInFlight* const calls_;
  RpcStats* const stats_;
  // Calls of each identity handed to `members_` and not yet answered. A
  // call's slot is given back just before its answer is sent, and the
  // server waits for every answer before it destroys the runner.
  MemberCallQuota member_calls_;
};

template <typename Request, typename Response, typename Finish>
void OperationRunner::Run(
    RequestContext context, Request request, MemberThreads threads,
    absl::Status (BrokerCore::*method)(const RequestContext&, const Request&, Response*),
    CallsInFlight::Token in_flight, Finish finish) {
  // Decided here, on the calling thread, whatever the member: a refusal is
  // answered at once and never takes a member thread. Only an allowed
  // member that may block is handed back by the core (DeferredCall) and
  // runs on a member thread.
  if (threads == MemberThreads::kAlways && !core_->any_member_may_block()) {
    threads = MemberThreads::kNever;  // nothing could block: no thread hop
  }
  DeferredCall deferred;
  if (threads == MemberThreads::kWhenBlocking && members_ != nullptr) {
    context.defer = &deferred;
  }
  if (threads != MemberThreads::kAlways || members_ == nullptr) {
    Response response;
    absl::Status result = (core_->*method)(context, request, &response);
    if (!deferred.pending()) {
      finish(result, response);
      return;
    }
  }
  // From here until it has run, the call counts against its identity, so
  // that one identity cannot take every member thread and queue slot. The
  // limit is the call's own policy snapshot's.
  absl::StatusOr<MemberCallQuota::Slot> counted = member_calls_.Acquire(
      context.identity.OwnerKey(), context.policy->limits().max_member_calls_per_identity);
  if (!counted.ok()) {
    core_->counters().CountRefusal(AuthnKindOf(context.identity.method),
                                   RefusalCause::kIdentityBusy);
    Response none;
    finish(counted.status(), none);
    return;
  }
  // A task that is refused below, or never runs, gives its slot back when
  // it is destroyed; `finish` then answers BROKER_BUSY here.
  auto shared_finish = std::make_shared<Finish>(std::move(finish));
  auto run = [core = core_, method, shared_finish, request = std::move(request),
              context = std::move(context), deferred = std::move(deferred),
              slot = *std::move(counted), in_flight = std::move(in_flight)]() mutable {
    context.defer = deferred.pending() ? &deferred : nullptr;
    Response response;
    absl::Status result = (core->*method)(context, request, &response);
    // Before the answer: a client that has its answer may call again at
    // once, and the runner (and its quota) is not destroyed until then.
    slot.Release();
    (*shared_finish)(result, response);
  };
  if (!members_->Submit(std::move(run))) {
    Response none;
    (*shared_finish)(Busy(), none);
  }
}

}  // namespace orb::broker

#endif  // ORB_BROKER_SERVICE_OPERATION_RUNNER_H_
