// Locks next to the members (binding.h, "Locks next to the members"):
// Get/Set/Del/Call after a member build the type's compiled-in OLP, and
// every misuse is a registration error that says what to fix.
#include <memory>
#include <string>
#include <utility>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "orb/broker/binding.h"
#include "orb/broker/type_registry.h"
#include "orb/policy/olp.h"
#include "tests/testing/test_support.h"

namespace orb::testing {
namespace {

using orb::broker::Object;
using orb::broker::TypeBuilder;
using orb::broker::TypeRegistry;
using policy::Lock;
using policy::Op;
using policy::View;
using ::testing::HasSubstr;

// A counter whose state is private: it is bound through its accessors.
class Counter final : public Object {
 public:
  int64_t count() const { return count_; }
  int64_t setpoint() const { return setpoint_; }
  void set_setpoint(int64_t v) { setpoint_ = v; }
  void Reset() { count_ = 0; }
  static std::string Version() { return "1"; }

 private:
  int64_t count_ = 0;
  int64_t setpoint_ = 0;
};

TEST(MemberLocks, LocksNextToTheMembersAreTheTypesOlp) {
  TypeRegistry registry;
  TypeBuilder<Counter> t("lab.Counter");
  t.Property("count", &Counter::count).Get("view")
      .Property("setpoint", &Counter::setpoint, &Counter::set_setpoint)
      .Get("view")
      .Set("adjust")
      .Method("reset", &Counter::Reset).Call(Lock::AllOf({Lock::Permission("adjust"),
                                                          Lock::Permission("audited")}))
      .ClassMethod("version", [] { return Counter::Version(); })
      .Call(Lock::NoPermissionRequired());
  ASSERT_THAT(registry.Register(std::move(t)), IsOk());
  const policy::OlpPtr& olp = registry.FindByName("lab.Counter")->olp();
  ASSERT_NE(olp, nullptr);
  EXPECT_EQ(olp->Resolve(View::kInstance, Op::kGetAttr, "count").Render(), "view");
  EXPECT_FALSE(olp->Exposes(View::kInstance, Op::kSetAttr, "count"));
  EXPECT_EQ(olp->Resolve(View::kInstance, Op::kSetAttr, "setpoint").Render(), "adjust");
  EXPECT_EQ(olp->Resolve(View::kInstance, Op::kCall, "reset").Render(), "[adjust & audited]");
  EXPECT_TRUE(olp->Exposes(View::kClass, Op::kCall, "version"));
  EXPECT_FALSE(olp->Exposes(View::kInstance, Op::kCall, "version"));
}

TEST(MemberLocks, ALockForAnOperationTheMemberCannotDoIsARegistrationError) {
  TypeRegistry registry;
  TypeBuilder<Counter> t("lab.Counter");
  t.Method("reset", &Counter::Reset).Set("adjust");
  absl::Status status = registry.Register(std::move(t));
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(status.message(), HasSubstr("member 'reset' is a method without setattr"));
  EXPECT_EQ(registry.FindByName("lab.Counter"), nullptr);
}

TEST(MemberLocks, ALockBeforeAnyMemberIsARegistrationError) {
  TypeRegistry registry;
  TypeBuilder<Counter> t("lab.Counter");
  t.Get("view").Property("count", &Counter::count);
  absl::Status status = registry.Register(std::move(t));
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(status.message(), HasSubstr("a getattr lock comes before any member"));
}

TEST(MemberLocks, OlpAndPerMemberLocksTogetherAreARegistrationError) {
  TypeRegistry registry;
  TypeBuilder<Counter> t("lab.Counter");
  t.Property("count", &Counter::count).Get("view").Olp(policy::Olp::Builder().Build());
  absl::Status status = registry.Register(std::move(t));
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(status.message(), HasSubstr("both Olp() and per-member locks"));
}

}  // namespace
}  // namespace orb::testing
