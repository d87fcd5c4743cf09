// Fault behaviour: clients that cancel or vanish mid-call, deadlines, methods
// that throw or block, and draining on shutdown. A test-only type
// (gadget.h) supplies methods that block until released, sleep while
// watching their CallContext, or throw.
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/caller.h"
#include "tests/integration/gadget.h"
#include "tests/integration/gadget_client.h"
#include "tests/integration/ops_fixture.h"
#include "tests/testing/joining_thread.h"

namespace orb::testing {

using orb::broker::RequestContext;
namespace {

using ::testing::HasSubstr;
using std::chrono::milliseconds;

constexpr char kEveryoneRuns[] = R"(ace { action: ALLOW principal: "system.Everyone" permission: "run" })";

class FaultsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto registry = std::make_shared<TypeRegistry>();
    ASSERT_TRUE(RegisterGadget(*registry).ok());
    board_ = std::make_shared<Switchboard>();
    root_ = std::make_shared<Gadget>(board_);
    broker_ = std::make_unique<BrokerServer>(registry, root_, CompilePolicy(GadgetPolicy(kEveryoneRuns)));
    ASSERT_TRUE(broker_->started());
  }
  void TearDown() override {
    board_->Release();  // nothing may stay blocked past the test
    broker_.reset();
  }

  // Runs `body` on a thread of its own; a test that returns early releases
  // the switchboard, so that a blocked call in `body` ends and the thread
  // joins at once.
  JoiningThread InBackground(std::function<void()> body) {
    return JoiningThread(std::move(body), [board = board_] { board->Release(); });
  }

  std::unique_ptr<GadgetClient> NewClient(bool own_gadget = true) {
    auto client = std::make_unique<GadgetClient>(broker_->address());
    EXPECT_TRUE(client->Open().ok());
    if (own_gadget) {
      EXPECT_TRUE(client->SpawnOwnGadget().ok());
    }
    return client;
  }

  std::shared_ptr<Switchboard> board_;
  std::shared_ptr<Gadget> root_;
  std::unique_ptr<BrokerServer> broker_;
};

TEST_F(FaultsTest, AThrowingMethodFailsItsOwnCallOnly) {
  auto thrower = NewClient();
  auto other = NewClient();
  grpc::Status status = thrower->Call("boom", {}, nullptr);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNKNOWN);
  EXPECT_THAT(status.error_message(), HasSubstr("raised std::runtime_error: the gadget exploded"));
  EXPECT_TRUE(other->Ping().ok());
  // The thrower's session and its gadget are intact.
  EXPECT_TRUE(thrower->Ping().ok());
  for (int i = 0; i < 20; ++i) EXPECT_EQ(thrower->Call("boom", {}, nullptr).error_code(), grpc::StatusCode::UNKNOWN);
  EXPECT_TRUE(other->Ping().ok());
}

// Safe retries over gRPC: a retry sent while the original still runs (a
// client that gave up on a slow answer and sent again) waits for it; the
// member runs once and both calls get its outcome.
TEST_F(FaultsTest, ARetryRacingTheOriginalRunsTheMemberOnceAndBothGetItsOutcome) {
  auto client = NewClient();
  grpc::Status original;
  grpc::Status retry;
  v1::Value original_result;
  v1::Value retry_result;
  JoiningThread first =
      InBackground([&] { original = client->CallWithId("wait", "race-1", &original_result); });
  ASSERT_TRUE(board_->AwaitStarted(1));
  JoiningThread second =
      InBackground([&] { retry = client->CallWithId("wait", "race-1", &retry_result); });
  // Gives the retry time to arrive while the original runs; the assertions
  // below hold whichever comes first.
  absl::SleepFor(absl::Milliseconds(200));
  board_->Release();
  first.Join();
  second.Join();
  ASSERT_TRUE(original.ok()) << original.error_message();
  ASSERT_TRUE(retry.ok()) << retry.error_message();
  EXPECT_EQ(original_result.string_value(), "released");
  EXPECT_EQ(retry_result.string_value(), "released");
  EXPECT_EQ(board_->started(), 1) << "the member ran more than once";
  // Another request under the same id is refused and runs nothing.
  grpc::Status reused = client->CallWithId("ping", "race-1", nullptr);
  EXPECT_EQ(reused.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ErrorInfoOf(reused).reason(), "REQUEST_ID_REUSED");
}

TEST_F(FaultsTest, AClientThatCancelsMidCallIsAbandonedCleanly) {
  auto leaver = NewClient();
  auto other = NewClient();
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  grpc::Status status;
  JoiningThread call = InBackground(
      [&] { status = leaver->Call("wait", {}, nullptr, milliseconds(0), &context); });
  ASSERT_TRUE(board_->AwaitStarted(1));
  EXPECT_TRUE(other->Ping().ok());
  context.TryCancel();
  call.Join();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::CANCELLED);
  // The method saw the cancellation through its CallContext and returned.
  for (int i = 0; i < 500 && board_->last_exit().empty(); ++i) absl::SleepFor(absl::Milliseconds(10));
  EXPECT_EQ(board_->last_exit(), "cancelled");
  // Nothing else noticed; the leaver's session still works.
  EXPECT_TRUE(other->Ping().ok());
  EXPECT_TRUE(leaver->Ping().ok());
}

TEST_F(FaultsTest, ASlowMethodPastItsDeadlineSeesItAndTheClientGetsDeadlineExceeded) {
  auto slow = NewClient();
  auto other = NewClient();
  const auto start = std::chrono::steady_clock::now();
  grpc::Status status = slow->Call("nap", {Int(5000)}, nullptr, milliseconds(300));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(4));
  for (int i = 0; i < 500 && board_->last_exit().empty(); ++i) absl::SleepFor(absl::Milliseconds(10));
  // The method saw its deadline pass (or the cancellation gRPC sends with it).
  EXPECT_THAT(board_->last_exit(), ::testing::AnyOf("deadline", "cancelled"));
  EXPECT_TRUE(other->Ping().ok());
}

TEST_F(FaultsTest, ACallWhoseDeadlinePassedWhileQueuedNeverStarts) {
  // Two sessions, one gadget (the root): calls on it run one at a time.
  auto first = NewClient(/*own_gadget=*/false);
  auto second = NewClient(/*own_gadget=*/false);
  grpc::Status first_status;
  JoiningThread blocker = InBackground([&] { first_status = first->Call("wait", {}, nullptr); });
  ASSERT_TRUE(board_->AwaitStarted(1));
  // Queued behind wait() on the gadget's access lock; its deadline passes
  // while it waits there.
  grpc::Status queued = second->Call("nap", {Int(1)}, nullptr, milliseconds(200));
  EXPECT_EQ(queued.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  absl::SleepFor(absl::Milliseconds(100));
  board_->Release();
  blocker.Join();
  EXPECT_TRUE(first_status.ok()) << first_status.error_message();
  // Let the queued call reach the gadget: it must find its deadline passed.
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_EQ(board_->started(), 1) << "nap() ran although its deadline had passed";
  EXPECT_TRUE(second->Ping().ok());
}

TEST_F(FaultsTest, TheCoreRefusesACallWhoseDeadlineHasPassed) {
  RequestContext ctx;
  v1::OpenSessionRequest open;
  v1::OpenSessionResponse session;
  ASSERT_TRUE(broker_->core().OpenSession(ctx, open, &session).ok());
  ctx.deadline = absl::Now() - absl::Milliseconds(1);
  v1::CallRequest call;
  call.set_session(session.session());
  call.set_handle(session.root().id());
  call.set_name("nap");
  *call.add_args() = Int(1);
  v1::CallResponse response;
  absl::Status status = broker_->core().Call(ctx, call, &response);
  EXPECT_EQ(status.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(board_->started(), 0);
}

TEST_F(FaultsTest, BlockedMethodsDoNotStarveOtherClients) {
  // More blocked calls than gRPC has threads of its own on this machine.
  const int blocked = static_cast<int>(std::max(16u, 4 * std::thread::hardware_concurrency()));
  std::vector<std::unique_ptr<GadgetClient>> clients;
  for (int i = 0; i < blocked; ++i) clients.push_back(NewClient());
  std::vector<grpc::Status> statuses(blocked);
  std::vector<JoiningThread> threads;
  for (int i = 0; i < blocked; ++i) {
    threads.push_back(
        InBackground([&, i] { statuses[i] = clients[i]->Call("wait", {}, nullptr); }));
  }
  const bool all_started = board_->AwaitStarted(blocked);
  // Others keep being served while every one of those calls blocks.
  auto other = std::make_unique<GadgetClient>(broker_->address());
  EXPECT_TRUE(other->Open().ok());
  EXPECT_TRUE(other->SpawnOwnGadget().ok());
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(other->Ping().ok());
  board_->Release();
  for (auto& t : threads) t.Join();
  EXPECT_TRUE(all_started) << board_->started() << " of " << blocked << " calls started";
  for (const auto& s : statuses) EXPECT_TRUE(s.ok()) << s.error_message();
}

TEST_F(FaultsTest, ShutdownDrainsCallsInFlight) {
  auto slow = NewClient();
  grpc::Status status;
  v1::Value result;
  JoiningThread call = InBackground([&] { status = slow->Call("nap", {Int(500)}, &result); });
  ASSERT_TRUE(board_->AwaitStarted(1));
  broker_->server().Shutdown(absl::Seconds(5));
  call.Join();
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(result.string_value(), "slept");
  // After shutdown nothing new is served.
  GadgetClient late(broker_->address());
  EXPECT_FALSE(late.Open().ok());
}

// A broker with one member thread and no queue.
class MemberPool : public ::testing::Test {
 protected:
  static broker::ServerOptions OneThreadNoQueue() {
    broker::ServerOptions options;
    options.max_member_threads = 1;
    options.max_queued_member_calls = 0;
    return options;
  }

  // Makes `call` and retries it while the broker refuses it as busy
  // (BROKER_BUSY). The only member thread answers a call a moment before it
  // is back in the pool, so a call made right after another one's answer
  // may find it still taken. A refused call never ran its member, so the
  // retry is safe. Every call to a member that may block goes through this,
  // but for the ones a test expects to be refused.
  static grpc::Status UnlessBusy(const std::function<grpc::Status()>& call) {
    // Bounded, so a broken pool fails the test instead of hanging it.
    const absl::Time give_up = absl::Now() + absl::Seconds(10);
    grpc::Status status = call();
    while (ErrorInfoOf(status).reason() == "BROKER_BUSY" && absl::Now() < give_up) {
      absl::SleepFor(absl::Milliseconds(5));
      status = call();
    }
    return status;
  }

  // Runs `body` on a thread of its own; a test that returns early releases
  // the switchboard, so that a blocked call in `body` ends and the thread
  // joins at once.
  JoiningThread InBackground(std::function<void()> body) {
    return JoiningThread(std::move(body), [board = board_] { board->Release(); });
  }

  void SetUp() override { ASSERT_TRUE(broker_.started()); }

  std::shared_ptr<Switchboard> board_ = std::make_shared<Switchboard>();
  BrokerServer broker_{GadgetRegistry(), std::make_shared<Gadget>(board_),
                    CompilePolicy(GadgetPolicy(kEveryoneRuns)), OneThreadNoQueue()};
};

TEST_F(MemberPool, CallsBeyondThreadsAndQueueAreRefusedAsBusy) {
  GadgetClient blocker(broker_.address());
  GadgetClient other(broker_.address());
  ASSERT_TRUE(blocker.Open().ok());
  ASSERT_TRUE(UnlessBusy([&] { return blocker.SpawnOwnGadget(); }).ok());
  ASSERT_TRUE(other.Open().ok());
  // The spawn() just answered may still hold the only member thread.
  grpc::Status blocked;
  JoiningThread call = InBackground(
      [&] { blocked = UnlessBusy([&] { return blocker.Call("wait", {}, nullptr); }); });
  ASSERT_TRUE(board_->AwaitStarted(1));
  grpc::Status busy = other.Ping();
  EXPECT_EQ(busy.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(busy.error_message(), HasSubstr("busy"));
  // Paths that run no member stay available.
  v1::OpenSessionResponse session;
  auto stub = v1::ObjectBroker::NewStub(broker_.PlaintextChannel());
  EXPECT_TRUE(OpenSession(*stub, "", &session).ok());
  board_->Release();
  call.Join();
  EXPECT_TRUE(blocked.ok()) << blocked.error_message();
  grpc::Status again = UnlessBusy([&] { return other.Ping(); });
  EXPECT_TRUE(again.ok()) << again.error_message();
}

TEST_F(MemberPool, NonBlockingMembersAnswerWhileEveryMemberThreadIsBusy) {
  GadgetClient holder(broker_.address());
  GadgetClient reader(broker_.address());
  GadgetClient pinger(broker_.address());
  for (GadgetClient* c : {&holder, &reader, &pinger}) ASSERT_TRUE(c->Open().ok());
  ASSERT_TRUE(UnlessBusy([&] { return holder.SwitchToOwnDial(); }).ok());
  ASSERT_TRUE(UnlessBusy([&] { return reader.SwitchToOwnDial(); }).ok());
  // hold() may block: it takes the only member thread (once the dial()
  // just answered has left it).
  grpc::Status held;
  JoiningThread call =
      InBackground([&] { held = UnlessBusy([&] { return holder.Call("hold", {}, nullptr); }); });
  ASSERT_TRUE(board_->AwaitStarted(1));
  // read() is NonBlocking: answered on gRPC's thread all the same ...
  for (int i = 0; i < 20; ++i) {
    v1::Value value;
    grpc::Status status = reader.Call("read", {}, &value);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(value.int_value(), 7);
  }
  // ... while a member that may block finds no thread (ping() is on a
  // kSerialized type with blocking members).
  EXPECT_EQ(pinger.Ping().error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  // So is hold() on the reader's dial: whether a call is handed off depends
  // on the member, not on the object.
  EXPECT_EQ(reader.Call("hold", {}, nullptr).error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  board_->Release();
  call.Join();
  EXPECT_TRUE(held.ok()) << held.error_message();
}

// A broker with plenty of member threads whose policy lets each identity
// have two calls on them at once.
class MemberCallsPerIdentity : public ::testing::Test {
 protected:
  // A client of its own gadget (so that no call queues behind another on
  // one kSerialized object).
  std::unique_ptr<GadgetClient> NewClient(const std::string& token) {
    auto client = std::make_unique<GadgetClient>(broker_.address(), token);
    EXPECT_TRUE(client->Open().ok());
    EXPECT_TRUE(client->SpawnOwnGadget().ok());
    return client;
  }
  // Starts a wait() that blocks until the switchboard is released.
  // A test that returns early releases the switchboard, so the thread
  // joins at once.
  JoiningThread StartWait(GadgetClient& client, grpc::Status* status) {
    return JoiningThread([&client, status] { *status = client.Call("wait", {}, nullptr); },
                         [board = board_] { board->Release(); });
  }
  void TearDown() override { board_->Release(); }

  std::shared_ptr<Switchboard> board_ = std::make_shared<Switchboard>();
  BrokerServer broker_{GadgetRegistry(), std::make_shared<Gadget>(board_),
                    CompilePolicy(GadgetPolicy(kEveryoneRuns,
                                              "limits { max_member_calls_per_identity: 2 }"))};
};

void ExpectIdentityBusy(const grpc::Status& status) {
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << status.error_message();
  EXPECT_THAT(status.error_message(),
              HasSubstr("this identity already has 2 calls running or waiting on the broker's "
                        "member threads"));
  EXPECT_THAT(status.error_message(), HasSubstr("max_member_calls_per_identity is 2"));
  EXPECT_EQ(ErrorInfoOf(status).reason(), "IDENTITY_BUSY");
  EXPECT_EQ(ErrorInfoOf(status).gate(), "quota");
}

TEST_F(MemberCallsPerIdentity, OneUserAtTheLimitIsRefusedWhileOthersAreServed) {
  ASSERT_TRUE(broker_.started());
  auto bob_first = NewClient(kBobToken);
  auto bob_second = NewClient(kBobToken);
  auto bob_third = NewClient(kBobToken);
  auto alice_waiting = NewClient(kAliceToken);
  auto alice = NewClient(kAliceToken);
  GadgetClient bob_dial(broker_.address(), kBobToken);
  ASSERT_TRUE(bob_dial.Open().ok());
  ASSERT_TRUE(bob_dial.SwitchToOwnDial().ok());

  grpc::Status bob_waits[2];
  JoiningThread bob_calls[2] = {StartWait(*bob_first, &bob_waits[0]),
                              StartWait(*bob_second, &bob_waits[1])};
  EXPECT_TRUE(board_->AwaitStarted(2));

  // bob's third call to a member that may block is refused at once, on
  // another session and gadget of his as well.
  const auto start = std::chrono::steady_clock::now();
  ExpectIdentityBusy(bob_third->Call("wait", {}, nullptr, milliseconds(3000)));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  ExpectIdentityBusy(bob_third->Ping());
  EXPECT_EQ(board_->started(), 2) << "a refused call ran its member";
  // What runs no member on a member thread is not counted: a NonBlocking
  // member, and opening a session.
  v1::Value seven;
  grpc::Status read = bob_dial.Call("read", {}, &seven);
  EXPECT_TRUE(read.ok()) << read.error_message();
  EXPECT_EQ(seven.int_value(), 7);
  GadgetClient bob_fourth(broker_.address(), kBobToken);
  EXPECT_TRUE(bob_fourth.Open().ok());

  // alice has a count of her own: her blocking call starts, and her calls to
  // members that may block keep being answered.
  grpc::Status alice_wait;
  JoiningThread alice_call = StartWait(*alice_waiting, &alice_wait);
  EXPECT_TRUE(board_->AwaitStarted(3));
  for (int i = 0; i < 5; ++i) {
    grpc::Status ping = alice->Ping();
    EXPECT_TRUE(ping.ok()) << ping.error_message();
  }
  v1::Value slept;
  grpc::Status nap = alice->Call("nap", {Int(5)}, &slept);
  EXPECT_TRUE(nap.ok()) << nap.error_message();
  EXPECT_EQ(slept.string_value(), "slept");

  board_->Release();
  for (JoiningThread& t : bob_calls) t.Join();
  alice_call.Join();
  for (const grpc::Status& s : bob_waits) EXPECT_TRUE(s.ok()) << s.error_message();
  EXPECT_TRUE(alice_wait.ok()) << alice_wait.error_message();

  // bob's calls have their answers, so their places are free again.
  grpc::Status again = bob_third->Ping();
  EXPECT_TRUE(again.ok()) << again.error_message();
  v1::Value released;
  grpc::Status wait_again = bob_third->Call("wait", {}, &released);
  EXPECT_TRUE(wait_again.ok()) << wait_again.error_message();
  EXPECT_EQ(released.string_value(), "released");
}

TEST_F(MemberCallsPerIdentity, AnonymousCallersShareOneCount) {
  ASSERT_TRUE(broker_.started());
  auto first = NewClient("");
  auto second = NewClient("");
  auto third = NewClient("");
  auto bob = NewClient(kBobToken);
  grpc::Status waits[2];
  JoiningThread calls[2] = {StartWait(*first, &waits[0]), StartWait(*second, &waits[1])};
  EXPECT_TRUE(board_->AwaitStarted(2));
  ExpectIdentityBusy(third->Ping());
  grpc::Status ping = bob->Ping();
  EXPECT_TRUE(ping.ok()) << ping.error_message();
  board_->Release();
  for (JoiningThread& t : calls) t.Join();
  for (const grpc::Status& s : waits) EXPECT_TRUE(s.ok()) << s.error_message();
  EXPECT_TRUE(third->Ping().ok());
}

TEST_F(MemberCallsPerIdentity, AReloadedPolicyChangesTheLimitForNewCalls) {
  ASSERT_TRUE(broker_.started());
  auto first = NewClient(kBobToken);
  auto second = NewClient(kBobToken);
  auto third = NewClient(kBobToken);
  grpc::Status waits[2];
  JoiningThread calls[2] = {StartWait(*first, &waits[0]), StartWait(*second, &waits[1])};
  EXPECT_TRUE(board_->AwaitStarted(2));
  ExpectIdentityBusy(third->Ping());
  broker_.core().SetPolicy(CompilePolicy(
      GadgetPolicy(kEveryoneRuns, "limits { max_member_calls_per_identity: 3 }")));
  grpc::Status ping = third->Ping();
  EXPECT_TRUE(ping.ok()) << ping.error_message();
  board_->Release();
  for (JoiningThread& t : calls) t.Join();
  for (const grpc::Status& s : waits) EXPECT_TRUE(s.ok()) << s.error_message();
}

}  // namespace
}  // namespace orb::testing
