// The authorization funnel: every authorization fact the broker needs comes
// from here. The broker describes what a handle points at (raw facts: the
// OLPs and ACLs that exist for it, its lineage) and asks; it never picks an
// OLP or an ACL, never renders a lock and never calls Permits itself.
//
// Selection rules (docs/policy.md has the reference):
//   OLP of a handle, first that exists:
//     1. the handle's restricted OLP (Restrict);
//     2. the object's own OLP override (instance view only);
//     3. the policy file's OLP for the type;
//     4. the OLP compiled in with the type;
//     5. the empty OLP (nothing exposed).
//   Lineage: for a class handle the class node first (named after the type,
//   kind "class", with the type ACL), then the object's chain up to its
//   root. Each object node's ACL, first that exists:
//     1. the policy's path ACL for the node's path (rooted objects only);
//     2. the object's instance ACL;
//     3. the object's dynamic ACL (computed only when 1 and 2 are absent);
//     4. the policy file's ACL for the node's type;
//     5. the ACL compiled in with the node's type.
//   The type ACL of the class node is 4 then 5 for the handle's type.
//
// The lock on a name is rendered in one place only (Olp::Resolved::Render,
// the rendering of exactly what the gate evaluates): descriptions, denial
// messages and explanations all show that text.
#ifndef ORB_POLICY_AUTHORIZER_H_
#define ORB_POLICY_AUTHORIZER_H_

#include <cstddef>
#include <string>

#include "absl/container/inlined_vector.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "orb/policy/acl.h"
#include "policy/gate.h"
#include "orb/policy/identity.h"
#include "orb/policy/olp.h"
#include "orb/policy/policy_loader.h"

namespace orb::policy {

// Who asks.
struct Subject {
  const Principals* principals = nullptr;  // never null for a real caller
  absl::string_view session_id;            // passed to custom locks only
};

// One object of a handle's lineage, as the broker found it. The views and
// pointers must stay valid while the Authorizer that was given them lives.
struct LineageNodeFacts {
  absl::string_view name;       // the object's name in its parent ("" for a root)
  absl::string_view type_name;  // its registered type; empty when unregistered
  // Its canonical path ("/", "/a", "/a/b") when it lies under the broker's
  // root and the Authorizer wants_paths(); else empty.
  absl::string_view path;
  const Acl* instance_acl = nullptr;
  bool has_dynamic_acl = false;  // see DynamicAclSource
  const Acl* type_acl = nullptr;  // compiled in with its type
};

// Computes an object's dynamic ACL on demand: the program's function may be
// costly, so it runs only for a node whose path and instance ACLs are absent.
class DynamicAclSource {
 public:
  // The dynamic ACL of lineage node `node` (an index into the facts given to
  // Authorizer::SetLineage). May return null (no ACL).
  virtual AclPtr DynamicAcl(size_t node) const = 0;

 protected:
  ~DynamicAclSource() = default;
};

// What a handle points at, without its lineage (SetLineage adds that).
struct TargetFacts {
  bool is_class = false;                // a class handle: the class view
  const Olp* restricted_olp = nullptr;  // the handle's restriction, if any
  const Olp* object_olp = nullptr;      // the object's OLP override, if any
  absl::string_view type_name;          // the handle's type
  const Olp* type_olp = nullptr;        // compiled in with the type
  const Acl* type_acl = nullptr;        // compiled in with the type
};

// One decision, with what messages, Describe and the audit need. Holds
// views into the Authorizer it came from: use it while that lives.
class Decision {
 public:
  GateOutcome outcome() const { return gate_.outcome; }
  bool allowed() const { return gate_.allowed(); }
  bool exposed() const { return gate_.outcome != GateOutcome::kNotExposed; }
  // Whether a permission's ACL result decided (not so for BLOCKED,
  // NO_PERMISSION_REQUIRED, a custom lock, a name not exposed).
  bool has_permission() const { return gate_.permission != kNoSymbol; }
  // That permission's name ("" when none decided).
  absl::string_view permission() const;
  // The lock the gate evaluated, rendered (Olp::Resolved::Render).
  std::string LockText() const;
  // What the caller would need, for a refusal's message: "permission 'p'"
  // when a permission's ACL result decided, else "lock <LockText()>".
  std::string Needed() const;
  // GateDecision::Explain: one line for debug logs and audit records.
  std::string Explain() const;

 private:
  friend class Authorizer;
  GateDecision gate_;
  AccessRequest request_;
};

// One exposed member as Describe shows it to a caller.
struct MemberRights {
  std::string lock;      // Authorizer::LockText
  bool allowed = false;  // the gate's answer for the caller now
};

// The authorization of one handle's target under one policy snapshot.
//
// Thread safety: not for concurrent use (one per request); everything it
// reads is immutable. Allocates nothing for lineages of up to four nodes
// unless a dynamic ACL is computed.
class Authorizer {
 public:
  // `policy` may be null (no policy file: compiled-in rules only). It and
  // every pointer in `target` must outlive this object.
  Authorizer(const CompiledPolicy* policy, const TargetFacts& target);

  Authorizer(const Authorizer&) = delete;
  Authorizer& operator=(const Authorizer&) = delete;

  // True when the broker should give lineage nodes their paths (the policy
  // has path ACLs); building paths is skipped otherwise.
  static bool WantsPaths(const CompiledPolicy* policy) {
    return policy != nullptr && policy->has_path_acls();
  }

  View view() const { return view_; }

  // Whether `name` exists for `op` on this handle (no ACL asked).
  bool Exposes(Op op, absl::string_view name) const;
  // The lock on `name` for `op`, rendered; "BLOCKED" when not exposed.
  std::string LockText(Op op, absl::string_view name) const;
  // The lock on `name` for `op` and whether `subject` holds it now (the
  // same answer as Decide). `subject` null: not decided (allowed false),
  // e.g. when the lineage could not be given (SetLineage not called).
  MemberRights DescribeMember(Op op, absl::string_view name, const Subject* subject) const;
  // The effective OLP's read-only copy (every table, both views).
  OlpDescription DescribeOlp() const;
  // The effective OLP narrowed to `keep` (Olp::Restrict), for a new handle.
  OlpPtr Restrict(const Olp::NameSubset& keep) const;

  // Picks every node's ACL. `chain` is the object first, root last (not
  // empty); the class node of a class handle is added here. `dynamic` may
  // be null when no node has_dynamic_acl. Call once, before Decide.
  void SetLineage(absl::Span<const LineageNodeFacts> chain, const DynamicAclSource* dynamic);

  // The gate (policy::Decide) for `op` on `name`. Without SetLineage every
  // permission lock fails (fails closed). Allocates nothing on the
  // allow/deny path of permission locks.
  Decision Decide(const Subject& subject, Op op, absl::string_view name) const;

 private:
  const CompiledPolicy* const policy_;
  const TargetFacts target_;
  const View view_;
  const Olp* olp_;  // the effective OLP; never null
  absl::InlinedVector<LineageNode, 4> lineage_;
  absl::InlinedVector<AclPtr, 4> dynamic_acls_;  // keeps computed ACLs alive
};

// The admin service's check: does `identity` hold `permission` in the
// policy's admin ACL (admin { acl { ... } })?
struct AdminDecision {
  bool has_admin_acl = false;  // false: the policy has no admin section
  bool allowed = false;
  // Pyramid's message (or why there is none). Holds no credential.
  std::string explanation;
};
AdminDecision AuthorizeAdmin(const CompiledPolicy& policy, const Identity& identity,
                             absl::string_view permission);

}  // namespace orb::policy

#endif  // ORB_POLICY_AUTHORIZER_H_
