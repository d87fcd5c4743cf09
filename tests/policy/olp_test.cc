// Object Lock Profiles: lookup, wildcards, BLOCKED, inheritance, restriction
// and description. Outcomes that need a lock evaluated go through Decide()
// against a one-node lineage whose ACL grants alice "view" and "edit" only.
#include "orb/policy/olp.h"

#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "orb/policy/acl.h"
#include "policy/gate.h"
#include "orb/policy/symbols.h"
#include "tests/policy/olp_peer.h"

namespace orb::policy {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr View kInst = View::kInstance;
constexpr View kCls = View::kClass;
constexpr Op kGet = Op::kGetAttr;
constexpr Op kSet = Op::kSetAttr;
constexpr Op kDel = Op::kDelAttr;
constexpr Op kCall = Op::kCall;

Lock P(absl::string_view permission) { return Lock::Permission(permission); }

std::vector<std::string> Names(const OlpTable& table) {
  std::vector<std::string> names;
  for (const auto& [name, lock] : table) names.push_back(name);
  return names;
}

std::string Rendered(const Olp& olp, View v, Op o, absl::string_view name) {
  auto it = OlpPeer::Table(olp, v, o).find(name);
  return it == OlpPeer::Table(olp, v, o).end() ? "<absent>" : it->second.ToString();
}

// Every entry of an OLP as one comparable string per entry.
std::vector<std::string> Flatten(const Olp& olp) {
  std::vector<std::string> out;
  for (const OlpDescription::Entry& e : olp.Describe().entries) {
    out.push_back(std::string(ViewName(e.view)) + "/" + std::string(OpName(e.op)) + "/" + e.name +
                  "=" + e.lock);
  }
  return out;
}

// alice holds "view" and "edit" on "doc", nothing else (DENY_ALL ends the ACL).
struct World {
  AclPtr acl = Acl::Compile({AceSpec::Allow("alice", std::vector<std::string>{"view", "edit"}),
                             AceSpec::DenyAll()});
  std::vector<LineageNode> lineage = {LineageNode{acl.get(), "doc", "Resource"}};
  Principals alice{{std::string(kEveryone), std::string(kAuthenticated), "alice"}};
};

const World& TheWorld() {
  static const World* const world = new World();
  return *world;
}

GateOutcome Check(const Olp& olp, View v, Op o, absl::string_view name) {
  AccessRequest r;
  r.view = v;
  r.op = o;
  r.name = name;
  r.lineage = absl::MakeConstSpan(TheWorld().lineage);
  r.principals = &TheWorld().alice;
  r.session_id = "s";
  return Decide(olp, r).outcome;
}

constexpr GateOutcome kNotExposed = GateOutcome::kNotExposed;
constexpr GateOutcome kDenied = GateOutcome::kDenied;
constexpr GateOutcome kAllowed = GateOutcome::kAllowed;

// --- Names and rendering ---------------------------------------------------

TEST(Olp, OpAndViewNamesAreRpycs) {
  EXPECT_EQ(OpName(kGet), "getattr");
  EXPECT_EQ(OpName(kSet), "setattr");
  EXPECT_EQ(OpName(kDel), "delattr");
  EXPECT_EQ(OpName(kCall), "call");
  EXPECT_EQ(ViewName(kInst), "instance");
  EXPECT_EQ(ViewName(kCls), "class");
}

TEST(Lock, ToStringMatchesRpycRendering) {
  EXPECT_EQ(P("view").ToString(), "view");
  EXPECT_EQ(Lock::AllOf({P("a"), P("b")}).ToString(), "[a & b]");
  EXPECT_EQ(Lock::AnyOf({P("a"), Lock::AllOf({P("b"), P("c")})}).ToString(), "[a | [b & c]]");
  EXPECT_EQ(Lock::AllOf({P("a")}).ToString(), "[a]");
  EXPECT_EQ(Lock::Blocked().ToString(), "BLOCKED");
  EXPECT_EQ(Lock::NoPermissionRequired().ToString(), "NO_PERMISSION_REQUIRED");
  EXPECT_EQ(Lock::Custom("business_hours", nullptr).ToString(), "business_hours");
  // rpyc.security renders the empty lists by their truth value.
  EXPECT_EQ(Lock::AllOf({}).ToString(), "True");
  EXPECT_EQ(Lock::AnyOf({}).ToString(), "False");
}

TEST(Lock, AccessorsAnswerPerKind) {
  const Lock view = P("view");
  EXPECT_EQ(view.kind(), Lock::Kind::kPermission);
  EXPECT_EQ(view.permission(), "view");
  EXPECT_EQ(view.permission_id(), SymbolTable::Global().Find("view"));
  EXPECT_NE(view.permission_id(), kNoSymbol);
  EXPECT_THAT(view.children(), IsEmpty());

  const Lock both = Lock::AnyOf({P("a"), P("b")});
  EXPECT_EQ(both.kind(), Lock::Kind::kAnyOf);
  EXPECT_EQ(both.permission(), "");
  EXPECT_EQ(both.permission_id(), kNoSymbol);
  ASSERT_EQ(both.children().size(), 2u);
  EXPECT_EQ(both.children()[1].permission(), "b");

  EXPECT_EQ(Lock::Blocked().kind(), Lock::Kind::kBlocked);
  EXPECT_EQ(Lock::NoPermissionRequired().kind(), Lock::Kind::kNoPermissionRequired);
  EXPECT_EQ(Lock::Custom("c", nullptr).kind(), Lock::Kind::kCustom);
}

TEST(Lock, CustomHoldsOnlyForCustomLocksThatSayTrue) {
  LockQuery ctx;
  EXPECT_TRUE(Lock::Custom("yes", [](const LockQuery&) { return true; }).CustomHolds(ctx));
  EXPECT_FALSE(Lock::Custom("no", [](const LockQuery&) { return false; }).CustomHolds(ctx));
  EXPECT_FALSE(Lock::Custom("empty", nullptr).CustomHolds(ctx));
  EXPECT_FALSE(Lock::Custom("error", [](const LockQuery&) -> absl::StatusOr<bool> {
                 return absl::InternalError("boom");
               }).CustomHolds(ctx));
  EXPECT_FALSE(Lock::Custom("throws", [](const LockQuery&) -> absl::StatusOr<bool> {
                 throw std::runtime_error("boom");
               }).CustomHolds(ctx));
  EXPECT_FALSE(Lock::NoPermissionRequired().CustomHolds(ctx));
}

// --- Lookup ----------------------------------------------------------------

TEST(Olp, EmptyOlpExposesNothing) {
  const OlpPtr empty = Olp::Empty();
  for (int v = 0; v < kViewCount; ++v) {
    for (int o = 0; o < kOpCount; ++o) {
      EXPECT_THAT(OlpPeer::Table(*empty, static_cast<View>(v), static_cast<Op>(o)), IsEmpty());
      EXPECT_FALSE(empty->Exposes(static_cast<View>(v), static_cast<Op>(o), "anything"));
    }
  }
  EXPECT_THAT(empty->Describe().entries, IsEmpty());
}

TEST(Olp, MissingNameWithoutWildcardIsNotExposed) {
  const OlpPtr olp = Olp::Builder().Expose(kInst, kGet, "title", P("view")).Build();
  EXPECT_TRUE(olp->Exposes(kInst, kGet, "title"));
  EXPECT_FALSE(olp->Exposes(kInst, kGet, "body"));
  EXPECT_FALSE(olp->Exposes(kInst, kGet, "Title"));
}

TEST(Olp, StarIsTheFallbackForUnlistedNames) {
  const OlpPtr olp = Olp::Builder()
                         .Expose(kInst, kGet, "*", P("view"))
                         .Expose(kInst, kGet, "secret_report", P("admin"))
                         .Build();
  EXPECT_EQ(Check(*olp, kInst, kGet, "body"), kAllowed);
  // A listed name uses its own entry, not "*".
  EXPECT_EQ(Check(*olp, kInst, kGet, "secret_report"), kDenied);
}

TEST(Olp, StarNeverReachesUnderscoreNames) {
  const OlpPtr olp = Olp::Builder().Expose(kInst, kGet, "*", Lock::NoPermissionRequired()).Build();
  EXPECT_TRUE(olp->Exposes(kInst, kGet, "title"));
  EXPECT_FALSE(olp->Exposes(kInst, kGet, "_secret"));
  EXPECT_FALSE(olp->Exposes(kInst, kGet, "__class__"));
  EXPECT_FALSE(olp->Exposes(kInst, kGet, "_"));
}

TEST(Olp, PipeNeverReachesUnderscoreNames) {
  const OlpPtr olp = Olp::Builder().Expose(kInst, kGet, "|", Lock::NoPermissionRequired()).Build();
  EXPECT_TRUE(olp->Exposes(kInst, kGet, "title"));
  EXPECT_FALSE(olp->Exposes(kInst, kGet, "_secret"));
  EXPECT_FALSE(olp->Exposes(kInst, kGet, "__dict__"));
}

TEST(Olp, PipeNeverGrantsAListedUnderscoreName) {
  // `_audit` is listed, so it exists, but its own lock fails: "|" must not
  // rescue it.
  const OlpPtr olp = Olp::Builder()
                         .Expose(kInst, kGet, "_audit", P("admin"))
                         .Expose(kInst, kGet, "|", Lock::NoPermissionRequired())
                         .Build();
  EXPECT_EQ(Check(*olp, kInst, kGet, "_audit"), kDenied);
  EXPECT_EQ(Check(*olp, kInst, kGet, "title"), kAllowed);
}

TEST(Olp, ListedUnderscoreNameIsExposed) {
  const OlpPtr olp = Olp::Builder().Expose(kInst, kGet, "_version", P("view")).Build();
  EXPECT_EQ(Check(*olp, kInst, kGet, "_version"), kAllowed);
}

TEST(Olp, AmpersandNarrowsListedUnderscoreName) {
  const OlpPtr narrowed = Olp::Builder()
                              .Expose(kInst, kGet, "_version", Lock::NoPermissionRequired())
                              .Expose(kInst, kGet, "&", P("admin"))
                              .Build();
  EXPECT_EQ(Check(*narrowed, kInst, kGet, "_version"), kDenied);

  const OlpPtr held = Olp::Builder()
                          .Expose(kInst, kGet, "_version", Lock::NoPermissionRequired())
                          .Expose(kInst, kGet, "&", P("view"))
                          .Build();
  EXPECT_EQ(Check(*held, kInst, kGet, "_version"), kAllowed);
}

TEST(Olp, AmpersandNarrowsEveryName) {
  const OlpPtr olp = Olp::Builder()
                         .Expose(kInst, kGet, "title", P("view"))
                         .Expose(kInst, kGet, "*", Lock::NoPermissionRequired())
                         .Expose(kInst, kGet, "&", P("admin"))
                         .Build();
  EXPECT_EQ(Check(*olp, kInst, kGet, "title"), kDenied);
  EXPECT_EQ(Check(*olp, kInst, kGet, "body"), kDenied);
  // "&" alone exposes nothing: it is a constraint, not a grant.
  const OlpPtr only_and =
      Olp::Builder().Expose(kInst, kGet, "&", Lock::NoPermissionRequired()).Build();
  EXPECT_FALSE(only_and->Exposes(kInst, kGet, "title"));
}

TEST(Olp, PipeGrantsWhenOwnLockFails) {
  const OlpPtr olp = Olp::Builder()
                         .Expose(kInst, kGet, "salary", P("admin"))
                         .Expose(kInst, kGet, "|", P("view"))
                         .Build();
  EXPECT_EQ(Check(*olp, kInst, kGet, "salary"), kAllowed);
  // And "|" alone makes unlisted names exist.
  EXPECT_EQ(Check(*olp, kInst, kGet, "anything"), kAllowed);
}

TEST(Olp, PipeGrantsWhenAmpersandFails) {
  const OlpPtr olp = Olp::Builder()
                         .Expose(kInst, kGet, "title", P("view"))
                         .Expose(kInst, kGet, "&", P("admin"))
                         .Expose(kInst, kGet, "|", P("edit"))
                         .Build();
  EXPECT_EQ(Check(*olp, kInst, kGet, "title"), kAllowed);
}

TEST(Olp, WildcardKeysAreNotMemberNames) {
  const OlpPtr olp = Olp::Builder()
                         .Expose(kInst, kGet, "*", Lock::NoPermissionRequired())
                         .Expose(kInst, kGet, "&", Lock::NoPermissionRequired())
                         .Expose(kInst, kGet, "|", Lock::NoPermissionRequired())
                         .Expose(kInst, kGet, "", Lock::NoPermissionRequired())
                         .Build();
  EXPECT_FALSE(olp->Exposes(kInst, kGet, "*"));
  EXPECT_FALSE(olp->Exposes(kInst, kGet, "&"));
  EXPECT_FALSE(olp->Exposes(kInst, kGet, "|"));
  EXPECT_FALSE(olp->Exposes(kInst, kGet, ""));
  EXPECT_TRUE(olp->Exposes(kInst, kGet, "title"));
}

// --- BLOCKED ---------------------------------------------------------------

TEST(Olp, BlockedNameIsNotExposed) {
  const OlpPtr olp = Olp::Builder().Expose(kInst, kGet, "password", Lock::Blocked()).Build();
  EXPECT_FALSE(olp->Exposes(kInst, kGet, "password"));
  EXPECT_EQ(Decide(*olp, AccessRequest{kInst, kGet, "password", {}, nullptr, ""}).outcome,
            kNotExposed);
}

TEST(Olp, BlockedNameDoesNotFallBackToStar) {
  const OlpPtr olp = Olp::Builder()
                         .Expose(kInst, kGet, "*", Lock::NoPermissionRequired())
                         .Expose(kInst, kGet, "password", Lock::Blocked())
                         .Build();
  EXPECT_FALSE(olp->Exposes(kInst, kGet, "password"));
  EXPECT_TRUE(olp->Exposes(kInst, kGet, "title"));
}

TEST(Olp, BlockedStarExposesNoUnlistedName) {
  const OlpPtr olp = Olp::Builder()
                         .Expose(kInst, kGet, "*", Lock::Blocked())
                         .Expose(kInst, kGet, "title", P("view"))
                         .Build();
  EXPECT_FALSE(olp->Exposes(kInst, kGet, "body"));
  EXPECT_TRUE(olp->Exposes(kInst, kGet, "title"));
}

TEST(Olp, BlockedNameIsStillReachableByPipe) {
  const OlpPtr olp = Olp::Builder()
                         .Expose(kInst, kGet, "password", Lock::Blocked())
                         .Expose(kInst, kGet, "|", P("view"))
                         .Build();
  EXPECT_EQ(Check(*olp, kInst, kGet, "password"), kAllowed);
}

TEST(Olp, BlockedAmpersandHidesTheWholeTable) {
  const OlpPtr olp = Olp::Builder()
                         .Expose(kInst, kSet, "title", P("edit"))
                         .Expose(kInst, kSet, "*", P("edit"))
                         .Expose(kInst, kSet, "&", Lock::Blocked())
                         .Expose(kInst, kGet, "title", P("view"))
                         .Build();
  EXPECT_FALSE(olp->Exposes(kInst, kSet, "title"));
  EXPECT_FALSE(olp->Exposes(kInst, kSet, "body"));
  EXPECT_TRUE(olp->Exposes(kInst, kGet, "title"));
}

TEST(Olp, BlockedPipeGrantsNothing) {
  const OlpPtr olp = Olp::Builder().Expose(kInst, kGet, "|", Lock::Blocked()).Build();
  EXPECT_FALSE(olp->Exposes(kInst, kGet, "title"));
}

TEST(Olp, ExpressionThatNeverHoldsIsExposedButDenied) {
  // Only a lock that is exactly BLOCKED hides a name; an expression is
  // evaluated like any other.
  const OlpPtr olp =
      Olp::Builder().Expose(kInst, kGet, "title", Lock::AllOf({Lock::Blocked()})).Build();
  EXPECT_EQ(Check(*olp, kInst, kGet, "title"), kDenied);
}

// --- Lists -----------------------------------------------------------------

TEST(Olp, EmptyAllOfHoldsEmptyAnyOfFails) {
  const OlpPtr olp = Olp::Builder()
                         .Expose(kInst, kGet, "open", Lock::AllOf({}))
                         .Expose(kInst, kGet, "shut", Lock::AnyOf({}))
                         .Build();
  EXPECT_EQ(Check(*olp, kInst, kGet, "open"), kAllowed);
  EXPECT_EQ(Check(*olp, kInst, kGet, "shut"), kDenied);
}

TEST(Olp, AllOfNeedsEveryMemberAnyOfOne) {
  const OlpPtr olp = Olp::Builder()
                         .Expose(kInst, kGet, "both_held", Lock::AllOf({P("view"), P("edit")}))
                         .Expose(kInst, kGet, "one_missing", Lock::AllOf({P("view"), P("admin")}))
                         .Expose(kInst, kGet, "one_held", Lock::AnyOf({P("admin"), P("edit")}))
                         .Expose(kInst, kGet, "none_held", Lock::AnyOf({P("admin"), P("root")}))
                         .Build();
  EXPECT_EQ(Check(*olp, kInst, kGet, "both_held"), kAllowed);
  EXPECT_EQ(Check(*olp, kInst, kGet, "one_missing"), kDenied);
  EXPECT_EQ(Check(*olp, kInst, kGet, "one_held"), kAllowed);
  EXPECT_EQ(Check(*olp, kInst, kGet, "none_held"), kDenied);
}

// --- Tables ----------------------------------------------------------------

TEST(Olp, InstanceGrantDoesNotExposeClass) {
  const OlpPtr olp = Olp::Builder()
                         .Expose(kInst, kGet, "withdraw", P("view"))
                         .Expose(kInst, kCall, "withdraw", P("view"))
                         .Expose(kCls, kGet, "create", P("view"))
                         .Build();
  EXPECT_TRUE(olp->Exposes(kInst, kGet, "withdraw"));
  EXPECT_FALSE(olp->Exposes(kCls, kGet, "withdraw"));
  EXPECT_FALSE(olp->Exposes(kCls, kCall, "withdraw"));
  EXPECT_TRUE(olp->Exposes(kCls, kGet, "create"));
  EXPECT_FALSE(olp->Exposes(kInst, kGet, "create"));
}

TEST(Olp, CallNeedsItsOwnGrant) {
  const OlpPtr readable = Olp::Builder().Expose(kInst, kGet, "withdraw", P("view")).Build();
  EXPECT_TRUE(readable->Exposes(kInst, kGet, "withdraw"));
  EXPECT_FALSE(readable->Exposes(kInst, kCall, "withdraw"));

  const OlpPtr callable = Olp::Builder().Expose(kInst, kCall, "withdraw", P("view")).Build();
  EXPECT_TRUE(callable->Exposes(kInst, kCall, "withdraw"));
  EXPECT_FALSE(callable->Exposes(kInst, kGet, "withdraw"));
}

TEST(Olp, EachOperationHasItsOwnTable) {
  const OlpPtr olp = Olp::Builder().Expose(kInst, kGet, "*", Lock::NoPermissionRequired()).Build();
  EXPECT_TRUE(olp->Exposes(kInst, kGet, "title"));
  EXPECT_FALSE(olp->Exposes(kInst, kSet, "title"));
  EXPECT_FALSE(olp->Exposes(kInst, kDel, "title"));
  EXPECT_FALSE(olp->Exposes(kInst, kCall, "title"));
}

// --- Builder ---------------------------------------------------------------

TEST(Olp, ExposeReplacesAndRemoveDeletes) {
  const OlpPtr olp = Olp::Builder()
                         .Expose(kInst, kGet, "title", P("view"))
                         .Expose(kInst, kGet, "title", P("edit"))
                         .Expose(kInst, kGet, "body", P("view"))
                         .Remove(kInst, kGet, "body")
                         .Remove(kInst, kGet, "never_there")
                         .Build();
  EXPECT_EQ(Rendered(*olp, kInst, kGet, "title"), "edit");
  EXPECT_FALSE(olp->Exposes(kInst, kGet, "body"));
}

TEST(Olp, BuilderCanBuildAgain) {
  Olp::Builder b;
  b.Expose(kInst, kGet, "title", P("view"));
  const OlpPtr first = b.Build();
  b.Expose(kInst, kGet, "body", P("view"));
  const OlpPtr second = b.Build();
  EXPECT_THAT(Names(OlpPeer::Table(*first, kInst, kGet)), ElementsAre("title"));
  EXPECT_THAT(Names(OlpPeer::Table(*second, kInst, kGet)), ElementsAre("body", "title"));
}

// --- Inheritance -----------------------------------------------------------

TEST(Olp, InheritKeepsUntouchedEntries) {
  const OlpPtr base = Olp::Builder()
                          .Expose(kInst, kGet, "title", P("view"))
                          .Expose(kCls, kCall, "create", P("add"))
                          .Build();
  const OlpPtr child =
      Olp::Builder().Inherit(*base).Expose(kInst, kGet, "summary", P("view")).Build();
  EXPECT_EQ(Rendered(*child, kInst, kGet, "title"), "view");
  EXPECT_EQ(Rendered(*child, kInst, kGet, "summary"), "view");
  EXPECT_EQ(Rendered(*child, kCls, kCall, "create"), "add");
}

TEST(Olp, InheritReplacesRedefinedNames) {
  const OlpPtr base = Olp::Builder()
                          .Expose(kInst, kGet, "title", P("view"))
                          .Expose(kInst, kSet, "title", P("edit"))
                          .Build();
  const OlpPtr child =
      Olp::Builder().Inherit(*base).Expose(kInst, kGet, "title", P("admin")).Build();
  // Replaced, not AND-merged: the child's entry alone.
  EXPECT_EQ(Rendered(*child, kInst, kGet, "title"), "admin");
  // Replacement is per table.
  EXPECT_EQ(Rendered(*child, kInst, kSet, "title"), "edit");
}

TEST(Olp, RemoveNameWipesARedefinedMemberFromEveryTable) {
  Olp::Builder base_builder;
  for (int v = 0; v < kViewCount; ++v) {
    for (int o = 0; o < kOpCount; ++o) {
      base_builder.Expose(static_cast<View>(v), static_cast<Op>(o), "run", P("view"));
    }
  }
  const OlpPtr base = base_builder.Build();
  const OlpPtr child = Olp::Builder()
                           .Inherit(*base)
                           .RemoveName("run")
                           .Expose(kInst, kCall, "run", P("admin"))
                           .Build();
  EXPECT_THAT(Flatten(*child), ElementsAre("instance/call/run=admin"));
}

TEST(Olp, InheritAndMergesWildcards) {
  const OlpPtr base = Olp::Builder()
                          .Expose(kInst, kGet, "*", P("view"))
                          .Expose(kInst, kGet, "&", P("active"))
                          .Expose(kInst, kGet, "|", P("admin"))
                          .Expose(kInst, kSet, "*", P("edit"))
                          .Build();
  const OlpPtr child = Olp::Builder()
                           .Inherit(*base)
                           .Expose(kInst, kGet, "*", P("read"))
                           .Expose(kInst, kGet, "&", P("audited"))
                           .Expose(kInst, kGet, "|", P("root"))
                           .Expose(kInst, kDel, "*", P("delete"))
                           .Build();
  EXPECT_EQ(Rendered(*child, kInst, kGet, "*"), "[view & read]");
  EXPECT_EQ(Rendered(*child, kInst, kGet, "&"), "[active & audited]");
  EXPECT_EQ(Rendered(*child, kInst, kGet, "|"), "[admin & root]");
  // Present on one side only: kept as is.
  EXPECT_EQ(Rendered(*child, kInst, kSet, "*"), "edit");
  EXPECT_EQ(Rendered(*child, kInst, kDel, "*"), "delete");
}

TEST(Olp, InheritedBlockedWildcardStaysExactlyBlocked) {
  const OlpPtr base = Olp::Builder().Expose(kInst, kGet, "*", Lock::Blocked()).Build();
  const OlpPtr child =
      Olp::Builder().Inherit(*base).Expose(kInst, kGet, "*", Lock::NoPermissionRequired()).Build();
  EXPECT_EQ(Rendered(*child, kInst, kGet, "*"), "BLOCKED");
  EXPECT_FALSE(child->Exposes(kInst, kGet, "title"));
}

// rpyc.security's and_olp copied the instance getattr table into the class
// getattr table. Every one of the eight tables must merge with its own
// counterpart only.
TEST(Olp, InheritKeepsTablesSeparate) {
  auto tag = [](int v, int o) { return std::to_string(v) + std::to_string(o); };
  Olp::Builder base_builder;
  Olp::Builder child_builder;
  for (int v = 0; v < kViewCount; ++v) {
    for (int o = 0; o < kOpCount; ++o) {
      const View view = static_cast<View>(v);
      const Op op = static_cast<Op>(o);
      base_builder.Expose(view, op, "base_" + tag(v, o), P("pb" + tag(v, o)));
      base_builder.Expose(view, op, "*", P("sb" + tag(v, o)));
      base_builder.Expose(view, op, "&", P("ab" + tag(v, o)));
      base_builder.Expose(view, op, "|", P("ob" + tag(v, o)));
      child_builder.Expose(view, op, "child_" + tag(v, o), P("pc" + tag(v, o)));
      child_builder.Expose(view, op, "*", P("sc" + tag(v, o)));
      child_builder.Expose(view, op, "&", P("ac" + tag(v, o)));
      child_builder.Expose(view, op, "|", P("oc" + tag(v, o)));
    }
  }
  const OlpPtr base = base_builder.Build();
  const OlpPtr child = child_builder.Inherit(*base).Build();

  for (int v = 0; v < kViewCount; ++v) {
    for (int o = 0; o < kOpCount; ++o) {
      SCOPED_TRACE(std::string(ViewName(static_cast<View>(v))) + "/" +
                   std::string(OpName(static_cast<Op>(o))));
      const View view = static_cast<View>(v);
      const Op op = static_cast<Op>(o);
      const std::string k = tag(v, o);
      EXPECT_THAT(Names(OlpPeer::Table(*child, view, op)),
                  ElementsAre("&", "*", "base_" + k, "child_" + k, "|"));
      EXPECT_EQ(Rendered(*child, view, op, "base_" + k), "pb" + k);
      EXPECT_EQ(Rendered(*child, view, op, "child_" + k), "pc" + k);
      EXPECT_EQ(Rendered(*child, view, op, "*"), "[sb" + k + " & sc" + k + "]");
      EXPECT_EQ(Rendered(*child, view, op, "&"), "[ab" + k + " & ac" + k + "]");
      EXPECT_EQ(Rendered(*child, view, op, "|"), "[ob" + k + " & oc" + k + "]");
    }
  }
}

TEST(Olp, InheritFromSeveralBasesAndMergesThem) {
  const OlpPtr a = Olp::Builder()
                       .Expose(kInst, kGet, "title", P("view"))
                       .Expose(kCls, kGet, "*", P("list"))
                       .Build();
  const OlpPtr b = Olp::Builder()
                       .Expose(kInst, kGet, "title", P("read"))
                       .Expose(kCls, kSet, "*", P("edit"))
                       .Build();
  const OlpPtr child = Olp::Builder().Inherit(*a).Inherit(*b).Build();
  EXPECT_THAT(Flatten(*child), ElementsAre("instance/getattr/title=[view & read]",
                                           "class/getattr/*=list", "class/setattr/*=edit"));
}

TEST(Olp, InheritIsOrderIndependent) {
  const OlpPtr base = Olp::Builder()
                          .Expose(kInst, kGet, "title", P("view"))
                          .Expose(kInst, kGet, "body", P("view"))
                          .Expose(kInst, kGet, "*", P("read"))
                          .Expose(kInst, kSet, "title", P("edit"))
                          .Build();
  auto child_entries = [](Olp::Builder& b) -> Olp::Builder& {
    return b.Expose(kInst, kGet, "title", P("admin"))
        .Expose(kInst, kGet, "*", P("audited"))
        .Remove(kInst, kGet, "body")
        .Remove(kInst, kSet, "title");
  };
  Olp::Builder first;
  first.Inherit(*base);
  child_entries(first);
  Olp::Builder last;
  child_entries(last);
  last.Inherit(*base);

  const std::vector<std::string> expected = {"instance/getattr/*=[read & audited]",
                                             "instance/getattr/title=admin"};
  EXPECT_EQ(Flatten(*first.Build()), expected);
  EXPECT_EQ(Flatten(*last.Build()), expected);
}

TEST(Olp, ExposeAfterRemoveDropsTheInheritedEntry) {
  const OlpPtr base = Olp::Builder().Expose(kInst, kGet, "*", P("view")).Build();
  const OlpPtr child = Olp::Builder()
                           .Remove(kInst, kGet, "*")
                           .Expose(kInst, kGet, "*", P("read"))
                           .Inherit(*base)
                           .Build();
  // The removal keeps the base's "*" out; only the child's remains.
  EXPECT_EQ(Rendered(*child, kInst, kGet, "*"), "read");
}

// --- Restriction -----------------------------------------------------------

Olp::NameSubset Keep(View v, Op o, std::vector<std::string> names) {
  Olp::NameSubset keep;
  keep[static_cast<int>(v)][static_cast<int>(o)] = std::move(names);
  return keep;
}

TEST(Olp, RestrictOnlyNarrows) {
  const OlpPtr olp = Olp::Builder()
                         .Expose(kInst, kGet, "title", P("view"))
                         .Expose(kInst, kGet, "body", P("view"))
                         .Expose(kInst, kGet, "*", P("read"))
                         .Expose(kInst, kGet, "password", Lock::Blocked())
                         .Expose(kInst, kSet, "title", P("edit"))
                         .Build();
  const OlpPtr r = olp->Restrict(Keep(kInst, kGet, {"title", "summary", "password", "_private",
                                                     "*", "&", "|", ""}));
  // "summary" came through "*"; nothing the original hides appears; no
  // wildcard is copied; tables not listed in `keep` are empty.
  EXPECT_THAT(Flatten(*r),
              ElementsAre("instance/getattr/summary=read", "instance/getattr/title=view"));
  EXPECT_FALSE(r->Exposes(kInst, kGet, "body"));
  EXPECT_FALSE(r->Exposes(kInst, kGet, "other"));
  EXPECT_FALSE(r->Exposes(kInst, kSet, "title"));
}

TEST(Olp, RestrictKeepsTheEffectiveLock) {
  const OlpPtr olp = Olp::Builder()
                         .Expose(kInst, kGet, "title", P("view"))
                         .Expose(kInst, kGet, "*", P("read"))
                         .Expose(kInst, kGet, "&", P("active"))
                         .Expose(kInst, kGet, "|", P("admin"))
                         .Expose(kInst, kGet, "_rev", P("view"))
                         .Build();
  const OlpPtr r = olp->Restrict(Keep(kInst, kGet, {"title", "other", "_rev"}));
  EXPECT_EQ(Rendered(*r, kInst, kGet, "title"), "[[view & active] | admin]");
  EXPECT_EQ(Rendered(*r, kInst, kGet, "other"), "[[read & active] | admin]");
  // "|" never reaches "_" names, "&" does.
  EXPECT_EQ(Rendered(*r, kInst, kGet, "_rev"), "[view & active]");
}

TEST(Olp, RestrictOfRestrictedNarrowsFurther) {
  const OlpPtr olp = Olp::Builder()
                         .Expose(kInst, kGet, "*", P("read"))
                         .Expose(kInst, kGet, "&", P("active"))
                         .Build();
  const OlpPtr once = olp->Restrict(Keep(kInst, kGet, {"a", "b"}));
  const OlpPtr twice = once->Restrict(Keep(kInst, kGet, {"b", "c"}));
  EXPECT_THAT(Flatten(*twice), ElementsAre("instance/getattr/b=[read & active]"));
  EXPECT_FALSE(twice->Exposes(kInst, kGet, "c"));
}

TEST(Olp, RestrictedOlpDecidesLikeTheOriginal) {
  const OlpPtr olp = Olp::Builder()
                         .Expose(kInst, kGet, "title", P("view"))
                         .Expose(kInst, kGet, "salary", P("admin"))
                         .Expose(kInst, kGet, "*", P("edit"))
                         .Expose(kInst, kGet, "&", Lock::AnyOf({P("view"), P("admin")}))
                         .Expose(kInst, kGet, "|", P("root"))
                         .Build();
  const std::vector<std::string> names = {"title", "salary", "other", "_x"};
  const OlpPtr r = olp->Restrict(Keep(kInst, kGet, names));
  for (const std::string& name : names) {
    SCOPED_TRACE(name);
    EXPECT_EQ(Check(*r, kInst, kGet, name), Check(*olp, kInst, kGet, name));
  }
}

TEST(Olp, EffectiveLockOfAHiddenNameIsBlocked) {
  const OlpPtr olp = Olp::Builder().Expose(kInst, kGet, "title", P("view")).Build();
  EXPECT_EQ(OlpPeer::EffectiveLock(*olp, kInst, kGet, "body").kind(), Lock::Kind::kBlocked);
  EXPECT_EQ(OlpPeer::EffectiveLock(*olp, kInst, kGet, "title").ToString(), "view");
}

// One rendering: what the gate evaluates, and BLOCKED for a hidden name.
TEST(Olp, RenderShowsExactlyTheResolvedLock) {
  const OlpPtr olp = Olp::Builder()
                         .Expose(kInst, kGet, "title", P("view"))
                         .Expose(kInst, kGet, "&", P("audited"))
                         .Expose(kInst, kGet, "|", P("admin"))
                         .Build();
  EXPECT_EQ(olp->Resolve(kInst, kGet, "title").Render(), "[[view & audited] | admin]");
  // No entry and no "*": only "|" can grant it, and "&" does not apply.
  EXPECT_EQ(olp->Resolve(kInst, kGet, "body").Render(), "admin");
  EXPECT_EQ(olp->Resolve(kInst, kGet, "_secret").Render(), "BLOCKED");
  for (absl::string_view name : {"title", "body", "_secret"}) {
    EXPECT_EQ(olp->Resolve(kInst, kGet, name).Render(),
              OlpPeer::EffectiveLock(*olp, kInst, kGet, name).ToString());
  }
}

// --- Description -----------------------------------------------------------

TEST(Olp, DescribeRendersEveryEntryInOrder) {
  const OlpPtr olp =
      Olp::Builder()
          .Expose(kCls, kCall, "create", P("add"))
          .Expose(kInst, kSet, "title", Lock::AllOf({P("edit"), P("owner")}))
          .Expose(kInst, kGet, "title", P("view"))
          .Expose(kInst, kGet, "*", Lock::AnyOf({P("view"), Lock::NoPermissionRequired()}))
          .Expose(kInst, kGet, "hours", Lock::Custom("business_hours", nullptr))
          .Expose(kInst, kDel, "title", Lock::Blocked())
          .Build();
  EXPECT_THAT(Flatten(*olp), ElementsAre("instance/getattr/*=[view | NO_PERMISSION_REQUIRED]",
                                         "instance/getattr/hours=business_hours",
                                         "instance/getattr/title=view",
                                         "instance/setattr/title=[edit & owner]",
                                         "instance/delattr/title=BLOCKED",
                                         "class/call/create=add"));
}

}  // namespace
}  // namespace orb::policy
