// Calls that the gates refuse never take a member thread or the caller's
// member-call quota: both gates decide on gRPC's thread, and only an
// allowed member that may block is handed to the member threads
// (DeferredCall). One identity flooding the broker with denied calls on a
// blocking type leaves the member threads to the others.
#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/caller.h"
#include "tests/integration/gadget.h"
#include "tests/integration/gadget_client.h"
#include "tests/integration/ops_fixture.h"
#include "tests/testing/joining_thread.h"

namespace orb::testing {
namespace {

using ::testing::HasSubstr;

// Only alice may run gadget methods; bob is refused by the ACL.
constexpr char kAliceRuns[] =
    R"(ace { action: ALLOW principal: "alice" permission: "run" })";

class DeniedCallsTest : public ::testing::Test {
 protected:
  // Two member threads, a queue of one, one member call at a time per
  // identity: a single denied call that reached the member threads would
  // make bob's next ones IDENTITY_BUSY and alice's second call BROKER_BUSY.
  static broker::ServerOptions TwoThreads() {
    broker::ServerOptions options;
    options.max_member_threads = 2;
    options.max_queued_member_calls = 1;
    return options;
  }

  std::shared_ptr<Switchboard> board_ = std::make_shared<Switchboard>();
  BrokerServer broker_{GadgetRegistry(), std::make_shared<Gadget>(board_),
                    CompilePolicy(GadgetPolicy(
                        kAliceRuns, "limits { max_member_calls_per_identity: 2 }")),
                    TwoThreads()};
};

TEST_F(DeniedCallsTest, AFloodOfDeniedCallsLeavesTheMemberThreadsToOthers) {
  ASSERT_TRUE(broker_.started());
  // alice calls twice: once through `waiter` on a gadget of her own, so
  // that her second call does not wait for it on one serialized object.
  GadgetClient waiter(broker_.address(), kAliceToken);
  GadgetClient alice(broker_.address(), kAliceToken);
  GadgetClient bob(broker_.address(), kBobToken);
  ASSERT_TRUE(waiter.Open().ok());
  ASSERT_TRUE(alice.Open().ok());
  ASSERT_TRUE(bob.Open().ok());
  ASSERT_TRUE(waiter.SpawnOwnGadget().ok());

  // alice's wait() holds one member thread until released.
  grpc::Status waited;
  JoiningThread wait([&] { waited = waiter.Call("wait", {}, nullptr); },
                     [this] { board_->Release(); });
  const bool wait_started = board_->AwaitStarted(1);

  // bob sends 32 calls to the same blocking method at once: each is denied
  // by the ACL, none is refused as busy.
  constexpr int kDenied = 32;
  std::vector<grpc::Status> denied(kDenied);
  {
    std::vector<JoiningThread> flood;
    for (int i = 0; i < kDenied; ++i) {
      flood.emplace_back([&, i] {
        denied[i] = bob.Call("wait", {}, nullptr);
      });
    }
  }  // every flood thread has joined

  // alice's next call on the same blocking type finds the other thread.
  v1::Value pong;
  grpc::Status ping = alice.Call("ping", {}, &pong);
  const int started_while_waiting = board_->started();
  board_->Release();
  wait.Join();

  ASSERT_TRUE(wait_started);
  for (int i = 0; i < kDenied; ++i) {
    EXPECT_EQ(denied[i].error_code(), grpc::StatusCode::PERMISSION_DENIED)
        << "call " << i << ": " << denied[i].error_message();
    EXPECT_THAT(denied[i].error_message(), HasSubstr("needs permission 'run'"));
  }
  EXPECT_TRUE(ping.ok()) << ping.error_message();
  EXPECT_EQ(pong.string_value(), "pong");
  EXPECT_EQ(started_while_waiting, 1) << "a denied call ran its member";
  EXPECT_TRUE(waited.ok()) << waited.error_message();
}

}  // namespace
}  // namespace orb::testing
