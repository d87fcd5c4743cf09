// How long the client's gRPC machinery lives: a Client whose last reference
// goes away on one of gRPC's callback threads (in its own callback, or with
// its stream still open) must leave the process able to go on. Each test
// starts with no other gRPC user alive in the process, as a program would.
#include <memory>
#include <string>
#include <utility>

#include "base/sync.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "orb/client/client.h"
#include "tests/testing/broker_server.h"
#include "tests/testing/test_support.h"

namespace orb::testing {
namespace {

// A full round against a live broker: any damage the earlier round left in
// gRPC's shared callback threads shows up here.
void WorksAgainstALiveBroker(bool use_stream) {
  BrokerServer server;
  orb::client::ClientOptions options;
  options.use_stream = use_stream;
  options.target = server.address();
  absl::StatusOr<orb::client::Client> client = orb::client::Client::Connect(options);
  ASSERT_THAT(client, IsOk());
  absl::StatusOr<orb::client::Session> session = client->OpenSession();
  ASSERT_THAT(session, IsOk());
  absl::StatusOr<std::string> title = session->root().GetAs<std::string>("title");
  ASSERT_THAT(title, IsOk());
  EXPECT_EQ(*title, "orb demo blog");
}

TEST(ClientLifetime, AClientDroppedInsideItsOwnCallbackLeavesTheProcessWorking) {
  for (int round = 0; round < 5; ++round) {
    VisibleNotification answered;
    absl::Status outcome;
    {
      orb::client::ClientOptions options;
      options.target = "127.0.0.1:1";  // nothing listens: the open fails
      options.timeout = absl::Seconds(5);
      absl::StatusOr<orb::client::Client> connected = orb::client::Client::Connect(options);
      ASSERT_THAT(connected, IsOk());
      auto client = std::make_shared<orb::client::Client>(*std::move(connected));
      // The callback holds the only reference once this scope ends.
      client->OpenSessionAsync(
          [client, &answered, &outcome](absl::StatusOr<orb::client::Session> session) mutable {
            outcome = session.status();
            client.reset();
            answered.Notify();
          });
    }
    answered.WaitForNotification();
    EXPECT_THAT(outcome, StatusIs(absl::StatusCode::kUnavailable));
    WorksAgainstALiveBroker(/*use_stream=*/round % 2 == 0);
  }
}

TEST(ClientLifetime, AClientDestroyedWithItsStreamOpenLeavesTheProcessWorking) {
  for (int round = 0; round < 5; ++round) {
    {
      BrokerServer server;
      orb::client::ClientOptions options;
      options.target = server.address();
      absl::StatusOr<orb::client::Client> client = orb::client::Client::Connect(options);
      ASSERT_THAT(client, IsOk());
      absl::StatusOr<orb::client::Session> session = client->OpenSession();
      ASSERT_THAT(session, IsOk());
      ASSERT_THAT(session->root().Get("title"), IsOk());
      // The client goes with its stream still open, then the server: the
      // stream's last step may run on a gRPC thread after both are gone.
    }
    WorksAgainstALiveBroker(/*use_stream=*/true);
  }
}

}  // namespace
}  // namespace orb::testing
