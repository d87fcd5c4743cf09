// The evaluator against an independent reference on thousands of random
// trees. The reference below is a direct transcription of the pseudo-code in
// SEMANTICS.md §5 and §7 over plain strings (no interning, no compiled
// form, its own repr), so the two share nothing but the data.
#include <algorithm>
#include <cstdlib>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "orb/policy/acl.h"
#include "orb/policy/symbols.h"

namespace orb::policy {
namespace {

// ---------------------------------------------------------------- reference

struct RefAce {
  std::string action;  // "Allow" or "Deny"
  std::string principal;
  enum Form { kStr, kList, kAll } form;
  std::vector<std::string> perms;
};

struct RefNode {
  std::string name;
  int parent;                                // -1: root
  std::optional<std::vector<RefAce>> acl;    // nullopt: no __acl__
  int shares_acl_of = -1;  // the evaluator gets that node's very Acl object
};

// Python repr of an ASCII str (the generator below emits ASCII only; the
// non-ASCII rules are pinned by PyRepr unit tests and the Python oracle).
std::string RefRepr(const std::string& s) {
  const bool sq = s.find('\'') != std::string::npos;
  const bool dq = s.find('"') != std::string::npos;
  const char q = (sq && !dq) ? '"' : '\'';
  std::string out(1, q);
  for (char c : s) {
    if (c == q || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned char>(c));
      out += buf;
    } else {
      out += c;
    }
  }
  return out + q;
}

std::string RefAceRepr(const RefAce& a) {
  std::string perms;
  if (a.form == RefAce::kAll) {
    perms = "ALL_PERMISSIONS";
  } else if (a.form == RefAce::kStr) {
    perms = RefRepr(a.perms[0]);
  } else {
    perms = "(";
    for (size_t i = 0; i < a.perms.size(); ++i) perms += (i ? ", " : "") + RefRepr(a.perms[i]);
    perms += a.perms.size() == 1 ? ",)" : ")";
  }
  return "(" + RefRepr(a.action) + ", " + RefRepr(a.principal) + ", " + perms + ")";
}

std::string RefAclRepr(const std::vector<RefAce>& acl) {
  std::string out = "[";
  for (size_t i = 0; i < acl.size(); ++i) out += (i ? ", " : "") + RefAceRepr(acl[i]);
  return out + "]";
}

bool RefPermIn(const RefAce& a, const std::string& permission) {
  if (a.form == RefAce::kAll) return true;  // ALL_PERMISSIONS contains everything
  for (const std::string& p : a.perms) {
    if (p == permission) return true;  // exact equality, never a substring
  }
  return false;
}

struct RefResult {
  bool allowed = false;
  int acl_node = -1;
  int ace_index = -1;
  int msg_acl_node = -1;
  std::string msg;
};

RefResult RefPermits(const std::vector<RefNode>& nodes, int context,
                     const std::vector<std::string>& principals, const std::string& permission) {
  std::string seen_acl = "'<No ACL found on any object in resource lineage>'";
  RefResult r;
  const auto msg = [&](const char* cls, const std::string& ace, int location) {
    std::string p = "[";
    for (size_t i = 0; i < principals.size(); ++i) p += (i ? ", " : "") + RefRepr(principals[i]);
    p += "]";
    return std::string(cls) + " permission " + RefRepr(permission) + " via ACE " + ace + " in ACL " + seen_acl +
           " on context <Resource " + RefRepr(nodes[location].name) + "> for principals " + p;
  };
  for (int location = context; location != -1; location = nodes[location].parent) {
    if (!nodes[location].acl) continue;
    const std::vector<RefAce>& acl = *nodes[location].acl;
    seen_acl = RefAclRepr(acl);
    r.msg_acl_node = location;
    for (size_t i = 0; i < acl.size(); ++i) {
      const RefAce& ace = acl[i];
      if (std::find(principals.begin(), principals.end(), ace.principal) == principals.end()) continue;
      if (!RefPermIn(ace, permission)) continue;
      r.allowed = ace.action == "Allow";
      r.acl_node = location;
      r.ace_index = static_cast<int>(i);
      r.msg = msg(r.allowed ? "ACLAllowed" : "ACLDenied", RefAceRepr(ace), location);
      return r;
    }
  }
  r.msg = msg("ACLDenied", "'<default deny>'", context);
  return r;
}

std::set<std::string> RefPrincipalsAllowed(const std::vector<RefNode>& nodes, int context,
                                           const std::string& permission) {
  std::vector<int> lineage;
  for (int n = context; n != -1; n = nodes[n].parent) lineage.push_back(n);
  std::set<std::string> allowed;
  for (auto it = lineage.rbegin(); it != lineage.rend(); ++it) {
    if (!nodes[*it].acl) continue;
    std::set<std::string> allowed_here, denied_here;
    for (const RefAce& ace : *nodes[*it].acl) {
      if (ace.action == "Allow" && RefPermIn(ace, permission)) {
        if (!denied_here.count(ace.principal)) allowed_here.insert(ace.principal);
      }
      if (ace.action == "Deny" && RefPermIn(ace, permission)) {
        denied_here.insert(ace.principal);
        if (ace.principal == "system.Everyone") {
          allowed.clear();
          break;
        } else if (allowed.count(ace.principal)) {
          allowed.erase(ace.principal);
        }
      }
    }
    allowed.insert(allowed_here.begin(), allowed_here.end());
  }
  return allowed;
}

// ---------------------------------------------------------------- generator

const std::vector<std::string> kPrincipals = {
    "system.Everyone", "system.Authenticated", "system.everyone", "system.Everyone ", "bob", "Bob", "bob ",
    "alice", "group:editors", "group:editor", "role:admin", "", "o'brien", "say \"hi\"", "both ' \"",
    "back\\slash", "tab\there", "new\nline", "bell\x07", "del\x7f"};
const std::vector<std::string> kPermissions = {"view", "edit", "add", "delete", "vie", "v",
                                               "view ", "View", "view_stuff", "", "it's", "a\\b"};
const std::vector<std::string> kUnknownPermissions = {"never-interned-permission-1",
                                                      "never-interned-permission-2"};

class Generator {
 public:
  explicit Generator(uint32_t seed) : rng_(seed) {}

  int Int(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  bool Chance(double p) { return std::bernoulli_distribution(p)(rng_); }
  template <typename T>
  const T& Pick(const std::vector<T>& v) {
    return v[static_cast<size_t>(Int(0, static_cast<int>(v.size()) - 1))];
  }

  RefAce Ace() {
    if (Chance(0.1)) return {"Deny", "system.Everyone", RefAce::kAll, {}};  // DENY_ALL
    RefAce a{Chance(0.6) ? "Allow" : "Deny", Pick(kPrincipals), RefAce::kStr, {}};
    const double r = std::uniform_real_distribution<double>(0, 1)(rng_);
    if (r < 0.15) {
      a.form = RefAce::kAll;
    } else if (r < 0.55) {
      a.perms = {Pick(kPermissions)};
    } else {
      a.form = RefAce::kList;
      const int n = Pick(std::vector<int>{0, 1, 1, 2, 3, 4});
      for (int i = 0; i < n; ++i) a.perms.push_back(Pick(kPermissions));  // duplicates allowed
    }
    return a;
  }

  std::vector<RefNode> Tree() {
    const int n = Pick(std::vector<int>{1, 1, 2, 3, 4, 6, 8, 12});
    const bool chain = Chance(0.3);
    std::vector<RefNode> nodes;
    for (int i = 0; i < n; ++i) {
      RefNode node{"n" + std::to_string(i) + (Chance(0.1) ? "'s" : ""), i == 0 ? -1 : (chain ? i - 1 : Int(0, i - 1)),
                   std::nullopt};
      const double r = std::uniform_real_distribution<double>(0, 1)(rng_);
      if (r < 0.3) {
        // no ACL
      } else if (r < 0.35 && i > 0 && nodes[i - 1].acl) {
        node.acl = nodes[i - 1].acl;
        node.shares_acl_of = i - 1;
      } else if (r < 0.4) {
        node.acl.emplace();  // empty ACL
      } else {
        node.acl.emplace();
        const int size = Pick(std::vector<int>{1, 2, 3, 5, 8, 9, 12, 20, 40});
        for (int k = 0; k < size; ++k) node.acl->push_back(Ace());
        if (Chance(0.15)) node.acl->push_back(Pick(*node.acl));  // a duplicate ACE
      }
      nodes.push_back(std::move(node));
    }
    return nodes;
  }

  std::vector<std::string> Held(const std::vector<RefNode>& nodes, int context, std::string* permission) {
    std::vector<std::string> held;
    const int k = Pick(std::vector<int>{0, 1, 2, 3, 3, 4, 5});
    for (int i = 0; i < k; ++i) held.push_back(Pick(kPrincipals));
    *permission = Chance(0.1) ? Pick(kUnknownPermissions) : Pick(kPermissions);
    // Aim half of the queries at an ACE of the lineage.
    std::vector<const RefAce*> aces;
    for (int n = context; n != -1; n = nodes[n].parent) {
      if (nodes[n].acl) {
        for (const RefAce& a : *nodes[n].acl) aces.push_back(&a);
      }
    }
    if (!aces.empty() && Chance(0.5)) {
      const RefAce* a = Pick(aces);
      held.insert(held.begin() + Int(0, static_cast<int>(held.size())), a->principal);
      if (!a->perms.empty()) *permission = Pick(a->perms);
    }
    return held;
  }

 private:
  std::mt19937 rng_;
};

AceSpec ToSpec(const RefAce& a) {
  const bool allow = a.action == "Allow";
  switch (a.form) {
    case RefAce::kAll:
      return allow ? AceSpec::AllowAll(a.principal) : AceSpec::DenyAllFor(a.principal);
    case RefAce::kStr:
      return allow ? AceSpec::Allow(a.principal, a.perms[0]) : AceSpec::Deny(a.principal, a.perms[0]);
    case RefAce::kList:
    default:
      return allow ? AceSpec::Allow(a.principal, a.perms) : AceSpec::Deny(a.principal, a.perms);
  }
}

uint32_t Seed() {
  const char* env = std::getenv("ORB_ACL_RANDOM_SEED");
  return env != nullptr ? static_cast<uint32_t>(std::strtoul(env, nullptr, 10)) : 20240607u;
}

TEST(RandomTrees, EvaluatorAgreesWithReferenceTranscription) {
  constexpr int kTrees = 5000;
  constexpr int kQueriesPerTree = 20;
  constexpr int kAllowedPerTree = 5;
  const uint32_t seed = Seed();
  SCOPED_TRACE("seed " + std::to_string(seed) + " (set ORB_ACL_RANDOM_SEED to replay)");
  Generator gen(seed);
  int permits_checked = 0, allowed_checked = 0, outcomes[3] = {0, 0, 0};

  for (int t = 0; t < kTrees && !HasFailure(); ++t) {
    const std::vector<RefNode> nodes = gen.Tree();
    // Compile; a node sometimes shares the very ACL object of an earlier one,
    // which must still be reported by lineage position.
    std::vector<AclPtr> acls(nodes.size());
    for (size_t i = 0; i < nodes.size(); ++i) {
      if (!nodes[i].acl) continue;
      if (nodes[i].shares_acl_of >= 0) {
        acls[i] = acls[nodes[i].shares_acl_of];
        continue;
      }
      std::vector<AceSpec> specs;
      for (const RefAce& a : *nodes[i].acl) specs.push_back(ToSpec(a));
      acls[i] = Acl::Compile(std::move(specs));
    }
    const auto lineage_of = [&](int context) {
      std::vector<LineageNode> lineage;
      for (int n = context; n != -1; n = nodes[n].parent) {
        lineage.push_back(LineageNode{acls[n].get(), nodes[n].name, "Resource"});
      }
      return lineage;
    };
    const auto node_at = [&](int context, int lineage_index) {
      int n = context;
      for (int i = 0; i < lineage_index; ++i) n = nodes[n].parent;
      return n;
    };

    for (int q = 0; q < kQueriesPerTree; ++q) {
      const int context = gen.Int(0, static_cast<int>(nodes.size()) - 1);
      std::string permission;
      const std::vector<std::string> held = gen.Held(nodes, context, &permission);
      SCOPED_TRACE("tree " + std::to_string(t) + " query " + std::to_string(q));
      const RefResult want = RefPermits(nodes, context, held, permission);
      const std::vector<LineageNode> lineage = lineage_of(context);
      const Principals principals(held);
      const AclResult got = Permits(lineage, principals, permission);
      ASSERT_EQ(got.allowed(), want.allowed);
      ASSERT_EQ(got.acl_node() < 0 ? -1 : node_at(context, got.acl_node()), want.acl_node);
      ASSERT_EQ(got.ace_index(), want.ace_index);
      ASSERT_EQ(got.msg_acl_node() < 0 ? -1 : node_at(context, got.msg_acl_node()), want.msg_acl_node);
      ASSERT_EQ(got.Message(lineage, principals.as_given(), permission), want.msg);
      // The interned-id entry point decides identically.
      const AclResult by_id = Permits(lineage, principals, SymbolTable::Global().Find(permission));
      ASSERT_EQ(by_id.allowed(), got.allowed());
      ASSERT_EQ(by_id.ace_index(), got.ace_index());
      ++permits_checked;
      ++outcomes[want.allowed ? 0 : (want.acl_node >= 0 ? 1 : 2)];
    }

    for (int a = 0; a < kAllowedPerTree; ++a) {
      const int context = gen.Int(0, static_cast<int>(nodes.size()) - 1);
      const std::string permission = gen.Chance(0.1) ? gen.Pick(kUnknownPermissions) : gen.Pick(kPermissions);
      SCOPED_TRACE("tree " + std::to_string(t) + " allowed query " + std::to_string(a));
      const std::set<std::string> want = RefPrincipalsAllowed(nodes, context, permission);
      const std::vector<LineageNode> lineage = lineage_of(context);
      const std::vector<std::string> got = PrincipalsAllowedByPermission(lineage, permission);
      ASSERT_EQ(got, std::vector<std::string>(want.begin(), want.end()));
      // SEMANTICS.md §7: membership implies permits for [P] and [P, Everyone].
      for (const std::string& p : got) {
        ASSERT_TRUE(Permits(lineage, Principals({p}), permission).allowed()) << p;
        ASSERT_TRUE(Permits(lineage, Principals({p, std::string(kEveryone)}), permission).allowed()) << p;
      }
      ++allowed_checked;
    }
  }
  EXPECT_EQ(permits_checked, kTrees * kQueriesPerTree);
  EXPECT_EQ(allowed_checked, kTrees * kAllowedPerTree);
  // The generator must exercise every kind of outcome in earnest.
  EXPECT_GT(outcomes[0], permits_checked / 10) << "allowed";
  EXPECT_GT(outcomes[1], permits_checked / 10) << "denied by an ACE";
  EXPECT_GT(outcomes[2], permits_checked / 10) << "default deny";
}

}  // namespace
}  // namespace orb::policy
