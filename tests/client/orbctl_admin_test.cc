// orbctl admin end to end: the built orbctl against the built orbd serving
// the blog demo, whose policy makes alice its admin; a session held by the
// test (orb::client) is listed, closed and then refused to its owner.
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "orb/broker/audit.h"
#include "orb/client/client.h"
#include "tests/testing/orbd_process.h"
#include "tests/testing/test_support.h"

namespace orb::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;

class OrbctlAdminTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_FALSE(orbd_.address().empty()) << orbd_.log(); }

  // Runs orbctl against the orbd; stdout and stderr together.
  CommandResult Orbctl(const std::string& args) {
    return RunCommand("env -u ORB_TOKEN -u ORB_TICKET ORB_TARGET=" + orbd_.address() + " " +
                      std::string(ORB_BINARY_DIR) + "/bin/orbctl " + args);
  }

  // Bob's session, opened through the C++ client and held by the test.
  orb::client::Session BobsSession(orb::client::Client* keep) {
    orb::client::ClientOptions options;
    options.target = orbd_.address();
    options.token = "bob-demo-token";
    options.client_name = "nightly-report";
    absl::StatusOr<orb::client::Client> client = orb::client::Client::Connect(options);
    EXPECT_THAT(client, IsOk());
    *keep = *std::move(client);
    absl::StatusOr<orb::client::Session> session = keep->OpenSession();
    EXPECT_THAT(session, IsOk());
    return *std::move(session);
  }

  OrbdProcess orbd_;
};

TEST_F(OrbctlAdminTest, SessionsListsAHeldSessionByReferenceAndCloseRevokesIt) {
  orb::client::ClientOptions placeholder;
  placeholder.target = orbd_.address();
  orb::client::Client client = *orb::client::Client::Connect(placeholder);
  orb::client::Session bobs = BobsSession(&client);
  const std::string ref = broker::RedactId(bobs.id());

  CommandResult list = Orbctl("--token=alice-demo-token admin sessions bob");
  EXPECT_EQ(list.exit_code, 0) << list.output;
  EXPECT_THAT(list.output, HasSubstr("REF           USER"));
  EXPECT_THAT(list.output, MatchesRegex(absl::StrCat(
                               "(.|\n)*", ref, "  bob +bearer +nightly-report +[0-9T:Z-]+ +",
                               "[0-9T:Z-]+ +[0-9]+ +1\n(.|\n)*")));
  EXPECT_THAT(list.output, Not(HasSubstr(bobs.id())));
  CommandResult json = Orbctl("--token=alice-demo-token --json admin sessions bob");
  EXPECT_EQ(json.exit_code, 0) << json.output;
  EXPECT_THAT(json.output, HasSubstr(absl::StrCat(R"({"sessions":[{"ref":")", ref,
                                                  R"(","userid":"bob","authn":"bearer",)"
                                                  R"("client_name":"nightly-report")")));

  CommandResult closed = Orbctl("--token=alice-demo-token admin close " + ref);
  EXPECT_EQ(closed.exit_code, 0) << closed.output;
  EXPECT_EQ(closed.output, absl::StrCat("closed session ", ref, " of bob (handles released: 1)\n"));
  EXPECT_THAT(bobs.root().Get("title"), StatusIs(absl::StatusCode::kNotFound));
  CommandResult again = Orbctl("--token=alice-demo-token admin close " + ref);
  EXPECT_EQ(again.exit_code, 5) << again.output;
  EXPECT_THAT(again.output, HasSubstr("no live session has the reference"));
}

TEST_F(OrbctlAdminTest, EachCommandNeedsItsPermission) {
  for (const char* command : {"admin sessions", "admin close 0123456789ab", "admin policy",
                              "admin reload"}) {
    CommandResult refused = Orbctl(absl::StrCat("--token=bob-demo-token ", command));
    EXPECT_EQ(refused.exit_code, 7) << command << ": " << refused.output;
    EXPECT_THAT(refused.output, HasSubstr("PERMISSION_DENIED")) << command;
  }
}

TEST_F(OrbctlAdminTest, PolicyShowsTheRunningPolicy) {
  CommandResult policy = Orbctl("--token=alice-demo-token admin policy");
  EXPECT_EQ(policy.exit_code, 0) << policy.output;
  EXPECT_THAT(policy.output, HasSubstr("file: " + OrbdProcess::BlogPolicyPath() + "\n"));
  EXPECT_THAT(policy.output, MatchesRegex("(.|\n)*sha256: [0-9a-f]{64}\n(.|\n)*"));
  CommandResult reload = Orbctl("--token=alice-demo-token admin reload");
  EXPECT_EQ(reload.exit_code, 0) << reload.output;
  EXPECT_EQ(reload.output, "reloaded: revision 0 (was 0), text unchanged\n");
}

TEST_F(OrbctlAdminTest, BadUsageSendsNothingAndExits2) {
  for (const char* bad : {"admin", "admin sessions a b", "admin close", "admin nap",
                          "admin policy now"}) {
    CommandResult usage = Orbctl(absl::StrCat("--token=alice-demo-token ", bad));
    EXPECT_EQ(usage.exit_code, 2) << bad << ": " << usage.output;
    EXPECT_THAT(usage.output, HasSubstr("orbctl: ")) << bad;
  }
  CommandResult malformed = Orbctl("--token=alice-demo-token admin close not-a-ref");
  EXPECT_EQ(malformed.exit_code, 3) << malformed.output;
  EXPECT_THAT(malformed.output, HasSubstr("12 hex digits"));
}

}  // namespace
}  // namespace orb::testing
