#include "orb/policy/acl.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "orb/policy/symbols.h"

namespace orb::policy {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// A lineage built root first, as trees are usually written; lineage() gives
// it context first, as the evaluator wants it.
class Chain {
 public:
  Chain& Node(std::string name, std::optional<std::vector<AceSpec>> acl) {
    names_.push_back(std::move(name));
    acls_.push_back(acl ? Acl::Compile(std::move(*acl)) : nullptr);
    return *this;
  }
  Chain& NodeSharing(std::string name, size_t other) {
    names_.push_back(std::move(name));
    acls_.push_back(acls_[other]);
    return *this;
  }
  // Context = the last node added.
  std::vector<LineageNode> lineage() const {
    std::vector<LineageNode> out;
    for (size_t i = names_.size(); i-- > 0;) out.push_back(LineageNode{acls_[i].get(), names_[i], "Resource"});
    return out;
  }

 private:
  std::vector<std::string> names_;
  std::vector<AclPtr> acls_;
};

AclResult Ask(const Chain& chain, std::vector<std::string> principals, absl::string_view permission) {
  return Permits(chain.lineage(), Principals(std::move(principals)), permission);
}

std::string Explain(const Chain& chain, std::vector<std::string> principals, absl::string_view permission) {
  const std::vector<LineageNode> lineage = chain.lineage();
  const Principals p(std::move(principals));
  return Permits(lineage, p, permission).Message(lineage, p.as_given(), permission);
}

// Pyramid's own test tree (tests/test_authorization.py, test_acl).
Chain Flintstones() {
  Chain c;
  c.Node("root", std::vector<AceSpec>{AceSpec::Allow("system.Authenticated", "view")});
  c.Node("community", std::vector<AceSpec>{AceSpec::AllowAll("fred"), AceSpec::Allow("wilma", "view"),
                                           AceSpec::DenyAll()});
  c.Node("blog", std::vector<AceSpec>{
                     AceSpec::Allow("barney", std::vector<std::string>{"view", "comment", "edit", "create", "delete"}),
                     AceSpec::Allow("wilma", "view")});
  return c;
}

// --------------------------------------------------------------- decisions

TEST(AclEvaluator, FirstMatchWinsWithinAcl) {
  Chain deny_first;
  deny_first.Node("root", std::vector<AceSpec>{AceSpec::Deny("bob", "view"), AceSpec::Allow("bob", "view")});
  EXPECT_FALSE(Ask(deny_first, {"bob"}, "view").allowed());
  EXPECT_EQ(Ask(deny_first, {"bob"}, "view").ace_index(), 0);
  Chain allow_first;
  allow_first.Node("root", std::vector<AceSpec>{AceSpec::Allow("bob", "view"), AceSpec::Deny("bob", "view")});
  EXPECT_TRUE(Ask(allow_first, {"bob"}, "view").allowed());
}

TEST(AclEvaluator, AnyHeldPrincipalCanMatchAndOrderOfPrincipalsIsIrrelevant) {
  Chain c;
  c.Node("root", std::vector<AceSpec>{AceSpec::Deny("group:banned", "view"), AceSpec::Allow("bob", "view")});
  EXPECT_FALSE(Ask(c, {"bob", "group:banned"}, "view").allowed());
  EXPECT_FALSE(Ask(c, {"group:banned", "bob", "bob"}, "view").allowed());
  EXPECT_TRUE(Ask(c, {"bob"}, "view").allowed());
}

TEST(AclEvaluator, DenyAllStopsInheritance) {
  Chain c;
  c.Node("root", std::vector<AceSpec>{AceSpec::Allow("bob", "view")});
  c.Node("private", std::vector<AceSpec>{AceSpec::Allow("alice", "view"), AceSpec::DenyAll()});
  const AclResult r = Ask(c, {"system.Everyone", "bob"}, "view");
  EXPECT_FALSE(r.allowed());
  EXPECT_EQ(r.acl_node(), 0);
  EXPECT_EQ(r.ace_index(), 1);
  EXPECT_TRUE(Ask(c, {"system.Everyone", "alice"}, "view").allowed());  // earlier Allow still wins
}

TEST(AclEvaluator, DenyAllIsSkippedWithoutEveryone) {
  Chain c;
  c.Node("root", std::vector<AceSpec>{AceSpec::Allow("bob", "view")});
  c.Node("private", std::vector<AceSpec>{AceSpec::DenyAll(), AceSpec::Allow("carol", "view")});
  EXPECT_TRUE(Ask(c, {"bob"}, "view").allowed());  // inherits past the DENY_ALL
  const AclResult carol = Ask(c, {"carol"}, "view");
  EXPECT_TRUE(carol.allowed());
  EXPECT_EQ(carol.ace_index(), 1);  // ACEs after a DENY_ALL are reached
}

TEST(AclEvaluator, EveryoneIsNeverImplicit) {
  Chain c;
  c.Node("root", std::vector<AceSpec>{AceSpec::Allow("system.Everyone", "view")});
  EXPECT_FALSE(Ask(c, {"bob"}, "view").allowed());
  EXPECT_TRUE(Ask(c, {"bob", "system.Everyone"}, "view").allowed());
}

TEST(AclEvaluator, EmptyAclDoesNotStopInheritance) {
  Chain c;
  c.Node("root", std::vector<AceSpec>{AceSpec::Allow("bob", "view")});
  c.Node("leaf", std::vector<AceSpec>{});
  const AclResult r = Ask(c, {"bob"}, "view");
  EXPECT_TRUE(r.allowed());
  EXPECT_EQ(r.acl_node(), 1);
}

TEST(AclEvaluator, NodeWithoutAclIsSkipped) {
  Chain c;
  c.Node("root", std::vector<AceSpec>{AceSpec::Deny("bob", "view")});
  c.Node("middle", std::nullopt);
  c.Node("leaf", std::nullopt);
  const AclResult r = Ask(c, {"bob"}, "view");
  EXPECT_FALSE(r.allowed());
  EXPECT_EQ(r.acl_node(), 2);
  EXPECT_FALSE(r.default_deny());
}

TEST(AclEvaluator, ChildOverridesParentBothWays) {
  Chain deny_child;
  deny_child.Node("root", std::vector<AceSpec>{AceSpec::Allow("bob", "view")});
  deny_child.Node("leaf", std::vector<AceSpec>{AceSpec::Deny("bob", "view")});
  EXPECT_FALSE(Ask(deny_child, {"bob"}, "view").allowed());
  Chain allow_child;
  allow_child.Node("root", std::vector<AceSpec>{AceSpec::Deny("bob", "view")});
  allow_child.Node("leaf", std::vector<AceSpec>{AceSpec::Allow("bob", "view")});
  EXPECT_TRUE(Ask(allow_child, {"bob"}, "view").allowed());
}

TEST(AclEvaluator, StringPermissionIsNotASubstringMatch) {
  Chain c;
  c.Node("root", std::vector<AceSpec>{AceSpec::Allow("bob", "view"), AceSpec::Allow("bob", "view_stuff")});
  EXPECT_TRUE(Ask(c, {"bob"}, "view").allowed());
  EXPECT_FALSE(Ask(c, {"bob"}, "vie").allowed());
  EXPECT_FALSE(Ask(c, {"bob"}, "v").allowed());
  EXPECT_FALSE(Ask(c, {"bob"}, "view ").allowed());
  EXPECT_FALSE(Ask(c, {"bob"}, "View").allowed());
  EXPECT_FALSE(Ask(c, {"bob"}, "").allowed());
  EXPECT_EQ(Ask(c, {"bob"}, "view_stuff").ace_index(), 1);
}

TEST(AclEvaluator, PermissionListMatchesExactItemsOnly) {
  Chain c;
  c.Node("root", std::vector<AceSpec>{AceSpec::Allow("bob", std::vector<std::string>{"edit", "view"})});
  EXPECT_TRUE(Ask(c, {"bob"}, "view").allowed());
  EXPECT_TRUE(Ask(c, {"bob"}, "edit").allowed());
  EXPECT_FALSE(Ask(c, {"bob"}, "ed").allowed());
  EXPECT_FALSE(Ask(c, {"bob"}, "delete").allowed());
}

TEST(AclEvaluator, EmptyPermissionListMatchesNothing) {
  Chain c;
  c.Node("root", std::vector<AceSpec>{AceSpec::Allow("bob", "view")});
  c.Node("leaf", std::vector<AceSpec>{AceSpec::Deny("bob", std::vector<std::string>{})});
  const AclResult r = Ask(c, {"bob"}, "view");
  EXPECT_TRUE(r.allowed());
  EXPECT_EQ(r.acl_node(), 1);
}

TEST(AclEvaluator, AllPermissionsMatchesEveryNameIncludingUnknownAndEmpty) {
  Chain c;
  c.Node("root", std::vector<AceSpec>{AceSpec::AllowAll("admin"), AceSpec::DenyAllFor("mallory")});
  EXPECT_TRUE(Ask(c, {"admin"}, "view").allowed());
  EXPECT_TRUE(Ask(c, {"admin"}, "").allowed());
  EXPECT_TRUE(Ask(c, {"admin"}, "acl_test.never-seen-anywhere").allowed());
  EXPECT_EQ(SymbolTable::Global().Find("acl_test.never-seen-anywhere"), kNoSymbol);  // asked, not interned
  const AclResult m = Ask(c, {"mallory"}, "anything");
  EXPECT_FALSE(m.allowed());
  EXPECT_EQ(m.ace_index(), 1);
  EXPECT_TRUE(Ask(c, {"mallory", "admin"}, "x").allowed());  // first ACE decides
}

TEST(AclEvaluator, PrincipalsAreCaseSensitiveAndExact) {
  Chain c;
  c.Node("root", std::vector<AceSpec>{AceSpec::Allow("bob", "view"), AceSpec::DenyAll()});
  EXPECT_FALSE(Ask(c, {"Bob"}, "view").allowed());
  EXPECT_FALSE(Ask(c, {"bob "}, "view").allowed());
  EXPECT_TRUE(Ask(c, {"system.everyone", "Bob"}, "view").default_deny());  // not system.Everyone
}

TEST(AclEvaluator, ManyPrincipalsStillMatchExactly) {
  std::vector<std::string> many;
  for (int i = 0; i < 40; ++i) many.push_back("group:g" + std::to_string(i));
  Chain c;
  c.Node("root", std::vector<AceSpec>{AceSpec::Deny("group:g39x", "view"), AceSpec::Allow("group:g39", "view")});
  EXPECT_EQ(Ask(c, many, "view").ace_index(), 1);
  many.pop_back();
  EXPECT_TRUE(Ask(c, many, "view").default_deny());
}

TEST(AclEvaluator, EmptyPrincipalsAlwaysDefaultDeny) {
  EXPECT_TRUE(Ask(Flintstones(), {}, "view").default_deny());
}

TEST(AclEvaluator, DuplicateAceReportsFirstIndex) {
  Chain c;
  c.Node("root", std::vector<AceSpec>{AceSpec::Allow("x", "y"), AceSpec::DenyAll(), AceSpec::DenyAll()});
  EXPECT_EQ(Ask(c, {"system.Everyone"}, "view").ace_index(), 1);
}

TEST(AclEvaluator, SharedAclIsReportedByLineagePosition) {
  Chain c;
  c.Node("root", std::vector<AceSpec>{AceSpec::Allow("bob", "view")});
  c.NodeSharing("copy", 0);
  const AclResult r = Ask(c, {"bob"}, "view");
  EXPECT_EQ(r.acl_node(), 0);  // the context, which holds the same Acl object
}

TEST(AclEvaluator, ContextIsRootAsksOnlyItsOwnAcl) {
  Chain c;
  c.Node("root", std::vector<AceSpec>{AceSpec::Allow("bob", "view")});
  const AclResult r = Ask(c, {"bob"}, "view");
  EXPECT_TRUE(r.allowed());
  EXPECT_EQ(r.acl_node(), 0);
  EXPECT_EQ(r.msg_acl_node(), 0);
}

TEST(AclEvaluator, DefaultDenyReportsRootMostAcl) {
  Chain c;
  c.Node("root", std::vector<AceSpec>{});
  c.Node("middle", std::vector<AceSpec>{AceSpec::Allow("alice", "view")});
  c.Node("leaf", std::nullopt);
  const AclResult r = Ask(c, {"bob"}, "view");
  EXPECT_TRUE(r.default_deny());
  EXPECT_EQ(r.acl_node(), -1);
  EXPECT_EQ(r.ace_index(), -1);
  EXPECT_EQ(r.msg_acl_node(), 2);  // the empty root ACL, not the nearer one
  EXPECT_EQ(Explain(c, {"bob"}, "view"),
            "ACLDenied permission 'view' via ACE '<default deny>' in ACL [] on context <Resource 'leaf'> "
            "for principals ['bob']");
}

TEST(AclEvaluator, DefaultDenyWithoutAnyAclSaysNoAclFound) {
  Chain c;
  c.Node("root", std::nullopt);
  const AclResult r = Ask(c, {}, "view");
  EXPECT_TRUE(r.default_deny());
  EXPECT_EQ(r.msg_acl_node(), -1);
  EXPECT_EQ(Explain(c, {}, "view"),
            "ACLDenied permission 'view' via ACE '<default deny>' in ACL '<No ACL found on any object in "
            "resource lineage>' on context <Resource 'root'> for principals []");
}

TEST(AclEvaluator, MessagesMatchPyramidExamples) {
  const Chain c = Flintstones();
  EXPECT_EQ(Explain(c, {"system.Everyone", "system.Authenticated", "wilma"}, "view"),
            "ACLAllowed permission 'view' via ACE ('Allow', 'wilma', 'view') in ACL [('Allow', 'barney', "
            "('view', 'comment', 'edit', 'create', 'delete')), ('Allow', 'wilma', 'view')] on context "
            "<Resource 'blog'> for principals ['system.Everyone', 'system.Authenticated', 'wilma']");
  // The deciding node (community), not the context (blog), is the context.
  EXPECT_EQ(Explain(c, {"system.Everyone", "system.Authenticated", "wilma"}, "delete"),
            "ACLDenied permission 'delete' via ACE ('Deny', 'system.Everyone', ALL_PERMISSIONS) in ACL "
            "[('Allow', 'fred', ALL_PERMISSIONS), ('Allow', 'wilma', 'view'), ('Deny', 'system.Everyone', "
            "ALL_PERMISSIONS)] on context <Resource 'community'> for principals ['system.Everyone', "
            "'system.Authenticated', 'wilma']");
}

TEST(AclEvaluator, MessageRendersPrincipalsAsGivenAndTheNodeKind) {
  std::vector<AclPtr> keep{Acl::Compile({AceSpec::Allow("o'brien", "edit")})};
  const std::vector<LineageNode> lineage{{keep[0].get(), "doc\n1", "Entry"}};
  const Principals p({"o'brien", "o'brien", "x"});
  EXPECT_EQ(Permits(lineage, p, "edit").Message(lineage, p.as_given(), "edit"),
            "ACLAllowed permission 'edit' via ACE ('Allow', \"o'brien\", 'edit') in ACL [('Allow', \"o'brien\", "
            "'edit')] on context <Entry 'doc\\n1'> for principals [\"o'brien\", \"o'brien\", 'x']");
}

TEST(AclEvaluator, ByIdAndByNameAgree) {
  const Chain c = Flintstones();
  const std::vector<LineageNode> lineage = c.lineage();
  const Principals p({"barney"});
  const SymbolId edit = SymbolTable::Global().Intern("edit");
  EXPECT_TRUE(Permits(lineage, p, edit).allowed());
  EXPECT_TRUE(Permits(lineage, p, "edit").allowed());
  EXPECT_FALSE(Permits(lineage, p, kNoSymbol).allowed());
}

// ACLs from Acl::kIndexFromSize ACEs up are searched through an index
// rather than scanned; the answers must be the scan's.
std::vector<AceSpec> Padding(size_t n) {
  std::vector<AceSpec> out;
  for (size_t i = 0; i < n; ++i) out.push_back(AceSpec::Allow("pad-" + std::to_string(i), "view"));
  return out;
}

TEST(AclEvaluator, LargeAclKeepsFirstMatchAcrossPrincipalsAndAllPermissions) {
  std::vector<AceSpec> aces = Padding(Acl::kIndexFromSize);
  aces.push_back(AceSpec::Allow("bob", std::vector<std::string>{"edit", "view", "edit"}));  // 9
  aces.push_back(AceSpec::DenyAllFor("group:x"));                                           // 10
  aces.push_back(AceSpec::Deny("bob", "view"));                                             // 11
  aces.push_back(AceSpec::Allow("bob", std::vector<std::string>{}));                        // 12
  aces.push_back(AceSpec::DenyAll());                                                       // 13
  aces.push_back(AceSpec::DenyAll());                                                       // 14
  aces.push_back(AceSpec::AllowAll("carol"));                                               // 15
  Chain c;
  c.Node("root", std::vector<AceSpec>{AceSpec::Allow("carol", "view")});
  c.Node("leaf", std::move(aces));
  EXPECT_EQ(Ask(c, {"bob"}, "view").ace_index(), 9);
  EXPECT_TRUE(Ask(c, {"bob"}, "view").allowed());
  EXPECT_EQ(Ask(c, {"group:x", "bob"}, "view").ace_index(), 9);
  EXPECT_EQ(Ask(c, {"group:x", "bob"}, "delete").ace_index(), 10);
  EXPECT_FALSE(Ask(c, {"group:x"}, "acl_test.unknown-large").allowed());
  EXPECT_EQ(Ask(c, {"group:x"}, "acl_test.unknown-large").ace_index(), 10);
  EXPECT_EQ(Ask(c, {"system.Everyone", "bob"}, "comment").ace_index(), 13);  // the first DENY_ALL
  const AclResult carol = Ask(c, {"carol"}, "view");
  EXPECT_EQ(carol.ace_index(), 15);
  EXPECT_EQ(carol.acl_node(), 0);
  const AclResult inherited = Ask(c, {"carol", "dave"}, "view");
  EXPECT_EQ(inherited.ace_index(), 15);
  EXPECT_TRUE(Ask(c, {"pad-3"}, "view").allowed());
  EXPECT_EQ(Ask(c, {"pad-3"}, "view").ace_index(), 3);
  EXPECT_TRUE(Ask(c, {"pad-3"}, "vie").default_deny());
  EXPECT_TRUE(Ask(c, {"nobody"}, "view").default_deny());
  EXPECT_EQ(Ask(c, {"nobody"}, "view").msg_acl_node(), 1);
}

TEST(AclEvaluator, LargeAndSmallAclsDecideAlike) {
  // The same ACEs, once scanned (short) and once indexed (padded at the end).
  const std::vector<AceSpec> core = {AceSpec::Deny("group:x", "edit"), AceSpec::Allow("bob", "edit"),
                                     AceSpec::AllowAll("admin"), AceSpec::DenyAll()};
  std::vector<AceSpec> padded = core;
  for (AceSpec& pad : Padding(Acl::kIndexFromSize)) padded.push_back(std::move(pad));
  ASSERT_FALSE(Acl::Compile(core)->indexed());
  ASSERT_TRUE(Acl::Compile(padded)->indexed());
  Chain scanned, indexed;
  scanned.Node("root", core);
  indexed.Node("root", std::move(padded));
  for (const std::vector<std::string>& who : std::vector<std::vector<std::string>>{
           {"bob"}, {"bob", "group:x"}, {"admin", "system.Everyone"}, {"system.Everyone", "admin"},
           {"system.Everyone"}, {}, {"nobody"}}) {
    for (const char* permission : {"edit", "view", "", "acl_test.unknown-mixed"}) {
      const AclResult a = Ask(scanned, who, permission);
      const AclResult b = Ask(indexed, who, permission);
      EXPECT_EQ(a.allowed(), b.allowed()) << permission;
      EXPECT_EQ(a.ace_index(), b.ace_index()) << permission;
    }
  }
}

// ----------------------------------------------------------------- compile

TEST(AclCompile, ReprsRenderTuplesAsPythonDoes) {
  const AclPtr acl = Acl::Compile({
      AceSpec::Allow("bob", "view"),
      AceSpec::Allow("bob", std::vector<std::string>{"view"}),
      AceSpec::Allow("bob", std::vector<std::string>{}),
      AceSpec::Deny("bob", std::vector<std::string>{"a", "b", "a"}),
      AceSpec::AllowAll("admin"),
      AceSpec::DenyAll(),
  });
  ASSERT_EQ(acl->size(), 6u);
  EXPECT_EQ(acl->ace_repr(0), "('Allow', 'bob', 'view')");
  EXPECT_EQ(acl->ace_repr(1), "('Allow', 'bob', ('view',))");
  EXPECT_EQ(acl->ace_repr(2), "('Allow', 'bob', ())");
  EXPECT_EQ(acl->ace_repr(3), "('Deny', 'bob', ('a', 'b', 'a'))");  // duplicates kept
  EXPECT_EQ(acl->ace_repr(4), "('Allow', 'admin', ALL_PERMISSIONS)");
  EXPECT_EQ(acl->ace_repr(5), "('Deny', 'system.Everyone', ALL_PERMISSIONS)");
  EXPECT_EQ(acl->repr(),
            "[('Allow', 'bob', 'view'), ('Allow', 'bob', ('view',)), ('Allow', 'bob', ()), ('Deny', 'bob', "
            "('a', 'b', 'a')), ('Allow', 'admin', ALL_PERMISSIONS), ('Deny', 'system.Everyone', "
            "ALL_PERMISSIONS)]");
  EXPECT_EQ(Acl::Compile({})->repr(), "[]");
  EXPECT_TRUE(Acl::Compile({})->empty());
}

TEST(AclCompile, CompiledFormIsInternedSortedAndUnique) {
  const AclPtr acl = Acl::Compile({AceSpec::Deny("bob", std::vector<std::string>{"b", "a", "b"}), AceSpec::DenyAll()});
  SymbolTable& g = SymbolTable::Global();
  const Acl::CompiledAce& first = acl->compiled()[0];
  EXPECT_EQ(first.action, AceAction::kDeny);
  EXPECT_FALSE(first.all_permissions);
  EXPECT_EQ(first.principal, g.Find("bob"));
  ASSERT_EQ(first.permissions.size(), 2u);
  EXPECT_LT(first.permissions[0], first.permissions[1]);
  const Acl::CompiledAce& deny_all = acl->compiled()[1];
  EXPECT_TRUE(deny_all.all_permissions);
  EXPECT_TRUE(deny_all.permissions.empty());
  EXPECT_EQ(deny_all.principal, g.Find(kEveryone));
  EXPECT_EQ(acl->aces()[0].permissions, (std::vector<std::string>{"b", "a", "b"}));  // spec as written
}

TEST(AclCompile, FactoriesSetFormAndAction) {
  EXPECT_EQ(AceSpec::Allow("p", "x").form, PermissionForm::kString);
  EXPECT_EQ(AceSpec::Allow("p", std::vector<std::string>{"x"}).form, PermissionForm::kList);
  EXPECT_EQ(AceSpec::Deny("p", "x").action, AceAction::kDeny);
  const AceSpec deny_all = AceSpec::DenyAll();
  EXPECT_EQ(deny_all.action, AceAction::kDeny);
  EXPECT_EQ(deny_all.principal, "system.Everyone");
  EXPECT_EQ(deny_all.form, PermissionForm::kAllPermissions);
  EXPECT_EQ(AceSpec::DenyAllFor("bob").principal, "bob");
  EXPECT_EQ(AceSpec::AllowAll("bob").action, AceAction::kAllow);
}

// ------------------------------------------------------ principals allowed

std::vector<std::string> Allowed(const Chain& c, absl::string_view permission) {
  return PrincipalsAllowedByPermission(c.lineage(), permission);
}

TEST(PrincipalsAllowed, DenyEveryoneKeepsEarlierAllows) {
  Chain c;
  c.Node("root", std::vector<AceSpec>{AceSpec::Allow("inherited", "read")});
  c.Node("leaf", std::vector<AceSpec>{AceSpec::Allow("chrism", "read"), AceSpec::DenyAll(),
                                      AceSpec::Allow("other", "read")});
  EXPECT_THAT(Allowed(c, "read"), ElementsAre("chrism"));
}

TEST(PrincipalsAllowed, DenyOfOnePrincipalRemovesItFromInheritedOnly) {
  Chain c;
  c.Node("root", std::vector<AceSpec>{AceSpec::Allow("bob", "read"), AceSpec::Allow("alice", "read")});
  c.Node("leaf", std::vector<AceSpec>{AceSpec::Allow("carol", "read"), AceSpec::Deny("carol", "read"),
                                      AceSpec::Deny("bob", "read"), AceSpec::Allow("bob", "read")});
  // carol: the earlier Allow stands; bob: removed, and the later Allow is ignored.
  EXPECT_THAT(Allowed(c, "read"), ElementsAre("alice", "carol"));
}

TEST(PrincipalsAllowed, DenyEveryoneForAnotherPermissionHasNoEffect) {
  Chain c;
  c.Node("root", std::vector<AceSpec>{AceSpec::Allow("bob", "read")});
  c.Node("leaf", std::vector<AceSpec>{AceSpec::Deny("system.Everyone", "write")});
  EXPECT_THAT(Allowed(c, "read"), ElementsAre("bob"));
  EXPECT_THAT(Allowed(c, "write"), IsEmpty());
}

TEST(PrincipalsAllowed, DenyOfAGroupDoesNotRemoveItsMembers) {
  Chain c;
  c.Node("root", std::vector<AceSpec>{AceSpec::Allow("bob", "read"), AceSpec::Allow("system.Authenticated", "read")});
  c.Node("leaf", std::vector<AceSpec>{AceSpec::Deny("group:x", "read"), AceSpec::Deny("system.Authenticated", "read")});
  EXPECT_THAT(Allowed(c, "read"), ElementsAre("bob"));
}

TEST(PrincipalsAllowed, StringPermissionAndAllPermissions) {
  Chain c;
  c.Node("root", std::vector<AceSpec>{AceSpec::Allow("a", "view_stuff"), AceSpec::AllowAll("admin"),
                                      AceSpec::Allow("system.Everyone", std::vector<std::string>{"view"})});
  EXPECT_THAT(Allowed(c, "view"), ElementsAre("admin", "system.Everyone"));
  EXPECT_THAT(Allowed(c, "acl_test.unknown-permission"), ElementsAre("admin"));
}

TEST(PrincipalsAllowed, NoAclAnywhereGivesEmptySet) {
  Chain c;
  c.Node("root", std::nullopt);
  c.Node("leaf", std::nullopt);
  EXPECT_THAT(Allowed(c, "view"), IsEmpty());
}

TEST(PrincipalsAllowed, SortedByCodePointWithoutDuplicates) {
  Chain c;
  c.Node("root", std::vector<AceSpec>{AceSpec::Allow("\u00e9", "v"), AceSpec::Allow("a", "v"),
                                      AceSpec::Allow("Z", "v"), AceSpec::Allow("\u4e2d", "v"),
                                      AceSpec::Allow("a", "v")});
  c.Node("leaf", std::vector<AceSpec>{AceSpec::Allow("a", "v")});
  EXPECT_THAT(Allowed(c, "v"), ElementsAre("Z", "a", "\u00e9", "\u4e2d"));
}

// ------------------------------------------------------------------ PyRepr

TEST(PyRepr, PlainTextUsesSingleQuotes) {
  EXPECT_EQ(PyRepr("view"), "'view'");
  EXPECT_EQ(PyRepr(""), "''");
  EXPECT_EQ(PyRepr(" "), "' '");
}

TEST(PyRepr, SingleQuoteAloneSwitchesToDoubleQuotes) {
  EXPECT_EQ(PyRepr("it's"), "\"it's\"");
  EXPECT_EQ(PyRepr("say \"hi\""), "'say \"hi\"'");
}

TEST(PyRepr, BothQuotesKeepSingleQuotesAndEscapeThem) {
  EXPECT_EQ(PyRepr("both ' and \""), "'both \\' and \"'");
}

TEST(PyRepr, BackslashIsDoubled) {
  EXPECT_EQ(PyRepr("a\\b"), "'a\\\\b'");
  EXPECT_EQ(PyRepr("it's\\"), "\"it's\\\\\"");
}

TEST(PyRepr, ControlCharactersAreEscaped) {
  EXPECT_EQ(PyRepr("\n\t\r"), "'\\n\\t\\r'");
  EXPECT_EQ(PyRepr(std::string("\x00\x07\x1b\x7f", 4)), "'\\x00\\x07\\x1b\\x7f'");
}

TEST(PyRepr, PrintableNonAsciiIsKept) {
  EXPECT_EQ(PyRepr("jos\u00e9"), "'jos\u00e9'");
  EXPECT_EQ(PyRepr("\U0001F600\u4e2d\u6587"), "'\U0001F600\u4e2d\u6587'");
}

TEST(PyRepr, NonPrintableNonAsciiIsEscapedByWidth) {
  EXPECT_EQ(PyRepr("\u0080\u009f\u00a0\u00ad"), "'\\x80\\x9f\\xa0\\xad'");
  EXPECT_EQ(PyRepr("\u200b\u2028\ue000\u0378\u3000"), "'\\u200b\\u2028\\ue000\\u0378\\u3000'");
  EXPECT_EQ(PyRepr("\U000E0001"), "'\\U000e0001'");
}

TEST(PyRepr, InvalidUtf8RendersAsSurrogateEscapes) {
  EXPECT_EQ(PyRepr("\xff"), "'\\udcff'");
  EXPECT_EQ(PyRepr("a\xc3"), "'a\\udcc3'");
  EXPECT_EQ(PyRepr("\xc0\xaf"), "'\\udcc0\\udcaf'");              // overlong
  EXPECT_EQ(PyRepr("\xed\xa0\x80"), "'\\udced\\udca0\\udc80'");   // encoded surrogate
  EXPECT_EQ(PyRepr("\xe2\x82" "A"), "'\\udce2\\udc82A'");          // truncated sequence
  EXPECT_EQ(PyRepr("\xf4\x90\x80\x80"), "'\\udcf4\\udc90\\udc80\\udc80'");  // above U+10FFFF
}

}  // namespace
}  // namespace orb::policy
