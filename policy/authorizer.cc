#include "policy/authorizer.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace orb::policy {
namespace {

const TypeRules* RulesFor(const CompiledPolicy* policy, absl::string_view type_name) {
  if (policy == nullptr || type_name.empty()) return nullptr;
  return policy->FindType(type_name);
}

// OLP precedence: restricted > object override (instance view) > policy
// type OLP > compiled-in OLP > empty.
const Olp* SelectOlp(const CompiledPolicy* policy, const TargetFacts& t) {
  if (t.restricted_olp != nullptr) return t.restricted_olp;
  if (!t.is_class && t.object_olp != nullptr) return t.object_olp;
  const TypeRules* rules = RulesFor(policy, t.type_name);
  if (rules != nullptr && rules->olp != nullptr) return rules->olp.get();
  if (t.type_olp != nullptr) return t.type_olp;
  return Olp::Empty().get();
}

// Type ACL: the policy file's, else the compiled-in one.
const Acl* TypeAcl(const CompiledPolicy* policy, absl::string_view type_name,
                   const Acl* compiled_in) {
  const TypeRules* rules = RulesFor(policy, type_name);
  if (rules != nullptr && rules->acl != nullptr) return rules->acl.get();
  return compiled_in;
}

}  // namespace

absl::string_view Decision::permission() const {
  if (gate_.permission == kNoSymbol) return absl::string_view();
  // The permission's lock lives in the OLP the decision came from, which
  // holds a reference to the symbol.
  return SymbolTable::Global().Name(gate_.permission);
}

std::string Decision::LockText() const { return gate_.locks.Render(); }

std::string Decision::Needed() const {
  if (has_permission()) return absl::StrCat("permission '", permission(), "'");
  return absl::StrCat("lock ", LockText());
}

std::string Decision::Explain() const { return gate_.Explain(request_); }

Authorizer::Authorizer(const CompiledPolicy* policy, const TargetFacts& target)
    : policy_(policy),
      target_(target),
      view_(target.is_class ? View::kClass : View::kInstance),
      olp_(SelectOlp(policy, target)) {}

bool Authorizer::Exposes(Op op, absl::string_view name) const {
  return olp_->Exposes(view_, op, name);
}

std::string Authorizer::LockText(Op op, absl::string_view name) const {
  return olp_->Resolve(view_, op, name).Render();
}

MemberRights Authorizer::DescribeMember(Op op, absl::string_view name,
                                        const Subject* subject) const {
  MemberRights rights;
  rights.lock = LockText(op, name);
  rights.allowed = subject != nullptr && Decide(*subject, op, name).allowed();
  return rights;
}

OlpDescription Authorizer::DescribeOlp() const { return olp_->Describe(); }

OlpPtr Authorizer::Restrict(const Olp::NameSubset& keep) const { return olp_->Restrict(keep); }

void Authorizer::SetLineage(absl::Span<const LineageNodeFacts> chain,
                            const DynamicAclSource* dynamic) {
  lineage_.clear();
  dynamic_acls_.clear();
  lineage_.reserve(chain.size() + (target_.is_class ? 1 : 0));
  if (target_.is_class) {
    lineage_.push_back(LineageNode{TypeAcl(policy_, target_.type_name, target_.type_acl),
                                   target_.type_name, "class"});
  }
  const bool paths = WantsPaths(policy_);
  for (size_t i = 0; i < chain.size(); ++i) {
    const LineageNodeFacts& node = chain[i];
    const Acl* acl = nullptr;
    AclPtr path_acl;
    if (paths && !node.path.empty()) {
      path_acl = policy_->FindPathAcl(node.path);  // the snapshot keeps it alive
      acl = path_acl.get();
    }
    if (acl == nullptr) acl = node.instance_acl;
    if (acl == nullptr && node.has_dynamic_acl && dynamic != nullptr) {
      AclPtr computed = dynamic->DynamicAcl(i);
      if (computed != nullptr) {
        acl = computed.get();
        dynamic_acls_.push_back(std::move(computed));
      }
    }
    // An unregistered type has no type ACL, neither the policy's nor its own.
    if (acl == nullptr && !node.type_name.empty()) {
      acl = TypeAcl(policy_, node.type_name, node.type_acl);
    }
    lineage_.push_back(LineageNode{
        acl, node.name, node.type_name.empty() ? absl::string_view("Resource") : node.type_name});
  }
}

Decision Authorizer::Decide(const Subject& subject, Op op, absl::string_view name) const {
  Decision d;
  d.request_.view = view_;
  d.request_.op = op;
  d.request_.name = name;
  d.request_.lineage = lineage_;
  d.request_.principals = subject.principals;
  d.request_.session_id = subject.session_id;
  d.gate_ = policy::Decide(*olp_, d.request_);
  return d;
}

AdminDecision AuthorizeAdmin(const CompiledPolicy& policy, const Identity& identity,
                             absl::string_view permission) {
  AdminDecision d;
  const AclPtr acl = policy.admin_acl();
  if (acl == nullptr) {
    d.explanation = "the policy has no admin section";
    return d;
  }
  d.has_admin_acl = true;
  const LineageNode node{acl.get(), "admin", "Broker"};
  const auto lineage = absl::MakeConstSpan(&node, 1);
  const Principals principals = identity.EffectivePrincipals();
  const AclResult result = Permits(lineage, principals, permission);
  d.allowed = result.allowed();
  d.explanation = result.Message(lineage, principals.as_given(), permission);
  return d;
}

}  // namespace orb::policy
