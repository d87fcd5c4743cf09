// The binding API through BrokerCore: argument binding and conversion,
// results and handles, errors and exceptions from bound code, and the gate
// running before any member is touched.
#include <atomic>
#include <cmath>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "orb/broker/binding.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "orb/policy/olp.h"
#include "tests/testing/broker_fixture.h"
#include "tests/testing/test_support.h"

namespace orb::testing {

using orb::broker::AnyDouble;
using orb::broker::CallContext;
using orb::broker::Concurrency;
using orb::broker::GetErrorInfo;
using orb::broker::Object;
using orb::broker::TypeBuilder;
using orb::broker::TypeRegistry;
namespace {

using ::testing::HasSubstr;

class Widget final : public Object {
 public:
  explicit Widget(std::string label) : label(std::move(label)) {}
  std::string label;
};

class Stranger final : public Object {};  // never registered

class Gadget final : public Object {
 public:
  Gadget() : widget_(std::make_shared<Widget>("first")) {}

  int64_t Guarded() {
    ++guarded_runs;
    return 1;
  }
  int64_t Add(int64_t a, int64_t b) { return a + b; }
  int32_t Narrow(int32_t x) { return x; }
  double Half(double x) { return x / 2; }
  AnyDouble Loose(AnyDouble x) { return x; }
  std::string Greet(const CallContext& ctx, std::optional<std::string> greeting) {
    return greeting.value_or("hello") + " " + (ctx.userid().empty() ? "stranger" : ctx.userid());
  }
  int64_t Sum(const std::vector<int64_t>& xs) {
    int64_t total = 0;
    for (int64_t x : xs) total += x;
    return total;
  }
  std::map<std::string, int64_t> Invert(std::map<std::string, int64_t> m) {
    for (auto& [k, v] : m) v = -v;
    return m;
  }
  void Throw() { throw std::runtime_error("boom"); }
  void ThrowInt() { throw 7; }
  absl::Status Fail() { return absl::FailedPreconditionError("not now"); }
  absl::StatusOr<int64_t> Maybe(bool fail) {
    if (fail) return absl::OutOfRangeError("too far");
    return 5;
  }
  std::shared_ptr<Widget> GetWidget() { return widget_; }
  std::vector<std::shared_ptr<Widget>> Widgets() {
    return {widget_, std::make_shared<Widget>("second"), widget_};
  }
  std::shared_ptr<Stranger> MakeStranger() { return std::make_shared<Stranger>(); }
  std::string LabelOf(std::shared_ptr<Widget> w) { return w == nullptr ? "null" : w->label; }
  v1::Value Echo(v1::Value v) { return v; }
  // A child whose parent the gadget holds until Forget().
  std::shared_ptr<Widget> Orphan() {
    keeper_ = std::make_shared<Widget>("parent");
    auto child = std::make_shared<Widget>("child");
    child->SetLocation(keeper_, "child");
    return child;
  }
  void Forget() { keeper_.reset(); }
  // Moves `w` under a parent that dies right away.
  void Strand(std::shared_ptr<Widget> w) {
    auto doomed = std::make_shared<Widget>("doomed");
    w->SetLocation(doomed, "stranded");
  }
  bool Cancelled(const CallContext& ctx) {
    ++slow_runs;
    return ctx.cancelled();
  }

  std::atomic<int> guarded_runs{0};
  std::atomic<int> slow_runs{0};
  std::string label_ = "gadget";
  int64_t count_ = 0;
  const int64_t fixed_ = 9;

 private:
  std::shared_ptr<Widget> widget_;
  std::shared_ptr<Widget> keeper_;
};

policy::OlpPtr OpenOlp() {
  using policy::Lock;
  using policy::Op;
  using policy::View;
  policy::Olp::Builder b;
  for (View v : {View::kInstance, View::kClass}) {
    for (Op op : {Op::kGetAttr, Op::kSetAttr, Op::kDelAttr, Op::kCall}) {
      b.Expose(v, op, "*", Lock::NoPermissionRequired());
    }
  }
  b.Expose(View::kInstance, Op::kGetAttr, "guarded", Lock::Permission("admin"));
  return b.Build();
}

void RegisterGadget(TypeRegistry& r) {
  TypeBuilder<Gadget> g("test.Gadget");
  g.Property("guarded", &Gadget::Guarded)
      .Attribute("label", &Gadget::label_)
      .Attribute("count", &Gadget::count_)
      .Attribute("fixed", &Gadget::fixed_)
      .Method("add", &Gadget::Add, {"a", "b"})
      .Method("narrow", &Gadget::Narrow, {"x"})
      .Method("half", &Gadget::Half, {"x"})
      .Method("loose", &Gadget::Loose, {"x"})
      .Method("greet", &Gadget::Greet, {"greeting"})
      .Method("sum", &Gadget::Sum, {"xs"})
      .Method("invert", &Gadget::Invert, {"m"})
      .Method("throw", &Gadget::Throw)
      .Method("throw_int", &Gadget::ThrowInt)
      .Method("fail", &Gadget::Fail)
      .Method("maybe", &Gadget::Maybe, {"fail"})
      .Method("widget", &Gadget::GetWidget)
      .Method("widgets", &Gadget::Widgets)
      .Method("stranger", &Gadget::MakeStranger)
      .Method("label_of", &Gadget::LabelOf, {"w"})
      .Method("echo", &Gadget::Echo, {"v"})
      .Method("cancelled", &Gadget::Cancelled)
      .Method("orphan", &Gadget::Orphan)
      .Method("forget", &Gadget::Forget)
      .Method("strand", &Gadget::Strand, {"w"})
      .Method("twice", [](Gadget&, int64_t x) { return 2 * x; }, {"x"})
      .ClassObject<Gadget>("cls")
      .ClassAttribute("version", [](const CallContext& ctx) { return ctx.userid() + "@1"; })
      .ClassMethod("square", [](int64_t x) { return x * x; }, {"x"})
      .Olp(OpenOlp())
      .Acl({policy::AceSpec::Allow(std::string(policy::kEveryone), "view")})
      .Concurrency(Concurrency::kThreadSafe);
  ASSERT_TRUE(r.Register(std::move(g)).ok());
  TypeBuilder<Widget> w("test.Widget");
  w.Attribute("label", &Widget::label).Olp(OpenOlp());
  ASSERT_TRUE(r.Register(std::move(w)).ok());
}

class BindingTest : public ::testing::Test {
 protected:
  BindingTest()
      : gadget_(std::make_shared<Gadget>()),
        h_(kBasePolicy, RegisterGadget, gadget_),
        bob_(h_, Bob()) {
    bob_.Open();
  }
  std::shared_ptr<Gadget> gadget_;
  Harness h_;
  Client bob_;
};

TEST_F(BindingTest, PositionalAndKeywordArguments) {
  EXPECT_EQ(bob_.Call(bob_.root(), "add", {Int(2), Int(3)})->int_value(), 5);
  EXPECT_EQ(bob_.Call(bob_.root(), "add", {Int(2)}, {{"b", Int(10)}})->int_value(), 12);
  EXPECT_EQ(bob_.Call(bob_.root(), "add", {}, {{"b", Int(1)}, {"a", Int(1)}})->int_value(), 2);
  EXPECT_EQ(bob_.Call(bob_.root(), "twice", {Int(21)})->int_value(), 42);
}

TEST_F(BindingTest, ArgumentErrorsNameTheParameter) {
  struct Case {
    std::vector<v1::Value> args;
    std::vector<std::pair<std::string, v1::Value>> kwargs;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{Int(1), Int(2), Int(3)}, {}, "add() takes 2 arguments but 3 were given"},
      {{Int(1)}, {}, "add() missing required argument 'b'"},
      {{Int(1), Int(2)}, {{"c", Int(3)}}, "add() got an unexpected keyword argument 'c'"},
      {{Int(1), Int(2)}, {{"a", Int(3)}}, "add() got multiple values for argument 'a'"},
      {{Str("1"), Int(2)}, {}, "argument 'a': expected int, got string"},
      {{Int(1), Dbl(2.0)}, {}, "argument 'b': expected int, got double"},
  };
  for (const Case& c : cases) {
    absl::Status s = bob_.Call(bob_.root(), "add", c.args, c.kwargs).status();
    EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument, c.message));
    EXPECT_EQ(Reason(s), "BAD_ARGUMENT");
  }
  EXPECT_THAT(bob_.Call(bob_.root(), "narrow", {Int(int64_t{1} << 40)}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "argument 'x': 1099511627776 is out of range (-2147483648..2147483647)"));
  EXPECT_THAT(bob_.Call(bob_.root(), "sum", {List({Int(1), Str("x")})}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "argument 'xs'[1]: expected int, got string"));
}

TEST_F(BindingTest, ContainersAndOptionals) {
  EXPECT_EQ(bob_.Call(bob_.root(), "sum", {List({Int(1), Int(2), Int(3)})})->int_value(), 6);
  v1::Value m;
  (*m.mutable_map_value()->mutable_fields())["x"] = Int(4);
  auto inverted = bob_.Call(bob_.root(), "invert", {m});
  ASSERT_TRUE(inverted.ok()) << inverted.status();
  EXPECT_EQ(inverted->map_value().fields().at("x").int_value(), -4);
  EXPECT_EQ(bob_.Call(bob_.root(), "greet")->string_value(), "hello bob");
  EXPECT_EQ(bob_.Call(bob_.root(), "greet", {Null()})->string_value(), "hello bob");
  EXPECT_EQ(bob_.Call(bob_.root(), "greet", {Str("hi")})->string_value(), "hi bob");
}

TEST_F(BindingTest, DoublesRefuseNanUnlessTheParameterOptsIn) {
  EXPECT_DOUBLE_EQ(bob_.Call(bob_.root(), "half", {Int(3)})->double_value(), 1.5);
  absl::Status nan = bob_.Call(bob_.root(), "half", {Dbl(std::nan(""))}).status();
  EXPECT_THAT(nan, StatusIs(absl::StatusCode::kInvalidArgument,
                            "argument 'x': NaN and infinities are not accepted"));
  EXPECT_THAT(bob_.Call(bob_.root(), "half", {Dbl(std::numeric_limits<double>::infinity())})
                  .status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  auto loose = bob_.Call(bob_.root(), "loose", {Dbl(std::numeric_limits<double>::infinity())});
  ASSERT_TRUE(loose.ok()) << loose.status();
  EXPECT_TRUE(std::isinf(loose->double_value()));
}

TEST_F(BindingTest, AttributesReadWriteAndConstIsReadOnly) {
  EXPECT_EQ(bob_.Get(bob_.root(), "label")->string_value(), "gadget");
  ASSERT_TRUE(bob_.Set(bob_.root(), "count", Int(7)).ok());
  EXPECT_EQ(gadget_->count_, 7);
  EXPECT_THAT(bob_.Set(bob_.root(), "count", Str("x")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "value of 'count': expected int, got string"));
  absl::Status s = bob_.Set(bob_.root(), "fixed", Int(1));
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument,
                          "attribute 'fixed' of 'test.Gadget' is read-only"));
  EXPECT_EQ(Reason(s), "WRONG_MEMBER_KIND");
}

TEST_F(BindingTest, WrongMemberKindIsAClearError) {
  EXPECT_THAT(bob_.Get(bob_.root(), "add").status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "method 'add' of 'test.Gadget' cannot be read; call it instead"));
  EXPECT_THAT(bob_.Call(bob_.root(), "label").status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "attribute 'label' of 'test.Gadget' is not callable"));
  EXPECT_THAT(bob_.Del(bob_.root(), "label"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "attribute 'label' of 'test.Gadget' cannot be deleted"));
}

TEST_F(BindingTest, RefusedGetterNeverRuns) {
  absl::Status s = bob_.Get(bob_.root(), "guarded").status();
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kPermissionDenied,
                          HasSubstr("getattr 'guarded' on 'test.Gadget' object needs "
                                    "permission 'admin'")));
  EXPECT_EQ(gadget_->guarded_runs.load(), 0);
}

TEST_F(BindingTest, ThrowingMethodIsCaughtWithItsTypeAndMessage) {
  absl::Status s = bob_.Call(bob_.root(), "throw").status();
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kUnknown,
                          "call 'throw' raised std::runtime_error: boom"));
  auto info = GetErrorInfo(s);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->reason(), "METHOD_EXCEPTION");
  EXPECT_EQ(info->gate(), "method");
  EXPECT_EQ(info->method_error_type(), "std::runtime_error");
  absl::Status i = bob_.Call(bob_.root(), "throw_int").status();
  EXPECT_THAT(i, StatusIs(absl::StatusCode::kUnknown, "call 'throw_int' raised int"));
  // The broker is fine afterwards.
  EXPECT_EQ(bob_.Call(bob_.root(), "add", {Int(1), Int(1)})->int_value(), 2);
}

TEST_F(BindingTest, StatusResultsAreTheMethodsOwnErrors) {
  absl::Status fail = bob_.Call(bob_.root(), "fail").status();
  EXPECT_THAT(fail, StatusIs(absl::StatusCode::kFailedPrecondition, "not now"));
  EXPECT_EQ(GetErrorInfo(fail)->method_error_type(), "FAILED_PRECONDITION");
  EXPECT_EQ(Reason(fail), "METHOD_ERROR");
  EXPECT_THAT(bob_.Call(bob_.root(), "maybe", {Bool(true)}).status(),
              StatusIs(absl::StatusCode::kOutOfRange, "too far"));
  EXPECT_EQ(bob_.Call(bob_.root(), "maybe", {Bool(false)})->int_value(), 5);
}

TEST_F(BindingTest, SameObjectTwiceIsOneHandleWithReferences) {
  v1::HandleRef w1 = bob_.CallForHandle(bob_.root(), "widget");
  v1::HandleRef w2 = bob_.CallForHandle(bob_.root(), "widget");
  EXPECT_EQ(w1.id(), w2.id());
  EXPECT_EQ(w1.type_name(), "test.Widget");
  auto list = bob_.Call(bob_.root(), "widgets");
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->list_value().values_size(), 3);
  EXPECT_EQ(list->list_value().values(0).handle().id(), w1.id());
  EXPECT_EQ(list->list_value().values(2).handle().id(), w1.id());
  EXPECT_NE(list->list_value().values(1).handle().id(), w1.id());
  auto handles = bob_.List();
  ASSERT_TRUE(handles.ok());
  for (const auto& info : handles->handles()) {
    if (info.ref().id() == w1.id()) {
      EXPECT_EQ(info.references(), 4u);
    }
  }
  EXPECT_EQ(bob_.Get(w1, "label")->string_value(), "first");
}

TEST_F(BindingTest, UnregisteredResultTypeIsRefused) {
  const size_t before = h_.core().handle_count();
  absl::Status s = bob_.Call(bob_.root(), "stranger").status();
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInternal,
                          HasSubstr("which is not a registered type")));
  EXPECT_EQ(Reason(s), "UNREGISTERED_TYPE");
  EXPECT_EQ(h_.core().handle_count(), before);
}

TEST_F(BindingTest, RawValuesMayNotForgeHandles) {
  EXPECT_EQ(bob_.Call(bob_.root(), "echo", {Str("x")})->string_value(), "x");
  absl::Status s = bob_.Call(bob_.root(), "echo", {Ref(bob_.root())}).status();
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInternal, HasSubstr("may not contain handle")));
}

TEST_F(BindingTest, HandleArgumentsResolveInTheCallersSessionOnly) {
  v1::HandleRef mine = bob_.CallForHandle(bob_.root(), "widget");
  EXPECT_EQ(bob_.Call(bob_.root(), "label_of", {Ref(mine)})->string_value(), "first");
  EXPECT_EQ(bob_.Call(bob_.root(), "label_of", {Null()})->string_value(), "null");

  // The same object held by another session (even the same identity) is
  // not the caller's handle.
  Client other(h_, Bob());
  other.Open();
  v1::HandleRef theirs = other.CallForHandle(other.root(), "widget");
  ASSERT_NE(theirs.id(), mine.id());
  absl::Status s = bob_.Call(bob_.root(), "label_of", {Ref(theirs)}).status();
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(Reason(s), "HANDLE_NOT_FOUND");

  // Wrong type and class handles are argument errors.
  EXPECT_THAT(bob_.Call(bob_.root(), "label_of", {Ref(bob_.root())}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "argument 'w': expected a handle to 'test.Widget', got 'test.Gadget'"));
  // A restricted handle would hand the whole object to the method.
  auto narrowed = bob_.Restrict(mine, {"label"});
  ASSERT_TRUE(narrowed.ok());
  EXPECT_THAT(bob_.Call(bob_.root(), "label_of", {Ref(*narrowed)}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("restricted handle")));
}

TEST_F(BindingTest, HandlesKeepTheLineageAliveAndFailClosedWithout) {
  v1::HandleRef child = bob_.CallForHandle(bob_.root(), "orphan");
  ASSERT_TRUE(bob_.Call(bob_.root(), "forget").ok());
  auto label = bob_.Get(child, "label");
  ASSERT_TRUE(label.ok()) << label.status();
  EXPECT_EQ(label->string_value(), "child");
  v1::HandleRef widget = bob_.CallForHandle(bob_.root(), "widget");
  ASSERT_TRUE(bob_.Call(bob_.root(), "strand", {Ref(widget)}).ok());
  absl::Status s = bob_.Get(widget, "label").status();
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kFailedPrecondition,
                          "an ancestor of this object no longer exists"));
  EXPECT_EQ(Reason(s), "OBJECT_DETACHED");
}

TEST_F(BindingTest, ClassMembersNeedAClassHandle) {
  EXPECT_THAT(bob_.Call(bob_.root(), "square", {Int(3)}).status(),
              StatusIs(absl::StatusCode::kNotFound,
                       "'test.Gadget' object has no attribute 'square'"));
  v1::HandleRef cls = bob_.GetHandle(bob_.root(), "cls");
  ASSERT_TRUE(cls.is_class());
  EXPECT_EQ(bob_.Call(cls, "square", {Int(3)})->int_value(), 9);
  EXPECT_EQ(bob_.Get(cls, "version")->string_value(), "bob@1");
  EXPECT_THAT(bob_.Call(cls, "add", {Int(1), Int(2)}).status(),
              StatusIs(absl::StatusCode::kNotFound,
                       "type object 'test.Gadget' has no attribute 'add'"));
  EXPECT_THAT(bob_.Call(bob_.root(), "label_of", {Ref(cls)}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "argument 'w': expected a handle to 'test.Widget', got a class handle"));
}

TEST_F(BindingTest, CallContextCarriesDeadlineAndCancellation) {
  bool cancelled = false;
  bob_.ctx().is_cancelled = [&cancelled] { return cancelled; };
  EXPECT_FALSE(bob_.Call(bob_.root(), "cancelled")->bool_value());
  // Cancelled before it starts: the method never runs.
  cancelled = true;
  EXPECT_THAT(bob_.Call(bob_.root(), "cancelled").status(),
              StatusIs(absl::StatusCode::kCancelled));
  EXPECT_EQ(gadget_->slow_runs.load(), 1);
  cancelled = false;
  bob_.ctx().deadline = h_.clock().Now() - absl::Seconds(1);
  absl::Status late = bob_.Call(bob_.root(), "cancelled").status();
  EXPECT_THAT(late, StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_EQ(gadget_->slow_runs.load(), 1);
}

TEST(TypeRegistryTest, RegistrationErrorsAreReported) {
  TypeRegistry r;
  TypeBuilder<Gadget> bad("test.Gadget");
  bad.Method("add", &Gadget::Add, {"a"}).Attribute("label", &Gadget::label_).Attribute(
      "label", &Gadget::label_);
  absl::Status s = r.Register(std::move(bad));
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument,
                          HasSubstr("method 'add' has 2 parameters but 1 names were given")));
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument,
                          HasSubstr("member 'label' is bound twice")));
  EXPECT_EQ(r.FindByName("test.Gadget"), nullptr);

  TypeBuilder<Gadget> named("not a name");
  EXPECT_THAT(r.Register(std::move(named)), StatusIs(absl::StatusCode::kInvalidArgument));

  TypeBuilder<Widget> w1("test.Widget");
  ASSERT_TRUE(r.Register(std::move(w1)).ok());
  TypeBuilder<Widget> w2("test.Widget2");
  EXPECT_THAT(r.Register(std::move(w2)), StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_NE(r.FindByType(typeid(Widget)), nullptr);
}

TEST(TypeRegistryTest, TypeWithoutOlpExposesNothing) {
  auto root = std::make_shared<Widget>("w");
  Harness h(kBasePolicy,
            [](TypeRegistry& r) {
              TypeBuilder<Widget> w("test.Widget");
              w.Attribute("label", &Widget::label);
              ASSERT_TRUE(r.Register(std::move(w)).ok());
            },
            root);
  Client c(h, Alice());
  c.Open();
  EXPECT_THAT(c.Get(c.root(), "label").status(),
              StatusIs(absl::StatusCode::kNotFound,
                       "'test.Widget' object has no attribute 'label'"));
}

}  // namespace
}  // namespace orb::testing
