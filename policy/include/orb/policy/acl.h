// ACLs and the ACL evaluator, with Pyramid 2.0's ACLHelper semantics exactly
// (see docs/policy.md, and tests/conformance/SEMANTICS.md for the reference
// that the conformance corpus checks).
//
// An ACL is an ordered list of ACEs (action, principal, permissions). To
// decide permits(context, principals, permission), the evaluator walks the
// lineage from the context up to the root; at each node that has an ACL it
// scans the ACEs in order, and the first ACE whose principal is among the
// principals and whose permissions contain the permission decides (Allow
// grants, anything else denies). No match anywhere is a default deny. A node
// with no ACL is skipped; an empty ACL matches nothing but still counts as
// "an ACL was found" for the default-deny message.
#ifndef ORB_POLICY_ACL_H_
#define ORB_POLICY_ACL_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "orb/policy/symbols.h"

namespace orb::policy {

enum class AceAction : uint8_t { kAllow, kDeny };

// How an ACE names its permissions. The difference matters for messages
// only: Pyramid renders a string as 'view' and a sequence as a tuple.
enum class PermissionForm : uint8_t {
  kString,          // one name, Pyramid's str form; permissions has 1 item
  kList,            // a sequence, possibly empty or with duplicates
  kAllPermissions,  // ALL_PERMISSIONS: matches every permission name
};

// One ACE as written. DENY_ALL is {kDeny, "system.Everyone", kAllPermissions}.
// Acl::Compile keeps a kString spec to exactly one name (its first; "" when
// it has none) and clears the names of a kAllPermissions spec.
struct AceSpec {
  AceAction action = AceAction::kDeny;
  std::string principal;
  PermissionForm form = PermissionForm::kList;
  std::vector<std::string> permissions;

  static AceSpec Allow(std::string principal, std::string permission);
  static AceSpec Allow(std::string principal, std::vector<std::string> permissions);
  static AceSpec AllowAll(std::string principal);
  static AceSpec Deny(std::string principal, std::string permission);
  static AceSpec Deny(std::string principal, std::vector<std::string> permissions);
  static AceSpec DenyAllFor(std::string principal);
  static AceSpec DenyAll();  // (Deny, system.Everyone, ALL_PERMISSIONS)
};

class AclResult;
struct LineageNode;

// An immutable, compiled ACL. Principals and permissions are interned in
// SymbolTable::Global(); the Python reprs used in messages are rendered once
// here, at compile time.
//
// Thread safety: immutable; share freely through AclPtr.
class Acl {
 public:
  struct CompiledAce {
    AceAction action;
    bool all_permissions;
    SymbolId principal;
    // Sorted, unique permission ids (empty for ALL_PERMISSIONS).
    std::vector<SymbolId> permissions;
  };

  // Interns every principal and permission in SymbolTable::Global() and
  // renders the reprs. Thread-safe; allocates (compile once, decide often).
  // The ACL holds its names' references until it is destroyed.
  static std::shared_ptr<const Acl> Compile(std::vector<AceSpec> aces);

  Acl(const Acl&) = delete;
  Acl& operator=(const Acl&) = delete;
  ~Acl();

  const std::vector<AceSpec>& aces() const { return specs_; }
  const std::vector<CompiledAce>& compiled() const { return compiled_; }
  size_t size() const { return specs_.size(); }
  bool empty() const { return specs_.empty(); }

  // Python reprs, e.g. "('Allow', 'bob', ('view', 'edit'))" and the list
  // "[('Allow', ...), ...]"; ALL_PERMISSIONS renders as ALL_PERMISSIONS.
  const std::string& repr() const { return repr_; }
  const std::string& ace_repr(size_t i) const { return ace_reprs_[i]; }

  // ACLs of at least this many ACEs are decided through a (principal,
  // permission) index instead of a scan; the answers are identical.
  static constexpr size_t kIndexFromSize = 9;
  bool indexed() const;

 private:
  friend AclResult Permits(absl::Span<const LineageNode>, const Principals&, SymbolId);

  // The decision path's own compiled form (a flat ACE array and, for large
  // ACLs, a (principal, permission) index). Defined in acl.cc: private to
  // policy/.
  struct DecisionTable;

  Acl();
  std::vector<SymbolId> held_;  // one SymbolTable reference per Intern
  std::vector<AceSpec> specs_;
  std::vector<CompiledAce> compiled_;
  std::unique_ptr<DecisionTable> table_;
  std::vector<std::string> ace_reprs_;
  std::string repr_;
};
using AclPtr = std::shared_ptr<const Acl>;

// One node of a lineage, context first and root last.
struct LineageNode {
  const Acl* acl = nullptr;            // nullptr: this node has no ACL
  absl::string_view name;              // rendered as <Kind 'name'>
  absl::string_view kind = "Resource";
};

// The outcome of permits(), with Pyramid's "why".
// Cheap to copy; holds indices into the lineage it was computed on.
class AclResult {
 public:
  AclResult() = default;

  bool allowed() const { return allowed_; }
  explicit operator bool() const { return allowed_; }
  bool default_deny() const { return acl_node_ < 0; }
  // Index in the lineage of the node whose ACL holds the deciding ACE, or -1
  // for a default deny.
  int acl_node() const { return acl_node_; }
  // Index of the deciding ACE in that node's ACL, or -1 for a default deny.
  int ace_index() const { return ace_index_; }
  // The node whose ACL the message reports: the deciding node, or on default
  // deny the root-most node that has an ACL, or -1 when none has one.
  int msg_acl_node() const { return msg_acl_node_; }

  // Pyramid's result.msg, e.g. "ACLAllowed permission 'view' via ACE
  // ('Allow', 'bob', 'view') in ACL [...] on context <Resource 'blog'> for
  // principals ['bob']". REQUIRES: the same lineage this result came from.
  // Allocates: for logs and explanations only, not the decision path.
  std::string Message(absl::Span<const LineageNode> lineage,
                      const std::vector<std::string>& principals_as_given,
                      absl::string_view permission) const;

 private:
  friend AclResult Permits(absl::Span<const LineageNode>, const Principals&, SymbolId);
  bool allowed_ = false;
  int acl_node_ = -1;
  int ace_index_ = -1;
  int msg_acl_node_ = -1;
  int context_node_ = 0;
};

// Pyramid's permits(context, principals, permission) over `lineage`
// (lineage[0] is the context). Allocates nothing and takes no lock;
// thread-safe on shared ACLs and Principals.
// REQUIRES: lineage is not empty.
AclResult Permits(absl::Span<const LineageNode> lineage, const Principals& principals,
                  SymbolId permission);
// Same, with the permission by name (looked up, never interned, under the
// symbol table's shared lock). Allocates nothing.
AclResult Permits(absl::Span<const LineageNode> lineage, const Principals& principals,
                  absl::string_view permission);

// Pyramid's principals_allowed_by_permission(context, permission): every
// principal P for which a root-to-context walk keeps an Allow (see
// docs/policy.md and SEMANTICS.md §7 for the exact rule, including its
// quirks). Sorted by code point, unique. Allocates; for tools and Describe.
std::vector<std::string> PrincipalsAllowedByPermission(
    absl::Span<const LineageNode> lineage, absl::string_view permission);

// Python 3 repr of a str, as Pyramid's messages render it: 'x', or "x" when
// it contains ' and no "; backslash, the chosen quote, \t \n \r and other
// control characters escaped; non-ASCII kept when str.isprintable() would
// keep it (Unicode 14.0, Python 3.11), else \xhh, \uhhhh or \Uhhhhhhhh.
// Bytes that are not UTF-8 render as Python's surrogateescape would store
// them (\udc80-\udcff).
std::string PyRepr(absl::string_view s);

}  // namespace orb::policy

#endif  // ORB_POLICY_ACL_H_
