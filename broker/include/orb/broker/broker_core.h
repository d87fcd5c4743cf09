// BrokerCore: the whole request path after authentication, with no gRPC in
// it. The service adapter (broker/service/) authenticates a call, builds a
// RequestContext and forwards the request message here; tests drive it
// directly.
//
// Request path for GetAttr/SetAttr/DelAttr/Call:
//   deadline/cancellation -> session lookup (owned by ctx.identity, else
//   NOT_FOUND; renews the lease) -> handle lookup (in that session, else
//   NOT_FOUND) -> incoming values checked (limits, UTF-8, handles of this
//   session) -> member lookup on the handle's view -> policy::Authorizer (OLP,
//   then ACL over the object's lineage) -> the bound member is touched
//   (under the object's access lock for Concurrency::kSerialized types) ->
//   results that are registered objects become handles in the session, all
//   at once.
//
// The core gathers the facts and asks policy::Authorizer (policy/authorizer.h),
// which owns these rules; it picks no OLP or ACL itself:
// Effective OLP of a handle: its restricted OLP (Restrict) > the object's
// own override (Object::SetOlpOverride; instance view only) > the policy
// file's OLP for the type > the OLP compiled in with TypeBuilder::Olp > the
// empty OLP (nothing exposed).
// Lineage: the object, its parent, ... up to a root; for a class handle the
// class node first, then the lineage of the object it was read from. Each
// node's ACL: policy path ACL (objects under the broker's root only) >
// instance ACL > dynamic ACL > policy type ACL > C++ type ACL; a node with
// none is skipped.
//
// Errors are absl::Status with the codes documented in broker.proto; every
// error carries an orb.v1.ErrorInfo payload under kErrorInfoTypeUrl (reasons
// in errors.h). In particular:
//   NOT_FOUND           unknown/expired/closed/foreign session (one wording,
//                       "session not found"); unknown/released/foreign handle;
//                       a member that is missing or not exposed on this view
//                       (one wording: "'T' object has no attribute 'x'", or
//                       "type object 'T' has no attribute 'x'" on a class
//                       handle, with identical ErrorInfo)
//   PERMISSION_DENIED   the lock did not hold; the message names the
//                       operation, the member and the permission needed (and
//                       Pyramid's explanation when debug_authorization is on)
//   INVALID_ARGUMENT    arity/keyword/type of an argument; a value over a
//                       limit; the member exists and is visible but cannot do
//                       this operation (getattr on a method, call on an
//                       attribute, setattr on a read-only one, delattr on one
//                       without a deleter: reason WRONG_MEMBER_KIND)
//   RESOURCE_EXHAUSTED  handles per session, sessions per identity; nothing
//                       is changed (a method's own side effects stay)
//   DEADLINE_EXCEEDED   the deadline passed before the member started
//                       (checked again after waiting for the access lock);
//                       CANCELLED likewise for a cancelled call
//   FAILED_PRECONDITION an ancestor of the object no longer exists
//   INTERNAL            a member returned an object of an unregistered type
//   UNKNOWN             a member threw (type and message in the error)
//   other codes         the member's own absl::Status, unchanged
//
// Release is all or nothing: an unknown id, or an id given more often than
// the session holds it, releases nothing. A restricted handle cannot be
// passed as an argument (the method would see the whole object).
#ifndef ORB_BROKER_BROKER_CORE_H_
#define ORB_BROKER_BROKER_CORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "orb/broker/audit.h"
#include "orb/v1/broker.pb.h"
#include "orb/v1/type_urls.h"
#include "orb/policy/identity.h"
#include "orb/policy/policy_loader.h"

namespace orb::broker {

class Object;
class Watch;  // broker/watch.h (private)
class TypeRegistry;
class CoreCounters;  // broker/core_counters.h (private)

// The payload key under which errors carry a serialized orb.v1.ErrorInfo.
using v1::kErrorInfoTypeUrl;

// A GetAttr/SetAttr/DelAttr/Call that the core decided on a thread that
// must not block and handed back so that its member, which may block, runs
// on another thread.
//
// The caller points RequestContext::defer at an empty DeferredCall. Only
// when both gates allowed the operation (its audit record written) and the
// member may block (MemberBinding::may_block) does the core store the
// decision here and return OK with the response untouched; every refusal,
// and every member that never blocks, is answered at once as usual, so a
// call that will be refused never takes a member thread. The caller then
// makes the same call again, with the same request, on a thread that may
// block and with `defer` pointing at this object: the core runs the member
// under the stored decision (no second lookup, gate or audit record) and
// fills the response. The decision holds the session, handle target and
// policy snapshot it was made under.
//
// Thread-safety: one call at a time; may move between threads.
class DeferredCall {
 public:
  DeferredCall();
  ~DeferredCall();
  DeferredCall(DeferredCall&&) noexcept;
  DeferredCall& operator=(DeferredCall&&) noexcept;

  // True between the core's decision and the run of the member.
  bool pending() const { return state_ != nullptr; }

 private:
  friend class BrokerCore;
  struct State;
  std::unique_ptr<State> state_;
};

// Everything the core needs to know about one incoming call.
struct RequestContext {
  policy::Identity identity;  // already authenticated by the adapter
  absl::Time deadline = absl::InfiniteFuture();
  // Returns true once the client has cancelled (or disconnected). May be
  // empty (never cancelled). Safe to call from the method's thread.
  std::function<bool()> is_cancelled;
  std::string peer;  // for logs, e.g. "ipv4:127.0.0.1:5555" (see records_peers)
  // The policy the call was authenticated under. The core decides the whole
  // call under it, so a call never mixes two policies across a reload. When
  // null, the core takes its current policy as the call starts.
  policy::PolicyPtr policy;
  // For a caller on a thread that must not block (gRPC's own); see
  // DeferredCall. Null: members run on the calling thread.
  DeferredCall* defer = nullptr;
  // Whether finding the session renews its lease (every client call does;
  // a watch's reads, which the client did not ask for, do not).
  bool renews_lease = true;
  // The call's `orb-route` metadata (the broker id the client meant); empty
  // when it sent none. A call of a session whose route names another
  // broker is NOT_FOUND exactly as an unknown session.
  std::string route;
};


// What the admin service shows of one live session. No id: a session is
// named by its reference, RedactId(id), as audit records name it.
struct SessionSummary {
  std::string ref;
  std::string userid;  // empty: anonymous
  std::string authn;   // bearer, ticket, mtls, anonymous
  std::string client_name;
  absl::Time opened;
  absl::Time last_activity;  // the last call that renewed the lease
  absl::Duration lease_left;  // until the lease lapses without another call
  size_t handles = 0;
};

class BrokerCore {
 public:
  struct Options {
    // Clock for leases; tests inject a fake one.
    std::function<absl::Time()> now = [] { return absl::Now(); };
    // Write each authorization decision to this sink, when set (the daemon
    // logs it when the policy's debug_authorization is on, or when
    // `debug_authorization` below is set).
    std::function<void(const std::string&)> debug_log;
    // Debug authorization regardless of the policy's switch (orbd's
    // --debug-authorization).
    bool debug_authorization = false;
    // Receives one record per decision when set (broker/audit.h): every
    // GetAttr/SetAttr/DelAttr/Call that reaches the core (allowed, denied,
    // not_exposed, or rejected before the gate), OpenSession and
    // CloseSession. Called on the call's thread before the member runs;
    // must be thread-safe. Records hold no credential and no whole id.
    std::function<void(const AuditRecord&)> audit;
    // Makes session and handle ids; they must be unguessable. Default
    // (empty): 128 bits from the OS CSPRNG (OpenSSL RAND_bytes), as hex.
    std::function<std::string()> new_id;
    // This broker's public name (orbd --broker-id; see broker_id()).
    // Empty: "orbd-" and 6 random hex digits. REQUIRES: valid by
    // ValidateBrokerId (broker/broker_identity.h).
    std::string broker_id;
    // Tells this run from earlier ones of the same broker id. Empty (the
    // default): 8 random hex digits, chosen here.
    std::string incarnation;
  };

  // REQUIRES: `registry` knows the root's type. The policy may be swapped
  // later with SetPolicy().
  BrokerCore(std::shared_ptr<const TypeRegistry> registry, std::shared_ptr<Object> root,
             policy::PolicyPtr policy, Options options);
  ~BrokerCore();

  // This broker's id, the routing prefix of every session id it issues
  // ("<broker-id>~<incarnation>.<secret>"), and the incarnation of this run.
  const std::string& broker_id() const;
  const std::string& incarnation() const;

  // Atomically replaces the policy; calls in flight finish under the policy
  // they started with (each call holds its own snapshot from start to end).
  // Thread-safe. Revision checks are the caller's (PolicyReloader).
  void SetPolicy(policy::PolicyPtr policy);
  policy::PolicyPtr policy() const;

  // The shadow policy (null: none, the default). Every gated operation
  // (GetAttr, SetAttr, DelAttr, Call; through any RPC, Batch and Stream) is
  // also decided under it: the OLP and the ACLs it picks for the same
  // caller's principals, target and lineage (authentication and the groups
  // table stay the running policy's). The answer never changes. Each
  // decision is tallied by live and shadow outcome, and each disagreement is
  // written as an audit record of event "shadow" holding both decisions.
  // The shadow is the one running when the gate decides. Thread-safe.
  void SetShadowPolicy(policy::PolicyPtr shadow);
  policy::PolicyPtr shadow_policy() const;
  // Replaces both at once (a reload of both files): no call sees the new
  // policy with the old shadow. `shadow` may be null.
  void SetPolicies(policy::PolicyPtr policy, policy::PolicyPtr shadow);

  // Gate outcomes, the index of ShadowTally's rows and columns.
  enum class GateOutcome { kNotExposed = 0, kDenied = 1, kAllowed = 2 };
  static constexpr int kGateOutcomes = 3;
  static const char* GateOutcomeName(GateOutcome outcome);  // "not_exposed", ...
  // Decisions made under a shadow policy since start, counts[live][shadow];
  // the cells off the diagonal are the disagreements.
  struct ShadowTally {
    uint64_t counts[kGateOutcomes][kGateOutcomes] = {};
  };
  ShadowTally shadow_tally() const;

  // One method per RPC of orb.v1.ObjectBroker. All are thread-safe.
  //
  // SetAttr, DelAttr, Call and Batch honour the request's request_id: the
  // first request with an id in a session runs and its outcome is kept
  // (the policy's request_id_window_seconds, max_request_ids_per_session);
  // a retry of the same request gets that outcome (the same value, the same
  // handle ids, no new reference) without running; a retry while the first
  // still runs waits for it (until the deadline); the id with another
  // request is FAILED_PRECONDITION (REQUEST_ID_REUSED). A retry answered
  // from the kept outcome writes no audit record.
  absl::Status OpenSession(const RequestContext& ctx, const v1::OpenSessionRequest& req,
                           v1::OpenSessionResponse* resp);
  absl::Status CloseSession(const RequestContext& ctx, const v1::CloseSessionRequest& req,
                            v1::CloseSessionResponse* resp);
  absl::Status KeepAlive(const RequestContext& ctx, const v1::KeepAliveRequest& req,
                         v1::KeepAliveResponse* resp);
  absl::Status GetAttr(const RequestContext& ctx, const v1::GetAttrRequest& req,
                       v1::GetAttrResponse* resp);
  absl::Status SetAttr(const RequestContext& ctx, const v1::SetAttrRequest& req,
                       v1::SetAttrResponse* resp);
  absl::Status DelAttr(const RequestContext& ctx, const v1::DelAttrRequest& req,
                       v1::DelAttrResponse* resp);
  absl::Status Call(const RequestContext& ctx, const v1::CallRequest& req,
                    v1::CallResponse* resp);
  absl::Status Release(const RequestContext& ctx, const v1::ReleaseRequest& req,
                       v1::ReleaseResponse* resp);
  absl::Status ListHandles(const RequestContext& ctx, const v1::ListHandlesRequest& req,
                           v1::ListHandlesResponse* resp);
  absl::Status Describe(const RequestContext& ctx, const v1::DescribeRequest& req,
                        v1::DescribeResponse* resp);
  absl::Status Restrict(const RequestContext& ctx, const v1::RestrictRequest& req,
                        v1::RestrictResponse* resp);
  // The values of req.names on one object, each name through GetAttr
  // (same gates and audit records). A name whose GetAttr is refused as
  // NOT_FOUND, PERMISSION_DENIED or WRONG_MEMBER_KIND is left out; when
  // every name is, the call fails with the first name's error. Any other
  // error (session, handle, deadline, a member's own) fails the call.
  // INVALID_ARGUMENT for no names or more than limits.max_batch_operations.
  // With ctx.defer set and a named member that may block, the whole call is
  // handed back (DeferredCall) before any gate and runs again, entire, on
  // the thread that may block.
  absl::Status GetAttrs(const RequestContext& ctx, const v1::GetAttrsRequest& req,
                        v1::GetAttrsResponse* resp);
  // Starts a watch (ObjectBroker.Watch; broker/watch.h has the whole
  // contract): checks the names (1..limits.max_names_per_watch, each a
  // valid name), the session and the handle (an instance handle: a class
  // handle is INVALID_ARGUMENT, NOT_WATCHABLE) and the session's quota
  // (RESOURCE_EXHAUSTED, QUOTA_WATCHES), reads nothing, and returns the
  // watch registered with its object and session. `wake` is called (from
  // any thread, quickly, never blocking) each time the watch has something
  // for Watch::Next(). ctx.is_cancelled, when set, must stay callable until
  // the watch is cancelled; ctx.deadline and ctx.defer are not used (each
  // value is read without deadline, on the thread calling Next()).
  absl::StatusOr<std::shared_ptr<Watch>> StartWatch(const RequestContext& ctx,
                                                    const v1::WatchRequest& req,
                                                    std::function<void()> wake);
  // Runs req.operations in order, each through its unary method above (same
  // gates, audit records and answers), replacing result references first.
  // The batch as a whole is refused, with nothing run, when it is longer
  // than the policy's max_batch_operations, or an operation is empty, names
  // another session, or refers to itself, a later operation or one out of
  // range (INVALID_ARGUMENT, BAD_RESULT_REFERENCE). Otherwise it answers OK
  // with one BatchResult per operation. Members run on the calling thread:
  // ctx.defer must be null (the adapter runs a batch on a member thread).
  absl::Status Batch(const RequestContext& ctx, const v1::BatchRequest& req,
                     v1::BatchResponse* resp);

  // Sends `record` to Options::audit (stamping its time and the running
  // policy's revision), for records made outside the core: the adapter's
  // authentication refusals, the admin service. No-op without a sink.
  void Audit(AuditRecord record) const;
  bool auditing() const;
  // Whether calls under `policy` may write RequestContext::peer anywhere
  // (audit records, authorization debug lines); when not, the adapter may
  // leave it empty and save building it.
  bool records_peers(const policy::CompiledPolicy* policy) const;

  // Every live session of every identity, oldest first (BrokerAdmin
  // .ListSessions). Lapsed sessions not yet dropped are left out.
  // Thread-safe; O(sessions).
  std::vector<SessionSummary> ListSessions() const;
  // Closes the live session whose reference is `ref`, whoever owns it
  // (BrokerAdmin.CloseSession): its handles are released and its owner's
  // next call on it is NOT_FOUND. Writes a "close_session" audit record for
  // the session's owner whose reason names `actor`. Returns the session as
  // it was just before, and the handles released. Errors: NOT_FOUND
  // (SESSION_NOT_FOUND) when no live session has the reference,
  // FAILED_PRECONDITION (AMBIGUOUS_REFERENCE) when several do.
  struct RevokedSession {
    SessionSummary session;
    size_t released_handles = 0;
  };
  absl::StatusOr<RevokedSession> RevokeSession(absl::string_view ref,
                                               const policy::Identity& actor);

  // Drops sessions whose lease has expired. Also done lazily on access; the
  // daemon calls it periodically. Returns how many sessions were dropped.
  size_t ExpireSessions();

  // Introspection for tests and metrics.
  size_t session_count() const;
  size_t handle_count() const;
  // The core's counts of gate decisions, refusals and reloads (private
  // broker/core_counters.h; orbd's metrics read them, the service adapter
  // and the reloader add to them). Thread-safe; lives as long as the core.
  CoreCounters& counters() const;
  // Whether any member of any registered type may block
  // (MemberBinding::may_block). When none may, an adapter need not move a
  // Batch to another thread.
  bool any_member_may_block() const;

 private:
  // One operation of a Batch (broker/batch.cc), its references into `done`
  // (the answers so far) replaced.
  // The requests that may carry a request id, once (their public methods
  // add the id's keeping: broker/request_ids.cc).
  absl::Status SetAttrOnce(const RequestContext& ctx, const v1::SetAttrRequest& req);
  absl::Status DelAttrOnce(const RequestContext& ctx, const v1::DelAttrRequest& req);
  absl::Status CallOnce(const RequestContext& ctx, const v1::CallRequest& req,
                        v1::CallResponse* resp);
  absl::Status BatchOnce(const RequestContext& ctx, const v1::BatchRequest& req,
                         v1::BatchResponse* resp);
  absl::Status RunBatchOperation(const RequestContext& ctx, const v1::BatchRequest& req,
                                 const v1::BatchResponse& done, int i, v1::BatchResult* out);
  // Call's by_value: replaces the handle in *result (one reference of the
  // session's, just made) with a map of the attributes the caller may read
  // on it, and releases that reference (broker/get_attrs.cc).
  absl::Status ResultByValue(const RequestContext& ctx, const std::string& session,
                             v1::Value* result);
  absl::Status OpenSessionUnaudited(const RequestContext& ctx, const v1::OpenSessionRequest& req,
                                    v1::OpenSessionResponse* resp);

  friend class Watch;  // reads through impl_ (broker/watch.cc)
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace orb::broker

#endif  // ORB_BROKER_BROKER_CORE_H_
