// One credential per call, over real gRPC: a call carrying two
// `authorization` entries is refused whatever the first one is, and
// nothing runs. (A header named `Authorization` in another case cannot be
// sent by gRPC's clients; tests/python/raw_h2_headers_test.py sends
// it in raw HTTP/2 frames.)
#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/caller.h"

namespace orb::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// A unary SetAttr of the blog's title with `headers` as the metadata.
grpc::Status SetTitleWith(const BrokerServer& server, const std::string& session,
                          const std::string& root, const std::string& title,
                          const std::vector<std::pair<std::string, std::string>>& headers) {
  auto stub = server.NewStub();
  grpc::ClientContext context;
  for (const auto& [key, value] : headers) context.AddMetadata(key, value);
  v1::SetAttrRequest request;
  request.set_session(session);
  request.set_handle(root);
  request.set_name("title");
  request.mutable_value()->set_string_value(title);
  v1::SetAttrResponse response;
  return stub->SetAttr(&context, request, &response);
}

TEST(CredentialHeaders, TwoAuthorizationEntriesAreRefusedAndNothingRuns) {
  BrokerServer server;
  Caller alice(server, kAliceToken);
  ASSERT_TRUE(alice.Open().ok());
  const std::string alice_header = std::string("Bearer ") + kAliceToken;
  const std::vector<std::vector<std::pair<std::string, std::string>>> doubled = {
      {{"authorization", alice_header}, {"authorization", "Bearer wrong-token"}},
      {{"authorization", alice_header}, {"authorization", "Basic YWxpY2U6c2VjcmV0"}},
      {{"authorization", alice_header}, {"authorization", alice_header}},
      {{"authorization", "Ticket orb1.x.1.y"}, {"authorization", alice_header}},
  };
  for (const auto& headers : doubled) {
    grpc::Status status = SetTitleWith(server, alice.session(), alice.root(), "hijacked", headers);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << headers[1].second;
    EXPECT_THAT(status.error_message(), HasSubstr("2 authorization headers"));
    EXPECT_THAT(status.error_message(), Not(HasSubstr(kAliceToken)));
    EXPECT_EQ(ErrorInfoOf(status).reason(), "UNAUTHENTICATED");
  }
  v1::Value title;
  ASSERT_TRUE(alice.GetAttr(alice.root(), "title", &title).ok());
  EXPECT_NE(title.string_value(), "hijacked");
  // One header: accepted.
  EXPECT_TRUE(
      SetTitleWith(server, alice.session(), alice.root(), "mine", {{"authorization", alice_header}})
          .ok());
}

}  // namespace
}  // namespace orb::testing
