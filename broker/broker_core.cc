// The entry points of BrokerCore, one per RPC, and the order of the request
// path of GetAttr/SetAttr/DelAttr/Call (GatedOp). The steps themselves live
// in the files listed in core_impl.h.
#include "orb/broker/broker_core.h"

#include <memory>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/sync.h"
#include "broker/audit_records.h"
#include "broker/broker_identity.h"
#include "broker/core_impl.h"
#include "broker/lineage.h"
#include "orb/broker/errors.h"
#include "orb/broker/value_codec.h"
#include "policy/authorizer.h"

namespace orb::broker {

namespace {

constexpr char kProtocol[] = "orb.v1";
constexpr uint32_t kProtocolRevision = 4;

}  // namespace

DeferredCall::DeferredCall() = default;
DeferredCall::~DeferredCall() = default;
DeferredCall::DeferredCall(DeferredCall&&) noexcept = default;
DeferredCall& DeferredCall::operator=(DeferredCall&&) noexcept = default;

namespace {

bool AnyMemberMayBlock(const TypeRegistry& registry) {
  for (const TypeInfo* type : registry.types()) {
    for (policy::View view : {policy::View::kInstance, policy::View::kClass}) {
      for (const auto& [name, member] : type->members(view)) {
        if (member.may_block) return true;
      }
    }
  }
  return false;
}

}  // namespace

BrokerCore::Impl::Impl(std::shared_ptr<const TypeRegistry> registry_in,
                       std::shared_ptr<Object> root_in, policy::PolicyPtr policy_in,
                       Options options_in)
    : registry(std::move(registry_in)),
      any_member_may_block(AnyMemberMayBlock(*registry)),
      root(std::move(root_in)),
      root_type(root != nullptr ? registry->FindFor(*root) : nullptr),
      options(std::move(options_in)),
      sessions(options.new_id ? options.new_id : std::function<std::string()>(RandomId128),
               &live_handles,
               BrokerIdentity{options.broker_id.empty() ? RandomBrokerId() : options.broker_id,
                              options.incarnation.empty() ? RandomIncarnation()
                                                          : options.incarnation}),
      policy(std::move(policy_in)) {}

policy::PolicyPtr BrokerCore::Impl::CurrentPolicy() const {
  // Shared: every call reads it, a reload writes it.
  orb::ReaderMutexHold lock(&policy_mu);
  return policy;
}

// The one path of GetAttr, SetAttr, DelAttr and Call: session and handle
// (the request path in broker_core.h), the name, the incoming values
// (`collect` lists them, or refuses the request), both gates, then `touch`
// runs the member; handles it exports are filled into *out. Refusals
// before the gates are audited as "rejected". A member that may block is
// handed back to the caller after the gates when it asked for that, and
// run when it comes back (see DeferredCall).
absl::Status BrokerCore::Impl::GatedOp(const RequestContext& ctx, policy::Op kind,
                                       absl::string_view session_id,
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

BrokerCore::BrokerCore(std::shared_ptr<const TypeRegistry> registry, std::shared_ptr<Object> root,
                       policy::PolicyPtr policy, Options options)
    : impl_(std::make_unique<Impl>(std::move(registry), std::move(root), std::move(policy),
                                   std::move(options))) {}

BrokerCore::~BrokerCore() = default;

void BrokerCore::SetPolicy(policy::PolicyPtr policy) {
  policy::PolicyPtr old;
  {
    orb::MutexHold lock(&impl_->policy_mu);
    old = std::move(impl_->policy);
    impl_->policy = std::move(policy);
  }
  // `old` is released here, outside the lock.
}

policy::PolicyPtr BrokerCore::policy() const { return impl_->CurrentPolicy(); }

const std::string& BrokerCore::broker_id() const { return impl_->sessions.broker().broker_id; }

const std::string& BrokerCore::incarnation() const {
  return impl_->sessions.broker().incarnation;
}

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
  for (const char* feature : {"describe", "restrict", "kwargs", "class-handles", "release-many",
                              "batch", "stream", "get-attrs", "watch"}) {
    resp->add_features(feature);
  }
  resp->set_userid(ctx.identity.userid);
  resp->set_route(impl_->sessions.broker().broker_id);
  for (const std::string& principal : (*session)->principals().as_given()) {
    resp->add_principals(principal);
  }
  return absl::OkStatus();
}

absl::Status BrokerCore::CloseSession(const RequestContext& ctx,
                                      const v1::CloseSessionRequest& req,
                                      v1::CloseSessionResponse* resp) {
  absl::Status s = impl_->CheckDeadline(ctx);
  if (s.ok()) s = impl_->CheckRoute(ctx);
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
                                 v1::SetAttrResponse* resp) {
  return impl_->WithRequestId(ctx, req, req.session(), req.request_id(), resp,
                              [&](const RequestContext& c) { return SetAttrOnce(c, req); });
}

absl::Status BrokerCore::SetAttrOnce(const RequestContext& ctx, const v1::SetAttrRequest& req) {
  return impl_->GatedOp(
      ctx, policy::Op::kSetAttr, req.session(), req.handle(), req.name(),
      [&](Impl::IncomingValues* values) {
        values->emplace_back(absl::StrCat("value of '", req.name(), "'"), &req.value());
        return absl::OkStatus();
      },
      nullptr,
      [&](const MemberBinding& m, Object* self, Invocation& inv) {
        absl::Status set = m.set(self, inv, req.value());
        if (set.ok() && self != nullptr) self->Changed(req.name());  // to its watchers
        return set;
      });
}

absl::Status BrokerCore::DelAttr(const RequestContext& ctx, const v1::DelAttrRequest& req,
                                 v1::DelAttrResponse* resp) {
  return impl_->WithRequestId(ctx, req, req.session(), req.request_id(), resp,
                              [&](const RequestContext& c) { return DelAttrOnce(c, req); });
}

absl::Status BrokerCore::DelAttrOnce(const RequestContext& ctx, const v1::DelAttrRequest& req) {
  return impl_->GatedOp(
      ctx, policy::Op::kDelAttr, req.session(), req.handle(), req.name(), Impl::NoValues,
      nullptr, [&](const MemberBinding& m, Object* self, Invocation& inv) {
        absl::Status deleted = m.del(self, inv);
        if (deleted.ok() && self != nullptr) self->Changed(req.name());  // to its watchers
        return deleted;
      });
}

absl::Status BrokerCore::Call(const RequestContext& ctx, const v1::CallRequest& req,
                              v1::CallResponse* resp) {
  return impl_->WithRequestId(ctx, req, req.session(), req.request_id(), resp,
                              [&](const RequestContext& c) { return CallOnce(c, req, resp); });
}

absl::Status BrokerCore::CallOnce(const RequestContext& ctx, const v1::CallRequest& req,
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
  if (s.ok() && !Impl::Deferred(ctx) && req.by_value() && result.has_handle()) {
    s = ResultByValue(ctx, req.session(), &result);
  }
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
  // A watch whose handle went finds out and ends.
  op.session->watches().PokeAll();
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
  policy::Authorizer authz(op.policy.get(), TargetFactsOf(op, &object_olp));
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
  const bool have_lineage = WalkLineage(op, *impl_->registry, impl_->root, &lineage).ok();
  if (have_lineage) authz.SetLineage(lineage.nodes, &lineage);
  const policy::Subject subject = SubjectOf(op);
  for (const auto& [name, member] : type.members(op.view)) {
    for (int k = 0; k < policy::kOpCount; ++k) {
      const auto kind = static_cast<policy::Op>(k);
      if (!member.Supports(kind) || !authz.Exposes(kind, name)) continue;
      v1::MemberInfo* info = resp->add_members();
      info->set_op(std::string(policy::OpName(kind)));
      info->set_name(name);
      policy::MemberRights rights =
          authz.DescribeMember(kind, name, have_lineage ? &subject : nullptr);
      info->set_lock(std::move(rights.lock));
      info->set_allowed(rights.allowed);
      info->set_idempotent(kind == policy::Op::kCall && member.idempotent);
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
      policy::Authorizer(op.policy.get(), TargetFactsOf(op, &object_olp)).Restrict(keep);
  absl::StatusOr<std::vector<v1::HandleRef>> refs =
      op.session->handles().Add({narrowed}, op.limits.max_handles_per_session);
  if (!refs.ok()) return refs.status();
  *resp->mutable_handle() = refs->front();
  return absl::OkStatus();
}

size_t BrokerCore::ExpireSessions() { return impl_->sessions.Expire(impl_->Now()); }

size_t BrokerCore::session_count() const { return impl_->sessions.size(); }

bool BrokerCore::any_member_may_block() const { return impl_->any_member_may_block; }

CoreCounters& BrokerCore::counters() const { return impl_->counters; }

size_t BrokerCore::handle_count() const {
  return static_cast<size_t>(impl_->live_handles.load(std::memory_order_relaxed));
}

}  // namespace orb::broker
