#include "broker/lineage.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "orb/broker/errors.h"

namespace orb::broker {

namespace {

// A lineage longer than this is treated as a cycle (objects wired into a
// loop by mistake) and refused.
constexpr size_t kMaxLineageDepth = 1024;

// The object, its parent, ... up to a root, into out->chain.
absl::Status CollectChain(const std::shared_ptr<Object>& object, LineageFacts* out) {
  absl::InlinedVector<std::shared_ptr<Object>, 4>& chain = out->chain;
  for (std::shared_ptr<Object> o = object; o != nullptr;) {
    if (chain.size() >= kMaxLineageDepth) {
      return OrbError(absl::StatusCode::kFailedPrecondition,
                      "the object's lineage is too long (a parent cycle?)", v1::OBJECT_DETACHED,
                      v1::GATE_ACL);
    }
    chain.push_back(o);
    if (!o->has_parent()) break;
    std::shared_ptr<Object> parent = o->parent();
    if (parent == nullptr) {
      return OrbError(absl::StatusCode::kFailedPrecondition,
                      "an ancestor of this object no longer exists", v1::OBJECT_DETACHED,
                      v1::GATE_ACL);
    }
    o = std::move(parent);
  }
  return absl::OkStatus();
}

// Canonical paths ("/", "/a", "/a/b"), root last like the chain.
void BuildPaths(LineageFacts* out) {
  const size_t size = out->chain.size();
  out->paths.resize(size);
  out->paths.back() = "/";
  for (size_t i = size - 1; i-- > 0;) {
    const std::string& above = out->paths[i + 1];
    out->paths[i] = absl::StrCat(above == "/" ? "" : above, "/", out->names[i]);
  }
}

}  // namespace

policy::AclPtr LineageFacts::DynamicAcl(size_t node) const {
  return types[node] != nullptr ? types[node]->DynamicAcl(*chain[node]) : nullptr;
}

policy::Subject SubjectOf(const OpTarget& op) {
  return {&op.session->principals(), op.session->id()};
}

policy::TargetFacts TargetFactsOf(const OpTarget& op, policy::OlpPtr* object_olp) {
  const HandleTarget& t = op.target;
  *object_olp = t.object->olp_override();
  policy::TargetFacts facts;
  facts.is_class = t.is_class;
  facts.restricted_olp = t.restricted_olp.get();
  facts.object_olp = object_olp->get();
  facts.type_name = t.type->name();
  facts.type_olp = t.type->olp().get();
  facts.type_acl = t.type->acl().get();
  return facts;
}

absl::Status WalkLineage(const OpTarget& op, const TypeRegistry& registry,
                         const std::shared_ptr<Object>& root, LineageFacts* out) {
  absl::Status s = CollectChain(op.target.object, out);
  if (!s.ok()) return s;
  const size_t size = out->chain.size();
  out->types.reserve(size);
  out->instance_acls.reserve(size);
  out->names.reserve(size);
  out->nodes.reserve(size);
  for (const std::shared_ptr<Object>& o : out->chain) {
    out->types.push_back(registry.FindFor(*o));
    out->instance_acls.push_back(o->acl());
    out->names.push_back(o->name());
  }
  if (policy::Authorizer::WantsPaths(op.policy.get()) && out->chain.back() == root) {
    BuildPaths(out);
  }
  for (size_t i = 0; i < size; ++i) {
    const TypeInfo* type = out->types[i];
    policy::LineageNodeFacts node;
    node.name = out->names[i];
    if (type != nullptr) {
      node.type_name = type->name();
      node.has_dynamic_acl = type->has_dynamic_acl();
      node.type_acl = type->acl().get();
    }
    if (!out->paths.empty()) node.path = out->paths[i];
    node.instance_acl = out->instance_acls[i].get();
    out->nodes.push_back(node);
  }
  return absl::OkStatus();
}

}  // namespace orb::broker
