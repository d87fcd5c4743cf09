#include "broker/audit_records.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "broker/core_impl.h"
#include "orb/broker/errors.h"

namespace orb::broker {

namespace {

// The type's remote name as messages show it, Python style.
std::string NameNotFoundMessage(const TypeInfo& type, policy::View view, absl::string_view name) {
  if (view == policy::View::kClass) {
    return absl::StrCat("type object '", type.name(), "' has no attribute '", name, "'");
  }
  return absl::StrCat("'", type.name(), "' object has no attribute '", name, "'");
}

std::string WrongKindMessage(const TypeInfo& type, const MemberBinding& m, policy::Op kind) {
  const std::string what = absl::StrCat(m.KindName(), " '", m.name, "' of '", type.name(), "'");
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

}  // namespace

AuditRecord GateRecord(const RequestContext& ctx, const GateFacts& facts, std::string permission,
                       const absl::Status& status, std::string reason) {
  AuditRecord r;
  r.time = absl::Now();
  r.event = "gate";
  r.peer = ctx.peer;
  r.userid = ctx.identity.userid;
  r.authn = ctx.identity.method;
  r.session = RedactId(facts.session_id);
  r.handle = RedactId(facts.handle_id);
  if (facts.type != nullptr) {
    r.type = facts.type->name();
    r.view = std::string(policy::ViewName(facts.view));
  }
  r.op = std::string(policy::OpName(facts.kind));
  r.name = std::string(facts.name);
  r.decision = std::string(facts.decision);
  r.permission = std::move(permission);
  if (!status.ok()) r.code = absl::StatusCodeToString(status.code());
  r.reason = reason.empty() && !status.ok() ? std::string(status.message()) : std::move(reason);
  r.policy_revision = facts.policy_revision;
  return r;
}

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

absl::Status NameNotFound(const TypeInfo& type, policy::View view, absl::string_view name) {
  return OrbError(absl::StatusCode::kNotFound, NameNotFoundMessage(type, view, name),
                  v1::NAME_NOT_FOUND, v1::GATE_OLP);
}

absl::Status WrongMemberKind(const TypeInfo& type, const MemberBinding& m, policy::Op kind) {
  return OrbError(absl::StatusCode::kInvalidArgument, WrongKindMessage(type, m, kind),
                  v1::WRONG_MEMBER_KIND, v1::GATE_OLP);
}

absl::Status AclDenied(const TypeInfo& type, policy::View view, policy::Op kind,
                       absl::string_view name, const policy::Decision& decision,
                       const std::string* explain) {
  std::string message =
      absl::StrCat(policy::OpName(kind), " '", name, "' on '", type.name(), "' ",
                   view == policy::View::kClass ? "class" : "object", " needs ", decision.Needed(),
                   ", which the caller does not hold");
  if (explain != nullptr) absl::StrAppend(&message, " (", *explain, ")");
  return OrbError(absl::StatusCode::kPermissionDenied, message, v1::ACL_DENIED, v1::GATE_ACL);
}

absl::Status MemberRaised(policy::Op kind, absl::string_view member,
                          const std::string& exception_type, const char* what) {
  std::string message =
      absl::StrCat(policy::OpName(kind), " '", member, "' raised ", exception_type);
  if (what != nullptr) absl::StrAppend(&message, ": ", what);
  return OrbError(absl::StatusCode::kUnknown, message, v1::METHOD_EXCEPTION, v1::GATE_METHOD,
                  exception_type);
}

void BrokerCore::Impl::AuditGate(const RequestContext& ctx, const Op& op, policy::Op kind,
                                 absl::string_view session_id, absl::string_view handle_id,
                                 absl::string_view name, absl::string_view decision,
                                 std::string permission, const absl::Status& status,
                                 std::string reason) const {
  GateFacts facts;
  facts.kind = kind;
  facts.type = op.target.type;
  facts.view = op.view;
  facts.session_id = session_id;
  facts.handle_id = handle_id;
  facts.name = name;
  facts.decision = decision;
  policy::PolicyPtr p = op.policy != nullptr ? op.policy : CurrentPolicy();
  facts.policy_revision = p != nullptr ? p->revision() : 0;
  AuditRecord r = GateRecord(ctx, facts, std::move(permission), status, std::move(reason));
  RedactIdsInRecord(&r);
  options.audit(r);
}

absl::Status BrokerCore::Impl::Rejected(const RequestContext& ctx, const Op& op, policy::Op kind,
                                        absl::string_view session_id,
                                        absl::string_view handle_id, absl::string_view name,
                                        absl::Status status) const {
  if (auditing()) {
    AuditGate(ctx, op, kind, session_id, handle_id, name, "rejected", "", status, "");
  }
  return status;
}

}  // namespace orb::broker
