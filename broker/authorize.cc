// The gate of a gated operation: the broker gathers the facts (lineage.h),
// policy::Authorizer decides, and the decision becomes a status, an audit
// record and, under debug_authorization, a log line.

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "broker/audit_records.h"
#include "broker/core_impl.h"
#include "broker/lineage.h"

namespace orb::broker {

namespace {

// The status for the Authorizer's decision: OK when the member may run.
// `explain` (null: none) goes into an ACL refusal's message.
absl::Status RefusalFor(const policy::Decision& decision, const TypeInfo& type,
                        policy::View view, policy::Op kind, absl::string_view name,
                        const MemberBinding& member, bool supports, const std::string* explain) {
  switch (decision.outcome()) {
    case policy::GateOutcome::kNotExposed:
      return NameNotFound(type, view, name);
    case policy::GateOutcome::kDenied:
      return AclDenied(type, view, kind, name, decision, explain);
    case policy::GateOutcome::kAllowed:
      if (!supports) return WrongMemberKind(type, member, kind);
      break;
  }
  return absl::OkStatus();
}

}  // namespace

void BrokerCore::Impl::CountDecision(policy::GateOutcome outcome, bool supports,
                                     absl::string_view method) const {
  switch (outcome) {
    case policy::GateOutcome::kNotExposed:
      counters.CountGateRefusal(GateDecision::kOlpNotExposed, method);
      return;
    case policy::GateOutcome::kDenied:
      counters.CountGateRefusal(GateDecision::kAclDenied, method);
      return;
    case policy::GateOutcome::kAllowed:
      if (supports) {
        counters.Count(GateDecision::kAclAllowed);
      } else {
        counters.CountGateRefusal(GateDecision::kOlpWrongMemberKind, method);
      }
      return;
  }
}

absl::Status BrokerCore::Impl::Gate(const RequestContext& ctx, const Op& op, policy::Op kind,
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
    counters.CountGateRefusal(GateDecision::kOlpNoSuchMember, ctx.identity.method);
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
    ShadowGate(ctx, op, kind, name, supports, BrokerCore::GateOutcome::kNotExposed, "");
    counters.CountGateRefusal(GateDecision::kOlpNotExposed, ctx.identity.method);
    return rejected(NameNotFound(type, op.view, name), "not_exposed",
                    "the member cannot do this operation and it is not exposed for it");
  }
  LineageFacts lineage;
  absl::Status s = WalkLineage(op, *registry, root, &lineage);
  if (!s.ok()) {
    counters.CountGateRefusal(GateDecision::kAclDetachedLineage, ctx.identity.method);
    return rejected(s);
  }
  authz.SetLineage(lineage.nodes, &lineage);
  const policy::Decision decision = authz.Decide(SubjectOf(op), kind, name);
  ShadowGate(ctx, op, kind, name, supports,
             static_cast<BrokerCore::GateOutcome>(static_cast<int>(decision.outcome())),
             decision.permission());
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
  absl::Status refusal = RefusalFor(decision, type, op.view, kind, name, *member, supports,
                                    debug ? &explain : nullptr);
  CountDecision(decision.outcome(), supports, ctx.identity.method);
  if (auditing()) {
    static constexpr absl::string_view kDecisionNames[] = {"not_exposed", "denied", "allowed"};
    AuditGate(ctx, op, kind, op.session->id(), op.handle_id, name,
              supports ? kDecisionNames[static_cast<int>(decision.outcome())]
                       : absl::string_view("rejected"),
              std::string(decision.permission()), refusal, std::move(explain));
  }
  return refusal;
}

}  // namespace orb::broker
