#include "orb/broker/broker_core.h"

#include <cxxabi.h>

#include <atomic>
#include <exception>
#include <typeinfo>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/inlined_vector.h"
#include "absl/functional/function_ref.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "orb/broker/call_context.h"
#include "orb/broker/errors.h"
#include "orb/broker/object.h"
#include "broker/session_table.h"
#include "orb/broker/type_registry.h"
#include "orb/broker/value_codec.h"
#include "policy/authorizer.h"
#include "base/sync.h"

namespace orb::broker {

namespace {

constexpr char kProtocol[] = "orb.v1";
constexpr uint32_t kProtocolRevision = 2;
constexpr size_t kMaxNameBytes = 256;
// A lineage longer than this is treated as a cycle (objects wired into a
// loop by mistake) and refused.
constexpr size_t kMaxLineageDepth = 1024;

// The type's remote name as messages show it, Python style.
std::string NameNotFoundMessage(const TypeInfo& type, policy::View view, absl::string_view name) {
  if (view == policy::View::kClass) {
    return absl::StrCat("type object '", type.name(), "' has no attribute '", name, "'");
  }
  return absl::StrCat("'", type.name(), "' object has no attribute '", name, "'");
}

// One wording for "missing" and "not exposed": status, message and ErrorInfo
// are byte-identical, so a hidden name cannot be told from an absent one.
absl::Status NameNotFound(const TypeInfo& type, policy::View view, absl::string_view name) {
  return OrbError(absl::StatusCode::kNotFound, NameNotFoundMessage(type, view, name),
                  v1::NAME_NOT_FOUND, v1::GATE_OLP);
}

std::string CurrentExceptionTypeName() {
  const std::type_info* type = abi::__cxa_current_exception_type();
  return type != nullptr ? DemangledName(*type) : "unknown exception";
}

// Resolves HandleRefs the caller passes in, in the caller's session only.
class SessionResolver final : public HandleResolver {
 public:
  explicit SessionResolver(const Session& session) : session_(session) {}
  absl::StatusOr<ResolvedHandle> Resolve(const v1::HandleRef& ref) const override {
    absl::StatusOr<HandleTarget> target = session_.handles().Find(ref.id());
    if (!target.ok()) return target.status();
    ResolvedHandle out;
    out.object = std::move(target->object);
    out.type = target->type;
    out.is_class = target->is_class;
    out.restricted = target->restricted_olp != nullptr;
    return out;
  }

 private:
  const Session& session_;
};

// The raw facts of a handle's lineage for policy::Authorizer, with the
// storage they refer to: the object first, root last. Inline for the usual
// few levels: it is built on every gated call.
struct LineageFacts final : policy::DynamicAclSource {
  absl::InlinedVector<std::shared_ptr<Object>, 4> chain;
  absl::InlinedVector<const TypeInfo*, 4> types;  // null: unregistered
  absl::InlinedVector<policy::AclPtr, 4> instance_acls;
  // The nodes' names and paths point into these strings: sized before the
  // first node is added, so that none of them ever moves.
  absl::InlinedVector<std::string, 4> names;
  std::vector<std::string> paths;  // empty unless the authorizer wants them
  absl::InlinedVector<policy::LineageNodeFacts, 4> nodes;

  policy::AclPtr DynamicAcl(size_t node) const override {
    return types[node] != nullptr ? types[node]->DynamicAcl(*chain[node]) : nullptr;
  }
};

}  // namespace

// Everything one gated operation works with.
struct OpTarget {
  policy::PolicyPtr policy;
  policy::Limits limits;
  std::shared_ptr<Session> session;
  HandleTarget target;
  policy::View view = policy::View::kInstance;
  absl::string_view handle_id;  // as the request names it; empty once deferred
};

// A decision whose member has not run yet (see DeferredCall).
struct DeferredCall::State {
  OpTarget op;
  const MemberBinding* member = nullptr;  // lives in the immutable registry
};

DeferredCall::DeferredCall() = default;
DeferredCall::~DeferredCall() = default;
DeferredCall::DeferredCall(DeferredCall&&) noexcept = default;
DeferredCall& DeferredCall::operator=(DeferredCall&&) noexcept = default;

struct BrokerCore::Impl {
  Impl(std::shared_ptr<const TypeRegistry> registry_in, std::shared_ptr<Object> root_in,
       policy::PolicyPtr policy_in, Options options_in)
      : registry(std::move(registry_in)),
        root(std::move(root_in)),
        root_type(root != nullptr ? registry->FindFor(*root) : nullptr),
        options(std::move(options_in)),
        sessions(options.new_id ? options.new_id : std::function<std::string()>(RandomId128),
                 &live_handles),
        policy(std::move(policy_in)) {}

  using Op = OpTarget;

  bool auditing() const { return static_cast<bool>(options.audit); }

  // One audit record for a gated operation. `op` may be partly filled (the
  // session or handle may not have been found).
  void AuditGate(const RequestContext& ctx, const Op& op, policy::Op kind,
                 absl::string_view session_id, absl::string_view handle_id,
                 absl::string_view name, absl::string_view decision, std::string permission,
                 const absl::Status& status, std::string reason) const {
    AuditRecord r;
    r.time = absl::Now();
    r.event = "gate";
    r.peer = ctx.peer;
    r.userid = ctx.identity.userid;
    r.authn = ctx.identity.method;
    r.session = RedactId(session_id);
    r.handle = RedactId(handle_id);
    if (op.target.type != nullptr) {
      r.type = op.target.type->name();
      r.view = std::string(policy::ViewName(op.view));
    }
    r.op = std::string(policy::OpName(kind));
    r.name = std::string(name);
    r.decision = std::string(decision);
    r.permission = std::move(permission);
    if (!status.ok()) r.code = absl::StatusCodeToString(status.code());
    r.reason = reason.empty() && !status.ok() ? std::string(status.message()) : std::move(reason);
    policy::PolicyPtr p = op.policy != nullptr ? op.policy : CurrentPolicy();
    r.policy_revision = p != nullptr ? p->revision() : 0;
    RedactIdsInRecord(&r);
    options.audit(r);
  }

  // Audits a refusal that came before the gate decided anything.
  absl::Status Rejected(const RequestContext& ctx, const Op& op, policy::Op kind,
                        absl::string_view session_id, absl::string_view handle_id,
                        absl::string_view name, absl::Status status) const {
    if (auditing()) {
      AuditGate(ctx, op, kind, session_id, handle_id, name, "rejected", "", status, "");
    }
    return status;
  }

  absl::Time Now() const { return options.now ? options.now() : absl::Now(); }

  policy::PolicyPtr CurrentPolicy() const ABSL_LOCKS_EXCLUDED(policy_mu) {
    // Shared: every call reads it, a reload writes it.
    orb::ReaderMutexLock lock(&policy_mu);
    return policy;
  }

  static policy::Limits LimitsOf(const policy::PolicyPtr& p) {
    return p != nullptr ? p->limits() : policy::Limits{};
  }

  absl::Status CheckDeadline(const RequestContext& ctx) const {
    if (Now() >= ctx.deadline) {
      return OrbError(absl::StatusCode::kDeadlineExceeded,
                      "the call's deadline passed before it could run", v1::DEADLINE_EXCEEDED,
                      v1::GATE_DEADLINE);
    }
    if (ctx.is_cancelled && ctx.is_cancelled()) {
      return OrbError(absl::StatusCode::kCancelled, "the call was cancelled", v1::CANCELLED,
                      v1::GATE_DEADLINE);
    }
    return absl::OkStatus();
  }

  // Deadline, policy snapshot and session (renewing its lease).
  absl::Status BeginSession(const RequestContext& ctx, absl::string_view session_id, Op* op) {
    absl::Status s = CheckDeadline(ctx);
    if (!s.ok()) return s;
    op->policy = ctx.policy != nullptr ? ctx.policy : CurrentPolicy();
    op->limits = LimitsOf(op->policy);
    absl::StatusOr<std::shared_ptr<Session>> session =
        sessions.Find(session_id, ctx.identity.OwnerKey(), Now(),
                      absl::Seconds(op->limits.session_ttl_seconds));
    if (!session.ok()) return session.status();
    op->session = *std::move(session);
    return absl::OkStatus();
  }

  // BeginSession, then the handle.
  absl::Status Begin(const RequestContext& ctx, absl::string_view session_id,
                     absl::string_view handle_id, Op* op) {
    absl::Status s = BeginSession(ctx, session_id, op);
    if (!s.ok()) return s;
    op->handle_id = handle_id;
    absl::StatusOr<HandleTarget> target = op->session->handles().Find(handle_id);
    if (!target.ok()) return target.status();
    op->target = *std::move(target);
    op->view = op->target.is_class ? policy::View::kClass : policy::View::kInstance;
    return absl::OkStatus();
  }

  // What the handle points at, for policy::Authorizer (which picks the OLP).
  // `object_olp` keeps the object's OLP override alive meanwhile.
  static policy::TargetFacts TargetFactsOf(const Op& op, policy::OlpPtr* object_olp) {
    const HandleTarget& t = op.target;
    *object_olp = t.object->olp_override();
    policy::TargetFacts facts;
    facts.is_class = t.is_class;
    facts.restricted_olp = t.restricted_olp.get();
    facts.object_olp = object_olp->get();
    facts.type_name = t.type->name();
    facts.type_olp = t.type->olp().get();
    facts.type_acl = t.type->acl().get();
    return facts;
  }

  // Walks the handle's object up to its root and gathers each node's facts
  // (policy::Authorizer::SetLineage picks the ACLs). Paths are built only
  // for objects under the broker's root, and only when the policy wants
  // them. Errors: FAILED_PRECONDITION (OBJECT_DETACHED) when an ancestor no
  // longer exists or the chain loops.
  absl::Status WalkLineage(const Op& op, LineageFacts* out) const {
    absl::InlinedVector<std::shared_ptr<Object>, 4>& chain = out->chain;
    for (std::shared_ptr<Object> o = op.target.object; o != nullptr;) {
      if (chain.size() >= kMaxLineageDepth) {
        return OrbError(absl::StatusCode::kFailedPrecondition,
                        "the object's lineage is too long (a parent cycle?)", v1::OBJECT_DETACHED,
                        v1::GATE_ACL);
      }
      chain.push_back(o);
      if (!o->has_parent()) break;
      std::shared_ptr<Object> parent = o->parent();
      if (parent == nullptr) {
        return OrbError(absl::StatusCode::kFailedPrecondition,
                        "an ancestor of this object no longer exists", v1::OBJECT_DETACHED, v1::GATE_ACL);
      }
      o = std::move(parent);
    }
    const size_t size = chain.size();
    out->types.reserve(size);
    out->instance_acls.reserve(size);
    out->names.reserve(size);
    out->nodes.reserve(size);
    for (const std::shared_ptr<Object>& o : chain) {
      out->types.push_back(registry->FindFor(*o));
      out->instance_acls.push_back(o->acl());
      out->names.push_back(o->name());
    }
    if (policy::Authorizer::WantsPaths(op.policy.get()) && chain.back() == root) {
      out->paths.resize(size);
      out->paths.back() = "/";
      for (size_t i = size - 1; i-- > 0;) {
        const std::string& above = out->paths[i + 1];
        out->paths[i] = absl::StrCat(above == "/" ? "" : above, "/", out->names[i]);
      }
    }
    for (size_t i = 0; i < size; ++i) {
      const TypeInfo* type = out->types[i];
      policy::LineageNodeFacts node;
      node.name = out->names[i];
      if (type != nullptr) {
        node.type_name = type->name();
        node.has_dynamic_acl = type->has_dynamic_acl();
        node.type_acl = type->acl().get();
      }
      if (!out->paths.empty()) node.path = out->paths[i];
      node.instance_acl = out->instance_acls[i].get();
      out->nodes.push_back(node);
    }
    return absl::OkStatus();
  }

  static absl::Status CheckName(absl::string_view name) {
    if (name.size() > kMaxNameBytes || !IsValidUtf8(name)) {
      return ArgumentError(absl::StrCat("a member name must be UTF-8 of at most ", kMaxNameBytes,
                                        " bytes"));
    }
    return absl::OkStatus();
  }

  // Both gates for (op, name) on the handle, before the member is touched.
  // `member` is the handle's view's member `name`, or null. OK means the
  // member may run. Errors: NOT_FOUND (missing or not exposed, one wording),
  // INVALID_ARGUMENT (WRONG_MEMBER_KIND: exposed, but the member cannot do
  // this operation), PERMISSION_DENIED (ACL), FAILED_PRECONDITION (detached
  // lineage).
  // REQUIRES: CheckName(name) is OK.
  absl::Status Gate(const RequestContext& ctx, const Op& op, policy::Op kind,
                    absl::string_view name, const MemberBinding* member) const {
    // Every refusal before the decision is audited as "rejected".
    const auto rejected = [&](absl::Status status, absl::string_view decision = "rejected",
                              std::string reason = "") -> absl::Status {
      if (auditing()) {
        AuditGate(ctx, op, kind, op.session->id(), op.handle_id, name, decision, "", status,
                  std::move(reason));
      }
      return status;
    };
    const TypeInfo& type = *op.target.type;
    if (member == nullptr) {
      return rejected(NameNotFound(type, op.view, name), "not_exposed",
                      "the type has no such member");
    }
    policy::OlpPtr object_olp;
    policy::Authorizer authz(op.policy.get(), TargetFactsOf(op, &object_olp));
    // Existence is per operation: a name the OLP does not expose for THIS
    // operation does not exist for it, even if another operation exposes it
    // (getattr on a callable method, delattr on a readable property). A name
    // exposed for this very operation (e.g. through "*") but unable to do it
    // gets the clearer WRONG_MEMBER_KIND, and only once the ACL has let the
    // caller through: the kind of a member is not told to a caller who may
    // not use the name.
    const bool supports = member->Supports(kind);
    if (!supports && !authz.Exposes(kind, name)) {
      return rejected(NameNotFound(type, op.view, name), "not_exposed",
                      "the member cannot do this operation and it is not exposed for it");
    }
    LineageFacts lineage;
    absl::Status s = WalkLineage(op, &lineage);
    if (!s.ok()) return rejected(s);
    authz.SetLineage(lineage.nodes, &lineage);
    const policy::Decision decision =
        authz.Decide({&op.session->principals(), op.session->id()}, kind, name);
    const bool debug = options.debug_authorization ||
                       (op.policy != nullptr && op.policy->debug_authorization());
    std::string explain;
    if (debug || auditing()) explain = decision.Explain();
    if (debug && options.debug_log) {
      // The session appears only as its audit reference: an id is a
      // capability and never goes to a log.
      // Nor one the caller quoted in the name.
      options.debug_log(absl::StrCat("session=", RedactId(op.session->id()), " peer=", ctx.peer,
                                     " ", RedactIdsInText(explain)));
    }
    absl::Status refusal;
    switch (decision.outcome()) {
      case policy::GateOutcome::kNotExposed:
        refusal = NameNotFound(type, op.view, name);
        break;
      case policy::GateOutcome::kDenied: {
        std::string needed = decision.has_permission()
                                 ? absl::StrCat("permission '", decision.permission(), "'")
                                 : absl::StrCat("lock ", decision.LockText());
        std::string message =
            absl::StrCat(policy::OpName(kind), " '", name, "' on '", type.name(), "' ",
                         op.view == policy::View::kClass ? "class" : "object", " needs ", needed,
                         ", which the caller does not hold");
        if (debug) absl::StrAppend(&message, " (", explain, ")");
        refusal = OrbError(absl::StatusCode::kPermissionDenied, message, v1::ACL_DENIED, v1::GATE_ACL);
        break;
      }
      case policy::GateOutcome::kAllowed:
        if (!supports) {
          refusal = OrbError(absl::StatusCode::kInvalidArgument,
                             WrongKindMessage(type, *member, kind), v1::WRONG_MEMBER_KIND, v1::GATE_OLP);
        }
        break;
    }
    if (auditing()) {
      static constexpr absl::string_view kDecisionNames[] = {"not_exposed", "denied", "allowed"};
      AuditGate(ctx, op, kind, op.session->id(), op.handle_id, name,
                supports ? kDecisionNames[static_cast<int>(decision.outcome())]
                         : absl::string_view("rejected"),
                std::string(decision.permission()), refusal, std::move(explain));
    }
    return refusal;
  }

  static std::string WrongKindMessage(const TypeInfo& type, const MemberBinding& m,
                                      policy::Op kind) {
    const std::string what =
        absl::StrCat(m.KindName(), " '", m.name, "' of '", type.name(), "'");
    switch (kind) {
      case policy::Op::kGetAttr:
        return absl::StrCat(what, " cannot be read; call it instead");
      case policy::Op::kSetAttr:
        return absl::StrCat(what, " is read-only");
      case policy::Op::kDelAttr:
        return absl::StrCat(what, " cannot be deleted");
      case policy::Op::kCall:
        return absl::StrCat(what, " is not callable");
    }
    return what;
  }

  // Checks every incoming value of a request; handles must be the caller's.
  absl::Status ValidateValues(const Op& op, const std::vector<std::pair<std::string,
                                                                  const v1::Value*>>& values) {
    ValueLimits limits;
    limits.max_depth = op.limits.max_value_depth;
    limits.max_elements = op.limits.max_value_elements;
    const Session& session = *op.session;
    std::function<absl::Status(const v1::HandleRef&)> check =
        [&session](const v1::HandleRef& ref) -> absl::Status {
      return session.handles().Find(ref.id()).status();
    };
    size_t elements = 0;
    for (const auto& [what, value] : values) {
      absl::Status s = ValidateIncomingValue(*value, limits, what, &elements, check);
      if (!s.ok()) return s;
    }
    return absl::OkStatus();
  }

  // Runs bound code under the object's access lock (kSerialized), catching
  // exceptions, then turns exported objects into handles of the session
  // (all at once) and fills their ids into *out.
  template <typename Fn>
  absl::Status RunMember(const RequestContext& ctx, const Op& op, const MemberBinding& member,
                         policy::Op kind, v1::Value* out, Fn&& fn) {
    CallContext call(op.session->identity(), op.session->principals(), op.session->id(),
                     ctx.deadline, &ctx.is_cancelled, &options.now);
    SessionResolver resolver(*op.session);
    Invocation inv(call, *registry, resolver, op.target.object);
    Object* self = op.target.is_class ? nullptr : op.target.object.get();
    const auto run = [&]() -> absl::Status {
      // Waiting for the lock may have taken the call past its deadline.
      absl::Status checked = CheckDeadline(ctx);
      if (!checked.ok()) return checked;
      try {
        return fn(self, inv);
      } catch (const std::exception& e) {
        const std::string type = DemangledName(typeid(e));
        return OrbError(absl::StatusCode::kUnknown,
                        absl::StrCat(policy::OpName(kind), " '", member.name, "' raised ", type,
                                     ": ", e.what()),
                        v1::METHOD_EXCEPTION, v1::GATE_METHOD, type);
      } catch (...) {
        const std::string type = CurrentExceptionTypeName();
        return OrbError(absl::StatusCode::kUnknown,
                        absl::StrCat(policy::OpName(kind), " '", member.name, "' raised ", type),
                        v1::METHOD_EXCEPTION, v1::GATE_METHOD, type);
      }
    };
    absl::Status status;
    if (self != nullptr && op.target.type->concurrency() == Concurrency::kSerialized) {
      MutexLock lock(&self->access_mutex());
      status = run();
    } else {
      status = run();
    }
    if (!status.ok() || out == nullptr || inv.exports().empty()) return status;

    std::vector<HandleTarget> targets;
    targets.reserve(inv.exports().size());
    for (const Invocation::Export& e : inv.exports()) {
      targets.push_back(HandleTarget{e.object, e.type, e.is_class, nullptr});
    }
    absl::StatusOr<std::vector<v1::HandleRef>> refs =
        op.session->handles().Add(targets, op.limits.max_handles_per_session);
    if (!refs.ok()) return refs.status();
    FillHandles(*refs, out);
    return absl::OkStatus();
  }

  // Replaces the placeholder ids written by Invocation::Export*.
  static void FillHandles(const std::vector<v1::HandleRef>& refs, v1::Value* value) {
    switch (value->kind_case()) {
      case v1::Value::kHandle: {
        size_t index = 0;
        if (absl::SimpleAtoi(value->handle().id(), &index) && index < refs.size()) {
          *value->mutable_handle() = refs[index];
        }
        return;
      }
      case v1::Value::kListValue:
        for (v1::Value& item : *value->mutable_list_value()->mutable_values()) {
          FillHandles(refs, &item);
        }
        return;
      case v1::Value::kMapValue:
        for (auto& [key, item] : *value->mutable_map_value()->mutable_fields()) {
          FillHandles(refs, &item);
        }
        return;
      default:
        return;
    }
  }

  // Values a request brings in, each with the words its errors use for it.
  using IncomingValues = std::vector<std::pair<std::string, const v1::Value*>>;
  using CollectValues = absl::FunctionRef<absl::Status(IncomingValues*)>;
  using Touch = absl::FunctionRef<absl::Status(const MemberBinding&, Object*, Invocation&)>;

  static absl::Status NoValues(IncomingValues*) { return absl::OkStatus(); }

  // The one path of GetAttr, SetAttr, DelAttr and Call: session and handle
  // (the request path in broker_core.h), the name, the incoming values
  // (`collect` lists them, or refuses the request), both gates, then `touch`
  // runs the member; handles it exports are filled into *out. Refusals
  // before the gates are audited as "rejected". A member that may block is
  // handed back to the caller after the gates when it asked for that, and
  // run when it comes back (see DeferredCall).
  absl::Status GatedOp(const RequestContext& ctx, policy::Op kind, absl::string_view session_id,
                       absl::string_view handle_id, absl::string_view name,
                       CollectValues collect, v1::Value* out, Touch touch) {
    if (ctx.defer != nullptr && ctx.defer->pending()) {
      // The second half of a deferred call: decided already.
      std::unique_ptr<DeferredCall::State> decided = std::move(ctx.defer->state_);
      const MemberBinding& member = *decided->member;
      return RunMember(ctx, decided->op, member, kind, out,
                       [&](Object* self, Invocation& inv) { return touch(member, self, inv); });
    }
    Op op;
    absl::Status s = Begin(ctx, session_id, handle_id, &op);
    const MemberBinding* member = s.ok() ? op.target.type->FindMember(op.view, name) : nullptr;
    // The name first: the values' errors quote it.
    if (s.ok()) s = CheckName(name);
    IncomingValues values;
    if (s.ok()) s = collect(&values);
    if (s.ok() && !values.empty()) s = ValidateValues(op, values);
    if (!s.ok()) return Rejected(ctx, op, kind, session_id, handle_id, name, s);
    s = Gate(ctx, op, kind, name, member);
    if (!s.ok()) return s;
    if (ctx.defer != nullptr && member->may_block) {
      auto decided = std::make_unique<DeferredCall::State>();
      decided->op = std::move(op);
      decided->op.handle_id = absl::string_view();  // points into this request
      decided->member = member;
      ctx.defer->state_ = std::move(decided);
      return absl::OkStatus();
    }
    return RunMember(ctx, op, *member, kind, out,
                     [&](Object* self, Invocation& inv) { return touch(*member, self, inv); });
  }

  // True when the core handed this call back undone (see DeferredCall).
  static bool Deferred(const RequestContext& ctx) {
    return ctx.defer != nullptr && ctx.defer->pending();
  }

  // Constant after construction.
  const std::shared_ptr<const TypeRegistry> registry;
  const std::shared_ptr<Object> root;
  const TypeInfo* const root_type;
  const Options options;

  std::atomic<int64_t> live_handles{0};
  SessionTable sessions;  // synchronizes itself

  mutable absl::Mutex policy_mu;
  policy::PolicyPtr policy ABSL_GUARDED_BY(policy_mu);
};

BrokerCore::BrokerCore(std::shared_ptr<const TypeRegistry> registry, std::shared_ptr<Object> root,
                       policy::PolicyPtr policy, Options options)
    : impl_(std::make_unique<Impl>(std::move(registry), std::move(root), std::move(policy),
                                   std::move(options))) {}

BrokerCore::~BrokerCore() = default;

void BrokerCore::SetPolicy(policy::PolicyPtr policy) {
  policy::PolicyPtr old;
  {
    orb::MutexLock lock(&impl_->policy_mu);
    old = std::move(impl_->policy);
    impl_->policy = std::move(policy);
  }
  // `old` is released here, outside the lock.
}

policy::PolicyPtr BrokerCore::policy() const { return impl_->CurrentPolicy(); }

namespace {

// The record of a session event, before its outcome is known.
AuditRecord SessionRecord(const RequestContext& ctx, absl::string_view event) {
  AuditRecord r;
  r.event = std::string(event);
  r.peer = ctx.peer;
  r.userid = ctx.identity.userid;
  r.authn = ctx.identity.method;
  return r;
}

void SetOutcome(const absl::Status& status, AuditRecord* r) {
  r->decision = status.ok() ? "allowed" : "rejected";
  if (!status.ok()) {
    r->code = absl::StatusCodeToString(status.code());
    r->reason = std::string(status.message());
  }
}

}  // namespace

void BrokerCore::Audit(AuditRecord record) const {
  if (!impl_->auditing()) return;
  if (record.time == absl::Time()) record.time = absl::Now();
  if (record.policy_revision == 0) {
    policy::PolicyPtr p = impl_->CurrentPolicy();
    if (p != nullptr) record.policy_revision = p->revision();
  }
  RedactIdsInRecord(&record);
  impl_->options.audit(record);
}

bool BrokerCore::auditing() const { return impl_->auditing(); }

bool BrokerCore::records_peers(const policy::CompiledPolicy* policy) const {
  return impl_->auditing() || impl_->options.debug_authorization ||
         (policy != nullptr && policy->debug_authorization());
}

absl::Status BrokerCore::OpenSession(const RequestContext& ctx, const v1::OpenSessionRequest& req,
                                     v1::OpenSessionResponse* resp) {
  absl::Status s = OpenSessionUnaudited(ctx, req, resp);
  if (impl_->auditing()) {
    AuditRecord r = SessionRecord(ctx, "open_session");
    r.session = RedactId(resp->session());
    SetOutcome(s, &r);
    Audit(std::move(r));
  }
  return s;
}

absl::Status BrokerCore::OpenSessionUnaudited(const RequestContext& ctx,
                                              const v1::OpenSessionRequest& req,
                                              v1::OpenSessionResponse* resp) {
  absl::Status s = impl_->CheckDeadline(ctx);
  if (!s.ok()) return s;
  if (impl_->root == nullptr || impl_->root_type == nullptr) {
    return OrbError(absl::StatusCode::kFailedPrecondition,
                    "the broker's root object is not of a registered type", v1::UNREGISTERED_TYPE,
                    v1::GATE_SESSION);
  }
  policy::PolicyPtr p = ctx.policy != nullptr ? ctx.policy : impl_->CurrentPolicy();
  const policy::Limits limits = Impl::LimitsOf(p);
  std::string client_name = req.client_name().substr(0, 256);
  if (!IsValidUtf8(client_name)) client_name.clear();
  absl::StatusOr<std::shared_ptr<Session>> session = impl_->sessions.Open(
      ctx.identity, std::move(client_name), impl_->Now(),
      absl::Seconds(limits.session_ttl_seconds), limits.max_sessions_per_identity);
  if (!session.ok()) return session.status();
  absl::StatusOr<std::vector<v1::HandleRef>> root =
      (*session)->handles().Add({HandleTarget{impl_->root, impl_->root_type, false, nullptr}},
                                limits.max_handles_per_session);
  if (!root.ok()) {
    impl_->sessions.Close((*session)->id(), (*session)->owner_key(), impl_->Now()).IgnoreError();
    return root.status();
  }
  resp->set_session((*session)->id());
  *resp->mutable_root() = root->front();
  resp->set_lease_seconds(limits.session_ttl_seconds);
  resp->set_protocol(kProtocol);
  resp->set_protocol_revision(kProtocolRevision);
  for (const char* feature : {"describe", "restrict", "kwargs", "class-handles", "release-many", "batch"}) {
    resp->add_features(feature);
  }
  resp->set_userid(ctx.identity.userid);
  for (const std::string& principal : (*session)->principals().as_given()) {
    resp->add_principals(principal);
  }
  return absl::OkStatus();
}

absl::Status BrokerCore::CloseSession(const RequestContext& ctx,
                                      const v1::CloseSessionRequest& req,
                                      v1::CloseSessionResponse* resp) {
  absl::Status s = impl_->CheckDeadline(ctx);
  if (s.ok()) {
    absl::StatusOr<size_t> released =
        impl_->sessions.Close(req.session(), ctx.identity.OwnerKey(), impl_->Now());
    if (released.ok()) {
      resp->set_released_handles(static_cast<uint32_t>(*released));
    } else {
      s = released.status();
    }
  }
  if (impl_->auditing()) {
    AuditRecord r = SessionRecord(ctx, "close_session");
    r.session = RedactId(req.session());
    SetOutcome(s, &r);
    Audit(std::move(r));
  }
  return s;
}

absl::Status BrokerCore::KeepAlive(const RequestContext& ctx, const v1::KeepAliveRequest& req,
                                   v1::KeepAliveResponse* resp) {
  Impl::Op op;
  absl::Status s = impl_->BeginSession(ctx, req.session(), &op);
  if (!s.ok()) return s;
  resp->set_lease_seconds(op.limits.session_ttl_seconds);
  return absl::OkStatus();
}

absl::Status BrokerCore::GetAttr(const RequestContext& ctx, const v1::GetAttrRequest& req,
                                 v1::GetAttrResponse* resp) {
  v1::Value value;
  absl::Status s = impl_->GatedOp(
      ctx, policy::Op::kGetAttr, req.session(), req.handle(), req.name(), Impl::NoValues, &value,
      [&](const MemberBinding& m, Object* self, Invocation& inv) {
        return m.get(self, inv, &value);
      });
  if (s.ok() && !Impl::Deferred(ctx)) *resp->mutable_value() = std::move(value);
  return s;
}

absl::Status BrokerCore::SetAttr(const RequestContext& ctx, const v1::SetAttrRequest& req,
                                 v1::SetAttrResponse*) {
  return impl_->GatedOp(
      ctx, policy::Op::kSetAttr, req.session(), req.handle(), req.name(),
      [&](Impl::IncomingValues* values) {
        values->emplace_back(absl::StrCat("value of '", req.name(), "'"), &req.value());
        return absl::OkStatus();
      },
      nullptr,
      [&](const MemberBinding& m, Object* self, Invocation& inv) {
        return m.set(self, inv, req.value());
      });
}

absl::Status BrokerCore::DelAttr(const RequestContext& ctx, const v1::DelAttrRequest& req,
                                 v1::DelAttrResponse*) {
  return impl_->GatedOp(
      ctx, policy::Op::kDelAttr, req.session(), req.handle(), req.name(), Impl::NoValues,
      nullptr, [&](const MemberBinding& m, Object* self, Invocation& inv) {
        return m.del(self, inv);
      });
}

absl::Status BrokerCore::Call(const RequestContext& ctx, const v1::CallRequest& req,
                              v1::CallResponse* resp) {
  v1::Value result;
  const CallArgs args{req.args(), req.kwargs()};
  absl::Status s = impl_->GatedOp(
      ctx, policy::Op::kCall, req.session(), req.handle(), req.name(),
      [&](Impl::IncomingValues* values) -> absl::Status {
        values->reserve(static_cast<size_t>(req.args_size()) + req.kwargs_size());
        for (int i = 0; i < req.args_size(); ++i) {
          values->emplace_back(absl::StrCat("argument ", i), &req.args(i));
        }
        for (const auto& [key, value] : req.kwargs()) {
          if (key.size() > kMaxNameBytes || !IsValidUtf8(key)) {
            return ArgumentError(
                absl::StrCat("a keyword must be UTF-8 of at most ", kMaxNameBytes, " bytes"));
          }
          values->emplace_back(absl::StrCat("argument '", key, "'"), &value);
        }
        return absl::OkStatus();
      },
      &result,
      [&](const MemberBinding& m, Object* self, Invocation& inv) {
        return m.call(self, inv, args, &result);
      });
  if (s.ok() && !Impl::Deferred(ctx)) *resp->mutable_result() = std::move(result);
  return s;
}

absl::Status BrokerCore::Release(const RequestContext& ctx, const v1::ReleaseRequest& req,
                                 v1::ReleaseResponse* resp) {
  Impl::Op op;
  absl::Status s = impl_->BeginSession(ctx, req.session(), &op);
  if (!s.ok()) return s;
  std::vector<std::string> ids(req.handles().begin(), req.handles().end());
  absl::StatusOr<uint32_t> released = op.session->handles().Release(ids);
  if (!released.ok()) return released.status();
  resp->set_released(*released);
  return absl::OkStatus();
}

absl::Status BrokerCore::ListHandles(const RequestContext& ctx,
                                     const v1::ListHandlesRequest& req,
                                     v1::ListHandlesResponse* resp) {
  Impl::Op op;
  absl::Status s = impl_->BeginSession(ctx, req.session(), &op);
  if (!s.ok()) return s;
  for (v1::HandleInfo& info : op.session->handles().List()) {
    *resp->add_handles() = std::move(info);
  }
  return absl::OkStatus();
}

absl::Status BrokerCore::Describe(const RequestContext& ctx, const v1::DescribeRequest& req,
                                  v1::DescribeResponse* resp) {
  Impl::Op op;
  absl::Status s = impl_->Begin(ctx, req.session(), req.handle(), &op);
  if (!s.ok()) return s;
  const TypeInfo& type = *op.target.type;
  policy::OlpPtr object_olp;
  policy::Authorizer authz(op.policy.get(), Impl::TargetFactsOf(op, &object_olp));
  resp->set_type_name(type.name());
  resp->set_is_class(op.target.is_class);
  resp->set_view(std::string(policy::ViewName(op.view)));
  resp->set_restricted(op.target.restricted_olp != nullptr);
  for (const policy::OlpDescription::Entry& e : authz.DescribeOlp().entries) {
    v1::OlpEntryInfo* info = resp->add_olp();
    info->set_view(std::string(policy::ViewName(e.view)));
    info->set_op(std::string(policy::OpName(e.op)));
    info->set_name(e.name);
    info->set_lock(e.lock);
  }
  // Evaluated, never touched: no member runs here.
  LineageFacts lineage;
  const bool have_lineage = impl_->WalkLineage(op, &lineage).ok();
  if (have_lineage) authz.SetLineage(lineage.nodes, &lineage);
  const policy::Subject subject{&op.session->principals(), op.session->id()};
  for (const auto& [name, member] : type.members(op.view)) {
    for (int k = 0; k < policy::kOpCount; ++k) {
      const auto kind = static_cast<policy::Op>(k);
      if (!member.Supports(kind) || !authz.Exposes(kind, name)) continue;
      v1::MemberInfo* info = resp->add_members();
      info->set_op(std::string(policy::OpName(kind)));
      info->set_name(name);
      info->set_lock(authz.LockText(kind, name));
      info->set_allowed(have_lineage && authz.Decide(subject, kind, name).allowed());
    }
  }
  return absl::OkStatus();
}

absl::Status BrokerCore::Restrict(const RequestContext& ctx, const v1::RestrictRequest& req,
                                  v1::RestrictResponse* resp) {
  Impl::Op op;
  absl::Status s = impl_->Begin(ctx, req.session(), req.handle(), &op);
  if (!s.ok()) return s;
  policy::Olp::NameSubset keep;
  const int view = static_cast<int>(op.view);
  const auto copy = [](const google::protobuf::RepeatedPtrField<std::string>& names) {
    return std::vector<std::string>(names.begin(), names.end());
  };
  keep[view][static_cast<int>(policy::Op::kGetAttr)] = copy(req.getattr());
  keep[view][static_cast<int>(policy::Op::kSetAttr)] = copy(req.setattr());
  keep[view][static_cast<int>(policy::Op::kDelAttr)] = copy(req.delattr());
  keep[view][static_cast<int>(policy::Op::kCall)] = copy(req.call());
  HandleTarget narrowed = op.target;
  policy::OlpPtr object_olp;
  narrowed.restricted_olp =
      policy::Authorizer(op.policy.get(), Impl::TargetFactsOf(op, &object_olp)).Restrict(keep);
  absl::StatusOr<std::vector<v1::HandleRef>> refs =
      op.session->handles().Add({narrowed}, op.limits.max_handles_per_session);
  if (!refs.ok()) return refs.status();
  *resp->mutable_handle() = refs->front();
  return absl::OkStatus();
}

size_t BrokerCore::ExpireSessions() { return impl_->sessions.Expire(impl_->Now()); }

size_t BrokerCore::session_count() const { return impl_->sessions.size(); }

size_t BrokerCore::handle_count() const {
  return static_cast<size_t>(impl_->live_handles.load(std::memory_order_relaxed));
}

}  // namespace orb::broker
