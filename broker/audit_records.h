// The words of the core: the audit records it writes and the messages of
// the refusals it answers with. Private to broker/.
//
// Records hold no credential and no whole id: callers pass ids through
// RedactId (orb/broker/audit.h), and the sink gets them after
// RedactIdsInRecord. Thread-safety: pure functions.
#ifndef ORB_BROKER_AUDIT_RECORDS_H_
#define ORB_BROKER_AUDIT_RECORDS_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "orb/broker/audit.h"
#include "orb/broker/broker_core.h"
#include "orb/broker/type_registry.h"
#include "policy/authorizer.h"

namespace orb::broker {

// What a gate record says about the operation, beside the caller.
struct GateFacts {
  policy::Op kind = policy::Op::kGetAttr;
  const TypeInfo* type = nullptr;  // null when the handle was not found
  policy::View view = policy::View::kInstance;
  absl::string_view session_id;  // whole ids: redacted here
  absl::string_view handle_id;
  absl::string_view name;
  absl::string_view decision;  // "allowed", "denied", "not_exposed", "rejected"
  uint64_t policy_revision = 0;
};

// The record of one gated operation, ids redacted (the name and reason are
// left to RedactIdsInRecord). `reason` defaults to the status message of a
// refusal when empty.
AuditRecord GateRecord(const RequestContext& ctx, const GateFacts& facts, std::string permission,
                       const absl::Status& status, std::string reason);

// The record of a session event, before its outcome is known.
AuditRecord SessionRecord(const RequestContext& ctx, absl::string_view event);

// The decision, code and reason of a session event from its status.
void SetOutcome(const absl::Status& status, AuditRecord* r);

// One wording for "missing" and "not exposed": status, message and
// ErrorInfo are byte-identical, so a hidden name cannot be told from an
// absent one. NOT_FOUND (NAME_NOT_FOUND, gate olp), Python style.
absl::Status NameNotFound(const TypeInfo& type, policy::View view, absl::string_view name);

// INVALID_ARGUMENT (WRONG_MEMBER_KIND): the member `m` is exposed but
// cannot do `kind` ("... is read-only", "... is not callable").
absl::Status WrongMemberKind(const TypeInfo& type, const MemberBinding& m, policy::Op kind);

// PERMISSION_DENIED (ACL_DENIED): names the operation, the member and the
// permission or lock needed; `explain` (null: none) is appended for
// debug_authorization. REQUIRES: decision.outcome() is kDenied.
absl::Status AclDenied(const TypeInfo& type, policy::View view, policy::Op kind,
                       absl::string_view name, const policy::Decision& decision,
                       const std::string* explain);

// UNKNOWN (METHOD_EXCEPTION): the member raised an exception of
// `exception_type` (demangled) with `what` (may be null: not a
// std::exception).
absl::Status MemberRaised(policy::Op kind, absl::string_view member,
                          const std::string& exception_type, const char* what);

}  // namespace orb::broker

#endif  // ORB_BROKER_AUDIT_RECORDS_H_
