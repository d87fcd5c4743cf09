// Quotas and leases over real gRPC: exceeding one is RESOURCE_EXHAUSTED
// with a clear message and disturbs nothing else; an idle session expires.
#include <chrono>
#include <string>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/caller.h"

namespace orb::testing {
namespace {

using ::testing::HasSubstr;

TEST(Limits, HandlesPerSessionQuotaIsResourceExhaustedAndHarmsNoOne) {
  BrokerServer server(DemoPolicy("limits { max_handles_per_session: 3 }"));
  Caller bob(server, kBobToken);
  Caller alice(server, kAliceToken);
  ASSERT_TRUE(bob.Open().ok());
  ASSERT_TRUE(alice.Open().ok());
  // The root is one handle; two entries fill the quota.
  v1::Value entry;
  ASSERT_TRUE(bob.Call(bob.root(), "add_entry", {Str("a"), Str("b")}, &entry).ok());
  ASSERT_TRUE(bob.Call(bob.root(), "add_entry", {Str("c"), Str("d")}, nullptr).ok());
  grpc::Status over =
      bob.Call(bob.root(), "add_entry", {Str("e"), Str("f")}, nullptr);
  EXPECT_EQ(over.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(over.error_message(), HasSubstr("3"));
  EXPECT_EQ(ErrorInfoOf(over).gate(), "quota");
  // Bob's existing handles still work; alice is not affected.
  EXPECT_TRUE(bob.GetAttr(entry.handle().id(), "title", nullptr).ok());
  EXPECT_TRUE(alice.Call(alice.root(), "add_entry", {Str("g"), Str("h")}, nullptr).ok());
  // Releasing makes room again.
  ASSERT_TRUE(bob.Release({entry.handle().id()}).ok());
  EXPECT_TRUE(bob.Call(bob.root(), "add_entry", {Str("i"), Str("j")}, nullptr).ok());
}

TEST(Limits, SessionsPerIdentityQuotaIsResourceExhausted) {
  BrokerServer server(DemoPolicy("limits { max_sessions_per_identity: 2 }"));
  Caller first(server, kBobToken), second(server, kBobToken), third(server, kBobToken);
  ASSERT_TRUE(first.Open().ok());
  ASSERT_TRUE(second.Open().ok());
  grpc::Status over = third.Open();
  EXPECT_EQ(over.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(over.error_message(), HasSubstr("2"));
  Caller alice(server, kAliceToken);
  EXPECT_TRUE(alice.Open().ok());
}

TEST(Limits, IdleSessionExpiresAfterItsLease) {
  BrokerServer server(DemoPolicy("limits { session_ttl_seconds: 1 }"));
  Caller bob(server, kBobToken);
  ASSERT_TRUE(bob.Open().ok());
  ASSERT_TRUE(bob.GetAttr(bob.root(), "title", nullptr).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  EXPECT_EQ(bob.GetAttr(bob.root(), "title", nullptr).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(server.core().session_count(), 0u);
  EXPECT_EQ(server.core().handle_count(), 0u);
}

TEST(Limits, OversizedMessageIsRefusedAndServerKeepsServing) {
  BrokerServer server(DemoPolicy("limits { max_message_bytes: 65536 }"));
  Caller alice(server, kAliceToken);
  ASSERT_TRUE(alice.Open().ok());
  grpc::Status big = alice.SetAttr(alice.root(), "title", Str(std::string(100000, 'x')));
  EXPECT_EQ(big.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_TRUE(alice.GetAttr(alice.root(), "title", nullptr).ok());
}

}  // namespace
}  // namespace orb::testing
