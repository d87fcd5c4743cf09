// BrokerCore::Impl: the state of a BrokerCore and the steps of its request
// path, shared by the files that implement them. Private to broker/.
//
//   broker_core.cc     the per-RPC entry points, the order of the request
//                      path (GatedOp), construction and the policy snapshot
//   request_steps.cc   the steps before the gate: deadline, policy snapshot,
//                      session, handle, name, incoming values
//   authorize.cc       the gate: facts to policy::Authorizer, its decision
//                      to a status and an audit record
//   run_member.cc      running the bound member: access lock, deadline
//                      recheck, exceptions to statuses, then handle export
//   audit_records.cc   AuditGate/Rejected (the records are built by
//                      audit_records.h)
//
// Thread-safety: every method may be called concurrently. The registry,
// root and options are constant after construction; the session table
// synchronizes itself; the policy pointer is guarded by policy_mu.
#ifndef ORB_BROKER_CORE_IMPL_H_
#define ORB_BROKER_CORE_IMPL_H_

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "broker/core_counters.h"
#include "broker/handle_table.h"
#include "broker/request_outcomes.h"
#include "broker/session_table.h"
#include "orb/broker/broker_core.h"
#include "orb/broker/object.h"
#include "orb/broker/type_registry.h"
#include "orb/broker/value_codec.h"
#include "policy/authorizer.h"

namespace orb::broker {

// The longest member name or keyword a request may use.
inline constexpr size_t kMaxNameBytes = 256;

// A GetAttr refusal that means "the caller may not read this name" (not
// there or not exposed, denied, not an attribute): GetAttrs and Watch then
// leave the name out as if the object had no such attribute
// (broker/get_attrs.cc).
bool MayNotRead(const absl::Status& status);

// Everything one gated operation works with.
struct OpTarget {
  policy::PolicyPtr policy;
  policy::Limits limits;
  std::shared_ptr<Session> session;
  HandleTarget target;
  policy::View view = policy::View::kInstance;
  absl::string_view handle_id;  // as the request names it; empty once deferred
};

// Runs a bound member on `self` (null for a class handle).
using BoundMember = absl::FunctionRef<absl::Status(Object*, Invocation&)>;

// A decision whose member has not run yet (see DeferredCall).
struct DeferredCall::State {
  OpTarget op;
  // Lives in the immutable registry. Null: the whole operation (a
  // GetAttrs, or a request waiting for the outcome of its request id) runs
  // again on the thread that may block, nothing decided yet.
  const MemberBinding* member = nullptr;
  // The request id the call runs under, when it carries one: completed
  // when the member has run; destroyed unrun (the call refused or dropped
  // after the decision), it frees the id for a retry.
  std::unique_ptr<RequestOutcomes::Claim> claim;
};

struct BrokerCore::Impl {
  Impl(std::shared_ptr<const TypeRegistry> registry_in, std::shared_ptr<Object> root_in,
       policy::PolicyPtr policy_in, Options options_in);

  using Op = OpTarget;

  // Values a request brings in, each with the words its errors use for it.
  using IncomingValues = std::vector<std::pair<std::string, const v1::Value*>>;
  using CollectValues = absl::FunctionRef<absl::Status(IncomingValues*)>;
  // Runs the member on `self` (null for a class handle).
  using Touch = absl::FunctionRef<absl::Status(const MemberBinding&, Object*, Invocation&)>;

  static absl::Status NoValues(IncomingValues*) { return absl::OkStatus(); }

  bool auditing() const { return static_cast<bool>(options.audit); }
  absl::Time Now() const { return options.now ? options.now() : absl::Now(); }

  // The policy of the broker right now (a reload may replace it).
  policy::PolicyPtr CurrentPolicy() const ABSL_LOCKS_EXCLUDED(policy_mu);

  static policy::Limits LimitsOf(const policy::PolicyPtr& p) {
    return p != nullptr ? p->limits() : policy::Limits{};
  }

  // True when the core handed this call back undone (see DeferredCall).
  static bool Deferred(const RequestContext& ctx) {
    return ctx.defer != nullptr && ctx.defer->pending();
  }

  // --- request_steps.cc ---

  // Errors: DEADLINE_EXCEEDED, CANCELLED.
  absl::Status CheckDeadline(const RequestContext& ctx) const;
  // Deadline, policy snapshot and session (renewing its lease).
  absl::Status BeginSession(const RequestContext& ctx, absl::string_view session_id, Op* op);

  // --- request_ids.cc ---

  // Runs a request that may carry a request id (SetAttr, DelAttr, Call,
  // Batch): `run(context)` is the request itself. Without an id it just
  // runs. With one (at most kMaxRequestIdBytes, else INVALID_ARGUMENT), of
  // a session the caller owns: the first request with the id runs and its
  // outcome (status, and `resp` serialized) is kept; a retry of the same
  // request gets that outcome in `resp` without running; another request
  // with the id is FAILED_PRECONDITION (REQUEST_ID_REUSED). On a thread
  // that must not block (ctx.defer set), a retry whose first request still
  // runs is handed back (DeferredCall) and waits on the member thread; a
  // request whose member is deferred keeps its claim in the DeferredCall.
  absl::Status WithRequestId(const RequestContext& ctx, const google::protobuf::Message& req,
                             absl::string_view session_id, absl::string_view request_id,
                             google::protobuf::Message* resp,
                             absl::FunctionRef<absl::Status(const RequestContext&)> run);
  // OK unless the call's orb-route names another broker: then NOT_FOUND as
  // for an unknown session.
  absl::Status CheckRoute(const RequestContext& ctx) const;
  // BeginSession, then the handle. `op->handle_id` points into `handle_id`.
  absl::Status Begin(const RequestContext& ctx, absl::string_view session_id,
                     absl::string_view handle_id, Op* op);
  // Errors: INVALID_ARGUMENT (not UTF-8, longer than kMaxNameBytes).
  static absl::Status CheckName(absl::string_view name);
  // Checks every incoming value of a request; handles must be the caller's.
  // REQUIRES: op->session is set.
  absl::Status ValidateValues(const Op& op, const IncomingValues& values) const;

  // --- authorize.cc ---

  // Both gates for (op, name) on the handle, before the member is touched,
  // with its audit record. `member` is the handle's view's member `name`,
  // or null. OK means the member may run. Errors: NOT_FOUND (missing or not
  // exposed, one wording), INVALID_ARGUMENT (WRONG_MEMBER_KIND: exposed, but
  // the member cannot do this operation), PERMISSION_DENIED (ACL),
  // FAILED_PRECONDITION (detached lineage).
  // REQUIRES: Begin() succeeded for `op`; CheckName(name) is OK.
  absl::Status Gate(const RequestContext& ctx, const Op& op, policy::Op kind,
                    absl::string_view name, const MemberBinding* member) const;
  // Counts the gate's decision (and a refusal, by the caller's `method`).
  void CountDecision(policy::GateOutcome outcome, bool supports, absl::string_view method) const;

  // --- shadow_gate.cc ---

  // The shadow policy now; null without one (one relaxed load then).
  policy::PolicyPtr CurrentShadowPolicy() const ABSL_LOCKS_EXCLUDED(policy_mu);
  // When a shadow policy is set: decides (op, kind, name) under it as Gate
  // did under op.policy, tallies the pair of outcomes and audits a
  // disagreement with `live` (the record of the live decision `live_decision`
  // by `live_permission`). Never changes the answer.
  void ShadowGate(const RequestContext& ctx, const Op& op, policy::Op kind,
                  absl::string_view name, bool supports, BrokerCore::GateOutcome live,
                  absl::string_view live_permission) const;

  // --- run_member.cc ---

  // Runs bound code under the object's access lock (kSerialized), catching
  // exceptions, then turns exported objects into handles of the session
  // (all at once) and fills their ids into *out (may be null: nothing is
  // exported). REQUIRES: the gate allowed (op, member, kind).
  absl::Status RunMember(const RequestContext& ctx, const Op& op, const MemberBinding& member,
                         policy::Op kind, v1::Value* out, BoundMember fn) const;

  // --- broker_core.cc ---

  // The one path of GetAttr, SetAttr, DelAttr and Call (see there).
  absl::Status GatedOp(const RequestContext& ctx, policy::Op kind, absl::string_view session_id,
                       absl::string_view handle_id, absl::string_view name,
                       CollectValues collect, v1::Value* out, Touch touch);

  // --- audit_records.cc ---

  // Sends one audit record for a gated operation to Options::audit. `op`
  // may be partly filled (the session or handle may not have been found).
  // REQUIRES: auditing().
  void AuditGate(const RequestContext& ctx, const Op& op, policy::Op kind,
                 absl::string_view session_id, absl::string_view handle_id,
                 absl::string_view name, absl::string_view decision, std::string permission,
                 const absl::Status& status, std::string reason) const;
  // Audits a refusal that came before the gate decided anything; returns it.
  absl::Status Rejected(const RequestContext& ctx, const Op& op, policy::Op kind,
                        absl::string_view session_id, absl::string_view handle_id,
                        absl::string_view name, absl::Status status) const;

  // Constant after construction.
  const std::shared_ptr<const TypeRegistry> registry;
  // Computed once from the (immutable) registry.
  const bool any_member_may_block;
  const std::shared_ptr<Object> root;
  const TypeInfo* const root_type;
  const Options options;

  std::atomic<int64_t> live_handles{0};
  SessionTable sessions;  // synchronizes itself
  // Gate decisions, refusals and reloads, for metrics (relaxed atomics).
  mutable CoreCounters counters;

  mutable absl::Mutex policy_mu;
  policy::PolicyPtr policy ABSL_GUARDED_BY(policy_mu);
  policy::PolicyPtr shadow_policy ABSL_GUARDED_BY(policy_mu);
  // Whether shadow_policy is set: spares calls the lock when it is not.
  std::atomic<bool> has_shadow{false};
  // ShadowTally's counts, [live * kGateOutcomes + shadow].
  mutable std::array<std::atomic<uint64_t>, BrokerCore::kGateOutcomes * BrokerCore::kGateOutcomes>
      shadow_counts{};
};

}  // namespace orb::broker

#endif  // ORB_BROKER_CORE_IMPL_H_
