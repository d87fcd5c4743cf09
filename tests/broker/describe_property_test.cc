// Property: through the core, Describe and the gate tell one story. For
// random OLPs (set as the root's override) and random ACLs and callers,
// every member Describe lists is one the gate finds, its `allowed` is the
// gate's answer, and a denial that no permission decided quotes exactly the
// lock Describe shows; every member it omits is NOT_FOUND. The lock rules
// themselves are checked against docs/policy.md in
// tests/policy/authorizer_property_test.cc.
#include <map>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "orb/broker/binding.h"
#include "orb/broker/object.h"
#include "gtest/gtest.h"
#include "orb/policy/acl.h"
#include "orb/policy/olp.h"
#include "tests/testing/broker_fixture.h"

namespace orb::testing {

using orb::broker::Concurrency;
using orb::broker::Object;
using orb::broker::TypeBuilder;
using orb::broker::TypeRegistry;
namespace {

using policy::Lock;
using policy::Op;
using policy::View;

class Thing final : public Object {
 public:
  int64_t value() const { return 1; }
  void set_value(int64_t) {}
  absl::Status del_value() { return absl::OkStatus(); }
  int64_t Run() { return 1; }
};

// Properties do getattr, setattr and delattr; methods only call.
const std::vector<std::string>& PropertyNames() {
  static const auto* const kNames = new std::vector<std::string>{"a", "b", "_p"};
  return *kNames;
}
const std::vector<std::string>& MethodNames() {
  static const auto* const kNames = new std::vector<std::string>{"c", "_q"};
  return *kNames;
}

void RegisterThing(TypeRegistry& registry) {
  TypeBuilder<Thing> t("prop.Thing");
  for (const std::string& name : PropertyNames()) {
    t.Property(name, &Thing::value, &Thing::set_value, &Thing::del_value);
  }
  for (const std::string& name : MethodNames()) t.Method(name, &Thing::Run);
  t.Concurrency(Concurrency::kThreadSafe);
  ASSERT_TRUE(registry.Register(std::move(t)).ok());
}

class Random {
 public:
  explicit Random(uint32_t seed) : rng_(seed) {}
  int Below(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }
  bool Chance(int percent) { return Below(100) < percent; }

  Lock RandomLock(int depth) {
    switch (Below(depth > 0 ? 8 : 5)) {
      case 0:
      case 1:
      case 2:
        return Lock::Permission(absl::StrCat("p", Below(3)));
      case 3:
        return Lock::Blocked();
      case 4:
        return Lock::NoPermissionRequired();
      default: {
        std::vector<Lock> children;
        for (int n = Below(3); n > 0; --n) children.push_back(RandomLock(depth - 1));
        return Chance(50) ? Lock::AllOf(std::move(children)) : Lock::AnyOf(std::move(children));
      }
    }
  }

  policy::OlpPtr RandomOlp() {
    policy::Olp::Builder b;
    for (int o = 0; o < policy::kOpCount; ++o) {
      for (const char* key : {"a", "b", "c", "_p", "_q", "*", "&", "|"}) {
        if (Chance(40)) b.Expose(View::kInstance, static_cast<Op>(o), key, RandomLock(2));
      }
    }
    return b.Build();
  }

  policy::AclPtr RandomAcl() {
    std::vector<policy::AceSpec> aces;
    static const char* const kWho[] = {"system.Everyone", "u0", "u1", "group:g0"};
    for (int n = Below(5); n > 0; --n) {
      std::vector<std::string> perms;
      for (int p = 0; p < 3; ++p) {
        if (Chance(40)) perms.push_back(absl::StrCat("p", p));
      }
      const std::string who = kWho[Below(4)];
      aces.push_back(Chance(65) ? policy::AceSpec::Allow(who, perms)
                                : policy::AceSpec::Deny(who, perms));
    }
    return policy::Acl::Compile(std::move(aces));
  }

 private:
  std::mt19937 rng_;
};

// The gate's answer for `op` on `name`, as the caller sees it.
absl::Status Touch(Client& c, Op op, const std::string& name) {
  switch (op) {
    case Op::kGetAttr:
      return c.Get(c.root(), name).status();
    case Op::kSetAttr:
      return c.Set(c.root(), name, Int(2));
    case Op::kDelAttr:
      return c.Del(c.root(), name);
    case Op::kCall:
      return c.Call(c.root(), name, {}).status();
  }
  return absl::InternalError("unknown op");
}

bool Supports(Op op, const std::string& name) {
  for (const std::string& m : MethodNames()) {
    if (m == name) return op == Op::kCall;
  }
  return op != Op::kCall;
}

TEST(DescribeProperty, DescribeListsAllowsAndRendersWhatTheGateDecides) {
  auto thing = std::make_shared<Thing>();
  Harness h(kBasePolicy, RegisterThing, thing);
  Random random(7041);
  int allowed = 0;
  int denied = 0;
  int hidden = 0;
  for (int round = 0; round < 60; ++round) {
    SCOPED_TRACE(absl::StrCat("round ", round));
    thing->SetOlpOverride(random.RandomOlp());
    thing->SetAcl(random.Chance(80) ? random.RandomAcl() : nullptr);
    for (const policy::Identity& who :
         {User("u0", {"group:g0"}), User("u1"), User("u2", {"group:g0"})}) {
      Client c(h, who);
      c.Open();
      absl::StatusOr<v1::DescribeResponse> d = c.Describe(c.root());
      ASSERT_TRUE(d.ok()) << d.status();
      std::map<std::pair<std::string, std::string>, const v1::MemberInfo*> listed;
      for (const v1::MemberInfo& m : d->members()) listed[{m.op(), m.name()}] = &m;
      std::vector<std::string> names = PropertyNames();
      names.insert(names.end(), MethodNames().begin(), MethodNames().end());
      for (int o = 0; o < policy::kOpCount; ++o) {
        const Op op = static_cast<Op>(o);
        for (const std::string& name : names) {
          if (!Supports(op, name)) continue;
          SCOPED_TRACE(absl::StrCat(policy::OpName(op), " '", name, "' by ", who.userid));
          const absl::Status gate = Touch(c, op, name);
          auto it = listed.find({std::string(policy::OpName(op)), name});
          if (it == listed.end()) {
            EXPECT_EQ(gate.code(), absl::StatusCode::kNotFound) << gate;
            ++hidden;
            continue;
          }
          const v1::MemberInfo& info = *it->second;
          EXPECT_EQ(info.allowed(), gate.ok()) << gate;
          if (gate.ok()) {
            ++allowed;
            continue;
          }
          ++denied;
          EXPECT_EQ(gate.code(), absl::StatusCode::kPermissionDenied) << gate;
          // Decided without a permission: the message quotes Describe's lock.
          if (absl::StrContains(gate.message(), "needs lock ")) {
            EXPECT_TRUE(absl::StrContains(gate.message(),
                                          absl::StrCat("needs lock ", info.lock(), ",")))
                << gate << " vs lock " << info.lock();
          }
        }
      }
      ASSERT_TRUE(c.Close().ok());
    }
  }
  EXPECT_GT(allowed, 50);
  EXPECT_GT(denied, 50);
  EXPECT_GT(hidden, 50);
}

}  // namespace
}  // namespace orb::testing
