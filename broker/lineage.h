// The facts about a handle that the broker hands to policy::Authorizer: who
// asks (the subject), what the handle points at, and the object's lineage.
// The broker only gathers facts; policy::Authorizer (policy/authorizer.h)
// picks the OLP and the ACLs from them. Private to broker/.
//
// Thread-safety: the functions are pure apart from reading the objects'
// parents and ACLs, which synchronize themselves.
#ifndef ORB_BROKER_LINEAGE_H_
#define ORB_BROKER_LINEAGE_H_

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/status/status.h"
#include "broker/core_impl.h"
#include "orb/broker/object.h"
#include "orb/broker/type_registry.h"
#include "policy/authorizer.h"

namespace orb::broker {

// The raw facts of a handle's lineage for policy::Authorizer, with the
// storage they refer to: the object first, root last. Inline for the usual
// few levels: it is built on every gated call. Not copyable or movable once
// filled: the nodes point into its own strings.
struct LineageFacts final : policy::DynamicAclSource {
  LineageFacts() = default;
  LineageFacts(const LineageFacts&) = delete;
  LineageFacts& operator=(const LineageFacts&) = delete;

  absl::InlinedVector<std::shared_ptr<Object>, 4> chain;
  absl::InlinedVector<const TypeInfo*, 4> types;  // null: unregistered
  absl::InlinedVector<policy::AclPtr, 4> instance_acls;
  // The nodes' names and paths point into these strings: sized before the
  // first node is added, so that none of them ever moves.
  absl::InlinedVector<std::string, 4> names;
  std::vector<std::string> paths;  // empty unless the authorizer wants them
  absl::InlinedVector<policy::LineageNodeFacts, 4> nodes;

  policy::AclPtr DynamicAcl(size_t node) const override;
};

// Who asks: the session's principals and id. Valid while op.session lives.
// REQUIRES: op.session is set.
policy::Subject SubjectOf(const OpTarget& op);

// What the handle points at, for policy::Authorizer (which picks the OLP).
// `object_olp` keeps the object's OLP override alive meanwhile; the facts
// point into it and into op.target.
// REQUIRES: op.target.object and op.target.type are set.
policy::TargetFacts TargetFactsOf(const OpTarget& op, policy::OlpPtr* object_olp);

// Walks the handle's object up to its root and gathers each node's facts
// (policy::Authorizer::SetLineage picks the ACLs). Paths are built only for
// objects under `root`, and only when op.policy wants them. Errors:
// FAILED_PRECONDITION (OBJECT_DETACHED) when an ancestor no longer exists or
// the chain loops. REQUIRES: `out` is empty; op.target.object is set.
absl::Status WalkLineage(const OpTarget& op, const TypeRegistry& registry,
                         const std::shared_ptr<Object>& root, LineageFacts* out);

}  // namespace orb::broker

#endif  // ORB_BROKER_LINEAGE_H_
