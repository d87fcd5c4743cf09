// Request ids (SetAttr, DelAttr, Call, Batch): a retry of the same request
// gets the first outcome without running again, through BrokerCore with a
// fake clock: replay, reuse with another request, the window and the cap,
// a retry racing the first, and a deferred call's claim.
#include <atomic>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "base/sync.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "orb/broker/binding.h"
#include "orb/policy/olp.h"
#include "tests/testing/broker_fixture.h"
#include "tests/testing/joining_thread.h"
#include "tests/testing/test_support.h"

namespace orb::testing {

using orb::broker::DeferredCall;
using orb::broker::Object;
using orb::broker::TypeBuilder;
using orb::broker::TypeRegistry;
namespace {

using ::testing::HasSubstr;
using policy::Lock;
using policy::Op;
using policy::View;

// `bump` counts its runs; `slow` runs until the test opens its gate.
class Counter final : public Object {
 public:
  int64_t Bump(int64_t by) { return runs += by; }
  int64_t Slow() {
    ++slow_runs;
    entered.Notify();
    gate.WaitForNotification();
    return 99;
  }
  std::atomic<int64_t> runs{0};
  std::atomic<int> slow_runs{0};
  VisibleNotification entered;
  VisibleNotification gate;
};

void RegisterCounter(TypeRegistry& r) {
  policy::Olp::Builder olp;
  olp.Expose(View::kInstance, Op::kCall, "bump", Lock::NoPermissionRequired());
  olp.Expose(View::kInstance, Op::kCall, "slow", Lock::NoPermissionRequired());
  TypeBuilder<Counter> t("test.Counter");
  t.Method("bump", &Counter::Bump, {"by"})
      .Method("slow", &Counter::Slow)
      .Olp(olp.Build())
      .Concurrency(broker::Concurrency::kThreadSafe)
      .NonBlocking({"bump"});
  ASSERT_TRUE(r.Register(std::move(t)).ok());
}

v1::CallRequest CallWithId(const Client& c, const std::string& name, std::vector<v1::Value> args,
                           const std::string& id) {
  v1::CallRequest req;
  req.set_session(c.session());
  req.set_handle(c.root().id());
  req.set_name(name);
  for (v1::Value& v : args) *req.add_args() = std::move(v);
  req.set_request_id(id);
  return req;
}

absl::StatusOr<v1::CallResponse> Send(Harness& h, Client& c, const v1::CallRequest& req) {
  v1::CallResponse resp;
  absl::Status s = h.core().Call(c.ctx(), req, &resp);
  if (!s.ok()) return s;
  return resp;
}

class CounterTest : public ::testing::Test {
 protected:
  explicit CounterTest(const std::string& policy = kBasePolicy)
      : counter_(std::make_shared<Counter>()), h_(policy, RegisterCounter, counter_), bob_(h_, Bob()) {
    bob_.Open();
  }
  std::shared_ptr<Counter> counter_;
  Harness h_;
  Client bob_;
};

TEST_F(CounterTest, ARetryWithTheSameIdGetsTheFirstOutcomeWithoutRunningAgain) {
  const v1::CallRequest req = CallWithId(bob_, "bump", {Int(5)}, "retry-1");
  auto first = Send(h_, bob_, req);
  ASSERT_TRUE(first.ok()) << first.status();
  auto again = Send(h_, bob_, req);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(first->result().int_value(), 5);
  EXPECT_EQ(again->result().int_value(), 5);
  EXPECT_EQ(counter_->runs.load(), 5) << "the member ran once";
  // Without an id, the same request runs each time.
  v1::CallRequest plain = req;
  plain.clear_request_id();
  ASSERT_TRUE(Send(h_, bob_, plain).ok());
  ASSERT_TRUE(Send(h_, bob_, plain).ok());
  EXPECT_EQ(counter_->runs.load(), 15);
}

TEST_F(CounterTest, TheSameIdWithAnotherRequestIsRefusedAndRunsNothing) {
  ASSERT_TRUE(Send(h_, bob_, CallWithId(bob_, "bump", {Int(1)}, "x")).ok());
  auto other = Send(h_, bob_, CallWithId(bob_, "bump", {Int(2)}, "x"));
  EXPECT_THAT(other.status(), StatusIs(absl::StatusCode::kFailedPrecondition,
                                       HasSubstr("was given to another request")));
  EXPECT_EQ(Reason(other.status()), "REQUEST_ID_REUSED");
  EXPECT_EQ(counter_->runs.load(), 1);
}

TEST_F(CounterTest, AnErrorOutcomeIsKeptAndReplayedToo) {
  // A wrong argument type fails before the member runs; a retry gets it.
  const v1::CallRequest req = CallWithId(bob_, "bump", {Str("five")}, "bad");
  auto first = Send(h_, bob_, req);
  auto again = Send(h_, bob_, req);
  EXPECT_THAT(first.status(), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(first.status(), again.status());
  EXPECT_EQ(counter_->runs.load(), 0);
}

TEST_F(CounterTest, AnIdLongerThan64BytesIsRefusedAndRunsNothing) {
  auto refused = Send(h_, bob_, CallWithId(bob_, "bump", {Int(1)}, std::string(65, 'i')));
  EXPECT_THAT(refused.status(), StatusIs(absl::StatusCode::kInvalidArgument,
                                         HasSubstr("at most 64 bytes")));
  EXPECT_EQ(counter_->runs.load(), 0);
  EXPECT_TRUE(Send(h_, bob_, CallWithId(bob_, "bump", {Int(1)}, std::string(64, 'i'))).ok());
}

TEST_F(CounterTest, IdsBelongToOneSession) {
  Client carol(h_, User("carol"));
  carol.Open();
  ASSERT_TRUE(Send(h_, bob_, CallWithId(bob_, "bump", {Int(1)}, "shared")).ok());
  ASSERT_TRUE(Send(h_, carol, CallWithId(carol, "bump", {Int(1)}, "shared")).ok());
  EXPECT_EQ(counter_->runs.load(), 2);
  // Someone else's session with an id: NOT_FOUND as always, nothing kept.
  v1::CallRequest foreign = CallWithId(bob_, "bump", {Int(1)}, "shared");
  auto refused = Send(h_, carol, foreign);
  EXPECT_THAT(refused.status(), StatusIs(absl::StatusCode::kNotFound, "session not found"));
  EXPECT_EQ(counter_->runs.load(), 2);
}

TEST_F(CounterTest, AnOutcomeIsForgottenAfterTheWindowAndTheRetryRunsAgain) {
  const v1::CallRequest req = CallWithId(bob_, "bump", {Int(1)}, "late");
  ASSERT_TRUE(Send(h_, bob_, req).ok());
  // In steps shorter than the 60 s lease, each renewing it.
  for (int step = 0; step < 11; ++step) {
    h_.clock().Advance(absl::Seconds(50));
    ASSERT_TRUE(Send(h_, bob_, CallWithId(bob_, "bump", {Int(0)}, "")).ok());
  }
  h_.clock().Advance(absl::Seconds(49));  // 599 s after the first
  ASSERT_TRUE(Send(h_, bob_, req).ok());
  EXPECT_EQ(counter_->runs.load(), 1) << "inside the window: replayed";
  h_.clock().Advance(absl::Seconds(2));
  ASSERT_TRUE(Send(h_, bob_, req).ok());
  EXPECT_EQ(counter_->runs.load(), 2) << "past the window: run again";
}

class SmallCapTest : public CounterTest {
 protected:
  SmallCapTest() : CounterTest(PolicyWithLimits("max_request_ids_per_session: 2")) {}
};

TEST_F(SmallCapTest, TheOldestOutcomeGoesFirstPastTheCap) {
  for (const char* id : {"a", "b", "c"}) {
    ASSERT_TRUE(Send(h_, bob_, CallWithId(bob_, "bump", {Int(1)}, id)).ok());
  }
  EXPECT_EQ(counter_->runs.load(), 3);
  ASSERT_TRUE(Send(h_, bob_, CallWithId(bob_, "bump", {Int(1)}, "c")).ok());
  EXPECT_EQ(counter_->runs.load(), 3) << "c is kept";
  ASSERT_TRUE(Send(h_, bob_, CallWithId(bob_, "bump", {Int(1)}, "a")).ok());
  EXPECT_EQ(counter_->runs.load(), 4) << "a was dropped for c, and runs again";
}

TEST_F(CounterTest, ARetryRacingTheFirstWaitsAndBothGetItsOutcome) {
  const v1::CallRequest req = CallWithId(bob_, "slow", {}, "race");
  absl::StatusOr<v1::CallResponse> first, second;
  // Should a check fail early, the gate opens so that the threads end.
  const auto open_gate = [this] { counter_->gate.Notify(); };
  JoiningThread original([&] { first = Send(h_, bob_, req); }, open_gate);
  counter_->entered.WaitForNotification();
  JoiningThread retry([&] { second = Send(h_, bob_, req); }, open_gate);
  // The retry waits for the first (there is nothing to observe but that it
  // has not run the member); then the member finishes.
  counter_->gate.Notify();
  original.Join();
  retry.Join();
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(first->result().int_value(), 99);
  EXPECT_EQ(second->result().int_value(), 99);
  EXPECT_EQ(counter_->slow_runs.load(), 1) << "exactly one ran";
}

TEST_F(CounterTest, ARetryOnAThreadThatMustNotBlockIsHandedBackToWait) {
  const v1::CallRequest req = CallWithId(bob_, "slow", {}, "race");
  absl::StatusOr<v1::CallResponse> first;
  const auto open_gate = [this] { counter_->gate.Notify(); };
  JoiningThread original([&] { first = Send(h_, bob_, req); }, open_gate);
  counter_->entered.WaitForNotification();
  // The retry comes on a thread that must not block: handed back at once.
  Client retry(h_, Bob());
  retry.set_session(bob_.session());
  DeferredCall deferred;
  retry.ctx().defer = &deferred;
  v1::CallResponse resp;
  ASSERT_TRUE(h_.core().Call(retry.ctx(), req, &resp).ok());
  EXPECT_TRUE(deferred.pending());
  // On the member thread it waits for the first's outcome.
  absl::Status waited;
  JoiningThread member([&] { waited = h_.core().Call(retry.ctx(), req, &resp); }, open_gate);
  counter_->gate.Notify();
  original.Join();
  member.Join();
  ASSERT_TRUE(waited.ok()) << waited;
  EXPECT_FALSE(deferred.pending());
  EXPECT_EQ(resp.result().int_value(), 99);
  EXPECT_EQ(counter_->slow_runs.load(), 1);
}

TEST_F(CounterTest, ADeferredCallKeepsItsIdUntilItsMemberRuns) {
  counter_->gate.Notify();  // slow() returns at once here
  const v1::CallRequest req = CallWithId(bob_, "slow", {}, "deferred");
  {
    DeferredCall deferred;
    bob_.ctx().defer = &deferred;
    v1::CallResponse resp;
    ASSERT_TRUE(h_.core().Call(bob_.ctx(), req, &resp).ok());
    ASSERT_TRUE(deferred.pending());
    // Dropped without running (a refusal after the decision): the id is free.
  }
  bob_.ctx().defer = nullptr;
  auto retried = Send(h_, bob_, req);
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_EQ(counter_->slow_runs.load(), 1);

  // Decided, then run on the "member thread": the outcome is kept.
  const v1::CallRequest next = CallWithId(bob_, "slow", {}, "deferred-2");
  DeferredCall deferred;
  bob_.ctx().defer = &deferred;
  v1::CallResponse resp;
  ASSERT_TRUE(h_.core().Call(bob_.ctx(), next, &resp).ok());
  ASSERT_TRUE(deferred.pending());
  ASSERT_TRUE(h_.core().Call(bob_.ctx(), next, &resp).ok());
  EXPECT_EQ(resp.result().int_value(), 99);
  bob_.ctx().defer = nullptr;
  auto replayed = Send(h_, bob_, next);
  ASSERT_TRUE(replayed.ok()) << replayed.status();
  EXPECT_EQ(replayed->result().int_value(), 99);
  EXPECT_EQ(counter_->slow_runs.load(), 2);
}

TEST(Idempotent, DescribeTellsWhichMethodsAreSafeToRepeat) {
  auto counter = std::make_shared<Counter>();
  Harness h(kBasePolicy, [](TypeRegistry& r) {
    policy::Olp::Builder olp;
    olp.Expose(View::kInstance, Op::kCall, "bump", Lock::NoPermissionRequired());
    olp.Expose(View::kInstance, Op::kCall, "slow", Lock::NoPermissionRequired());
    TypeBuilder<Counter> t("test.Counter");
    t.Method("bump", &Counter::Bump, {"by"}).Method("slow", &Counter::Slow).Olp(olp.Build());
    t.Idempotent({"slow"});
    ASSERT_TRUE(r.Register(std::move(t)).ok());
  }, counter);
  Client bob(h, Bob());
  bob.Open();
  v1::DescribeRequest req;
  req.set_session(bob.session());
  req.set_handle(bob.root().id());
  v1::DescribeResponse described;
  ASSERT_TRUE(h.core().Describe(bob.ctx(), req, &described).ok());
  int seen = 0;
  for (const v1::MemberInfo& m : described.members()) {
    if (m.name() != "slow" && m.name() != "bump") continue;
    ++seen;
    EXPECT_EQ(m.idempotent(), m.name() == "slow") << m.name();
  }
  EXPECT_EQ(seen, 2);
}

TEST(Idempotent, ANameThatIsNoMethodIsARegistrationError) {
  TypeRegistry r;
  TypeBuilder<Counter> t("test.Counter");
  t.Method("bump", &Counter::Bump, {"by"})
      .Property("runs", [](Counter& c) { return c.runs.load(); })
      .Idempotent({"runs", "bmup"});
  absl::Status s = r.Register(std::move(t));
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument,
                          HasSubstr("Idempotent() names 'runs', which is not a method")));
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("'bmup'")));
  TypeBuilder<Counter> empty("test.Counter");
  empty.Method("bump", &Counter::Bump, {"by"}).Idempotent({});
  EXPECT_THAT(TypeRegistry().Register(std::move(empty)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty list")));
}

TEST(RequestIdBlog, ARetriedCallReturnsTheSameHandleWithoutANewReference) {
  Harness h;
  Client bob(h, Bob());
  bob.Open();
  v1::CallRequest add;
  add.set_session(bob.session());
  add.set_handle(bob.root().id());
  add.set_name("add_entry");
  *add.add_args() = Str("t");
  *add.add_args() = Str("b");
  add.set_request_id("add-1");
  v1::CallResponse first, again;
  ASSERT_TRUE(h.core().Call(bob.ctx(), add, &first).ok());
  ASSERT_TRUE(h.core().Call(bob.ctx(), add, &again).ok());
  ASSERT_TRUE(first.result().has_handle());
  EXPECT_EQ(again.result().handle().id(), first.result().handle().id());
  auto list = bob.List();
  ASSERT_TRUE(list.ok()) << list.status();
  int seen = 0;
  for (const v1::HandleInfo& info : list->handles()) {
    if (info.ref().id() != first.result().handle().id()) continue;
    ++seen;
    EXPECT_EQ(info.references(), 1u);
  }
  EXPECT_EQ(seen, 1);
  auto entries = bob.Call(bob.root(), "entries");
  ASSERT_TRUE(entries.ok()) << entries.status();
  // One entry made (entries() adds a reference of its own to it).
  EXPECT_EQ(entries->list_value().values_size(), 1);
}

TEST(RequestIdBlog, ABatchRetryGetsTheFirstBatchResponse) {
  Harness h;
  Client bob(h, Bob());
  bob.Open();
  v1::BatchRequest batch;
  batch.set_session(bob.session());
  batch.set_request_id("batch-1");
  v1::CallRequest* add = batch.add_operations()->mutable_call();
  add->set_handle(bob.root().id());
  add->set_name("add_entry");
  *add->add_args() = Str("t");
  *add->add_args() = Str("b");
  v1::BatchResponse first, again;
  ASSERT_TRUE(h.core().Batch(bob.ctx(), batch, &first).ok());
  ASSERT_TRUE(h.core().Batch(bob.ctx(), batch, &again).ok());
  EXPECT_EQ(first.SerializeAsString(), again.SerializeAsString());
  auto entries = bob.Call(bob.root(), "entries");
  ASSERT_TRUE(entries.ok()) << entries.status();
  EXPECT_EQ(entries->list_value().values_size(), 1);
}

TEST(RequestIdBlog, SetAttrAndDelAttrTakeIdsToo) {
  Harness h;
  Client alice(h, Alice());
  alice.Open();
  v1::SetAttrRequest set;
  set.set_session(alice.session());
  set.set_handle(alice.root().id());
  set.set_name("title");
  *set.mutable_value() = Str("new");
  set.set_request_id("s");
  v1::SetAttrResponse set_resp;
  ASSERT_TRUE(h.core().SetAttr(alice.ctx(), set, &set_resp).ok());
  *set.mutable_value() = Str("newer");
  EXPECT_THAT(h.core().SetAttr(alice.ctx(), set, &set_resp),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  auto title = alice.Get(alice.root(), "title");
  ASSERT_TRUE(title.ok());
  EXPECT_EQ(title->string_value(), "new");
  v1::DelAttrRequest del;
  del.set_session(alice.session());
  del.set_handle(alice.root().id());
  del.set_name("nothing_here");
  del.set_request_id("d");
  v1::DelAttrResponse del_resp;
  absl::Status first = h.core().DelAttr(alice.ctx(), del, &del_resp);
  EXPECT_EQ(h.core().DelAttr(alice.ctx(), del, &del_resp), first);
}

}  // namespace
}  // namespace orb::testing
