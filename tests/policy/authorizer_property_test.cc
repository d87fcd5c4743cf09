// Property: for random OLPs, ACLs and principals, the three faces of one
// decision agree with each other and with a brute-force evaluator written
// from docs/policy.md ("Wildcards and the decision", "Names that start with
// `_`", "Evaluation"): whether the name exists, the rendered lock that
// Describe and denial messages show, and the gate's answer (which Describe's
// `allowed` is). The oracle below shares no code with policy/: it keeps its
// own lock trees, tables and ACLs, and only the inputs are mirrored into the
// production types.
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "orb/policy/acl.h"
#include "policy/authorizer.h"
#include "orb/policy/olp.h"
#include "orb/policy/symbols.h"

namespace orb::policy {
namespace {

// ---------------------------------------------------------------------------
// The oracle's own model, from docs/policy.md.

struct RefLock {
  enum Kind { kPermission, kAll, kAny, kBlocked, kFree, kCustomYes, kCustomNo } kind;
  std::string permission;
  std::vector<RefLock> children;
};

struct RefAce {
  bool allow;
  std::string principal;
  bool all_permissions;
  std::vector<std::string> permissions;
};
using RefAcl = std::vector<RefAce>;

// One lineage node: no ACL (nullopt-like flag) or an ordered ACE list.
struct RefNode {
  bool has_acl;
  RefAcl acl;
};

// "Walk the lineage ... the first ACE whose principal is one of the
// caller's principals and whose permissions contain the permission decides
// ... No match anywhere is a default deny."
bool RefPermits(const std::vector<RefNode>& lineage, const std::vector<std::string>& principals,
                const std::string& permission) {
  for (const RefNode& node : lineage) {
    if (!node.has_acl) continue;
    for (const RefAce& ace : node.acl) {
      bool held = false;
      for (const std::string& p : principals) held = held || p == ace.principal;
      if (!held) continue;
      bool names = ace.all_permissions;
      for (const std::string& p : ace.permissions) names = names || p == permission;
      if (names) return ace.allow;
    }
  }
  return false;
}

// The lock table: "all_of: every lock holds; an empty list holds", "any_of:
// some lock holds; an empty list never holds", BLOCKED never holds,
// NO_PERMISSION_REQUIRED always holds.
bool RefHolds(const RefLock& lock, const std::vector<RefNode>& lineage,
              const std::vector<std::string>& principals) {
  switch (lock.kind) {
    case RefLock::kPermission:
      return RefPermits(lineage, principals, lock.permission);
    case RefLock::kAll:
      for (const RefLock& c : lock.children) {
        if (!RefHolds(c, lineage, principals)) return false;
      }
      return true;
    case RefLock::kAny:
      for (const RefLock& c : lock.children) {
        if (RefHolds(c, lineage, principals)) return true;
      }
      return false;
    case RefLock::kBlocked:
      return false;
    case RefLock::kFree:
      return true;
    case RefLock::kCustomYes:
      return true;
    case RefLock::kCustomNo:
      return false;
  }
  return false;
}

// "Locks are rendered as in rpyc.security: view, [a & b], [a | b], BLOCKED,
// NO_PERMISSION_REQUIRED" (an empty AND is True, an empty OR False).
std::string RefRender(const RefLock& lock) {
  switch (lock.kind) {
    case RefLock::kPermission:
      return lock.permission;
    case RefLock::kAll:
    case RefLock::kAny: {
      if (lock.children.empty()) return lock.kind == RefLock::kAll ? "True" : "False";
      std::vector<std::string> parts;
      for (const RefLock& c : lock.children) parts.push_back(RefRender(c));
      return absl::StrCat("[", absl::StrJoin(parts, lock.kind == RefLock::kAll ? " & " : " | "),
                          "]");
    }
    case RefLock::kBlocked:
      return "BLOCKED";
    case RefLock::kFree:
      return "NO_PERMISSION_REQUIRED";
    case RefLock::kCustomYes:
      return "always";
    case RefLock::kCustomNo:
      return "never";
  }
  return "?";
}

using RefTable = std::map<std::string, RefLock>;

struct RefAnswer {
  bool exposed = false;
  bool allowed = false;
  std::string lock;  // the lock the gate evaluates, rendered; BLOCKED if hidden
};

// "Wildcards and the decision":
//   lock = table[name] if listed, else table["*"] (never "*" for "_" names)
//   ok   = lock exists and holds
//   ok   = ok and table["&"] holds, if "&" is present
//   ok   = ok or table["|"] holds, if "|" is present (never for "_" names)
// A name is exposed when listed (not BLOCKED) or reached by "*" (not
// BLOCKED) or "|"; a listed BLOCKED name does not fall back to "*"; a
// BLOCKED "|" grants nothing; "&" BLOCKED hides every name "|" does not
// reach; wildcard keys are never member names.
RefAnswer RefDecide(const RefTable& table, const std::string& name,
                    const std::vector<RefNode>& lineage,
                    const std::vector<std::string>& principals) {
  RefAnswer a;
  if (name.empty() || name == "*" || name == "&" || name == "|") {
    a.lock = "BLOCKED";
    return a;
  }
  const bool underscore = name[0] == '_';
  const RefLock* own = nullptr;
  if (table.count(name) != 0) {
    own = &table.at(name);
  } else if (!underscore && table.count("*") != 0) {
    own = &table.at("*");
  }
  if (own != nullptr && own->kind == RefLock::kBlocked) own = nullptr;
  const RefLock* amp = table.count("&") != 0 ? &table.at("&") : nullptr;
  if (own != nullptr && amp != nullptr && amp->kind == RefLock::kBlocked) own = nullptr;
  const RefLock* bar = nullptr;
  if (!underscore && table.count("|") != 0 && table.at("|").kind != RefLock::kBlocked) {
    bar = &table.at("|");
  }
  a.exposed = own != nullptr || bar != nullptr;
  if (!a.exposed) {
    a.lock = "BLOCKED";
    return a;
  }
  bool ok = own != nullptr && RefHolds(*own, lineage, principals);
  if (ok && amp != nullptr) ok = RefHolds(*amp, lineage, principals);
  if (!ok && bar != nullptr) ok = RefHolds(*bar, lineage, principals);
  a.allowed = ok;
  std::string path;
  if (own != nullptr) {
    path = amp != nullptr ? absl::StrCat("[", RefRender(*own), " & ", RefRender(*amp), "]")
                          : RefRender(*own);
  }
  if (bar == nullptr) {
    a.lock = path;
  } else if (own == nullptr) {
    a.lock = RefRender(*bar);
  } else {
    a.lock = absl::StrCat("[", path, " | ", RefRender(*bar), "]");
  }
  return a;
}

// ---------------------------------------------------------------------------
// Random inputs, and their mirror in the production types.

const std::vector<std::string>& Permissions() {
  static const auto* const kNames = new std::vector<std::string>{"p0", "p1", "p2"};
  return *kNames;
}
const std::vector<std::string>& PrincipalNames() {
  static const auto* const kNames =
      new std::vector<std::string>{"system.Everyone", "system.Authenticated", "u0", "u1", "g0"};
  return *kNames;
}
// Member names asked about: listed or not, public and "_" ones, wildcard
// keys and the empty name.
const std::vector<std::string>& AskedNames() {
  static const auto* const kNames =
      new std::vector<std::string>{"a", "b", "c", "zz", "_p", "_q", "_zz", "*", "&", "|", ""};
  return *kNames;
}
// Names an OLP table may list.
const std::vector<std::string>& TableKeys() {
  static const auto* const kNames =
      new std::vector<std::string>{"a", "b", "c", "_p", "_q", "*", "&", "|"};
  return *kNames;
}

class Generator {
 public:
  explicit Generator(uint32_t seed) : rng_(seed) {}

  int Below(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }
  bool Chance(int percent) { return Below(100) < percent; }

  RefLock Lock(int depth) {
    const int pick = Below(depth > 0 ? 10 : 6);
    switch (pick) {
      case 0:
      case 1:
      case 2:
        return {RefLock::kPermission, Permissions()[Below(3)], {}};
      case 3:
        return {RefLock::kBlocked, "", {}};
      case 4:
        return {RefLock::kFree, "", {}};
      case 5:
        return {Chance(50) ? RefLock::kCustomYes : RefLock::kCustomNo, "", {}};
      default: {
        RefLock l{pick % 2 == 0 ? RefLock::kAll : RefLock::kAny, "", {}};
        const int n = Below(4);  // empty lists too
        for (int i = 0; i < n; ++i) l.children.push_back(Lock(depth - 1));
        return l;
      }
    }
  }

  RefTable Table() {
    RefTable table;
    for (const std::string& key : TableKeys()) {
      if (Chance(45)) table.emplace(key, Lock(2));
    }
    return table;
  }

  RefAcl Acl() {
    RefAcl acl;
    const int n = Below(5);
    for (int i = 0; i < n; ++i) {
      RefAce ace;
      ace.allow = Chance(65);
      ace.principal = PrincipalNames()[Below(static_cast<int>(PrincipalNames().size()))];
      ace.all_permissions = Chance(15);
      if (!ace.all_permissions) {
        for (const std::string& p : Permissions()) {
          if (Chance(40)) ace.permissions.push_back(p);
        }
      }
      acl.push_back(ace);
    }
    return acl;
  }

  std::vector<std::string> PrincipalSet() {
    std::vector<std::string> out{"system.Everyone"};
    for (size_t i = 1; i < PrincipalNames().size(); ++i) {
      if (Chance(50)) out.push_back(PrincipalNames()[i]);
    }
    return out;
  }

 private:
  std::mt19937 rng_;
};

Lock Mirror(const RefLock& l) {
  switch (l.kind) {
    case RefLock::kPermission:
      return Lock::Permission(l.permission);
    case RefLock::kAll:
    case RefLock::kAny: {
      std::vector<Lock> children;
      for (const RefLock& c : l.children) children.push_back(Mirror(c));
      return l.kind == RefLock::kAll ? Lock::AllOf(std::move(children))
                                     : Lock::AnyOf(std::move(children));
    }
    case RefLock::kBlocked:
      return Lock::Blocked();
    case RefLock::kFree:
      return Lock::NoPermissionRequired();
    case RefLock::kCustomYes:
      return Lock::Custom("always", [](const LockQuery&) { return absl::StatusOr<bool>(true); });
    case RefLock::kCustomNo:
      return Lock::Custom("never", [](const LockQuery&) { return absl::StatusOr<bool>(false); });
  }
  return Lock::Blocked();
}

AclPtr Mirror(const RefAcl& acl) {
  std::vector<AceSpec> specs;
  for (const RefAce& ace : acl) {
    if (ace.all_permissions) {
      specs.push_back(ace.allow ? AceSpec::AllowAll(ace.principal)
                                : AceSpec::DenyAllFor(ace.principal));
    } else {
      specs.push_back(ace.allow ? AceSpec::Allow(ace.principal, ace.permissions)
                                : AceSpec::Deny(ace.principal, ace.permissions));
    }
  }
  return Acl::Compile(std::move(specs));
}

constexpr Op kOps[] = {Op::kGetAttr, Op::kSetAttr, Op::kDelAttr, Op::kCall};

TEST(AuthorizerProperty, LockTextExposureAndGateAgreeWithTheDocumentedRules) {
  Generator gen(20260411);
  int allowed = 0;
  int denied = 0;
  int hidden = 0;
  for (int round = 0; round < 400; ++round) {
    SCOPED_TRACE(absl::StrCat("round ", round));
    const View view = gen.Chance(50) ? View::kInstance : View::kClass;
    // One random table per operation, on the handle's view; the other
    // view gets its own tables, which must never leak into this one.
    std::map<Op, RefTable> tables;
    Olp::Builder builder;
    for (Op op : kOps) {
      tables[op] = gen.Table();
      for (const auto& [key, lock] : tables[op]) builder.Expose(view, op, key, Mirror(lock));
      const View other = view == View::kInstance ? View::kClass : View::kInstance;
      for (const auto& [key, lock] : gen.Table()) builder.Expose(other, op, key, Mirror(lock));
    }
    const OlpPtr olp = builder.Build();

    // A lineage of two objects, each with an ACL or none.
    std::vector<RefNode> ref_chain(2);
    std::vector<AclPtr> acls(2);
    for (size_t i = 0; i < ref_chain.size(); ++i) {
      ref_chain[i].has_acl = gen.Chance(75);
      if (ref_chain[i].has_acl) {
        ref_chain[i].acl = gen.Acl();
        acls[i] = Mirror(ref_chain[i].acl);
      }
    }
    TargetFacts target;
    target.is_class = view == View::kClass;
    target.type_name = "T";
    target.type_olp = olp.get();
    // A class handle's lineage starts with the class node (type ACL: none).
    std::vector<RefNode> ref_lineage;
    if (target.is_class) ref_lineage.push_back(RefNode{false, {}});
    ref_lineage.insert(ref_lineage.end(), ref_chain.begin(), ref_chain.end());
    std::vector<LineageNodeFacts> chain(2);
    chain[0].name = "leaf";
    chain[1].name = "";
    for (size_t i = 0; i < chain.size(); ++i) chain[i].instance_acl = acls[i].get();

    Authorizer authz(nullptr, target);
    authz.SetLineage(chain, nullptr);
    ASSERT_EQ(authz.view(), view);

    for (int who = 0; who < 3; ++who) {
      const std::vector<std::string> names = gen.PrincipalSet();
      const Principals principals(names);
      const Subject subject{&principals, "session"};
      for (Op op : kOps) {
        for (const std::string& name : AskedNames()) {
          SCOPED_TRACE(absl::StrCat(OpName(op), " '", name, "' for [",
                                    absl::StrJoin(names, ", "), "]"));
          const RefAnswer want = RefDecide(tables[op], name, ref_lineage, names);
          const Decision got = authz.Decide(subject, op, name);
          // Existence: Exposes (Describe's filter and the WRONG_MEMBER_KIND
          // check) and the gate agree with the rules.
          EXPECT_EQ(authz.Exposes(op, name), want.exposed);
          EXPECT_EQ(got.exposed(), want.exposed);
          // The rendered lock: Describe's text and the denial message's.
          EXPECT_EQ(authz.LockText(op, name), want.lock);
          EXPECT_EQ(got.LockText(), want.lock);
          // The gate's answer, which is Describe's `allowed`.
          EXPECT_EQ(got.allowed(), want.exposed && want.allowed);
          const MemberRights described = authz.DescribeMember(op, name, &subject);
          EXPECT_EQ(described.lock, want.lock);
          EXPECT_EQ(described.allowed, want.exposed && want.allowed);
          EXPECT_FALSE(authz.DescribeMember(op, name, nullptr).allowed);
          // The refusal message's statement of what is needed.
          EXPECT_EQ(got.Needed(), got.has_permission()
                                      ? absl::StrCat("permission '", got.permission(), "'")
                                      : absl::StrCat("lock ", want.lock));
          if (want.exposed) {
            EXPECT_EQ(got.outcome(), want.allowed ? GateOutcome::kAllowed : GateOutcome::kDenied);
            // The debug explanation shows the same lock.
            EXPECT_TRUE(absl::StrContains(got.Explain(), absl::StrCat("; lock ", want.lock)))
                << got.Explain();
          } else {
            EXPECT_EQ(got.outcome(), GateOutcome::kNotExposed);
          }
          if (!want.exposed) {
            ++hidden;
          } else if (want.allowed) {
            ++allowed;
          } else {
            ++denied;
          }
        }
      }
    }
  }
  // The inputs reach every outcome often, or the property proves little.
  EXPECT_GT(allowed, 1000);
  EXPECT_GT(denied, 1000);
  EXPECT_GT(hidden, 1000);
}

// The case that once rendered wrongly: no entry, no "*", "&" = X, "|" = Y.
// The gate evaluates only Y, so Y is the lock shown everywhere.
TEST(AuthorizerProperty, AnUnlistedNameReachedOnlyByOrShowsOnlyTheOrLock) {
  const OlpPtr olp = Olp::Builder()
                         .Expose(View::kInstance, Op::kGetAttr, "&", Lock::Permission("x"))
                         .Expose(View::kInstance, Op::kGetAttr, "|", Lock::Permission("y"))
                         .Build();
  TargetFacts target;
  target.type_name = "T";
  target.type_olp = olp.get();
  const AclPtr acl = Acl::Compile({AceSpec::Allow("u0", "x")});
  LineageNodeFacts node;
  node.instance_acl = acl.get();
  Authorizer authz(nullptr, target);
  authz.SetLineage(absl::MakeConstSpan(&node, 1), nullptr);
  EXPECT_EQ(authz.LockText(Op::kGetAttr, "title"), "y");
  const Principals principals({"system.Everyone", "u0"});
  const Decision d = authz.Decide({&principals, ""}, Op::kGetAttr, "title");
  EXPECT_EQ(d.outcome(), GateOutcome::kDenied);  // holding "x" does not help
  EXPECT_EQ(d.LockText(), "y");
  EXPECT_EQ(d.permission(), "y");
}

}  // namespace
}  // namespace orb::policy
