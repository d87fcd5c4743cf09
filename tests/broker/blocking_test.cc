// Which members may block (TypeBuilder::NonBlocking, MemberBinding::may_block)
// and how the core defers them for a caller that must not block
// (RequestContext::defer, DeferredCall): both gates decide first, only an
// allowed member that may block is handed back, and it runs when the call
// comes back; a refused or hidden name is answered at once.
#include <atomic>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "orb/broker/binding.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "orb/policy/olp.h"
#include "tests/testing/broker_fixture.h"
#include "tests/testing/test_support.h"

namespace orb::testing {

using orb::broker::Concurrency;
using orb::broker::DeferredCall;
using orb::broker::MemberBinding;
using orb::broker::Object;
using orb::broker::TypeBuilder;
using orb::broker::TypeInfo;
using orb::broker::TypeRegistry;
namespace {

using ::testing::HasSubstr;
using policy::Lock;
using policy::Op;
using policy::View;

// `read` is quick, `measure` and `calibrate` stand for slow instrument I/O.
class Meter final : public Object {
 public:
  int64_t Read() {
    ++reads;
    return 42;
  }
  int64_t Measure() {
    ++measures;
    return 7;
  }
  void SetGain(int64_t g) {
    ++measures;
    gain_ = g;
  }
  int64_t Gain() const { return gain_; }

  std::atomic<int> reads{0};
  std::atomic<int> measures{0};
  int64_t raw_ = 1;

 private:
  int64_t gain_ = 1;
};

// The same members on a type the broker serializes.
class Valve final : public Object {
 public:
  int64_t Read() { return 1; }
  int64_t Measure() { return 2; }
  int64_t raw_ = 0;
};

const MemberBinding& MemberOf(const TypeRegistry& r, const std::string& type, View view,
                              const std::string& name) {
  const TypeInfo* info = r.FindByName(type);
  EXPECT_NE(info, nullptr) << type;
  const MemberBinding* member = info->FindMember(view, name);
  EXPECT_NE(member, nullptr) << name;
  return *member;
}

TEST(TypeRegistryBlocking, MembersMayBlockUnlessDeclaredNonBlocking) {
  TypeRegistry r;
  TypeBuilder<Meter> m("test.Meter");
  m.Property("read", &Meter::Read)
      .Method("measure", &Meter::Measure)
      .Attribute("raw", &Meter::raw_)
      .ClassObject<Meter>("cls")
      .ClassAttribute("unit", [] { return std::string("V"); })
      .Concurrency(Concurrency::kThreadSafe)
      .NonBlocking({"read"});
  ASSERT_TRUE(r.Register(std::move(m)).ok());
  EXPECT_FALSE(MemberOf(r, "test.Meter", View::kInstance, "read").may_block);
  EXPECT_TRUE(MemberOf(r, "test.Meter", View::kInstance, "measure").may_block);
  // A data member and a class object are copies, nothing else.
  EXPECT_FALSE(MemberOf(r, "test.Meter", View::kInstance, "raw").may_block);
  EXPECT_FALSE(MemberOf(r, "test.Meter", View::kInstance, "cls").may_block);
  EXPECT_TRUE(MemberOf(r, "test.Meter", View::kClass, "unit").may_block);
}

TEST(TypeRegistryBlocking, OneBlockingMemberMakesEverySerializedInstanceMemberWait) {
  TypeRegistry r;
  TypeBuilder<Valve> v("test.Valve");
  v.Property("read", &Valve::Read)
      .Method("measure", &Valve::Measure)
      .Attribute("raw", &Valve::raw_)
      .ClassAttribute("unit", [] { return std::string("bar"); })
      .Concurrency(Concurrency::kSerialized)
      .NonBlocking({"read", "unit"});
  ASSERT_TRUE(r.Register(std::move(v)).ok());
  // measure() may hold the valve's access lock for long; read and raw wait
  // for that lock.
  EXPECT_TRUE(MemberOf(r, "test.Valve", View::kInstance, "read").may_block);
  EXPECT_TRUE(MemberOf(r, "test.Valve", View::kInstance, "raw").may_block);
  EXPECT_TRUE(MemberOf(r, "test.Valve", View::kInstance, "measure").may_block);
  // Class members take no object's lock.
  EXPECT_FALSE(MemberOf(r, "test.Valve", View::kClass, "unit").may_block);
}

TEST(TypeRegistryBlocking, NonBlockingTypeRunsEveryMemberInline) {
  TypeRegistry r;
  TypeBuilder<Valve> v("test.Valve");
  v.NonBlocking()  // before the members: it covers them all the same
      .Property("read", &Valve::Read)
      .Method("measure", &Valve::Measure)
      .ClassAttribute("unit", [] { return std::string("bar"); })
      .Concurrency(Concurrency::kSerialized);
  ASSERT_TRUE(r.Register(std::move(v)).ok());
  EXPECT_FALSE(MemberOf(r, "test.Valve", View::kInstance, "read").may_block);
  EXPECT_FALSE(MemberOf(r, "test.Valve", View::kInstance, "measure").may_block);
  EXPECT_FALSE(MemberOf(r, "test.Valve", View::kClass, "unit").may_block);
}

TEST(TypeRegistryBlocking, NonBlockingNamesMustBeMembers) {
  TypeRegistry r;
  TypeBuilder<Valve> v("test.Valve");
  v.Property("read", &Valve::Read).NonBlocking({"read", "reed"});
  EXPECT_THAT(r.Register(std::move(v)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("NonBlocking() names 'reed', which is not a member")));
  TypeBuilder<Valve> empty("test.Valve");
  empty.Property("read", &Valve::Read).NonBlocking(std::vector<std::string>{});
  EXPECT_THAT(r.Register(std::move(empty)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty list")));
  EXPECT_EQ(r.FindByName("test.Valve"), nullptr);
}

// `read`, `measure` and `gain` are exposed; `calibrate` is bound, may block,
// and exposed for no operation.
policy::OlpPtr MeterOlp() {
  policy::Olp::Builder b;
  b.Expose(View::kInstance, Op::kGetAttr, "read", Lock::NoPermissionRequired());
  b.Expose(View::kInstance, Op::kGetAttr, "gain", Lock::NoPermissionRequired());
  b.Expose(View::kInstance, Op::kSetAttr, "gain", Lock::NoPermissionRequired());
  b.Expose(View::kInstance, Op::kCall, "measure", Lock::NoPermissionRequired());
  // Exposed, but the ACL grants `tune` to alice only.
  b.Expose(View::kInstance, Op::kCall, "tune", Lock::Permission("tune"));
  // Every other name is readable with `tune`: `measure` through "*" is a
  // name exposed for getattr that cannot be read.
  b.Expose(View::kInstance, Op::kGetAttr, "*", Lock::Permission("tune"));
  return b.Build();
}

void RegisterMeter(TypeRegistry& r) {
  TypeBuilder<Meter> m("test.Meter");
  m.Property("read", &Meter::Read)
      .Property("gain", &Meter::Gain, &Meter::SetGain)
      .Method("measure", &Meter::Measure)
      .Method("calibrate", &Meter::Measure)
      .Method("tune", &Meter::Measure)
      .Acl({policy::AceSpec::Allow("alice", "tune")})
      .Olp(MeterOlp())
      .Concurrency(Concurrency::kThreadSafe)
      .NonBlocking({"read"});
  ASSERT_TRUE(r.Register(std::move(m)).ok());
}

class DeferTest : public ::testing::Test {
 protected:
  DeferTest()
      : meter_(std::make_shared<Meter>()),
        h_(kBasePolicy, RegisterMeter, meter_),
        bob_(h_, Bob()),
        alice_(h_, Alice()) {
    bob_.Open();
    bob_.ctx().defer = &deferred_;
    alice_.Open();
  }
  std::shared_ptr<Meter> meter_;
  Harness h_;
  Client bob_;
  Client alice_;
  DeferredCall deferred_;
};

TEST_F(DeferTest, AMemberThatMayBlockIsDecidedThenHandedBackUntouched) {
  absl::StatusOr<v1::Value> result = bob_.Call(bob_.root(), "measure");
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(deferred_.pending());
  EXPECT_EQ(result->kind_case(), v1::Value::KIND_NOT_SET);  // the response is untouched
  EXPECT_EQ(meter_->measures.load(), 0);

  // The same call again, with the decision: the member runs.
  result = bob_.Call(bob_.root(), "measure");
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_FALSE(deferred_.pending());
  EXPECT_EQ(result->int_value(), 7);
  EXPECT_EQ(meter_->measures.load(), 1);

  EXPECT_TRUE(bob_.Set(bob_.root(), "gain", Int(3)).ok());
  EXPECT_TRUE(deferred_.pending());
  EXPECT_EQ(meter_->Gain(), 1);
  EXPECT_TRUE(bob_.Set(bob_.root(), "gain", Int(3)).ok());
  EXPECT_FALSE(deferred_.pending());
  EXPECT_EQ(meter_->Gain(), 3);
}

TEST_F(DeferTest, ADeniedCallIsAnsweredAtOnceAndNeverHandedBack) {
  absl::Status denied = bob_.Call(bob_.root(), "tune").status();
  EXPECT_THAT(denied, StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_FALSE(deferred_.pending());
  EXPECT_EQ(meter_->measures.load(), 0);
  // Allowed for alice: handed back.
  alice_.ctx().defer = &deferred_;
  EXPECT_TRUE(alice_.Call(alice_.root(), "tune").ok());
  EXPECT_TRUE(deferred_.pending());
}

TEST_F(DeferTest, TheMemberKindIsToldOnlyToACallerTheAclLetsThrough) {
  // `measure` is exposed for getattr (through "*", lock `tune`) but is a
  // method. bob does not hold `tune`: he is denied like for any name.
  absl::Status bob = bob_.Get(bob_.root(), "measure").status();
  EXPECT_THAT(bob, StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_EQ(Reason(bob), "ACL_DENIED");
  EXPECT_THAT(bob_.Get(bob_.root(), "no_such_name_but_wildcarded").status(),
              StatusIs(absl::StatusCode::kNotFound));
  // alice holds it: she learns the kind.
  absl::Status alice = alice_.Get(alice_.root(), "measure").status();
  EXPECT_THAT(alice, StatusIs(absl::StatusCode::kInvalidArgument,
                              "method 'measure' of 'test.Meter' cannot be read; call it instead"));
  EXPECT_EQ(Reason(alice), "WRONG_MEMBER_KIND");
  EXPECT_EQ(meter_->measures.load(), 0);
}

TEST_F(DeferTest, ANonBlockingMemberRunsAtOnce) {
  absl::StatusOr<v1::Value> value = bob_.Get(bob_.root(), "read");
  ASSERT_TRUE(value.ok()) << value.status();
  EXPECT_FALSE(deferred_.pending());
  EXPECT_EQ(value->int_value(), 42);
  EXPECT_EQ(meter_->reads.load(), 1);
}

TEST_F(DeferTest, AHiddenNameIsAnsweredLikeAnAbsentOneNotDeferred) {
  absl::Status hidden = bob_.Call(bob_.root(), "calibrate").status();
  EXPECT_FALSE(deferred_.pending());
  absl::Status absent = bob_.Call(bob_.root(), "calibrat").status();
  EXPECT_FALSE(deferred_.pending());
  EXPECT_THAT(hidden, StatusIs(absl::StatusCode::kNotFound,
                               "'test.Meter' object has no attribute 'calibrate'"));
  EXPECT_THAT(absent, StatusIs(absl::StatusCode::kNotFound,
                               "'test.Meter' object has no attribute 'calibrat'"));
  EXPECT_EQ(Reason(hidden), Reason(absent));
  // Exposed for getattr/setattr, not for delattr: not deferred either.
  EXPECT_THAT(bob_.Del(bob_.root(), "gain"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_FALSE(deferred_.pending());
  EXPECT_EQ(meter_->measures.load(), 0);
}

TEST_F(DeferTest, ErrorsBeforeTheMemberAreAnsweredAtOnce) {
  v1::HandleRef unknown;
  unknown.set_id("0123456789abcdef0123456789abcdef");
  EXPECT_THAT(bob_.Call(unknown, "measure").status(), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_FALSE(deferred_.pending());
  bob_.set_session("no-such-session");
  EXPECT_THAT(bob_.Call(bob_.root(), "measure").status(), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_FALSE(deferred_.pending());
}

}  // namespace
}  // namespace orb::testing
