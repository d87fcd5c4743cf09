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
//
// Order (rpyc.security's, see olp.h): the name's own lock, then "&" only if
// it held, then "|" only if that path failed. AND stops at its first member
// that fails, OR at its first member that holds, so a permission after the
// deciding one is never asked of the ACL.
//
// Which permission a decision reports (GateDecision::permission) is the one
// whose ACL result settled the outcome:
//   - a permission lock reports itself, granted or refused;
//   - an AND that fails reports what its first failing member reports; an
//     AND that holds reports the last of its members that reports one;
//   - an OR that holds reports what its first holding member reports; an OR
//     that fails reports the last of its members that reports one;
//   - BLOCKED, NO_PERMISSION_REQUIRED, custom locks and empty lists report
//     none (the ACL did not decide).
// The whole check is ((own AND "&") OR "|") under these rules. So a denial
// carries the ACL refusal that made the lock fail, or none when a custom or
// BLOCKED member refused; an allow carries the grant that let it through.
#ifndef ORB_POLICY_GATE_H_
#define ORB_POLICY_GATE_H_

#include <string>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "orb/policy/acl.h"
#include "orb/policy/olp.h"
#include "orb/policy/symbols.h"

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
  // The locks the decision came from; they point into the OLP passed to
  // Decide (all null when not exposed).
  Olp::Resolved locks;

  bool allowed() const { return outcome == GateOutcome::kAllowed; }

  // A one-line account for debug logs: op, view, name, the outcome, the
  // lock's rendering and, when the ACL decided, Pyramid's message. The name
  // is C-escaped (a client chose it), so the line has no line break.
  // Contains no credential and no session id. Allocates.
  // REQUIRES: `request` is the one decided, and the OLP it was decided
  // under is still alive (the lock rendering is read from it).
  std::string Explain(const AccessRequest& request) const;
};

// Decides `request` under `olp`. Never touches the object. Allocates nothing
// on the allow/deny path for permission locks; a custom lock that errors or
// throws counts as not holding (fails closed), and nothing escapes. A null
// `principals` or an empty lineage makes every permission lock fail rather
// than reach the evaluator. Thread-safe: `olp` is immutable; custom locks
// must be safe to call concurrently.
GateDecision Decide(const Olp& olp, const AccessRequest& request);

}  // namespace orb::policy

#endif  // ORB_POLICY_GATE_H_
