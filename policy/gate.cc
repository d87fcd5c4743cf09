#include "policy/gate.h"

#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace orb::policy {
namespace {

// The permission whose ACL result settled a (sub)expression, or none.
struct Witness {
  SymbolId permission = kNoSymbol;
  AclResult acl;
};

// Everything a lock may be evaluated against; built once per decision.
struct EvalContext {
  const AccessRequest* request;
  LockQuery lock_query;
};

// Evaluates `lock` with rpyc.security's short-circuits and sets `*w` by the
// rules in gate.h. Allocates nothing for permission, list, BLOCKED and
// NO_PERMISSION_REQUIRED locks.
bool Holds(const Lock& lock, const EvalContext& c, Witness* w) {
  switch (lock.kind()) {
    case Lock::Kind::kPermission: {
      const AccessRequest& r = *c.request;
      // Fail closed on a malformed request instead of handing Permits() an
      // input it does not accept.
      if (r.principals == nullptr || r.lineage.empty()) {
        *w = Witness{};
        return false;
      }
      w->permission = lock.permission_id();
      w->acl = Permits(r.lineage, *r.principals, lock.permission_id());
      return w->acl.allowed();
    }
    case Lock::Kind::kAllOf: {
      Witness last;
      for (const Lock& child : lock.children()) {
        Witness cw;
        if (!Holds(child, c, &cw)) {
          *w = cw;
          return false;
        }
        if (cw.permission != kNoSymbol) last = cw;
      }
      *w = last;
      return true;
    }
    case Lock::Kind::kAnyOf: {
      Witness last;
      for (const Lock& child : lock.children()) {
        Witness cw;
        if (Holds(child, c, &cw)) {
          *w = cw;
          return true;
        }
        if (cw.permission != kNoSymbol) last = cw;
      }
      *w = last;
      return false;
    }
    case Lock::Kind::kNoPermissionRequired:
      *w = Witness{};
      return true;
    case Lock::Kind::kCustom:
      *w = Witness{};
      return lock.CustomHolds(c.lock_query);
    case Lock::Kind::kBlocked:
      break;
  }
  *w = Witness{};
  return false;
}

absl::string_view OutcomeName(GateOutcome outcome) {
  switch (outcome) {
    case GateOutcome::kNotExposed:
      return "not exposed";
    case GateOutcome::kDenied:
      return "denied";
    case GateOutcome::kAllowed:
      return "allowed";
  }
  return "unknown";
}

}  // namespace

GateDecision Decide(const Olp& olp, const AccessRequest& request) {
  GateDecision d;
  d.locks = olp.Resolve(request.view, request.op, request.name);
  if (!d.locks.exposed()) {
    d.outcome = GateOutcome::kNotExposed;
    return d;
  }

  EvalContext c;
  c.request = &request;
  c.lock_query.principals = request.principals;
  c.lock_query.session_id = request.session_id;
  c.lock_query.name = request.name;
  c.lock_query.op = request.op;
  c.lock_query.view = request.view;

  // ((own AND all) OR alt), composed with the same witness rules as the
  // lists, so that the report does not depend on how the OLP was written.
  bool ok = false;
  Witness w;
  if (d.locks.own != nullptr) {
    ok = Holds(*d.locks.own, c, &w);
    if (ok && d.locks.all != nullptr) {
      Witness aw;
      ok = Holds(*d.locks.all, c, &aw);
      if (!ok || aw.permission != kNoSymbol) w = aw;
    }
  }
  if (!ok && d.locks.alt != nullptr) {
    Witness ow;
    ok = Holds(*d.locks.alt, c, &ow);
    if (ok || ow.permission != kNoSymbol) w = ow;
  }

  d.outcome = ok ? GateOutcome::kAllowed : GateOutcome::kDenied;
  d.permission = w.permission;
  d.acl = w.acl;
  return d;
}

std::string GateDecision::Explain(const AccessRequest& request) const {
  std::string line =
      absl::StrCat(OpName(request.op), " ", ViewName(request.view), " '",
                   absl::CHexEscape(request.name), "': ", OutcomeName(outcome));
  if (outcome == GateOutcome::kNotExposed) return line;
  absl::StrAppend(&line, "; lock ", locks.Render());
  if (permission == kNoSymbol) {
    absl::StrAppend(&line, "; decided without the ACL");
    return line;
  }
  const absl::string_view permission_name = SymbolTable::Global().Name(permission);
  absl::StrAppend(&line, "; permission '", absl::CHexEscape(permission_name), "'");
  if (request.principals != nullptr && !request.lineage.empty()) {
    absl::StrAppend(&line, "; ",
                    acl.Message(request.lineage, request.principals->as_given(), permission_name));
  }
  return line;
}

}  // namespace orb::policy
