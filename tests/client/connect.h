// Connecting the C++ client in tests: a failure fails the test (the
// returned object is then unusable, and the test stops at its next check).
#ifndef ORB_TESTS_CLIENT_CONNECT_H_
#define ORB_TESTS_CLIENT_CONNECT_H_

#include <utility>

#include "absl/status/statusor.h"
#include "gtest/gtest.h"
#include "orb/client/client.h"

namespace orb::testing {

inline orb::client::Client ConnectOrFail(const orb::client::ClientOptions& options) {
  absl::StatusOr<orb::client::Client> client = orb::client::Client::Connect(options);
  EXPECT_TRUE(client.ok()) << client.status();
  return *std::move(client);
}

inline orb::client::Session OpenOrFail(const orb::client::Client& client) {
  absl::StatusOr<orb::client::Session> session = client.OpenSession();
  EXPECT_TRUE(session.ok()) << session.status();
  return *std::move(session);
}

}  // namespace orb::testing

#endif  // ORB_TESTS_CLIENT_CONNECT_H_
