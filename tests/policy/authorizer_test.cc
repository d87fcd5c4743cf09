// policy::Authorizer picks the OLP and every lineage node's ACL by the
// precedence documented in authorizer.h and docs/policy.md, and decides the
// admin service's calls. This binary replaces the global operator new to
// count allocations, so the per-request path can be shown to allocate
// nothing.
#include "policy/authorizer.h"

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "orb/policy/acl.h"
#include "orb/policy/olp.h"
#include "orb/policy/policy_loader.h"
#include "tests/testing/allocation_counting.h"
#include "tests/testing/builders.h"

namespace {
std::atomic<long> g_allocations{0};
}  // namespace

ORB_REPLACE_OPERATOR_NEW_COUNTING(g_allocations)

namespace orb::policy {
namespace {

constexpr Op kGet = Op::kGetAttr;

using ::orb::testing::CompilePolicy;

// An OLP exposing exactly `name` (instance and class views) to everyone.
OlpPtr Exposing(const std::string& name) {
  return Olp::Builder()
      .Expose(View::kInstance, kGet, name, Lock::NoPermissionRequired())
      .Expose(View::kClass, kGet, name, Lock::NoPermissionRequired())
      .Build();
}

// A policy whose OLP for "T" exposes "from_policy".
constexpr char kPolicyOlp[] = R"pb(
  default_permission: "view"
  type {
    name: "T"
    olp {
      instance { getattr { name: "from_policy" } }
      cls { getattr { name: "from_policy" } }
    }
  }
)pb";

TEST(Authorizer, OlpPrecedenceRestrictedThenObjectThenPolicyThenCompiledIn) {
  const PolicyPtr policy = CompilePolicy(kPolicyOlp);
  const OlpPtr restricted = Exposing("restricted");
  const OlpPtr object = Exposing("object");
  const OlpPtr compiled = Exposing("compiled");
  TargetFacts t;
  t.type_name = "T";
  t.restricted_olp = restricted.get();
  t.object_olp = object.get();
  t.type_olp = compiled.get();
  EXPECT_TRUE(Authorizer(policy.get(), t).Exposes(kGet, "restricted"));
  t.restricted_olp = nullptr;
  EXPECT_TRUE(Authorizer(policy.get(), t).Exposes(kGet, "object"));
  t.object_olp = nullptr;
  EXPECT_TRUE(Authorizer(policy.get(), t).Exposes(kGet, "from_policy"));
  EXPECT_TRUE(Authorizer(nullptr, t).Exposes(kGet, "compiled"));
  t.type_name = "Other";  // the policy says nothing about it
  EXPECT_TRUE(Authorizer(policy.get(), t).Exposes(kGet, "compiled"));
  t.type_olp = nullptr;
  const Authorizer empty(policy.get(), t);
  for (const char* name : {"restricted", "object", "from_policy", "compiled"}) {
    EXPECT_FALSE(empty.Exposes(kGet, name)) << name;
  }
}

TEST(Authorizer, ObjectOlpOverrideDoesNotApplyToTheClassView) {
  const OlpPtr object = Exposing("object");
  const OlpPtr compiled = Exposing("compiled");
  TargetFacts t;
  t.is_class = true;
  t.type_name = "T";
  t.object_olp = object.get();
  t.type_olp = compiled.get();
  const Authorizer authz(nullptr, t);
  EXPECT_EQ(authz.view(), View::kClass);
  EXPECT_FALSE(authz.Exposes(kGet, "object"));
  EXPECT_TRUE(authz.Exposes(kGet, "compiled"));
}

// Each ACL grants "view" to a principal named after its source, so the
// principal the decision needs tells which ACL the node got.
AclPtr Grants(const std::string& who) { return Acl::Compile({AceSpec::Allow(who, "view")}); }

class Dynamic final : public DynamicAclSource {
 public:
  AclPtr DynamicAcl(size_t node) const override {
    ++calls;
    return node == 0 ? Grants("dynamic") : nullptr;
  }
  mutable int calls = 0;
};

constexpr char kPolicyAcls[] = R"pb(
  default_permission: "view"
  type { name: "T" acl { ace { action: ALLOW principal: "policy_type" permission: "view" } } }
  path_acl { path: "/a" acl { ace { action: ALLOW principal: "path" permission: "view" } } }
)pb";

// Whether `principal` may read "x" (exposed with "view") on a one-node
// lineage built from `node`.
bool Reads(const CompiledPolicy* policy, const LineageNodeFacts& node, const Dynamic* dynamic,
           const std::string& principal) {
  static const OlpPtr olp =
      Olp::Builder().Expose(View::kInstance, kGet, "x", Lock::Permission("view")).Build();
  TargetFacts t;
  t.type_name = "T";
  t.type_olp = olp.get();
  Authorizer authz(policy, t);
  authz.SetLineage(absl::MakeConstSpan(&node, 1), dynamic);
  const Principals principals({"system.Everyone", principal});
  return authz.Decide({&principals, ""}, kGet, "x").allowed();
}

TEST(Authorizer, NodeAclPrecedencePathThenInstanceThenDynamicThenPolicyTypeThenCompiledIn) {
  const PolicyPtr policy = CompilePolicy(kPolicyAcls);
  const AclPtr instance = Grants("instance");
  const AclPtr compiled = Grants("compiled");
  Dynamic dynamic;
  LineageNodeFacts node;
  node.name = "a";
  node.type_name = "T";
  node.path = "/a";
  node.instance_acl = instance.get();
  node.has_dynamic_acl = true;
  node.type_acl = compiled.get();
  EXPECT_TRUE(Reads(policy.get(), node, &dynamic, "path"));
  EXPECT_FALSE(Reads(policy.get(), node, &dynamic, "instance"));
  node.path = "/b";  // no path ACL there
  EXPECT_TRUE(Reads(policy.get(), node, &dynamic, "instance"));
  EXPECT_EQ(dynamic.calls, 0);  // not computed while a stronger ACL exists
  node.instance_acl = nullptr;
  EXPECT_TRUE(Reads(policy.get(), node, &dynamic, "dynamic"));
  EXPECT_EQ(dynamic.calls, 1);
  node.has_dynamic_acl = false;
  EXPECT_TRUE(Reads(policy.get(), node, &dynamic, "policy_type"));
  EXPECT_FALSE(Reads(policy.get(), node, &dynamic, "compiled"));
  EXPECT_TRUE(Reads(nullptr, node, &dynamic, "compiled"));
  // Without a policy there are no path ACLs either.
  node.path = "/a";
  EXPECT_FALSE(Reads(nullptr, node, &dynamic, "path"));
  // An unregistered type has no type ACL at all.
  node.type_name = "";
  EXPECT_FALSE(Reads(nullptr, node, &dynamic, "compiled"));
}

TEST(Authorizer, ClassHandleLineageStartsWithTheClassNodeAndItsTypeAcl) {
  const PolicyPtr policy = CompilePolicy(kPolicyAcls);
  const OlpPtr olp =
      Olp::Builder().Expose(View::kClass, kGet, "x", Lock::Permission("view")).Build();
  const AclPtr deny_everything = Acl::Compile({AceSpec::DenyAll()});
  TargetFacts t;
  t.is_class = true;
  t.type_name = "T";
  t.type_olp = olp.get();
  LineageNodeFacts object;
  object.name = "o";
  object.instance_acl = deny_everything.get();
  Authorizer authz(policy.get(), t);
  authz.SetLineage(absl::MakeConstSpan(&object, 1), nullptr);
  const Principals principals({"system.Everyone", "policy_type"});
  const Decision d = authz.Decide({&principals, ""}, kGet, "x");
  EXPECT_TRUE(d.allowed());  // the class node's type ACL decides first
  EXPECT_NE(d.Explain().find("<class 'T'>"), std::string::npos) << d.Explain();
}

TEST(Authorizer, WithoutALineageEveryPermissionLockFails) {
  const OlpPtr olp = Olp::Builder()
                         .Expose(View::kInstance, kGet, "x", Lock::Permission("view"))
                         .Expose(View::kInstance, kGet, "free", Lock::NoPermissionRequired())
                         .Build();
  TargetFacts t;
  t.type_name = "T";
  t.type_olp = olp.get();
  const Authorizer authz(nullptr, t);
  const Principals principals({"system.Everyone"});
  EXPECT_EQ(authz.Decide({&principals, ""}, kGet, "x").outcome(), GateOutcome::kDenied);
  EXPECT_TRUE(authz.Decide({&principals, ""}, kGet, "free").allowed());
}

constexpr char kAdminPolicy[] = R"pb(
  user { userid: "ops" group: "group:operators" }
  admin { acl { ace { action: ALLOW principal: "group:operators" permission: "policy.reload" } } }
)pb";

TEST(Authorizer, AdminCallsAreDecidedByTheAdminAcl) {
  const PolicyPtr policy = CompilePolicy(kAdminPolicy);
  Identity ops;
  ops.userid = "ops";
  ops.groups = {"group:operators"};
  ops.method = "bearer";
  const AdminDecision yes = AuthorizeAdmin(*policy, ops, "policy.reload");
  EXPECT_TRUE(yes.has_admin_acl);
  EXPECT_TRUE(yes.allowed);
  EXPECT_NE(yes.explanation.find("ACLAllowed"), std::string::npos) << yes.explanation;
  const AdminDecision no = AuthorizeAdmin(*policy, ops, "policy.view");
  EXPECT_TRUE(no.has_admin_acl);
  EXPECT_FALSE(no.allowed);
  EXPECT_FALSE(AuthorizeAdmin(*policy, Identity{}, "policy.reload").allowed);
}

TEST(Authorizer, WithoutAnAdminSectionEveryAdminCallIsRefused) {
  const PolicyPtr policy = CompilePolicy("default_permission: \"view\"\n");
  Identity ops;
  ops.userid = "ops";
  const AdminDecision d = AuthorizeAdmin(*policy, ops, "policy.reload");
  EXPECT_FALSE(d.has_admin_acl);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.explanation, "the policy has no admin section");
}

// What the broker does on every gated call: select, give the lineage, decide.
TEST(Authorizer, SelectingAndDecidingAllocateNothing) {
  ORB_SKIP_UNLESS_COUNTING_ALLOCATIONS();
  const PolicyPtr policy = CompilePolicy(kPolicyAcls);
  const OlpPtr olp = Olp::Builder()
                         .Expose(View::kInstance, kGet, "x", Lock::Permission("view"))
                         .Expose(View::kInstance, kGet, "|", Lock::Permission("admin"))
                         .Expose(View::kClass, kGet, "x", Lock::Permission("view"))
                         .Build();
  const AclPtr instance = Grants("instance");
  std::vector<LineageNodeFacts> chain(3);
  chain[0].name = "a";
  chain[0].type_name = "T";
  chain[0].path = "/a";
  chain[1].name = "";
  chain[1].type_name = "T";
  chain[1].path = "/";
  chain[1].instance_acl = instance.get();
  chain[2].name = "free-standing";
  const Principals principals({"system.Everyone", "instance"});
  std::vector<bool> allowed;
  allowed.reserve(8);
  const long before = g_allocations.load();
  for (bool is_class : {false, true}) {
    TargetFacts t;
    t.is_class = is_class;
    t.type_name = "T";
    t.type_olp = olp.get();
    Authorizer authz(policy.get(), t);
    authz.SetLineage(chain, nullptr);
    for (const char* name : {"x", "y"}) {
      allowed.push_back(authz.Decide({&principals, ""}, kGet, name).allowed());
    }
  }
  const long after = g_allocations.load();
  EXPECT_EQ(after - before, 0);
  // Neither /a's path ACL nor the class node's type ACL names us; the root's
  // instance ACL grants "view", so both views allow x and only "|" reaches y.
  EXPECT_EQ(allowed, (std::vector<bool>{true, false, true, false}));
}

}  // namespace
}  // namespace orb::policy
