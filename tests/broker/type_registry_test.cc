// TypeRegistry, TypeInfo and MemberBinding (broker/type_registry.h),
// driven directly: registration rules and their messages, the lookups
// (FindByName, FindByType, FindFor by dynamic type), members by view, what
// each member supports, ACLs and OLP as described, concurrent lookups.
// Which members may block is tested in blocking_test.cc.
#include "orb/broker/type_registry.h"

#include <atomic>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <typeindex>
#include <utility>
#include <vector>

#include "orb/broker/binding.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "orb/policy/acl.h"
#include "orb/policy/olp.h"
#include "tests/testing/test_support.h"

namespace orb::testing {

using orb::broker::Concurrency;
using orb::broker::MemberBinding;
using orb::broker::Object;
using orb::broker::TypeBuilder;
using orb::broker::TypeInfo;
using orb::broker::TypeRegistry;
namespace {

using policy::Op;
using policy::View;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class Bulb final : public Object {};

class Lamp final : public Object {
 public:
  explicit Lamp(std::string owner = "") : owner_(std::move(owner)) {}
  int64_t Level() const { return level_; }
  void SetLevel(int64_t level) { level_ = level; }
  void ClearLevel() { level_ = 0; }
  bool Toggle(bool on) { return on; }
  const std::string& owner() const { return owner_; }

  int64_t watts_ = 60;
  const std::string model_ = "A19";

 private:
  std::string owner_;
  int64_t level_ = 0;
};

// A base type and a type derived from it, both bindable.
class Appliance : public Object {};
class Toaster final : public Appliance {};

// Distinct C++ types for tests that register many names.
template <int N>
class Tagged final : public Object {};

// Every kind of member, on both views.
TypeBuilder<Lamp> FullLamp(std::string name = "test.Lamp") {
  TypeBuilder<Lamp> b(std::move(name));
  b.Attribute("watts", &Lamp::watts_)
      .Attribute("model", &Lamp::model_)
      .Property("level", &Lamp::Level, &Lamp::SetLevel, &Lamp::ClearLevel)
      .Property("reading", &Lamp::Level)
      .Method("toggle", &Lamp::Toggle, {"on"})
      .Method("flip", &Lamp::Toggle)
      .ClassAttribute("max_watts", [] { return int64_t{100}; })
      .ClassMethod("toggle", [](int64_t n) { return n; }, {"n"})
      .ClassObject<Bulb>("Bulb");
  return b;
}

const MemberBinding& Member(const TypeInfo& type, View view, absl::string_view name) {
  const MemberBinding* m = type.FindMember(view, name);
  EXPECT_NE(m, nullptr) << name;
  static const MemberBinding kNone;
  return m != nullptr ? *m : kNone;
}

std::vector<std::string> Supported(const MemberBinding& m) {
  std::vector<std::string> out;
  for (Op op : {Op::kGetAttr, Op::kSetAttr, Op::kDelAttr, Op::kCall}) {
    if (m.Supports(op)) out.emplace_back(policy::OpName(op));
  }
  return out;
}

TEST(TypeRegistry, ARegisteredTypeIsFoundByNameCppTypeAndObject) {
  TypeRegistry r;
  ASSERT_THAT(r.Register(FullLamp()), IsOk());
  const TypeInfo* info = r.FindByName("test.Lamp");
  ASSERT_NE(info, nullptr);
  EXPECT_EQ(info->name(), "test.Lamp");
  EXPECT_EQ(info->cpp_type(), std::type_index(typeid(Lamp)));
  EXPECT_EQ(r.FindByType(typeid(Lamp)), info);
  Lamp lamp;
  EXPECT_EQ(r.FindFor(lamp), info);

  EXPECT_EQ(r.FindByName("test.lamp"), nullptr);  // names are case-sensitive
  EXPECT_EQ(r.FindByName("Lamp"), nullptr);
  EXPECT_EQ(r.FindByName(""), nullptr);
  EXPECT_EQ(r.FindByType(typeid(Bulb)), nullptr);
  Bulb bulb;
  EXPECT_EQ(r.FindFor(bulb), nullptr);
}

TEST(TypeRegistry, FindForGoesByTheMostDerivedType) {
  TypeRegistry r;
  ASSERT_THAT(r.Register(TypeBuilder<Appliance>("test.Appliance")), IsOk());
  Toaster toaster;
  const Appliance& as_base = toaster;
  // A derived object is not its registered base: it would leave the broker
  // unprofiled.
  EXPECT_EQ(r.FindFor(as_base), nullptr);

  ASSERT_THAT(r.Register(TypeBuilder<Toaster>("test.Toaster")), IsOk());
  EXPECT_EQ(r.FindFor(as_base), r.FindByName("test.Toaster"));
  const Object& as_object = toaster;
  EXPECT_EQ(r.FindFor(as_object), r.FindByName("test.Toaster"));
  std::shared_ptr<Object> plain = std::make_shared<Appliance>();
  EXPECT_EQ(r.FindFor(*plain), r.FindByName("test.Appliance"));
}

TEST(TypeRegistry, TypesAreListedByName) {
  TypeRegistry r;
  EXPECT_THAT(r.types(), ::testing::IsEmpty());
  ASSERT_THAT(r.Register(TypeBuilder<Tagged<1>>("z.Last")), IsOk());
  ASSERT_THAT(r.Register(TypeBuilder<Tagged<2>>("a.First")), IsOk());
  ASSERT_THAT(r.Register(TypeBuilder<Tagged<3>>("m.Middle")), IsOk());
  std::vector<std::string> names;
  for (const TypeInfo* t : r.types()) names.push_back(t->name());
  EXPECT_THAT(names, ElementsAre("a.First", "m.Middle", "z.Last"));
}

TEST(TypeRegistry, NamesAreLettersDigitsUnderscoresAndInnerDots) {
  TypeRegistry r;
  EXPECT_THAT(r.Register(TypeBuilder<Tagged<1>>("Lamp")), IsOk());
  EXPECT_THAT(r.Register(TypeBuilder<Tagged<2>>("home.lights.Lamp_2")), IsOk());
  EXPECT_THAT(r.Register(TypeBuilder<Tagged<3>>("_")), IsOk());

  for (const std::string bad :
       {"", ".Lamp", "Lamp.", ".", "a b", "a-b", "a/b", "a:b", "caf\xc3\xa9", "a\nb"}) {
    TypeRegistry fresh;
    EXPECT_THAT(fresh.Register(TypeBuilder<Tagged<4>>(bad)),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         "type name '" + bad + "' is not valid (letters, digits, '_' and '.')"))
        << bad;
    EXPECT_THAT(fresh.types(), ::testing::IsEmpty());
    EXPECT_EQ(fresh.FindByType(typeid(Tagged<4>)), nullptr);
  }
}

TEST(TypeRegistry, ANameTakenIsAlreadyExistsAndKeepsTheFirst) {
  TypeRegistry r;
  ASSERT_THAT(r.Register(FullLamp()), IsOk());
  const TypeInfo* first = r.FindByName("test.Lamp");
  EXPECT_THAT(r.Register(TypeBuilder<Bulb>("test.Lamp")),
              StatusIs(absl::StatusCode::kAlreadyExists, "type 'test.Lamp' is already registered"));
  EXPECT_EQ(r.FindByName("test.Lamp"), first);
  EXPECT_EQ(r.FindByType(typeid(Bulb)), nullptr);
  EXPECT_EQ(r.types().size(), 1u);
}

TEST(TypeRegistry, ACppTypeTakenIsAlreadyExistsNamingItsName) {
  TypeRegistry r;
  ASSERT_THAT(r.Register(FullLamp()), IsOk());
  EXPECT_THAT(r.Register(TypeBuilder<Lamp>("test.OtherLamp")),
              StatusIs(absl::StatusCode::kAlreadyExists,
                       "the C++ type of 'test.OtherLamp' is already registered "
                       "as 'test.Lamp'"));
  EXPECT_EQ(r.FindByName("test.OtherLamp"), nullptr);
  EXPECT_EQ(r.FindByType(typeid(Lamp)), r.FindByName("test.Lamp"));
}

TEST(TypeRegistry, EveryProblemOfABuilderIsListedInOneError) {
  TypeRegistry r;
  TypeBuilder<Lamp> b("test.Lamp");
  b.Method("toggle", &Lamp::Toggle, {"on", "off"})
      .Attribute("watts", &Lamp::watts_)
      .Property("watts", &Lamp::Level)
      .Attribute("", &Lamp::watts_)
      .NonBlocking({"watts", "nope"});
  EXPECT_THAT(r.Register(std::move(b)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "type 'test.Lamp': method 'toggle' has 1 parameters but 2 names were "
                       "given; member 'watts' is bound twice on the instance view; a member "
                       "has an empty name; NonBlocking() names 'nope', which is not a "
                       "member "
                       "of the type"));
  EXPECT_EQ(r.FindByName("test.Lamp"), nullptr);
  EXPECT_EQ(r.FindByType(typeid(Lamp)), nullptr);
  // The name and the C++ type are still free.
  EXPECT_THAT(r.Register(FullLamp()), IsOk());
}

TEST(TypeRegistry, ABuilderRegistersOnce) {
  TypeRegistry r;
  TypeBuilder<Lamp> b = FullLamp();
  ASSERT_THAT(r.Register(std::move(b)), IsOk());
  TypeRegistry other;
  EXPECT_THAT(
      other.Register(std::move(b)),  // NOLINT(bugprone-use-after-move): the point
      StatusIs(absl::StatusCode::kInvalidArgument, "this type builder was already registered"));
  EXPECT_THAT(other.types(), ::testing::IsEmpty());
}

TEST(TypeInfo, MembersLiveOnTheirViewOrderedByName) {
  TypeRegistry r;
  ASSERT_THAT(r.Register(FullLamp()), IsOk());
  const TypeInfo& lamp = *r.FindByName("test.Lamp");

  std::vector<std::string> instance;
  for (const auto& [name, m] : lamp.members(View::kInstance)) instance.push_back(name);
  EXPECT_THAT(instance,
              ElementsAre("Bulb", "flip", "level", "model", "reading", "toggle", "watts"));
  std::vector<std::string> klass;
  for (const auto& [name, m] : lamp.members(View::kClass)) klass.push_back(name);
  EXPECT_THAT(klass, ElementsAre("max_watts", "toggle"));

  // One name on both views: two members.
  EXPECT_EQ(Member(lamp, View::kInstance, "toggle").kind, MemberBinding::Kind::kMethod);
  EXPECT_EQ(Member(lamp, View::kInstance, "toggle").view, View::kInstance);
  EXPECT_EQ(Member(lamp, View::kClass, "toggle").kind, MemberBinding::Kind::kClassMethod);
  EXPECT_EQ(Member(lamp, View::kClass, "toggle").view, View::kClass);
  EXPECT_EQ(lamp.FindMember(View::kClass, "watts"), nullptr);
  EXPECT_EQ(lamp.FindMember(View::kInstance, "max_watts"), nullptr);
  EXPECT_EQ(lamp.FindMember(View::kInstance, "Watts"), nullptr);
  EXPECT_EQ(lamp.FindMember(View::kInstance, ""), nullptr);
}

TEST(TypeInfo, MethodsKeepTheirParameterNames) {
  TypeRegistry r;
  ASSERT_THAT(r.Register(FullLamp()), IsOk());
  const TypeInfo& lamp = *r.FindByName("test.Lamp");
  EXPECT_THAT(Member(lamp, View::kInstance, "toggle").params, ElementsAre("on"));
  EXPECT_THAT(Member(lamp, View::kInstance, "flip").params, ElementsAre("arg0"));
  EXPECT_THAT(Member(lamp, View::kClass, "toggle").params, ElementsAre("n"));
  EXPECT_THAT(Member(lamp, View::kInstance, "watts").params, ::testing::IsEmpty());
}

TEST(TypeInfo, EachMemberSupportsExactlyTheOperationsItWasBoundWith) {
  TypeRegistry r;
  ASSERT_THAT(r.Register(FullLamp()), IsOk());
  const TypeInfo& lamp = *r.FindByName("test.Lamp");
  EXPECT_THAT(Supported(Member(lamp, View::kInstance, "watts")), ElementsAre("getattr", "setattr"));
  EXPECT_THAT(Supported(Member(lamp, View::kInstance, "model")), ElementsAre("getattr"));
  EXPECT_THAT(Supported(Member(lamp, View::kInstance, "level")),
              ElementsAre("getattr", "setattr", "delattr"));
  EXPECT_THAT(Supported(Member(lamp, View::kInstance, "reading")), ElementsAre("getattr"));
  EXPECT_THAT(Supported(Member(lamp, View::kInstance, "toggle")), ElementsAre("call"));
  EXPECT_THAT(Supported(Member(lamp, View::kInstance, "Bulb")), ElementsAre("getattr"));
  EXPECT_THAT(Supported(Member(lamp, View::kClass, "max_watts")), ElementsAre("getattr"));
  EXPECT_THAT(Supported(Member(lamp, View::kClass, "toggle")), ElementsAre("call"));
}

TEST(TypeInfo, KindNamesAreWhatMessagesSay) {
  TypeRegistry r;
  ASSERT_THAT(r.Register(FullLamp()), IsOk());
  const TypeInfo& lamp = *r.FindByName("test.Lamp");
  EXPECT_EQ(Member(lamp, View::kInstance, "watts").KindName(), "attribute");
  EXPECT_EQ(Member(lamp, View::kInstance, "level").KindName(), "property");
  EXPECT_EQ(Member(lamp, View::kInstance, "toggle").KindName(), "method");
  EXPECT_EQ(Member(lamp, View::kInstance, "Bulb").KindName(), "class object");
  EXPECT_EQ(Member(lamp, View::kClass, "max_watts").KindName(), "class attribute");
  EXPECT_EQ(Member(lamp, View::kClass, "toggle").KindName(), "class method");
}

TEST(TypeInfo, WithoutAclOlpOrConcurrencyTheDefaultsHold) {
  TypeRegistry r;
  ASSERT_THAT(r.Register(TypeBuilder<Lamp>("test.Lamp")), IsOk());
  const TypeInfo& lamp = *r.FindByName("test.Lamp");
  EXPECT_EQ(lamp.concurrency(), Concurrency::kSerialized);
  EXPECT_EQ(lamp.acl(), nullptr);
  EXPECT_EQ(lamp.olp(), nullptr);
  EXPECT_FALSE(lamp.has_dynamic_acl());
  EXPECT_EQ(lamp.DynamicAcl(Lamp("alice")), nullptr);
  EXPECT_THAT(lamp.members(View::kInstance), ::testing::IsEmpty());
  EXPECT_THAT(lamp.members(View::kClass), ::testing::IsEmpty());
}

TEST(TypeInfo, DescribesTheAclOlpAndConcurrencyItWasGiven) {
  TypeRegistry r;
  policy::OlpPtr olp = policy::Olp::Empty();
  TypeBuilder<Lamp> b("test.Lamp");
  b.Acl({policy::AceSpec::Allow("system.Everyone", "view")})
      .Olp(olp)
      .Concurrency(Concurrency::kThreadSafe);
  ASSERT_THAT(r.Register(std::move(b)), IsOk());
  const TypeInfo& lamp = *r.FindByName("test.Lamp");
  EXPECT_EQ(lamp.concurrency(), Concurrency::kThreadSafe);
  ASSERT_NE(lamp.acl(), nullptr);
  EXPECT_EQ(lamp.acl()->repr(), "[('Allow', 'system.Everyone', 'view')]");
  EXPECT_EQ(lamp.olp(), olp);
}

TEST(TypeInfo, ADynamicAclIsComputedFromTheObject) {
  TypeRegistry r;
  TypeBuilder<Lamp> b("test.Lamp");
  b.DynamicAcl([](const Lamp& l) {
    return std::vector<policy::AceSpec>{policy::AceSpec::Allow(l.owner(), "edit")};
  });
  ASSERT_THAT(r.Register(std::move(b)), IsOk());
  const TypeInfo& lamp = *r.FindByName("test.Lamp");
  EXPECT_TRUE(lamp.has_dynamic_acl());
  policy::AclPtr alices = lamp.DynamicAcl(Lamp("alice"));
  policy::AclPtr bobs = lamp.DynamicAcl(Lamp("bob"));
  ASSERT_NE(alices, nullptr);
  ASSERT_NE(bobs, nullptr);
  EXPECT_EQ(alices->repr(), "[('Allow', 'alice', 'edit')]");
  EXPECT_EQ(bobs->repr(), "[('Allow', 'bob', 'edit')]");
}

TEST(TypeInfo, ADynamicAclThatThrowsDeniesEverything) {
  TypeRegistry r;
  TypeBuilder<Lamp> b("test.Lamp");
  b.DynamicAcl([](const Lamp& l) -> std::vector<policy::AceSpec> {
    if (l.owner().empty()) throw std::runtime_error("no owner");
    return {policy::AceSpec::Allow(l.owner(), "edit")};
  });
  ASSERT_THAT(r.Register(std::move(b)), IsOk());
  policy::AclPtr acl = r.FindByName("test.Lamp")->DynamicAcl(Lamp(""));
  ASSERT_NE(acl, nullptr);
  EXPECT_EQ(acl->repr(), policy::Acl::Compile({policy::AceSpec::DenyAll()})->repr());
  EXPECT_THAT(acl->repr(), HasSubstr("Deny"));
}

TEST(TypeRegistry, ConstLookupsMayRunConcurrently) {
  auto registry = std::make_shared<TypeRegistry>();
  ASSERT_THAT(registry->Register(FullLamp()), IsOk());
  ASSERT_THAT(registry->Register(TypeBuilder<Bulb>("test.Bulb")), IsOk());
  std::shared_ptr<const TypeRegistry> shared = registry;
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&shared, &wrong] {
      Lamp lamp;
      Bulb bulb;
      for (int i = 0; i < 500; ++i) {
        const TypeInfo* l = shared->FindByName("test.Lamp");
        if (l == nullptr || shared->FindFor(lamp) != l) ++wrong;
        if (shared->FindFor(bulb) != shared->FindByName("test.Bulb")) ++wrong;
        if (l == nullptr || l->FindMember(View::kInstance, "watts") == nullptr) ++wrong;
        if (shared->types().size() != 2) ++wrong;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
}

}  // namespace
}  // namespace orb::testing
