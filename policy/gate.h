// The gate: the one decision function for every broker operation.
//
// "May these principals do OP on NAME of this object?" has three answers:
//   kNotExposed - the OLP does not expose NAME for OP on this view. The
//                 broker answers NOT_FOUND, worded exactly like a missing
//                 member, so a hidden name cannot be told from an absent one.
//   kDenied     - exposed, but the lock does not hold (PERMISSION_DENIED).
//   kAllowed    - go ahead and touch the member.
// Permission locks are decided by the ACL evaluator over the object's
// lineage for the caller's principals.
#ifndef ORB_POLICY_GATE_H_
#define ORB_POLICY_GATE_H_

#include <string>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "policy/acl.h"
#include "policy/olp.h"
#include "policy/symbols.h"

namespace orb::policy {

struct AccessRequest {
  View view = View::kInstance;
  Op op = Op::kGetAttr;
  absl::string_view name;
  // The object's lineage, the object first (see acl.h). Not empty.
  absl::Span<const LineageNode> lineage;
  const Principals* principals = nullptr;  // never null
  absl::string_view session_id;
};

enum class GateOutcome : uint8_t { kNotExposed, kDenied, kAllowed };

struct GateDecision {
  GateOutcome outcome = GateOutcome::kNotExposed;
  // The permission lock whose ACL result decided, when one did (else
  // kNoSymbol: e.g. BLOCKED, NO_PERMISSION_REQUIRED, a custom lock).
  SymbolId permission = kNoSymbol;
  AclResult acl;  // valid when permission != kNoSymbol

  bool allowed() const { return outcome == GateOutcome::kAllowed; }

  // A one-line account for debug logs: the outcome, the lock and, when the
  // ACL decided, Pyramid's message. Contains no credential.
  std::string Explain(const AccessRequest& request) const;
};

// Decides `request` under `olp`. Never touches the object. Allocates nothing
// on the allow/deny path for permission locks; a custom lock that errors
// counts as not holding (fails closed).
GateDecision Decide(const Olp& olp, const AccessRequest& request);

}  // namespace orb::policy

#endif  // ORB_POLICY_GATE_H_
