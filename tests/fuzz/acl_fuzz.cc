// Fuzz target: the ACL evaluator against a reference.
//
// The input describes a small tree of resources (each with no ACL, or an
// ACL of up to 40 ACEs; nodes may share one compiled ACL, and ACLs of 9+
// ACEs take the evaluator's indexed path), a context node, the caller's
// principals and a permission. The evaluator (policy/acl.cc: interned ids,
// compiled ACEs, membership masks, the index) must agree with the plain
// reference below, written from tests/conformance/SEMANTICS.md §4, §5 and
// §7 over strings only, on:
//   - permits(): allowed or not, which node and which ACE decided, and the
//     node a default deny reports;
//   - the same query by interned id (when the permission is interned);
//   - principals_allowed_by_permission().
// Any disagreement aborts.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "orb/policy/acl.h"
#include "orb/policy/symbols.h"
#include "tests/fuzz/fuzz_input.h"

namespace orb::fuzz {
namespace {

using policy::AceAction;
using policy::AceSpec;
using policy::PermissionForm;

// ------------------------------------------------------------- reference

struct RefAce {
  bool allow;
  std::string principal;
  bool all_permissions;
  std::vector<std::string> permissions;  // a string form is a one-item list
};

struct RefNode {
  int parent = -1;
  std::optional<std::vector<RefAce>> acl;  // nullopt: the node has no ACL
};

bool RefContains(const RefAce& ace, const std::string& permission) {
  if (ace.all_permissions) return true;
  return std::find(ace.permissions.begin(), ace.permissions.end(), permission) !=
         ace.permissions.end();
}

struct RefDecision {
  bool allowed = false;
  int node = -1;  // position in the lineage of the deciding ACL, -1: default deny
  int ace = -1;
  int msg_node = -1;  // deciding node, else the root-most node with an ACL, else -1
};

// §5: context first; the first ACE naming one of the principals and
// containing the permission decides; no match anywhere denies.
RefDecision RefPermits(const std::vector<const RefNode*>& lineage,
                       const std::vector<std::string>& principals,
                       const std::string& permission) {
  RefDecision d;
  for (size_t at = 0; at < lineage.size(); ++at) {
    if (!lineage[at]->acl) continue;
    d.msg_node = static_cast<int>(at);
    const std::vector<RefAce>& acl = *lineage[at]->acl;
    for (size_t i = 0; i < acl.size(); ++i) {
      if (std::find(principals.begin(), principals.end(), acl[i].principal) == principals.end()) {
        continue;
      }
      if (!RefContains(acl[i], permission)) continue;
      d.allowed = acl[i].allow;
      d.node = static_cast<int>(at);
      d.ace = static_cast<int>(i);
      return d;
    }
  }
  return d;
}

// §7: root first; a Deny of Everyone wipes what was inherited and ends the
// ACL, a Deny of anyone else removes that principal from what was inherited.
std::set<std::string> RefPrincipalsAllowed(const std::vector<const RefNode*>& lineage,
                                           const std::string& permission) {
  std::set<std::string> allowed;
  for (auto it = lineage.rbegin(); it != lineage.rend(); ++it) {
    if (!(*it)->acl) continue;
    std::set<std::string> allowed_here, denied_here;
    for (const RefAce& ace : *(*it)->acl) {
      if (!RefContains(ace, permission)) continue;
      if (ace.allow) {
        if (denied_here.count(ace.principal) == 0) allowed_here.insert(ace.principal);
      } else {
        denied_here.insert(ace.principal);
        if (ace.principal == policy::kEveryone) {
          allowed.clear();
          break;
        }
        allowed.erase(ace.principal);
      }
    }
    allowed.insert(allowed_here.begin(), allowed_here.end());
  }
  return allowed;
}

// ---------------------------------------------------------------- input

const std::vector<std::string> kPrincipals = {
    std::string(policy::kEveryone), std::string(policy::kAuthenticated), "bob", "alice",
    "group:editors", "group:editor", "", "system.everyone", "Bob"};
const std::vector<std::string> kPermissions = {"view", "edit", "add", "delete", "vie", "",
                                               "View", "view_stuff"};

std::string PrincipalFrom(FuzzInput& in) {
  // Mostly the small alphabet, so that ACEs and callers meet; sometimes a
  // name of the input's own (possibly never interned).
  if (in.Below(8) == 0) return in.Bytes(8);
  return in.Pick(kPrincipals);
}

std::string PermissionFrom(FuzzInput& in) {
  if (in.Below(8) == 0) return in.Bytes(8);
  return in.Pick(kPermissions);
}

RefAce AceFrom(FuzzInput& in) {
  RefAce ace;
  const size_t shape = in.Below(16);
  if (shape == 0) return RefAce{false, std::string(policy::kEveryone), true, {}};  // DENY_ALL
  ace.allow = in.Below(3) != 0;
  ace.principal = PrincipalFrom(in);
  if (shape == 1) {
    ace.all_permissions = true;
    return ace;
  }
  ace.all_permissions = false;
  const size_t count = shape < 8 ? 1 : in.Below(5);  // lists may be empty or repeat
  for (size_t i = 0; i < count; ++i) ace.permissions.push_back(PermissionFrom(in));
  return ace;
}

AceSpec SpecOf(const RefAce& ace, bool string_form) {
  AceSpec spec;
  spec.action = ace.allow ? AceAction::kAllow : AceAction::kDeny;
  spec.principal = ace.principal;
  if (ace.all_permissions) {
    spec.form = PermissionForm::kAllPermissions;
  } else if (string_form && ace.permissions.size() == 1) {
    spec.form = PermissionForm::kString;
    spec.permissions = ace.permissions;
  } else {
    spec.form = PermissionForm::kList;
    spec.permissions = ace.permissions;
  }
  return spec;
}

std::string Describe(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) absl::StrAppend(&out, "'", n, "' ");
  return out;
}

}  // namespace
}  // namespace orb::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace orb::fuzz;
  using namespace orb::policy;
  FuzzInput in(data, size);

  // The tree: node i's parent is an earlier node (or none).
  const size_t node_count = 1 + in.Below(8);
  std::vector<RefNode> nodes(node_count);
  std::vector<AclPtr> compiled(node_count);
  for (size_t i = 0; i < node_count; ++i) {
    nodes[i].parent = i == 0 ? -1 : static_cast<int>(in.Below(i + 1)) - 1;
    const size_t kind = in.Below(6);
    if (kind == 0) continue;  // no ACL
    if (kind == 1 && i > 0) {
      // The very same compiled ACL object as an earlier node.
      const size_t other = in.Below(i);
      nodes[i].acl = nodes[other].acl;
      compiled[i] = compiled[other];
      continue;
    }
    // Sizes around the evaluator's index threshold are the interesting ones.
    const size_t ace_count = kind == 2 ? in.Below(41) : in.Below(12);
    std::vector<RefAce> aces;
    std::vector<AceSpec> specs;
    const bool string_form = in.Bool();
    for (size_t a = 0; a < ace_count; ++a) {
      aces.push_back(AceFrom(in));
      specs.push_back(SpecOf(aces.back(), string_form));
    }
    nodes[i].acl = std::move(aces);
    compiled[i] = Acl::Compile(std::move(specs));
  }
  const size_t context = in.Below(node_count);

  std::vector<std::string> principal_names;
  const size_t principal_count = in.Below(6);
  for (size_t i = 0; i < principal_count; ++i) principal_names.push_back(PrincipalFrom(in));
  const std::string permission = PermissionFrom(in);

  std::vector<const RefNode*> ref_lineage;
  std::vector<LineageNode> lineage;
  std::vector<std::string> names;
  names.reserve(node_count);
  for (int n = static_cast<int>(context); n != -1; n = nodes[n].parent) {
    ref_lineage.push_back(&nodes[n]);
    names.push_back(absl::StrCat("node", n));
    lineage.push_back(LineageNode{compiled[n].get(), names.back(), "Resource"});
  }

  const Principals principals(principal_names);
  const RefDecision want = RefPermits(ref_lineage, principal_names, permission);
  const AclResult got = Permits(lineage, principals, permission);
  const std::string query =
      absl::StrCat("principals ", Describe(principal_names), "permission '", permission, "'");
  if (got.allowed() != want.allowed || got.acl_node() != want.node ||
      got.ace_index() != want.ace || got.msg_acl_node() != want.msg_node ||
      got.default_deny() != (want.node < 0)) {
    Finding(absl::StrCat("Permits disagrees with the reference for ", query, ": got allowed=",
                         got.allowed(), " node=", got.acl_node(), " ace=", got.ace_index(),
                         " msg_node=", got.msg_acl_node(), "; want allowed=", want.allowed,
                         " node=", want.node, " ace=", want.ace, " msg_node=", want.msg_node));
  }
  const SymbolId id = SymbolTable::Global().Find(permission);
  if (id != kNoSymbol) {
    const AclResult by_id = Permits(lineage, principals, id);
    if (by_id.allowed() != got.allowed() || by_id.acl_node() != got.acl_node() ||
        by_id.ace_index() != got.ace_index()) {
      Finding(absl::StrCat("Permits by id and by name disagree for ", query));
    }
  }
  const std::string message = got.Message(lineage, principals.as_given(), permission);
  if ((message.rfind("ACLAllowed", 0) == 0) != got.allowed()) {
    Finding(absl::StrCat("the message does not match the decision: ", message));
  }

  const std::set<std::string> want_set = RefPrincipalsAllowed(ref_lineage, permission);
  const std::vector<std::string> got_list = PrincipalsAllowedByPermission(lineage, permission);
  const std::set<std::string> got_set(got_list.begin(), got_list.end());
  if (got_set != want_set || got_set.size() != got_list.size()) {
    Finding(absl::StrCat("PrincipalsAllowedByPermission disagrees for permission '", permission,
                         "': got ", Describe(got_list), "; want ",
                         Describe(std::vector<std::string>(want_set.begin(), want_set.end()))));
  }
  return 0;
}
